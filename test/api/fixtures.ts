import { readFileSync } from 'node:fs';
import { ENV } from '../../core/config/env.js';
import { trainingDeps } from '../../core/services/index.js';
import { type TrainOutcome, trainAndRegister } from '../../core/training/service.js';

/** Trains and registers a model on builtin:iris against the running emulators. */
export function trainIris(modelName = 'iris', options: { seed?: number } = {}) {
  return trainAndRegister(
    { dataset: 'builtin:iris', modelName, ...options },
    trainingDeps(),
  ) as Promise<TrainOutcome>;
}

/** The local signing key (JWT_KEY_FILE), for forging tokens in attack tests. */
export function localSigningKey(): { kid: string; secret: Uint8Array } {
  const file = process.env[ENV.jwtKeyFile];
  if (!file) throw new Error(`${ENV.jwtKeyFile} is not set`);
  const { keys } = JSON.parse(readFileSync(file, 'utf8')) as { keys: { kid: string; key: string }[] };
  const first = keys[0]!;
  return { kid: first.kid, secret: new TextEncoder().encode(first.key) };
}

import { readFileSync } from 'node:fs';
import { importJWK, type JWK } from 'jose';
import { parseKeySet } from '../../core/auth/keys.js';
import { ENV } from '../../core/config/env.js';
import { keyRing, trainingDeps } from '../../core/services/index.js';
import { trainAndRegister } from '../../core/training/service.js';

/** Trains and registers a model on builtin:iris against the running emulators. */
export function trainIris(modelName = 'iris', options: { seed?: number } = {}) {
  return trainAndRegister({ dataset: 'builtin:iris', modelName, ...options }, trainingDeps());
}

/** The local signing key (JWT_KEY_FILE, written by the auth function on first use), for forging tokens in attack tests. */
export async function localSigningKey(): Promise<{
  kid: string;
  privateKey: Awaited<ReturnType<typeof importJWK>>;
  privateJwk: JWK;
  publicJwk: JWK;
}> {
  await keyRing().document();
  const file = process.env[ENV.jwtKeyFile];
  if (!file) throw new Error(`${ENV.jwtKeyFile} is not set`);
  const doc = parseKeySet(readFileSync(file, 'utf8'));
  const first = doc.keys[0]!;
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = first.privateJwk;
  return {
    kid: first.kid,
    privateKey: await importJWK(first.privateJwk, 'RS256'),
    privateJwk: first.privateJwk,
    publicJwk,
  };
}

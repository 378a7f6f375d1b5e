import { resetClients } from '../aws/clients.js';
import { numberEnv, optionalEnv } from '../config/env.js';

/** Process-wide settings read from the environment at use (names in core/config/env.ts). */
export const settings = {
  get defaultModel() {
    return optionalEnv('defaultModelName') ?? 'iris';
  },
  get codeVersion() {
    return optionalEnv('codeVersion') ?? 'dev';
  },
  get maxBatchRows() {
    return numberEnv('maxBatchRows', 1000);
  },
};

const resets: (() => void)[] = [];

/** A service built from the environment once per process, when first used. */
export function lazy<T>(build: () => T): () => T {
  let value: T | undefined;
  resets.push(() => {
    value = undefined;
  });
  return () => {
    value ??= build();
    return value;
  };
}

/** Forgets every built service and SDK client, for a process whose environment changed (local runtime restarts, tests). */
export function resetServices(): void {
  for (const reset of resets) reset();
  resetClients();
}

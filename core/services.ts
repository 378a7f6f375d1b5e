import { ArtifactStore } from './artifacts/store.js';
import { keyProviderFromEnv } from './auth/keys.js';
import { AuthService } from './auth/service.js';
import { LoginThrottle } from './auth/throttle.js';
import { TokenService } from './auth/tokens.js';
import { UserStore } from './auth/users.js';
import { documentClient, resetClients, s3Client } from './aws/clients.js';
import { booleanEnv, numberEnv, optionalEnv, requireEnv } from './config/env.js';
import { ModelCache } from './prediction/model-cache.js';
import { PredictionService } from './prediction/service.js';
import { RegistryService } from './registry/service.js';
import { RegistryStore } from './registry/store.js';
import { RunStore } from './tracking/store.js';
import type { TrainingDeps } from './training/service.js';

/**
 * The composition root: every service built from the environment, once per process and only
 * when first used (the auth function never loads the model cache, the predict function never
 * touches the users table). Each `lazy(...)` is marked pure so a function's bundle drops the
 * services (and their dependencies) its handler never names.
 */
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

function lazy<T>(build: () => T): () => T {
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

export const registryService = /* @__PURE__ */ lazy(
  () => new RegistryService(new RegistryStore(documentClient(), requireEnv('registryTable'))),
);
export const runStore = /* @__PURE__ */ lazy(() => new RunStore(documentClient(), requireEnv('runsTable')));
export const artifactStore = /* @__PURE__ */ lazy(
  () => new ArtifactStore(s3Client(), requireEnv('artifactBucket')),
);

export const tokenService = /* @__PURE__ */ lazy(
  () =>
    new TokenService(keyProviderFromEnv(), {
      issuer: optionalEnv('jwtIssuer') ?? 'mlops',
      audience: optionalEnv('jwtAudience') ?? 'mlops-api',
      ttlSeconds: numberEnv('tokenTtlSeconds', 3600),
    }),
);

export const authService = /* @__PURE__ */ lazy(
  () =>
    new AuthService(new UserStore(documentClient(), requireEnv('usersTable')), tokenService(), {
      allowSelfRegistration: booleanEnv('allowSelfRegistration', false),
      throttle: new LoginThrottle(documentClient(), requireEnv('usersTable'), {
        maxFailures: numberEnv('loginMaxFailures', 5),
        windowSeconds: numberEnv('loginWindowSeconds', 900),
      }),
    }),
);

export const predictionService = /* @__PURE__ */ lazy(
  () =>
    new PredictionService(
      new ModelCache(registryService(), artifactStore(), {
        refreshMs: numberEnv('modelRefreshSeconds', 60) * 1000,
      }),
      settings.defaultModel,
    ),
);

export const trainingDeps = /* @__PURE__ */ lazy(
  (): TrainingDeps => ({
    registry: registryService(),
    runs: runStore(),
    artifacts: artifactStore(),
    s3: s3Client,
    codeVersion: settings.codeVersion,
  }),
);

import { ArtifactStore } from '../artifacts/store.js';
import { documentClient, s3Client } from '../aws/clients.js';
import { numberEnv, requireEnv } from '../config/env.js';
import { logger } from '../log.js';
import { RegistryService } from '../registry/service.js';
import { RegistryStore } from '../registry/store.js';
import { DEFAULT_LEASE_MS, RunStore } from '../tracking/store.js';
import { lazy } from './lazy.js';

export const registryService = /* @__PURE__ */ lazy(
  () => new RegistryService(new RegistryStore(documentClient(), requireEnv('registryTable'))),
);
export const runStore = /* @__PURE__ */ lazy(
  () =>
    new RunStore(documentClient(), requireEnv('runsTable'), {
      leaseMs: numberEnv('runLeaseSeconds', DEFAULT_LEASE_MS / 1000) * 1000,
      onError: (message, fields) => logger.warn(message, fields),
    }),
);
export const artifactStore = /* @__PURE__ */ lazy(
  () => new ArtifactStore(s3Client(), requireEnv('artifactBucket')),
);

import { ArtifactStore } from '../artifacts/store.js';
import { documentClient, s3Client } from '../aws/clients.js';
import { requireEnv } from '../config/env.js';
import { RegistryService } from '../registry/service.js';
import { RegistryStore } from '../registry/store.js';
import { RunStore } from '../tracking/store.js';
import { lazy } from './lazy.js';

export const registryService = /* @__PURE__ */ lazy(
  () => new RegistryService(new RegistryStore(documentClient(), requireEnv('registryTable'))),
);
export const runStore = /* @__PURE__ */ lazy(() => new RunStore(documentClient(), requireEnv('runsTable')));
export const artifactStore = /* @__PURE__ */ lazy(
  () => new ArtifactStore(s3Client(), requireEnv('artifactBucket')),
);

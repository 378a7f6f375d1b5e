import { s3Client } from '../aws/clients.js';
import { lambdaMemoryBytes } from '../datasets/memory-estimate.js';
import type { TrainingDeps } from '../training/service.js';
import { lazy, settings } from './lazy.js';
import { artifactStore, registryService, runStore } from './storage.js';

export const trainingDeps = /* @__PURE__ */ lazy(
  (): TrainingDeps => ({
    registry: registryService(),
    runs: runStore(),
    artifacts: artifactStore(),
    s3: s3Client,
    codeVersion: settings.codeVersion,
    ...(lambdaMemoryBytes() !== undefined ? { memoryLimitBytes: lambdaMemoryBytes()! } : {}),
  }),
);

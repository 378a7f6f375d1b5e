import { numberEnv } from '../config/env.js';
import { ModelCache } from '../prediction/model-cache.js';
import { PredictionService } from '../prediction/service.js';
import { lazy, settings } from './lazy.js';
import { artifactStore, registryService } from './storage.js';

export const predictionService = /* @__PURE__ */ lazy(
  () =>
    new PredictionService(
      new ModelCache(registryService(), artifactStore(), {
        refreshMs: numberEnv('modelRefreshSeconds', 60) * 1000,
      }),
      settings.defaultModel,
    ),
);

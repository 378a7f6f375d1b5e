import { numberEnv } from '../config/env.js';
import { MODEL_CACHE_DEFAULTS, ModelCache } from '../prediction/model-cache.js';
import { PredictionService } from '../prediction/service.js';
import { lazy, settings } from './lazy.js';
import { artifactStore, registryService } from './storage.js';

export const predictionService = /* @__PURE__ */ lazy(
  () =>
    new PredictionService(
      new ModelCache(registryService(), artifactStore(), {
        refreshMs: numberEnv('modelRefreshSeconds', 60) * 1000,
        maxSessions: numberEnv('modelCacheMaxSessions', MODEL_CACHE_DEFAULTS.maxSessions),
        maxBytes: numberEnv('modelCacheMaxMb', MODEL_CACHE_DEFAULTS.maxBytes / 2 ** 20) * 2 ** 20,
      }),
      settings.defaultModel,
    ),
);

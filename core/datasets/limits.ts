import { DATASET_LIMITS, type DatasetLimits } from '../../training/limits.js';
import { numberEnv } from '../config/env.js';

/** The dataset size limits, with DATASET_MAX_BYTES / DATASET_MAX_CELLS overriding the defaults. */
export function datasetLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): DatasetLimits {
  return {
    ...DATASET_LIMITS,
    maxBytes: numberEnv('datasetMaxBytes', DATASET_LIMITS.maxBytes, env),
    maxCells: numberEnv('datasetMaxCells', DATASET_LIMITS.maxCells, env),
  };
}

import type { Context } from 'aws-lambda';
import { TrainEvent } from '../../core/api/admin-schemas.js';
import { validate } from '../../core/api/validate.js';
import { optionalEnv } from '../../core/config/env.js';
import { promotionPolicyFromEnv } from '../../core/registry/policy.js';
import { settings, trainingDeps } from '../../core/services.js';
import { type TrainRequest, trainAndRegister } from '../../core/training/service.js';
import { logger } from '../shared/logger.js';

export { TrainEvent };

/** Maps the event to a training request: env defaults (DEFAULT_DATASET, DEFAULT_TARGET, DEFAULT_MODEL_NAME) fill gaps. */
export function trainRequest(input: TrainEvent): TrainRequest {
  const dataset = input.dataset ?? optionalEnv('defaultDataset') ?? 'builtin:iris';
  // The configured default target belongs to the configured default dataset only.
  const target = input.target ?? (input.dataset ? undefined : optionalEnv('defaultTarget'));
  const { promotion, dataset: _d, target: _t, modelName, ...rest } = input;
  return {
    ...rest,
    dataset,
    ...(target ? { target } : {}),
    modelName: modelName ?? settings.defaultModel,
    policy: promotionPolicyFromEnv(promotion ?? {}),
  } as TrainRequest;
}

/**
 * Trains on a dataset (one run or a search), stores the artifacts, records the run(s) and
 * registers the best version. Invoked by EventBridge Scheduler, or asynchronously by the admin
 * API with a pre-created run id.
 */
export async function handler(event: unknown, _context?: Context) {
  const input = validate(TrainEvent, event ?? {}, 'training event');
  const outcome = await trainAndRegister(trainRequest(input), trainingDeps());
  const summary = {
    runId: outcome.run.runId,
    modelName: outcome.version.name,
    version: outcome.version.version,
    alias: outcome.decision.alias,
    reason: outcome.decision.reason,
    metrics: outcome.version.metrics,
    trials: outcome.trials.length,
  };
  logger.info('training finished', summary);
  return summary;
}

import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { TrainEvent } from '../../core/api/admin-schemas.js';
import { validate } from '../../core/api/validate.js';
import { optionalEnv } from '../../core/config/env.js';
import { assertDatasetFits, lambdaMemoryBytes } from '../../core/datasets/memory-estimate.js';
import { isAppError } from '../../core/errors.js';
import { metrics } from '../../core/metrics/index.js';
import { promotionPolicyFromEnv } from '../../core/registry/policy.js';
import { settings } from '../../core/services/lazy.js';
import { trainingDeps } from '../../core/services/training.js';
import { type TrainingDeps, type TrainRequest, trainAndRegister } from '../../core/training/service.js';
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
export interface TrainSummary {
  readonly runId: string;
  readonly modelName: string;
  readonly version: number;
  readonly alias: 'production' | 'challenger';
  readonly reason: string;
  readonly metrics: Readonly<Record<string, number>>;
  readonly trials: number;
}
export interface TrainFailure {
  readonly runId: string;
  readonly status: 'FAILED';
  readonly error: string;
}

export async function handler(event: Omit<TrainEvent, 'runId'>, context?: Context): Promise<TrainSummary>;
export async function handler(event: unknown, context?: Context): Promise<TrainSummary | TrainFailure>;
export async function handler(event: unknown, _context?: Context): Promise<TrainSummary | TrainFailure> {
  const input = validate(TrainEvent, event ?? {}, 'training event');
  const request = trainRequest(input);
  const deps = trainingDeps();
  let outcome: Awaited<ReturnType<typeof trainAndRegister>>;
  try {
    await refuseOversizedDataset(request, deps);
    outcome = await trainAndRegister(request, deps);
  } catch (error) {
    // A run queued by the admin API already carries its failure (FAILED + error): answer quietly
    // for the caller's mistakes. Rethrow the rest (scheduled runs included): the invocation then
    // fails, is not retried (lib/api-stack.ts TRAIN_ASYNC_INVOKE) and lands in the
    // training-failure queue, which alarms.
    if (input.runId && isAppError(error) && error.status < 500) {
      logger.warn('training run failed', { runId: input.runId, code: error.code, error: error.message });
      return { runId: input.runId, status: 'FAILED' as const, error: error.message };
    }
    throw error;
  }
  const summary: TrainSummary = {
    runId: outcome.run.runId,
    modelName: outcome.version.name,
    version: outcome.version.version,
    alias: outcome.decision.alias,
    reason: outcome.decision.reason,
    metrics: outcome.version.metrics,
    trials: outcome.trials.length,
  };
  logger.info('training finished', { ...summary });
  return summary;
}

/**
 * The size guard, before any byte of the dataset is read: in Lambda, a dataset whose estimated
 * parsing peak exceeds the function's memory would be killed out of memory after minutes of work.
 * The refusal is recorded like any failed run (FAILED, with the message naming the limit) and
 * counted in the training metrics, then thrown.
 */
async function refuseOversizedDataset(request: TrainRequest, deps: TrainingDeps): Promise<void> {
  const memory = lambdaMemoryBytes();
  if (memory === undefined) return;
  try {
    await assertDatasetFits(request.dataset, memory, deps.s3);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const run = request.runId
      ? await deps.runs.claim(request.runId)
      : await deps.runs.start({
          runId: randomUUID(),
          experiment: request.experiment ?? request.modelName,
          modelName: request.modelName,
          startedAt: new Date().toISOString(),
          params: {},
          codeVersion: deps.codeVersion,
        });
    if (run) await deps.runs.finish(run, { status: 'FAILED', error: message });
    metrics.trainingRun({ model: request.modelName, status: 'FAILED', durationMs: 0 });
    await metrics.flush();
    throw error;
  }
}

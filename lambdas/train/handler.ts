import type { Context } from 'aws-lambda';
import { TrainEvent } from '../../core/api/admin-schemas.js';
import { validate } from '../../core/api/validate.js';
import { isAppError } from '../../core/errors.js';
import { settings } from '../../core/services/lazy.js';
import { runStore } from '../../core/services/storage.js';
import { trainingDeps } from '../../core/services/training.js';
import { requestFromEvent } from '../../core/training/request.js';
import { type TrainOutcome, trainAndRegister } from '../../core/training/service.js';
import { logger } from '../shared/logger.js';

export { TrainEvent };

/**
 * Trains on a dataset (one run or a search), stores the artifacts, records the run(s) and
 * registers the best version. Invoked by EventBridge Scheduler, or asynchronously by the admin
 * API with a pre-created run id.
 */
export interface FinishedSummary {
  readonly runId: string;
  readonly status: 'FINISHED';
  readonly modelName: string;
  readonly version: number;
  readonly alias: 'production' | 'challenger';
  readonly reason: string;
  readonly metrics: Readonly<Record<string, number>>;
  readonly trials: number;
}
/** A retraining check on data byte-identical to production's: no new version. */
export interface SkippedSummary {
  readonly runId: string;
  readonly status: 'SKIPPED';
  readonly modelName: string;
  readonly reason: string;
}
export type TrainSummary = FinishedSummary | SkippedSummary;
export interface TrainFailure {
  readonly runId: string;
  readonly status: 'FAILED';
  readonly error: string;
}

/** `{"reap": true}`: the reaper's schedule (lib/schedule-stack.ts) rather than a training run. */
export const REAP_EVENT = { reap: true } as const;
export interface ReapSummary {
  readonly abandoned: readonly string[];
}

export async function handler(
  event: Omit<TrainEvent, 'runId' | 'skipUnchanged'>,
  context?: Context,
): Promise<FinishedSummary>;
export async function handler(event: Omit<TrainEvent, 'runId'>, context?: Context): Promise<TrainSummary>;
export async function handler(event: typeof REAP_EVENT, context?: Context): Promise<ReapSummary>;
export async function handler(
  event: unknown,
  context?: Context,
): Promise<TrainSummary | TrainFailure | ReapSummary>;
export async function handler(
  event: unknown,
  _context?: Context,
): Promise<TrainSummary | TrainFailure | ReapSummary> {
  if (typeof event === 'object' && event !== null && (event as { reap?: unknown }).reap === true) {
    const abandoned = await runStore().reap();
    if (abandoned.length > 0) logger.warn('runs abandoned', { runIds: abandoned.map((r) => r.runId) });
    return { abandoned: abandoned.map((r) => r.runId) };
  }
  const input = validate(TrainEvent, event ?? {}, 'training event');
  let outcome: TrainOutcome;
  try {
    outcome = await trainAndRegister(requestFromEvent(input, settings.defaultModel), trainingDeps());
  } catch (error) {
    // A run queued by the admin API already carries its failure (FAILED + error): answer quietly
    // for the caller's mistakes. Rethrow the rest (scheduled runs included, the oversized-dataset
    // refusal among them): the invocation then fails, is not retried (lib/api-stack.ts
    // TRAIN_ASYNC_INVOKE) and lands in the training-failure queue, which alarms.
    if (input.runId && isAppError(error) && error.status < 500) {
      logger.warn('training run failed', { runId: input.runId, code: error.code, error: error.message });
      return { runId: input.runId, status: 'FAILED' as const, error: error.message };
    }
    throw error;
  }
  const summary: TrainSummary =
    outcome.kind === 'skipped'
      ? {
          runId: outcome.run.runId,
          status: 'SKIPPED',
          modelName: outcome.production.name,
          reason: outcome.reason,
        }
      : {
          runId: outcome.run.runId,
          status: 'FINISHED',
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

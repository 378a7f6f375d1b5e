import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { optionalEnv } from '../../core/config/env.js';
import { AppError } from '../../core/errors.js';
import { settings, trainingDeps } from '../../core/services.js';
import { trainAndRegister } from '../../core/training/service.js';
import { logger } from '../shared/logger.js';

/** The payload EventBridge Scheduler (or the admin API, or `npm run train`) sends. */
export const TrainEvent = z.strictObject({
  dataset: z.string().min(1).optional(),
  target: z.string().min(1).optional(),
  features: z.array(z.string().min(1)).optional(),
  modelName: z.string().min(1).optional(),
  algorithm: z.enum(['logreg', 'tree', 'forest', 'gbt']).optional(),
  seed: z.number().int().nonnegative().optional(),
  testSize: z.number().gt(0).lt(1).optional(),
});
export type TrainEvent = z.infer<typeof TrainEvent>;

/** Trains on a dataset, stores the artifacts, records the run and registers the version. */
export async function handler(event: unknown, _context?: Context) {
  const parsed = TrainEvent.safeParse(event ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new AppError(
      'VALIDATION_FAILED',
      `invalid training event: ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
  }
  const input = parsed.data;
  const dataset = input.dataset ?? optionalEnv('defaultDataset') ?? 'builtin:iris';
  // The configured default target belongs to the configured default dataset only.
  const target = input.target ?? (input.dataset ? undefined : optionalEnv('defaultTarget'));
  const outcome = await trainAndRegister(
    {
      dataset,
      ...(target ? { target } : {}),
      ...(input.features ? { features: input.features } : {}),
      modelName: input.modelName ?? settings.defaultModel,
      ...(input.algorithm ? { algorithm: input.algorithm } : {}),
      ...(input.seed !== undefined ? { seed: input.seed } : {}),
      ...(input.testSize !== undefined ? { testSize: input.testSize } : {}),
    },
    trainingDeps(),
  );
  const summary = {
    runId: outcome.run.runId,
    modelName: outcome.version.name,
    version: outcome.version.version,
    alias: outcome.decision.alias,
    reason: outcome.decision.reason,
    metrics: outcome.version.metrics,
  };
  logger.info('training finished', summary);
  return summary;
}

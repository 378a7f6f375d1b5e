import { LambdaClient } from '@aws-sdk/client-lambda';
import { optionalEnv } from '../../core/config/env.js';
import {
  InProcessTrainingLauncher,
  LambdaTrainingLauncher,
  type TrainingLauncher,
} from '../../core/training/launcher.js';
import { logger } from '../shared/logger.js';

let launcher: TrainingLauncher | undefined;

/**
 * TRAIN_FUNCTION_NAME set (deployed): invoke the train function asynchronously. Unset (local
 * runtime): run the same train handler in this process, in the background.
 */
export function trainingLauncher(): TrainingLauncher {
  if (launcher) return launcher;
  const functionName = optionalEnv('trainFunctionName');
  launcher = functionName
    ? new LambdaTrainingLauncher(new LambdaClient({}), functionName)
    : new InProcessTrainingLauncher(
        async (event) => (await import('../train/handler.js')).handler(event),
        (error, runId) => logger.warn('background training failed', { runId, error: String(error) }),
      );
  return launcher;
}

/** For tests: replace (or reset, with undefined) the launcher. */
export function setTrainingLauncher(next: TrainingLauncher | undefined): void {
  launcher = next;
}

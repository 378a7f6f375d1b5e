import { LambdaClient } from '@aws-sdk/client-lambda';
import { optionalEnv } from '../../core/config/env.js';
import { LambdaTrainingLauncher, type TrainingLauncher } from '../../core/training/launcher.js';

let launcher: TrainingLauncher | undefined;

/**
 * Deployed, TRAIN_FUNCTION_NAME names the train function, invoked asynchronously. The local
 * runtime installs an in-process launcher instead (local/runtime.ts), so this bundle does not
 * carry the trainers.
 */
export function trainingLauncher(): TrainingLauncher {
  if (launcher) return launcher;
  const functionName = optionalEnv('trainFunctionName');
  if (!functionName) throw new Error('no train function configured (TRAIN_FUNCTION_NAME is unset)');
  launcher = new LambdaTrainingLauncher(new LambdaClient({}), functionName);
  return launcher;
}

/** Installs (or, with undefined, forgets) the launcher: the local runtime, tests. */
export function setTrainingLauncher(next: TrainingLauncher | undefined): void {
  launcher = next;
}

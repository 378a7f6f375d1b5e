import { randomUUID } from 'node:crypto';
import type { TrainEvent } from '../api/admin-schemas.js';
import type { RunStore } from '../tracking/store.js';
import type { TrainingLauncher } from './launcher.js';
import { requestFromEvent, resolveRequest, runRecord } from './request.js';

export interface QueueDeps {
  readonly runs: RunStore;
  readonly launcher: TrainingLauncher;
  readonly codeVersion: string;
  readonly defaultModel: string;
}

/**
 * Queues a training run (the admin API's `POST /train`): the request is checked first (422 naming
 * every bad field, params against their ranges included: nothing is written), then the run is
 * recorded RUNNING, so `GET /runs/{id}` works at once, and handed to the launcher; the trainer claims
 * it. If the hand-over fails, the run is marked FAILED rather than left RUNNING.
 */
export async function queueTrainingRun(
  event: TrainEvent,
  deps: QueueDeps,
): Promise<{ runId: string; modelName: string }> {
  const request = resolveRequest(requestFromEvent(event, deps.defaultModel));
  const runId = randomUUID();
  // The trainer that claims it holds (and renews) its lease.
  const run = await deps.runs.start(runRecord(request, { runId, codeVersion: deps.codeVersion }), {
    queued: true,
  });
  try {
    await deps.launcher.launch({ ...event, modelName: request.modelName, runId });
  } catch (error) {
    const message = `the train function could not be started: ${error instanceof Error ? error.message : String(error)}`;
    await deps.runs.finish(run, { status: 'FAILED', error: message }).catch(() => {});
    throw error;
  }
  return { runId, modelName: request.modelName };
}

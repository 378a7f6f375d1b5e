import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { TrainEvent } from '../api/admin-schemas.js';

/** Starts a training run without waiting for it: the admin API answers 202 at once. */
export interface TrainingLauncher {
  launch(event: TrainEvent & { runId: string }): Promise<void>;
}

/** In AWS: an asynchronous ('Event') invocation of the train function; Lambda queues and runs it. */
export class LambdaTrainingLauncher implements TrainingLauncher {
  constructor(
    private readonly client: LambdaClient,
    private readonly functionName: string,
  ) {}

  async launch(event: TrainEvent & { runId: string }): Promise<void> {
    const out = await this.client.send(
      new InvokeCommand({
        FunctionName: this.functionName,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify(event)),
      }),
    );
    if (out.StatusCode !== 202) throw new Error(`train function invocation answered ${out.StatusCode}`);
  }
}

/**
 * Locally (no train function deployed): the same train handler, run in this process in the
 * background. Its failures are recorded on the run (FAILED + error), so nothing is lost by not
 * awaiting it here.
 */
export class InProcessTrainingLauncher implements TrainingLauncher {
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    private readonly run: (event: TrainEvent & { runId: string }) => Promise<unknown>,
    private readonly onError: (error: unknown, runId: string) => void = () => {},
  ) {}

  async launch(event: TrainEvent & { runId: string }): Promise<void> {
    const task = this.run(event)
      .catch((error) => this.onError(error, event.runId))
      .finally(() => this.running.delete(task));
    this.running.add(task);
  }

  /** Resolves when every launched run has ended (tests, graceful shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }
}

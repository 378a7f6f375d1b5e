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

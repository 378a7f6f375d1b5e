import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { PlatformConfig } from './config.js';
import { stagePolicy } from './defaults.js';
import { acknowledge, acknowledgeResourceWildcards } from './nag.js';

export interface TrainingScheduleStackProps extends StackProps {
  readonly config: PlatformConfig;
  readonly trainFunction: lambda.IFunction;
}

/** Retries and age limit for a missed training invocation (Scheduler → Lambda is asynchronous). */
export const TRAINING_RETRY = { retryAttempts: 2, maxEventAge: Duration.hours(2) } as const;

/**
 * The recurring training run: an EventBridge Scheduler schedule invoking the train function
 * with the default dataset. Invocations Scheduler cannot deliver after its retries land in an SQS
 * dead-letter queue; a delivered invocation that fails lands in the API stack's training-failure
 * queue (the function's on-failure destination). The monitoring stack alarms on both.
 */
export class TrainingScheduleStack extends Stack {
  readonly schedule: scheduler.Schedule;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: TrainingScheduleStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.deadLetterQueue = new sqs.Queue(this, 'TrainingDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: stagePolicy(config.stage).removalPolicy,
    });
    acknowledge(
      this.deadLetterQueue,
      'AwsSolutions-SQS3',
      'This queue is itself the dead-letter queue of the training schedule.',
    );

    // A role of our own (rather than the target's shared singleton) so the acknowledgment below
    // sits on exactly the role that invokes the train function.
    const role = new iam.Role(this, 'TrainingScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
      description: 'EventBridge Scheduler: invoke the train function, send failures to the DLQ',
    });
    acknowledgeResourceWildcards(
      role,
      [`${props.trainFunction.functionArn}:*`],
      'LambdaInvoke grants lambda:InvokeFunction on the train function and its qualified ARNs (<arn>:*); ' +
        'the wildcard covers versions/aliases of that one function only.',
    );

    this.schedule = new scheduler.Schedule(this, 'TrainingSchedule', {
      description: `Scheduled training of ${config.defaultModelName} on ${config.defaultDataset}`,
      schedule: scheduler.ScheduleExpression.expression(config.trainingSchedule),
      target: new targets.LambdaInvoke(props.trainFunction, {
        input: scheduler.ScheduleTargetInput.fromObject(trainingPayload(config)),
        retryAttempts: TRAINING_RETRY.retryAttempts,
        maxEventAge: TRAINING_RETRY.maxEventAge,
        deadLetterQueue: this.deadLetterQueue,
        role,
      }),
    });
  }
}

/** The scheduled run's event; must parse as the train handler's `TrainEvent` (core/api/admin-schemas.ts). */
// A type alias, not an interface, so it stays assignable to Record<string, unknown>.
export type TrainingPayload = {
  readonly dataset: string;
  readonly target: string;
  readonly modelName: string;
  readonly algorithm: 'auto';
  readonly trials: number;
};

/**
 * What the schedule sends to the train function: the configured default dataset and model, with
 * an automatic algorithm search of `trainingTrials` trials.
 *
 * @example
 * trainingPayload(config); // { dataset: 'builtin:iris', target: 'species', modelName: 'iris', algorithm: 'auto', trials: 20 }
 */
export function trainingPayload(config: PlatformConfig): TrainingPayload {
  return {
    dataset: config.defaultDataset,
    target: config.defaultTarget,
    modelName: config.defaultModelName,
    algorithm: 'auto',
    trials: config.trainingTrials,
  };
}

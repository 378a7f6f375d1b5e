import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ARTIFACT_BUCKET } from '../core/config/tables.js';
import type { PlatformConfig } from './config.js';
import { stagePolicy } from './defaults.js';
import { acknowledge, acknowledgeResourceWildcards } from './nag.js';

export interface TrainingScheduleStackProps extends StackProps {
  readonly config: PlatformConfig;
  readonly trainFunction: lambda.IFunction;
  /**
   * The bucket whose `datasets/<model>/` prefix the schedule retrains on (the artifact bucket; the
   * train function may read that prefix). Without it the schedule trains the default dataset.
   */
  readonly datasetBucket?: s3.IBucket;
}

/** Retries and age limit for a missed training invocation (Scheduler → Lambda is asynchronous). */
export const TRAINING_RETRY = { retryAttempts: 2, maxEventAge: Duration.hours(2) } as const;

/**
 * The recurring retraining check: an EventBridge Scheduler schedule invoking the train function
 * on the newest CSV under `s3://<artifact bucket>/datasets/<model>/` (the default dataset while
 * that prefix is empty). Data byte-identical to what production (or the challenger) was trained
 * on ends the run as SKIPPED, a healthy check, so a day without new data neither adds a version
 * nor raises the freshness alert. Invocations Scheduler cannot deliver after its retries land in
 * an SQS dead-letter queue; a delivered invocation that fails lands in the API stack's
 * training-failure queue (the function's on-failure destination). The monitoring stack alarms on both.
 */
export class TrainingScheduleStack extends Stack {
  readonly schedule: scheduler.Schedule;
  /** Every 15 minutes: runs whose lease expired (their Lambda died or timed out) become ABANDONED. */
  readonly reaperSchedule: scheduler.Schedule;
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

    const payload = trainingPayload(config, props.datasetBucket?.bucketName);
    this.schedule = new scheduler.Schedule(this, 'TrainingSchedule', {
      description: `Scheduled retraining of ${config.defaultModelName} on ${
        props.datasetBucket
          ? `the newest CSV under datasets/${config.defaultModelName}/`
          : config.defaultDataset
      }`,
      schedule: scheduler.ScheduleExpression.expression(config.trainingSchedule),
      target: new targets.LambdaInvoke(props.trainFunction, {
        input: scheduler.ScheduleTargetInput.fromObject(payload),
        retryAttempts: TRAINING_RETRY.retryAttempts,
        maxEventAge: TRAINING_RETRY.maxEventAge,
        deadLetterQueue: this.deadLetterQueue,
        role,
      }),
    });

    this.reaperSchedule = new scheduler.Schedule(this, 'ReaperSchedule', {
      description:
        'Marks training runs whose lease expired ABANDONED (the train function with {"reap": true})',
      schedule: scheduler.ScheduleExpression.rate(Duration.minutes(15)),
      target: new targets.LambdaInvoke(props.trainFunction, {
        input: scheduler.ScheduleTargetInput.fromObject({ reap: true }),
        // The next run, 15 minutes later, does the same work: no retries needed.
        retryAttempts: 0,
        deadLetterQueue: this.deadLetterQueue,
        role,
      }),
    });
  }
}

/** The scheduled run's event; must parse as the train handler's `TrainEvent` (core/api/admin-schemas.ts). */
// A type alias, not an interface, so it stays assignable to Record<string, unknown>.
export type TrainingPayload = {
  /** A growing location (S3 prefix: its newest object is trained on), or the default dataset. */
  readonly dataset: string;
  /** Trained on while `dataset` is an empty prefix. */
  readonly fallbackDataset?: string;
  readonly target: string;
  readonly modelName: string;
  readonly algorithm: 'auto';
  readonly trials: number;
  /** Unchanged data ends the run as SKIPPED: no new version, and the check still counts as done. */
  readonly skipUnchanged: true;
};

/**
 * The S3 prefix the schedule retrains a model on: drop a new CSV there and the next run uses it.
 *
 * @example
 * retrainingPrefix('mlops-dev-artifacts', 'iris'); // 's3://mlops-dev-artifacts/datasets/iris/'
 */
export function retrainingPrefix(bucketName: string, modelName: string): string {
  return `s3://${bucketName}/${ARTIFACT_BUCKET.datasetPrefix}${modelName}/`;
}

/**
 * What the schedule sends to the train function: an automatic algorithm search of
 * `trainingTrials` trials for the default model, on the newest CSV under its retraining prefix
 * (the default dataset while that prefix is empty), skipping data production was trained on.
 *
 * @example
 * trainingPayload(config, 'mlops-dev-artifacts');
 * // { dataset: 's3://mlops-dev-artifacts/datasets/iris/', fallbackDataset: 'builtin:iris', target: 'species',
 * //   modelName: 'iris', algorithm: 'auto', trials: 20, skipUnchanged: true }
 */
export function trainingPayload(config: PlatformConfig, datasetBucketName?: string): TrainingPayload {
  return {
    ...(datasetBucketName
      ? {
          dataset: retrainingPrefix(datasetBucketName, config.defaultModelName),
          fallbackDataset: config.defaultDataset,
        }
      : { dataset: config.defaultDataset }),
    target: config.defaultTarget,
    modelName: config.defaultModelName,
    algorithm: 'auto',
    trials: config.trainingTrials,
    skipUnchanged: true,
  };
}

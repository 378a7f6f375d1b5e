import type { Template } from 'aws-cdk-lib/assertions';
import { Match } from 'aws-cdk-lib/assertions';
import { TrainEvent } from '../../core/api/admin-schemas.js';
import { trainingPayload } from '../../lib/schedule-stack.js';
import {
  type BuiltPlatform,
  buildPlatform,
  flatten,
  permissionsOf,
  readable,
  resourcesOf,
} from './builders.js';

describe('TrainingScheduleStack', () => {
  let built: BuiltPlatform;
  let schedule: Template;
  beforeAll(() => {
    built = buildPlatform({
      context: { trainingSchedule: 'cron(30 2 ? * MON-FRI *)', trainingTrials: '12' },
    });
    schedule = built.templates.schedule;
  });
  const training = () =>
    Object.values(resourcesOf(schedule, 'AWS::Scheduler::Schedule')).find(
      (s) => s.Properties.ScheduleExpression !== 'rate(15 minutes)',
    );

  it('runs the configured expression in UTC, enabled, without a flexible window', () => {
    schedule.resourceCountIs('AWS::Scheduler::Schedule', 2);
    schedule.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(30 2 ? * MON-FRI *)',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
    });
  });

  it('invokes the train function with retries, a maximum event age and a dead-letter queue', () => {
    const target = training().Properties.Target;
    expect(flatten(target.Arn)).toBe('TrainFunction.Arn');
    expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 7200 });
    expect(flatten(target.DeadLetterConfig.Arn)).toBe('TrainingDeadLetterQueue.Arn');
  });

  it("retrains on the newest CSV under the artifact bucket's datasets/<model>/, skipping unchanged data", () => {
    const target = training().Properties.Target;
    const payload = JSON.parse(flatten(target.Input));
    expect(payload).toEqual({
      dataset: 's3://ArtifactBucket/datasets/iris/',
      fallbackDataset: 'builtin:iris',
      target: 'species',
      modelName: 'iris',
      algorithm: 'auto',
      trials: 12,
      skipUnchanged: true,
    });
    expect(payload).toEqual(trainingPayload(built.config, 'ArtifactBucket'));
    expect(TrainEvent.safeParse(payload).success).toBe(true);
    // Without a dataset bucket it trains the default dataset, still skipping unchanged data.
    expect(trainingPayload(built.config)).toMatchObject({ dataset: 'builtin:iris', skipUnchanged: true });
    expect(trainingPayload(built.config)).not.toHaveProperty('fallbackDataset');
  });

  it('the train function may list and read that prefix', () => {
    const statements = Object.values(resourcesOf(built.templates.api, 'AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles).includes('TrainFunction'))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement.map(readable));
    const permissions = permissionsOf(statements);
    // The api stack names the artifact bucket through its SSM parameter (lib/constructs/shared-parameter.ts).
    expect(permissions['s3:GetObject']).toEqual(
      expect.arrayContaining([expect.stringMatching(/ssm:mlops\w*artifacts\/datasets\/\*$/)]),
    );
    expect(permissions['s3:ListBucket']?.join(' ')).toMatch(/datasets\/\*/);
  });

  it('reaps expired run leases every 15 minutes: the train function with {"reap": true}, no retries', () => {
    const reaper = Object.values(resourcesOf(schedule, 'AWS::Scheduler::Schedule')).find(
      (s) => s.Properties.ScheduleExpression === 'rate(15 minutes)',
    );
    expect(reaper).toBeDefined();
    const target = reaper.Properties.Target;
    expect(flatten(target.Arn)).toBe('TrainFunction.Arn');
    expect(JSON.parse(target.Input)).toEqual({ reap: true });
    expect(target.RetryPolicy).toMatchObject({ MaximumRetryAttempts: 0 });
  });

  it('keeps failed invocations 14 days in an encrypted, TLS-only queue', () => {
    schedule.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1_209_600,
    });
    schedule.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('uses its own role: assumed by Scheduler from this account, invoking only the train function', () => {
    const roles = resourcesOf(schedule, 'AWS::IAM::Role');
    expect(Object.keys(roles)).toHaveLength(1);
    const [roleId, role] = Object.entries(roles)[0]!;
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Action: 'sts:AssumeRole',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      }),
    ]);
    const statements = Object.values(resourcesOf(schedule, 'AWS::IAM::Policy'))
      .filter((policy) => policy.Properties.Roles.some((ref: { Ref: string }) => ref.Ref === roleId))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement.map(readable));
    expect(permissionsOf(statements)).toEqual({
      'lambda:InvokeFunction': ['TrainFunction.Arn', 'TrainFunction.Arn:*'],
      'sqs:SendMessage': ['TrainingDeadLetterQueue.Arn'],
    });
  });
});

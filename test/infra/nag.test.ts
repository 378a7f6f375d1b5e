import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledge } from '../../lib/nag.js';
import { nagFindings, unusedAcknowledgements } from './builders.js';

/**
 * The cdk-nag helpers are not vacuous. The checks over every stack of the app, in a default and an
 * all-options build, are in stack-set.test.ts (one synth each, shared with the other app checks).
 */
it('reports a finding when there is one', () => {
  const stack = new Stack(new App(), 'Bad');
  new s3.Bucket(stack, 'Plain');
  expect(nagFindings(stack).errors).toEqual(
    expect.arrayContaining([
      'AwsSolutions-S1 at Bad/Plain/Resource',
      'AwsSolutions-S10 at Bad/Plain/Resource',
    ]),
  );
});

it('reports an acknowledgment that suppresses nothing', () => {
  const stack = new Stack(new App(), 'Stale');
  const bucket = new s3.Bucket(stack, 'Plain', { enforceSSL: true });
  acknowledge(bucket, 'AwsSolutions-S1', 'real: no access log here');
  acknowledge(bucket, 'AwsSolutions-SQS3', 'stale: this is not a queue');
  expect(unusedAcknowledgements(stack)).toEqual(['Stale/Plain AwsSolutions-SQS3']);
});

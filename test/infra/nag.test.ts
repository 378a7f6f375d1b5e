import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledge } from '../../lib/nag.js';
import { STACK_KEYS } from '../../lib/platform.js';
import { type BuiltPlatform, buildPlatform, nagFindings, unusedAcknowledgements } from './builders.js';

/**
 * cdk-nag (v3, AWS Solutions pack) over every stack `cdk deploy --all` creates: no error and no
 * warning may be left unacknowledged, and no acknowledgment may be left that suppresses nothing.
 * Acknowledgments live on the specific construct, with a reason (lib/nag.ts). Two builds: the
 * default (dev) and one with every optional part on (prod, Grafana, provisioned concurrency).
 */
const variants = {
  default: {},
  'prod, Grafana, provisioned concurrency': {
    stage: 'prod',
    alertEmail: 'ops@example.com',
    grafana: true,
    predictProvisionedConcurrency: 1,
    reservedConcurrency: 'train=2',
  },
} as const;

describe.each(Object.entries(variants))('cdk-nag AwsSolutions (%s)', (_name, context) => {
  let built: BuiltPlatform;
  beforeAll(() => {
    built = buildPlatform({ context });
  }, 120_000);

  test.each(STACK_KEYS)('%s stack: no unacknowledged errors or warnings', (key) => {
    expect(nagFindings(built.platform[key])).toEqual({ errors: [], warnings: [] });
  });

  test('every acknowledgment still suppresses a finding', () => {
    expect(unusedAcknowledgements(built.app)).toEqual([]);
  });
});

describe('the checks are not vacuous', () => {
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
});

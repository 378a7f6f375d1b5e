import type { Stack } from 'aws-cdk-lib';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';

/**
 * How a long-lived stack hands a resource name to the stacks that use it: an SSM parameter per
 * value, written by the producer and read by the consumer as a CloudFormation parameter of type
 * `AWS::SSM::Parameter::Value<String>`. CloudFormation resolves it on every deployment of the
 * consumer, and the CDK CLI never skips a stack with such parameters ("some parameters come from
 * SSM"), so a replaced table or secret reaches its consumers on the next `cdk deploy --all`; a
 * weak reference (`Fn::GetStackOutput`) would leave them on the old value with "no changes", and a
 * strong one (`Fn::ImportValue`) would refuse the replacement. No export ties the stacks together.
 */
/** Keys (under /mlops/<stage>/) of the values the API stack reads. */
export const SHARED_KEYS = {
  table: (id: string) => `tables/${id}`,
  artifactBucket: 'buckets/artifacts',
  jwtSecretArn: 'secrets/jwt-signing-key',
} as const;

export function sharedParameterName(stage: string, key: string): string {
  return `/mlops/${stage}/${key}`;
}

/** Writes the value in the producer stack. */
export function publishShared(
  producer: Stack,
  stage: string,
  key: string,
  value: string,
  description: string,
): ssm.StringParameter {
  return new ssm.StringParameter(producer, `Shared-${key.replace(/[^A-Za-z0-9]/g, '-')}`, {
    parameterName: sharedParameterName(stage, key),
    stringValue: value,
    description,
  });
}

/** Reads the value in a consumer stack (a deploy-time parameter, never a cross-stack reference). */
export function readShared(consumer: Construct, stage: string, key: string): string {
  return ssm.StringParameter.valueForStringParameter(consumer, sharedParameterName(stage, key));
}

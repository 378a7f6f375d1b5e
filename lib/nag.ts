import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag v3 acknowledgments go through CDK's `Validations.of(construct).acknowledge()`; they
 * apply to the construct and everything below it, so call this on the narrowest construct.
 * IAM5 findings are acknowledged one by one (`AwsSolutions-IAM5[Resource::...]`); v3 has no
 * wildcard or regex form.
 *
 * @example
 * acknowledge(bucket, 'AwsSolutions-S1', 'This bucket is the access log target.');
 * acknowledge(role, 'AwsSolutions-IAM5', 'X-Ray has no resource-level permissions.', ['Resource::*']);
 */
export function acknowledge(
  scope: IConstruct,
  rule: string,
  reason: string,
  findings?: readonly string[],
): void {
  const ids = findings && findings.length > 0 ? findings.map((finding) => `${rule}[${finding}]`) : [rule];
  for (const id of ids) Validations.of(scope).acknowledge({ id, reason });
}

/**
 * Acknowledges IAM5 wildcard findings for specific resource ARNs (e.g. `<bucket ARN>/runs/*`)
 * that contain tokens. cdk-nag names such a finding after the *resolved* ARN, and a reference to
 * another stack only resolves (to `Fn::GetStackOutput`, with region and output name) once the app
 * is prepared; so the acknowledgment is computed then, in a construct validation, which runs after
 * references are resolved and before the cdk-nag plugin. Nothing wider than the listed ARNs is
 * acknowledged.
 *
 * @example
 * acknowledgeResourceWildcards(role, [bucket.arnForObjects('runs/*')], 'keys are generated per run');
 */
export function acknowledgeResourceWildcards(
  scope: IConstruct,
  arns: readonly string[],
  reason: string,
): void {
  scope.node.addValidation({
    validate: () => {
      const stack = Stack.of(scope);
      acknowledge(
        scope,
        'AwsSolutions-IAM5',
        reason,
        arns.map((arn) => `Resource::${flattenCfnReference(stack.resolve(arn))}`),
      );
      return [];
    },
  });
}

/**
 * The string cdk-nag builds from a resolved CloudFormation value for its finding ids (same rules as
 * cdk-nag's internal `flattenCfnReference`: Join concatenated, GetAtt/Ref in angle brackets,
 * anything else JSON).
 */
export function flattenCfnReference(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/}/g, '>');
  const node = value as Record<string, unknown>;
  if (node['Fn::Join']) {
    const [delimiter, items] = node['Fn::Join'] as [string, unknown[]];
    return items.map(flattenCfnReference).join(delimiter);
  }
  if (node['Fn::Sub']) return flattenCfnReference(node['Fn::Sub']);
  if (node['Fn::GetAtt']) {
    const [resource, attribute] = node['Fn::GetAtt'] as [unknown, unknown];
    return `<${flattenCfnReference(resource)}.${flattenCfnReference(attribute)}>`;
  }
  if (node['Fn::ImportValue']) return flattenCfnReference(node['Fn::ImportValue']);
  if (node['Ref']) return `<${flattenCfnReference(node['Ref'])}>`;
  return JSON.stringify(value);
}

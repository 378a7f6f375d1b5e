import { LOCALSTACK_SERVICE, readCompose } from '../../localstack/deploy/compose.js';
import { MIRROR_CONTEXT, type StackKey, TIER_STACKS } from '../../localstack/deploy/plan.js';
import { type BuiltPlatform, buildPlatform } from '../infra/builders.js';

/**
 * The compose LocalStack against the synthesized CDK app: every AWS service a stack creates
 * resources in is enabled in SERVICES, and the stacks a free tier deploys use only services that
 * tier has (LocalStack "Licensing & Tiers", docs/localstack.md). A new stack or resource type
 * fails here until the mirror is updated for it.
 */
const root = new URL('../..', import.meta.url).pathname;

/** CloudFormation namespace → LocalStack service name. */
const SERVICE_OF: Record<string, string> = {
  Lambda: 'lambda',
  ApiGatewayV2: 'apigatewayv2',
  ApiGateway: 'apigateway',
  DynamoDB: 'dynamodb',
  S3: 's3',
  Scheduler: 'scheduler',
  Events: 'events',
  SQS: 'sqs',
  SNS: 'sns',
  SecretsManager: 'secretsmanager',
  IAM: 'iam',
  Logs: 'logs',
  CloudWatch: 'cloudwatch',
  SSM: 'ssm',
  KMS: 'kms',
};

/** Services the free LocalStack tiers lack, of those above (API Gateway HTTP APIs: Base and up). */
const PAID_ONLY = new Set(['apigatewayv2']);

let built: BuiltPlatform;
beforeAll(() => {
  // What the mirror deploys: its own context (no CloudFront console) on top of cdk.json.
  built = buildPlatform({ context: { ...MIRROR_CONTEXT } });
});

function servicesOf(key: StackKey): Set<string> {
  const resources = built.templates[key].toJSON()['Resources'] as Record<string, { Type: string }>;
  const services = new Set<string>();
  for (const { Type } of Object.values(resources)) {
    if (Type === 'AWS::CDK::Metadata') continue;
    // Custom resources are Lambda-backed (e.g. S3 auto-delete, log retention).
    const namespace = Type.startsWith('Custom::') ? 'Lambda' : Type.split('::')[1]!;
    services.add(SERVICE_OF[namespace] ?? `unmapped AWS::${namespace} (add it to SERVICE_OF and SERVICES)`);
  }
  return services;
}

test('LocalStack SERVICES enables every service the stacks create resources in', () => {
  const environment = readCompose(root).services[LOCALSTACK_SERVICE]!.environment as Record<string, string>;
  const enabled = new Set(environment['SERVICES']!.split(','));
  const used = TIER_STACKS.base.flatMap((key) => [...servicesOf(key)].map((service) => `${key}: ${service}`));
  expect(used.filter((entry) => !enabled.has(entry.split(': ')[1]!))).toEqual([]);
});

test('the stacks the free tiers deploy need no paid-only service, and the api stack is why Base is needed', () => {
  for (const tier of ['community', 'hobby'] as const) {
    const paid = TIER_STACKS[tier].flatMap((key) => [...servicesOf(key)].filter((s) => PAID_ONLY.has(s)));
    expect({ tier, paid }).toEqual({ tier, paid: [] });
  }
  expect(servicesOf('api').has('apigatewayv2')).toBe(true);
});

/** Stacks the mirror does not deploy: AMP and Managed Grafana are not emulated (docs/localstack.md). */
const NOT_MIRRORED = ['alerting', 'monitoring'];

test('every stack in the app is covered by the tier table, or is one the mirror replaces with compose services', () => {
  expect(Object.keys(built.templates).sort()).toEqual([...TIER_STACKS.base, ...NOT_MIRRORED].sort());
});

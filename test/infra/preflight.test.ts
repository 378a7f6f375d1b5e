import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetAccountSettingsCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { ListSubscriptionsByTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { ListInstancesCommand, SSOAdminClient } from '@aws-sdk/client-sso-admin';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { type SynthesizedApp, synthesizeApp } from '../../scripts/app-templates.js';
import {
  formatReport,
  type PreflightClients,
  requiredBootstrapVersion,
  runPreflight,
} from '../../scripts/preflight-checks.js';
import { testConfig } from './builders.js';

/**
 * The preflight's logic against stubbed AWS answers (aws-sdk-client-mock): no account is reachable
 * from here, and these are the answers an account gives. The templates are the real synthesized
 * ones, so "what will be created" and the bootstrap version come from what the deploy would send.
 */
const ACCOUNT = '123456789012';
const TOPIC = `arn:aws:sns:eu-west-1:${ACCOUNT}:mlops-dev-alerting-AlertTopic`;

const sts = mockClient(STSClient);
const ssm = mockClient(SSMClient);
const ssoAdmin = mockClient(SSOAdminClient);
const sns = mockClient(SNSClient);
const cloudformation = mockClient(CloudFormationClient);
const lambda = mockClient(LambdaClient);
const clients: PreflightClients = {
  sts: new STSClient({ region: 'eu-west-1' }),
  ssm: new SSMClient({ region: 'eu-west-1' }),
  ssoAdmin: new SSOAdminClient({ region: 'eu-west-1' }),
  sns: new SNSClient({ region: 'eu-west-1' }),
  cloudformation: new CloudFormationClient({ region: 'eu-west-1' }),
  lambda: new LambdaClient({ region: 'eu-west-1' }),
};

let app: SynthesizedApp;
beforeAll(() => {
  app = synthesizeApp({ stage: 'dev' }, 'eu-west-1');
}, 120_000);
afterAll(() => {
  for (const mock of [sts, ssm, ssoAdmin, sns, cloudformation, lambda]) mock.restore();
  for (const client of Object.values(clients)) client.destroy();
});

/** A healthy fresh standalone account: credentials, bootstrapped, nothing deployed yet. */
beforeEach(() => {
  for (const mock of [sts, ssm, ssoAdmin, sns, cloudformation, lambda]) mock.reset();
  sts.on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/alice` });
  ssm
    .on(GetParameterCommand, { Name: '/cdk-bootstrap/hnb659fds/version' })
    .resolves({ Parameter: { Value: '30' } });
  cloudformation.on(DescribeStacksCommand).rejects(
    Object.assign(new Error('Stack with id mlops-dev-alerting does not exist'), {
      name: 'ValidationError',
    }),
  );
  lambda.on(GetAccountSettingsCommand).resolves({
    AccountLimit: { ConcurrentExecutions: 1000, UnreservedConcurrentExecutions: 1000 },
  });
});

const run = (overrides: Record<string, unknown> = {}, region = 'eu-west-1') =>
  runPreflight({ config: testConfig(overrides), region, clients, stacks: app.stacks });

const statusOf = (report: Awaited<ReturnType<typeof run>>, name: string) =>
  report.checks.find((c) => c.name.startsWith(name));

test('a fresh standalone account passes, and the plan lists all eight stacks from the templates', async () => {
  const report = await run({ alertEmail: 'me@example.com' });
  expect(report.ok).toBe(true);
  expect(report.account).toBe(ACCOUNT);
  expect(report.checks.map((c) => [c.name, c.status])).toEqual([
    ['credentials', 'ok'],
    ['region', 'ok'],
    ['CDK bootstrap', 'ok'],
    ['alert email', 'ok'],
    ['Lambda concurrency', 'ok'],
  ]);
  expect(statusOf(report, 'alert email')!.message).toMatch(/confirmation email/);
  expect(report.plan.map((p) => p.stackName)).toEqual([
    'mlops-dev-console',
    'mlops-dev-storage',
    'mlops-dev-secrets',
    'mlops-dev-alerting',
    'mlops-dev-api',
    'mlops-dev-schedule',
    'mlops-dev-monitoring',
    'mlops-dev-console-content',
  ]);
  const api = report.plan.find((p) => p.stackName === 'mlops-dev-api')!.resources;
  expect(api['AWS::Lambda::Function']).toBe(5);
  expect(report.plan.flatMap((p) => Object.keys(p.resources))).not.toContain('AWS::Grafana::Workspace');
  expect(formatReport(report)).toMatch(/mlops-dev-api \(\d+ resources\): .*Lambda::Function ×5/);
  // The caller's identity was asked once, and nothing but read calls were made.
  expect(sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(1);
});

test('no credentials: one failing line that says how to get them, and nothing else is called', async () => {
  sts
    .on(GetCallerIdentityCommand)
    .rejects(Object.assign(new Error('Could not load credentials'), { name: 'CredentialsProviderError' }));
  const report = await run();
  expect(report.ok).toBe(false);
  expect(report.checks).toEqual([
    expect.objectContaining({
      name: 'credentials',
      status: 'fail',
      message: expect.stringMatching(/aws configure/),
    }),
  ]);
  expect(ssm.calls()).toHaveLength(0);
});

test('CDK bootstrap: missing, or older than the templates need, fails with the bootstrap command', async () => {
  expect(requiredBootstrapVersion(app.stacks)).toBeGreaterThanOrEqual(6);
  ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));
  const missing = statusOf(await run(), 'CDK bootstrap')!;
  expect(missing).toMatchObject({ status: 'fail' });
  expect(missing.message).toContain(`npx cdk bootstrap aws://${ACCOUNT}/eu-west-1`);
  ssm.on(GetParameterCommand).resolves({ Parameter: { Value: '5' } });
  expect(statusOf(await run(), 'CDK bootstrap')).toMatchObject({
    status: 'fail',
    message: expect.stringMatching(/need \d+ or later/),
  });
});

test('a region without a service the configuration uses fails; switching the service off passes', async () => {
  const report = await run({}, 'ap-southeast-6');
  expect(statusOf(report, 'region')).toMatchObject({
    status: 'fail',
    message: expect.stringMatching(/no Amazon Managed Service for Prometheus/),
  });
  expect(statusOf(await run({ metricsRemoteWrite: 'off' }, 'ap-southeast-6'), 'region')!.status).toBe('ok');
});

test('grafana=true needs an IAM Identity Center instance (and a Grafana region)', async () => {
  ssoAdmin.on(ListInstancesCommand).resolves({ Instances: [] });
  const without = await run({ grafana: true });
  expect(statusOf(without, 'IAM Identity Center')).toMatchObject({
    status: 'fail',
    message: expect.stringMatching(/Organizations/),
  });
  ssoAdmin.on(ListInstancesCommand).resolves({
    Instances: [{ InstanceArn: 'arn:aws:sso:::instance/ssoins-1', IdentityStoreId: 'd-1', Status: 'ACTIVE' }],
  });
  expect(statusOf(await run({ grafana: true }), 'IAM Identity Center')!.status).toBe('ok');
  expect(statusOf(await run({ grafana: true }, 'eu-north-1'), 'region')!.status).toBe('fail');
  // Without grafana the check is not made at all.
  ssoAdmin.reset();
  await run();
  expect(ssoAdmin.calls()).toHaveLength(0);
});

test('alert email: a deployed topic whose subscription is pending confirmation is flagged', async () => {
  cloudformation.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'mlops-dev-alerting',
        CreationTime: new Date(),
        StackStatus: 'CREATE_COMPLETE',
        Outputs: [{ OutputKey: 'AlertTopicArn', OutputValue: TOPIC }],
      },
    ],
  });
  sns.on(ListSubscriptionsByTopicCommand, { TopicArn: TOPIC }).resolves({
    Subscriptions: [
      { Protocol: 'email', Endpoint: 'me@example.com', SubscriptionArn: 'PendingConfirmation' },
    ],
  });
  expect(statusOf(await run({ alertEmail: 'me@example.com' }), 'alert email')).toMatchObject({
    status: 'warn',
    message: expect.stringMatching(/not confirmed.*click its link/),
  });
  sns.on(ListSubscriptionsByTopicCommand).resolves({
    Subscriptions: [{ Protocol: 'email', Endpoint: 'me@example.com', SubscriptionArn: `${TOPIC}:abc` }],
  });
  expect(statusOf(await run({ alertEmail: 'me@example.com' }), 'alert email')!.status).toBe('ok');
  expect(statusOf(await run(), 'alert email')).toMatchObject({
    status: 'warn',
    message: expect.stringMatching(/notify nobody/),
  });
});

test('reserved concurrency that would leave under 100 unreserved fails (a new account has a low limit)', async () => {
  lambda.on(GetAccountSettingsCommand).resolves({
    AccountLimit: { ConcurrentExecutions: 10, UnreservedConcurrentExecutions: 10 },
  });
  expect(statusOf(await run(), 'Lambda concurrency')!.status).toBe('warn');
  expect(statusOf(await run({ reservedConcurrency: 'train=2' }), 'Lambda concurrency')).toMatchObject({
    status: 'fail',
    message: expect.stringMatching(/at least 100/),
  });
});

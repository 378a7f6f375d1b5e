import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetAccountSettingsCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { ListSubscriptionsByTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ListInstancesCommand, SSOAdminClient } from '@aws-sdk/client-sso-admin';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { ALERTING_OUTPUTS } from '../lib/alerting-stack.js';
import type { PlatformConfig } from '../lib/config.js';
import { stackNames } from '../lib/platform.js';
import { checkRegion, servicesFor } from '../lib/regions.js';

/**
 * What `npm run preflight` checks before a deploy, as plain functions over AWS SDK clients and the
 * synthesized templates, so the logic is tested offline with stubbed client answers
 * (test/infra/preflight.test.ts). Read-only calls only: nothing is created or changed.
 */
export type Status = 'ok' | 'warn' | 'fail';

export interface Check {
  readonly name: string;
  readonly status: Status;
  readonly message: string;
}

export interface PreflightClients {
  readonly sts: STSClient;
  readonly ssm: SSMClient;
  readonly ssoAdmin: SSOAdminClient;
  readonly sns: SNSClient;
  readonly cloudformation: CloudFormationClient;
  readonly lambda: LambdaClient;
}

/** A synthesized stack: its CloudFormation name and template. */
export interface PlannedStack {
  readonly stackName: string;
  readonly template: { Resources?: Record<string, { Type: string }>; Rules?: Record<string, unknown> };
}

export interface PreflightInput {
  readonly config: PlatformConfig;
  readonly region: string;
  readonly clients: PreflightClients;
  readonly stacks: readonly PlannedStack[];
  /** `@aws-cdk/core:bootstrapQualifier`, default `hnb659fds`. */
  readonly qualifier?: string;
}

export interface PreflightReport {
  readonly account?: string;
  readonly checks: readonly Check[];
  /** Per stack: resource type → count, what `cdk deploy --all` will create or update. */
  readonly plan: readonly { stackName: string; resources: Record<string, number> }[];
  readonly ok: boolean;
}

const DEFAULT_QUALIFIER = 'hnb659fds';
/** Lambda refuses a reservation that leaves fewer unreserved concurrent executions than this. */
export const MIN_UNRESERVED_CONCURRENCY = 100;

const errorName = (error: unknown) => (error as { name?: string }).name ?? 'Error';
const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

export async function runPreflight(input: PreflightInput): Promise<PreflightReport> {
  const checks: Check[] = [];
  const identity = await checkCredentials(input.clients.sts);
  checks.push(identity.check);
  if (identity.check.status === 'fail') {
    return { checks, plan: planOf(input.stacks), ok: false };
  }
  checks.push(regionCheck(input.region, input.config));
  checks.push(await bootstrapCheck(input, identity.account!));
  if (input.config.grafana) checks.push(await identityCenterCheck(input.clients.ssoAdmin, input.region));
  checks.push(await alertEmailCheck(input));
  checks.push(await concurrencyCheck(input.clients.lambda, input.config));
  return {
    account: identity.account!,
    checks,
    plan: planOf(input.stacks),
    ok: checks.every((c) => c.status !== 'fail'),
  };
}

async function checkCredentials(sts: STSClient): Promise<{ check: Check; account?: string }> {
  try {
    const who = await sts.send(new GetCallerIdentityCommand({}));
    return {
      account: who.Account!,
      check: { name: 'credentials', status: 'ok', message: `account ${who.Account} as ${who.Arn}` },
    };
  } catch (error) {
    return {
      check: {
        name: 'credentials',
        status: 'fail',
        message: `no usable AWS credentials (${errorName(error)}: ${errorText(error)}); run aws configure or aws sso login, or set AWS_PROFILE`,
      },
    };
  }
}

export function regionCheck(region: string, config: PlatformConfig): Check {
  const result = checkRegion(region, servicesFor(config));
  if (result.unknown) {
    return {
      name: 'region',
      status: 'warn',
      message: `${region} is not in lib/regions.ts (another partition, or newer than the table): services unchecked`,
    };
  }
  if (result.missing.length > 0) {
    return { name: 'region', status: 'fail', message: result.missing.map((m) => m.message).join(' ') };
  }
  return {
    name: 'region',
    status: 'ok',
    message: `${region} has every service this configuration uses (${servicesFor(config).join(', ')})`,
  };
}

/**
 * The lowest bootstrap version the templates accept: CDK writes a `CheckBootstrapVersion` rule
 * listing the versions it refuses (`Fn::Contains [["1",...,"5"], BootstrapVersion]`).
 */
export function requiredBootstrapVersion(stacks: readonly PlannedStack[]): number {
  let required = 0;
  for (const stack of stacks) {
    const text = JSON.stringify(stack.template.Rules?.['CheckBootstrapVersion'] ?? {});
    const refused = /"Fn::Contains":\[\[([^\]]*)\]/.exec(text)?.[1];
    const versions = (refused ?? '').match(/\d+/g)?.map(Number) ?? [];
    if (versions.length > 0) required = Math.max(required, Math.max(...versions) + 1);
  }
  return required;
}

async function bootstrapCheck(input: PreflightInput, account: string): Promise<Check> {
  const qualifier = input.qualifier ?? DEFAULT_QUALIFIER;
  const name = `/cdk-bootstrap/${qualifier}/version`;
  const required = requiredBootstrapVersion(input.stacks);
  const bootstrap = `npx cdk bootstrap aws://${account}/${input.region}`;
  try {
    const out = await input.clients.ssm.send(new GetParameterCommand({ Name: name }));
    const version = Number(out.Parameter?.Value);
    if (!Number.isFinite(version) || version < required) {
      return {
        name: 'CDK bootstrap',
        status: 'fail',
        message: `bootstrap version ${out.Parameter?.Value} in ${input.region}, the templates need ${required} or later: ${bootstrap}`,
      };
    }
    return {
      name: 'CDK bootstrap',
      status: 'ok',
      message: `version ${version} (${name}), the templates need ${required} or later`,
    };
  } catch (error) {
    if (errorName(error) === 'ParameterNotFound') {
      return {
        name: 'CDK bootstrap',
        status: 'fail',
        message: `account ${account} is not bootstrapped in ${input.region} (no ${name}): ${bootstrap}`,
      };
    }
    return {
      name: 'CDK bootstrap',
      status: 'fail',
      message: `cannot read ${name} (${errorName(error)}: ${errorText(error)})`,
    };
  }
}

async function identityCenterCheck(ssoAdmin: SSOAdminClient, region: string): Promise<Check> {
  const name = 'IAM Identity Center (grafana=true)';
  try {
    const out = await ssoAdmin.send(new ListInstancesCommand({}));
    const active = (out.Instances ?? []).filter((i) => !i.Status || i.Status === 'ACTIVE');
    if (active.length === 0) {
      return {
        name,
        status: 'fail',
        message: `no IAM Identity Center instance in ${region}: Amazon Managed Grafana (AWS_SSO) needs AWS Organizations with Identity Center enabled; enable it, or deploy without -c grafana=true`,
      };
    }
    return {
      name,
      status: 'ok',
      message: `instance ${active[0]!.InstanceArn} (${active[0]!.IdentityStoreId})`,
    };
  } catch (error) {
    return {
      name,
      status: 'fail',
      message: `cannot list Identity Center instances (${errorName(error)}: ${errorText(error)}); Grafana needs Organizations + Identity Center`,
    };
  }
}

async function alertEmailCheck(input: PreflightInput): Promise<Check> {
  const name = 'alert email';
  const email = input.config.alertEmail;
  if (!email) {
    return {
      name,
      status: 'warn',
      message: 'no alertEmail: alarms are raised but notify nobody (set -c alertEmail=you@example.com)',
    };
  }
  const stackName = stackNames(input.config.stage).alerting;
  let topicArn: string | undefined;
  try {
    const out = await input.clients.cloudformation.send(new DescribeStacksCommand({ StackName: stackName }));
    topicArn = out.Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === ALERTING_OUTPUTS.topicArn)?.OutputValue;
  } catch (error) {
    if (!/does not exist/.test(errorText(error))) {
      return {
        name,
        status: 'warn',
        message: `cannot read ${stackName} (${errorName(error)}): subscription unchecked`,
      };
    }
  }
  if (!topicArn) {
    return {
      name,
      status: 'ok',
      message: `${email} will be subscribed by ${stackName}: SNS sends a confirmation email; alerts arrive only after you click its link`,
    };
  }
  const out = await input.clients.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }));
  const subscription = (out.Subscriptions ?? []).find((s) => s.Protocol === 'email' && s.Endpoint === email);
  if (!subscription) {
    return {
      name,
      status: 'warn',
      message: `${email} is not subscribed to ${topicArn} yet; the deploy subscribes it`,
    };
  }
  if (subscription.SubscriptionArn === 'PendingConfirmation') {
    return {
      name,
      status: 'warn',
      message: `${email} has not confirmed the subscription: find the "AWS Notification - Subscription Confirmation" email and click its link, or no alert reaches you`,
    };
  }
  return { name, status: 'ok', message: `${email} is subscribed and confirmed` };
}

async function concurrencyCheck(lambda: LambdaClient, config: PlatformConfig): Promise<Check> {
  const name = 'Lambda concurrency';
  const reserved = Object.values(config.reservedConcurrency).reduce((a, b) => a + (b ?? 0), 0);
  const provisioned = config.predictProvisionedConcurrency;
  try {
    const out = await lambda.send(new GetAccountSettingsCommand({}));
    const limit = out.AccountLimit?.ConcurrentExecutions ?? 0;
    const unreserved = out.AccountLimit?.UnreservedConcurrentExecutions ?? limit;
    if (reserved > 0 && unreserved - reserved < MIN_UNRESERVED_CONCURRENCY) {
      return {
        name,
        status: 'fail',
        message: `reserving ${reserved} would leave ${unreserved - reserved} unreserved of ${limit}; Lambda keeps at least ${MIN_UNRESERVED_CONCURRENCY}: lower reservedConcurrency or request a higher quota`,
      };
    }
    if (provisioned > limit) {
      return {
        name,
        status: 'fail',
        message: `provisioned concurrency ${provisioned} exceeds the account limit ${limit}`,
      };
    }
    return {
      name,
      status: limit < 100 ? 'warn' : 'ok',
      message:
        `account limit ${limit}, unreserved ${unreserved}, this deploy reserves ${reserved}` +
        (limit < 100 ? " (a new account's low limit: request an increase before real traffic)" : ''),
    };
  } catch (error) {
    return { name, status: 'warn', message: `cannot read account settings (${errorName(error)}): unchecked` };
  }
}

export function planOf(stacks: readonly PlannedStack[]): PreflightReport['plan'] {
  return stacks.map((stack) => {
    const resources: Record<string, number> = {};
    for (const resource of Object.values(stack.template.Resources ?? {})) {
      resources[resource.Type] = (resources[resource.Type] ?? 0) + 1;
    }
    return { stackName: stack.stackName, resources };
  });
}

/** The report as the terminal shows it. */
export function formatReport(report: PreflightReport): string {
  const mark: Record<Status, string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' };
  const lines = report.checks.map((c) => `${mark[c.status]}  ${c.name}: ${c.message}`);
  lines.push('', 'What `cdk deploy --all` creates (from the synthesized templates):');
  for (const stack of report.plan) {
    const total = Object.values(stack.resources).reduce((a, b) => a + b, 0);
    const kinds = Object.entries(stack.resources)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([type, n]) => `${type.replace(/^AWS::/, '')}${n > 1 ? ` ×${n}` : ''}`)
      .join(', ');
    lines.push(`  ${stack.stackName} (${total} resources): ${kinds}`);
  }
  lines.push(
    '',
    report.ok ? 'Preflight passed.' : 'Preflight FAILED: fix the lines marked FAIL before deploying.',
  );
  return lines.join('\n');
}

export function defaultClients(region: string): PreflightClients {
  return {
    sts: new STSClient({ region }),
    ssm: new SSMClient({ region }),
    ssoAdmin: new SSOAdminClient({ region }),
    sns: new SNSClient({ region }),
    cloudformation: new CloudFormationClient({ region }),
    lambda: new LambdaClient({ region }),
  };
}

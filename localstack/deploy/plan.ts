import { COMPOSE_FILE, type Tier } from './compose.js';

/** LocalStack's fixed account id; any credentials are accepted. */
export const LOCALSTACK_ACCOUNT = '000000000000';
/**
 * LocalStack's documented endpoint: `*.localhost.localstack.cloud` resolves to 127.0.0.1 in public
 * DNS, which gives virtual-hosted S3 (CDK asset uploads) and per-API hosts (execute-api) a name.
 */
export const DEFAULT_ENDPOINT = 'http://localhost.localstack.cloud:4566';
export const DEFAULT_REGION = 'us-east-1';
/** Where `cdk deploy --outputs-file` writes, and where the scheduler container reads its schedule. */
export const STATE_DIR = 'localstack/state';
export const OUTPUTS_FILE = `${STATE_DIR}/cdk-outputs.json`;
export const SCHEDULE_FILE = `${STATE_DIR}/schedule.json`;

export type StackKey = 'storage' | 'secrets' | 'api' | 'schedule';

/** Stacks each tier can run, in dependency order (see docs/localstack.md for why). */
export const TIER_STACKS: Readonly<Record<Tier, readonly StackKey[]>> = {
  // No API Gateway v2 below the paid plans, and the schedule stack needs the api stack's function.
  community: ['storage', 'secrets'],
  hobby: ['storage', 'secrets'],
  base: ['storage', 'secrets', 'api', 'schedule'],
};

export interface Step {
  readonly title: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Variables this step sets on top of the inherited environment (shown in --dry-run). */
  readonly env?: Readonly<Record<string, string>>;
  /** Variables removed from the inherited environment. */
  readonly unset?: readonly string[];
}

export interface PlanOptions {
  readonly endpoint: string;
  readonly region: string;
  readonly stage: string;
  readonly tier: Tier;
  readonly compose: boolean;
  readonly bootstrap: boolean;
}

/**
 * Profile and session variables that would let a CDK run fall through to a real AWS account;
 * removed before any cdk command, as LocalStack's own `lstk cdk` does.
 */
export const UNSAFE_AWS_VARIABLES = [
  'AWS_PROFILE',
  'AWS_DEFAULT_PROFILE',
  'AWS_SESSION_TOKEN',
  'AWS_SECURITY_TOKEN',
  'AWS_ROLE_ARN',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
] as const;

/**
 * S3 needs its own host for virtual-hosted buckets: `s3.localhost.localstack.cloud` under the
 * default endpoint, otherwise the endpoint itself.
 *
 * @example
 * s3EndpointFor('http://localhost.localstack.cloud:4566'); // 'http://s3.localhost.localstack.cloud:4566'
 */
export function s3EndpointFor(endpoint: string): string {
  const url = new URL(endpoint);
  if (url.hostname === 'localhost.localstack.cloud') url.hostname = `s3.${url.hostname}`;
  return url.origin;
}

/**
 * The environment every cdk command runs with: the plain CDK CLI (>= 2.177.0) sends all calls to
 * `AWS_ENDPOINT_URL`, so no wrapper (cdklocal, deprecated) is needed.
 */
export function cdkEnvironment(options: Pick<PlanOptions, 'endpoint' | 'region'>): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: options.endpoint,
    AWS_ENDPOINT_URL_S3: s3EndpointFor(options.endpoint),
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: options.region,
    AWS_DEFAULT_REGION: options.region,
    CDK_DEFAULT_ACCOUNT: LOCALSTACK_ACCOUNT,
    CDK_DEFAULT_REGION: options.region,
  };
}

const cdk = (title: string, args: readonly string[], options: PlanOptions): Step => ({
  title,
  command: 'npx',
  // --no-install: the repository's pinned aws-cdk, never one fetched on the fly.
  args: ['--no-install', 'cdk', ...args],
  env: cdkEnvironment(options),
  unset: UNSAFE_AWS_VARIABLES,
});

/**
 * CDK context the mirror deploys with, on top of cdk.json: self-registration on, as in `npm start`,
 * so the smoke test can create its user on a fresh stack.
 */
export const MIRROR_CONTEXT: Readonly<Record<string, string>> = {
  allowSelfRegistration: 'true',
  // LocalStack has no Managed Prometheus: the functions write to the compose Prometheus instead, which
  // also keeps the api stack from depending on the (AMP) alerting stack.
  metricsRemoteWrite: 'http://prometheus:9090/api/v1/write',
  // No CloudFront in the mirror's tiers: the console is served by `npm start` instead.
  console: 'false',
};

/** The commands `npm run local:deploy` runs, in order; what follows them is done in-process. */
export function deploySteps(options: PlanOptions, stackNames: Readonly<Record<StackKey, string>>): Step[] {
  const stacks = TIER_STACKS[options.tier].map((key) => stackNames[key]);
  const context = ['-c', `stage=${options.stage}`];
  const mirrorContext = Object.entries(MIRROR_CONTEXT).flatMap(([key, value]) => ['-c', `${key}=${value}`]);
  const steps: Step[] = [];
  if (options.compose) {
    steps.push({
      title: 'start LocalStack, Prometheus, Alertmanager, Grafana, Mailpit and the scheduler',
      command: 'docker',
      args: ['compose', '-f', COMPOSE_FILE, 'up', '--detach', '--wait'],
    });
  }
  if (options.bootstrap) {
    steps.push(
      cdk(
        'bootstrap the CDK toolkit stack in LocalStack',
        ['bootstrap', `aws://${LOCALSTACK_ACCOUNT}/${options.region}`, ...context],
        options,
      ),
    );
  }
  steps.push(
    cdk(
      `deploy ${stacks.join(', ')}`,
      [
        'deploy',
        ...stacks,
        '--require-approval',
        'never',
        '--outputs-file',
        OUTPUTS_FILE,
        ...context,
        ...mirrorContext,
      ],
      options,
    ),
  );
  return steps;
}

/** The commands `npm run local:down` runs: destroy our stacks, then stop the containers. */
export function downSteps(
  options: PlanOptions & { readonly volumes: boolean },
  stackNames: Readonly<Record<StackKey, string>>,
): Step[] {
  // Newest first; destroying a stack that was never deployed (lower tiers) is a no-op.
  const stacks = [...TIER_STACKS.base].reverse().map((key) => stackNames[key]);
  const steps: Step[] = [
    cdk(
      `destroy ${stacks.join(', ')}`,
      ['destroy', ...stacks, '--force', '-c', `stage=${options.stage}`],
      options,
    ),
  ];
  if (options.compose) {
    steps.push({
      title: options.volumes ? 'stop the containers and delete their volumes' : 'stop the containers',
      command: 'docker',
      args: ['compose', '-f', COMPOSE_FILE, 'down', ...(options.volumes ? ['--volumes'] : [])],
    });
  }
  return steps;
}

/**
 * One shell line per step, for --dry-run and for "this failed: ..." messages.
 *
 * @example
 * formatStep({ title: 't', command: 'docker', args: ['compose', 'up'] }); // 'docker compose up'
 */
export function formatStep(step: Step): string {
  const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);
  const unset = step.unset?.length ? `env ${step.unset.map((name) => `-u ${name}`).join(' ')} ` : '';
  const env = Object.entries(step.env ?? {})
    .map(([name, value]) => `${name}=${quote(value)} `)
    .join('');
  return `${unset}${env}${[step.command, ...step.args].map(quote).join(' ')}`;
}

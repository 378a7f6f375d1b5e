import { parseArgs } from 'node:util';
import { STAGES, type Stage } from '../../lib/config.js';
import { TIERS, type Tier } from './compose.js';
import { DEFAULT_ENDPOINT, DEFAULT_REGION } from './plan.js';

/** Bad command-line input: one line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface CommonArgs {
  readonly endpoint: string;
  readonly region: string;
  readonly stage: Stage | undefined;
  readonly compose: boolean;
  readonly dryRun: boolean;
  readonly help: boolean;
}

export interface DeployArgs extends CommonArgs {
  readonly tier: Tier | undefined;
  readonly bootstrap: boolean;
  readonly train: boolean;
  readonly smoke: boolean;
}

export interface DownArgs extends CommonArgs {
  readonly volumes: boolean;
}

const COMMON = {
  endpoint: { type: 'string' },
  region: { type: 'string' },
  stage: { type: 'string' },
  'skip-compose': { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const DEPLOY_USAGE = `Usage: npm run local:deploy -- [options]

Starts the docker-compose mirror, bootstraps and deploys the CDK app into LocalStack, trains a
first model, prints the API URL and runs the smoke test against it. See docs/localstack.md.

  --tier community|hobby|base  what your LocalStack plan can run (default: base with a licensed
                               image, community with the frozen community image)
  --stage dev|staging|prod     CDK stage (default: cdk.json's "stage")
  --endpoint URL               LocalStack edge URL (default: ${DEFAULT_ENDPOINT})
  --region REGION              (default: ${DEFAULT_REGION})
  --skip-compose               LocalStack is already running; do not run docker compose up
  --skip-bootstrap             the CDK toolkit stack is already there
  --skip-train                 do not invoke the train function once before the smoke test
  --skip-smoke                 do not run npm run smoke afterwards
  --dry-run                    check prerequisites and print the commands without running them
  -h, --help`;

export const DOWN_USAGE = `Usage: npm run local:down -- [options]

Destroys the stacks deployed by local:deploy, then stops the compose services.

  --volumes                    also delete the containers' named volumes (Grafana, Prometheus, ...)
  --stage dev|staging|prod     (default: cdk.json's "stage")
  --endpoint URL               (default: ${DEFAULT_ENDPOINT})
  --region REGION              (default: ${DEFAULT_REGION})
  --skip-compose               leave the containers running
  --dry-run                    print the commands without running them
  -h, --help`;

function parse<T extends Record<string, { type: 'string' | 'boolean'; short?: string }>>(
  argv: readonly string[],
  options: T,
) {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    // node:util's messages are long and mention internals; keep the part that names the flag.
    const message = (error as Error).message.split('. ')[0] ?? String(error);
    throw new UsageError(`${message} (see --help)`);
  }
}

function common(values: Record<string, string | boolean | undefined>): CommonArgs {
  const endpoint = (values['endpoint'] as string | undefined) ?? DEFAULT_ENDPOINT;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new UsageError(`--endpoint "${endpoint}" is not a URL (e.g. ${DEFAULT_ENDPOINT})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--endpoint "${endpoint}" must be http:// or https://`);
  }
  const region = (values['region'] as string | undefined) ?? DEFAULT_REGION;
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) {
    throw new UsageError(`--region "${region}" is not an AWS region name (e.g. ${DEFAULT_REGION})`);
  }
  const stage = values['stage'] as string | undefined;
  if (stage !== undefined && !(STAGES as readonly string[]).includes(stage)) {
    throw new UsageError(`--stage "${stage}" must be one of ${STAGES.join(', ')}`);
  }
  return {
    endpoint: url.origin,
    region,
    stage: stage as Stage | undefined,
    compose: !values['skip-compose'],
    dryRun: Boolean(values['dry-run']),
    help: Boolean(values['help']),
  };
}

export function parseDeployArgs(argv: readonly string[]): DeployArgs {
  const values = parse(argv, {
    ...COMMON,
    tier: { type: 'string' },
    'skip-bootstrap': { type: 'boolean' },
    'skip-train': { type: 'boolean' },
    'skip-smoke': { type: 'boolean' },
  });
  const tier = values.tier;
  if (tier !== undefined && !(TIERS as readonly string[]).includes(tier)) {
    throw new UsageError(`--tier "${tier}" must be one of ${TIERS.join(', ')}`);
  }
  return {
    ...common(values),
    tier: tier as Tier | undefined,
    bootstrap: !values['skip-bootstrap'],
    train: !values['skip-train'],
    smoke: !values['skip-smoke'],
  };
}

export function parseDownArgs(argv: readonly string[]): DownArgs {
  const values = parse(argv, { ...COMMON, volumes: { type: 'boolean' } });
  return { ...common(values), volumes: Boolean(values.volumes) };
}

import { spawnSync } from 'node:child_process';
import { STACK_KEYS, stackNames } from '../../lib/platform.js';
import { COMMERCIAL_REGIONS, checkRegion, regionsWith, servicesFor } from '../../lib/regions.js';
import {
  type BuiltPlatform,
  buildPlatform,
  type CfnJson,
  DEFAULT_CONTEXT,
  nagFindings,
  unusedAcknowledgements,
} from './builders.js';

/**
 * What a new user gets from the default `cdk deploy --all`: eight stacks, nothing that needs an
 * organization, removal policies that follow the stage on every resource, and a region check.
 */
let dev: BuiltPlatform;
let prod: BuiltPlatform;
beforeAll(() => {
  dev = buildPlatform();
  // Every optional part on: Grafana, provisioned and reserved concurrency.
  prod = buildPlatform({
    context: {
      stage: 'prod',
      alertEmail: 'ops@example.com',
      grafana: true,
      predictProvisionedConcurrency: 1,
      reservedConcurrency: 'train=2',
    },
  });
}, 180_000);

/**
 * cdk-nag (v3, AWS Solutions pack) over every stack, in both builds: no error and no warning may be
 * left unacknowledged, and no acknowledgment may be left that suppresses nothing. Acknowledgments
 * live on the specific construct, with a reason (lib/nag.ts).
 */
describe.each(['dev', 'prod'] as const)('cdk-nag AwsSolutions (%s build)', (which) => {
  const built = () => (which === 'dev' ? dev : prod);
  test.each(STACK_KEYS)('%s stack: no unacknowledged errors or warnings', (key) => {
    expect(nagFindings(built().platform[key]!)).toEqual({ errors: [], warnings: [] });
  });
  test('every acknowledgment still suppresses a finding', () => {
    expect(unusedAcknowledgements(built().app)).toEqual([]);
  });
});

/** Types that hold data or cost money to leak: kept in prod, deleted with a dev stack. */
const STATEFUL = [
  'AWS::DynamoDB::GlobalTable',
  'AWS::S3::Bucket',
  'AWS::SecretsManager::Secret',
  'AWS::Logs::LogGroup',
  'AWS::KMS::Key',
  'AWS::SQS::Queue',
  'AWS::APS::Workspace',
  'AWS::Grafana::Workspace',
];

const resources = (built: BuiltPlatform) =>
  STACK_KEYS.flatMap((key) =>
    Object.entries(built.templates[key].toJSON().Resources as Record<string, CfnJson>).map(([id, r]) => ({
      stack: key,
      id,
      type: r.Type as string,
      deletion: r.DeletionPolicy as string | undefined,
    })),
  );

test("the default app is eight stacks named per stage (the console's two included), with no Grafana (it needs Organizations + Identity Center)", () => {
  expect(Object.keys(dev.platform).sort()).toEqual([...STACK_KEYS].sort());
  expect(STACK_KEYS.map((key) => dev.platform[key]!.stackName)).toEqual(Object.values(stackNames('dev')));
  const types = new Set(resources(dev).map((r) => r.type));
  expect(types.has('AWS::Grafana::Workspace')).toBe(false);
  expect(resources(prod).some((r) => r.type === 'AWS::Grafana::Workspace')).toBe(true);
});

test('dev: every resource goes with its stack (no Retain anywhere, the KMS key included)', () => {
  const kept = resources(dev).filter((r) => r.deletion === 'Retain' || r.deletion === 'RetainExceptOnCreate');
  expect(kept).toEqual([]);
  expect(resources(dev).filter((r) => r.type === 'AWS::KMS::Key')).toHaveLength(1);
});

test('prod: every stateful resource is retained', () => {
  const stateful = resources(prod).filter((r) => STATEFUL.includes(r.type));
  expect(new Set(stateful.map((r) => r.type))).toEqual(new Set(STATEFUL));
  for (const r of stateful) expect({ ...r, deletion: r.deletion }).toEqual({ ...r, deletion: 'Retain' });
});

describe('regions (lib/regions.ts, used by bin/app.ts and the preflight)', () => {
  test('the default configuration needs AMP, not Grafana; every region with AMP can take it', () => {
    const defaults = servicesFor(dev.config);
    expect(defaults).toEqual(['core', 'prometheus']);
    for (const region of regionsWith('prometheus')) expect(checkRegion(region, defaults).missing).toEqual([]);
    expect(regionsWith('grafana').length).toBeLessThan(COMMERCIAL_REGIONS.length);
  });

  test('a region without a needed service is refused with what to do; an unknown one is flagged', () => {
    const [missing] = checkRegion('ap-southeast-6', ['core', 'prometheus']).missing;
    expect(missing!.message).toMatch(
      /ap-southeast-6 has no Amazon Managed Service for Prometheus.*metricsRemoteWrite=off/,
    );
    expect(checkRegion('ap-southeast-6', ['core']).missing).toEqual([]);
    expect(checkRegion('eu-north-1', ['core', 'grafana']).missing[0]!.message).toMatch(
      /Amazon Managed Grafana/,
    );
    expect(checkRegion('cn-north-1', ['core'])).toEqual({ missing: [], unknown: true });
  });

  test('cdk synth refuses such a region before building anything', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'bin/app.ts'], {
      encoding: 'utf8',
      env: {
        ...process.env,
        CDK_DEFAULT_REGION: 'eu-north-1',
        CDK_CONTEXT_JSON: JSON.stringify({ ...DEFAULT_CONTEXT, grafana: true }),
      },
      timeout: 60_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /Cannot deploy to eu-north-1:\n\s+- eu-north-1 has no Amazon Managed Grafana/,
    );
  }, 60_000);
});

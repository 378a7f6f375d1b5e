import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseDeployArgs, parseDownArgs, UsageError } from '../../localstack/deploy/cli.js';
import { defaultTier, imageNeedsToken, imageTag, interpolate } from '../../localstack/deploy/compose.js';
import { localApiUrl, requireOutput } from '../../localstack/deploy/outputs.js';
import {
  cdkEnvironment,
  DEFAULT_ENDPOINT,
  deploySteps,
  downSteps,
  formatStep,
  s3EndpointFor,
  TIER_STACKS,
  UNSAFE_AWS_VARIABLES,
} from '../../localstack/deploy/plan.js';
import {
  checkPrerequisites,
  findExecutable,
  MIN_CDK_VERSION,
  PrerequisiteError,
  versionAtLeast,
} from '../../localstack/deploy/prerequisites.js';
import { invokeAndWait } from '../../localstack/deploy/run.js';

/**
 * `npm run local:deploy` / `local:down` without Docker: argument parsing, the prerequisite
 * messages (running the scripts with a PATH that lacks docker), and the commands --dry-run prints.
 */
const root = resolve(import.meta.dirname, '../..');
const names = {
  storage: 'mlops-dev-storage',
  secrets: 'mlops-dev-secrets',
  api: 'mlops-dev-api',
  schedule: 'mlops-dev-schedule',
};
const LICENSED = 'localstack/localstack:2026.09.0';
const ARCHIVE = 'localstack/localstack:4.14.0';

/** A PATH with node only, or node plus a stand-in `docker` (the scripts look it up, never run it in --dry-run). */
function pathDir(withDocker: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-path-'));
  symlinkSync(process.execPath, join(dir, 'node'));
  if (withDocker) {
    writeFileSync(
      join(dir, 'docker'),
      '#!/bin/sh\necho "stand-in docker must not run in --dry-run" >&2\nexit 99\n',
    );
    chmodSync(join(dir, 'docker'), 0o755);
  }
  return dir;
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface ScriptResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a script as `npm run` would (tsx), with only the given environment. */
function script(
  name: 'local-deploy' | 'local-down',
  args: string[],
  env: Record<string, string>,
  docker = true,
): Promise<ScriptResult> {
  const dir = pathDir(docker);
  dirs.push(dir);
  const child = spawn(
    process.execPath,
    [join(root, 'node_modules/tsx/dist/cli.mjs'), `scripts/${name}.ts`, ...args],
    {
      cwd: root,
      env: { PATH: dir, HOME: process.env['HOME'] ?? '/tmp', ...env },
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  return new Promise((done) =>
    child.on('close', (status) => done({ status, stdout, stderr: stderr.trim() })),
  );
}

describe('arguments', () => {
  test('defaults: compose up, bootstrap, smoke, the LocalStack endpoint and region', () => {
    expect(parseDeployArgs([])).toEqual({
      endpoint: DEFAULT_ENDPOINT,
      region: 'us-east-1',
      stage: undefined,
      tier: undefined,
      compose: true,
      bootstrap: true,
      train: true,
      smoke: true,
      dryRun: false,
      help: false,
    });
    expect(parseDownArgs(['--volumes', '--skip-compose'])).toMatchObject({ volumes: true, compose: false });
  });

  test('flags are read', () => {
    expect(
      parseDeployArgs([
        '--tier',
        'hobby',
        '--stage',
        'staging',
        '--endpoint',
        'http://127.0.0.1:4566/',
        '--region',
        'eu-west-1',
        '--skip-bootstrap',
        '--skip-train',
        '--skip-smoke',
        '--skip-compose',
        '--dry-run',
      ]),
    ).toEqual({
      endpoint: 'http://127.0.0.1:4566',
      region: 'eu-west-1',
      stage: 'staging',
      tier: 'hobby',
      compose: false,
      bootstrap: false,
      train: false,
      smoke: false,
      dryRun: true,
      help: false,
    });
  });

  test.each([
    [['--tier', 'pro'], /--tier "pro" must be one of community, hobby, base/],
    [['--stage', 'qa'], /--stage "qa" must be one of dev, staging, prod/],
    [['--endpoint', 'localhost:4566'], /--endpoint "localhost:4566" must be http:\/\/ or https:\/\//],
    [['--endpoint', 'not a url'], /--endpoint "not a url" is not a URL/],
    [['--region', 'moon'], /--region "moon" is not an AWS region name/],
    [['--bogus'], /Unknown option '--bogus'.*\(see --help\)/],
    [['extra'], /Unexpected argument 'extra'.*\(see --help\)/],
  ])('%j is a usage error naming the problem', (argv, message) => {
    expect(() => parseDeployArgs(argv)).toThrow(UsageError);
    expect(() => parseDeployArgs(argv)).toThrow(message);
  });
});

describe('images and tiers', () => {
  test.each([
    ['localstack/localstack:2026.09.0', true],
    ['localstack/localstack:latest', true],
    ['localstack/localstack', true],
    ['localstack/localstack-pro:4.4.0', true],
    ['localstack/localstack:community-archive', false],
    ['localstack/localstack:4.14.0', false],
    ['localstack/localstack:3.8.1@sha256:abc', false],
    ['registry.local:5000/localstack/localstack:4.14.0', false],
  ])('%s needs a token: %s', (image, needs) => {
    expect(imageNeedsToken(image)).toBe(needs);
  });

  test('the default tier follows the image; only the paid tier deploys the api and schedule stacks', () => {
    expect(defaultTier(LICENSED)).toBe('base');
    expect(defaultTier(ARCHIVE)).toBe('community');
    expect(TIER_STACKS.community).toEqual(['storage', 'secrets']);
    expect(TIER_STACKS.hobby).toEqual(['storage', 'secrets']);
    expect(TIER_STACKS.base).toEqual(['storage', 'secrets', 'api', 'schedule']);
  });

  test('image tags and compose interpolation', () => {
    expect(imageTag('registry.local:5000/x/y')).toBe('latest');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's interpolation syntax, not a JS template.
    expect(interpolate('${A:-d}/${B-e}/${C}', { A: '', B: '' })).toBe('d//');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's interpolation syntax, not a JS template.
    expect(interpolate('${A:-d}/${B-e}', {})).toBe('d/e');
  });
});

describe('prerequisites', () => {
  const base = { image: LICENSED, tier: 'base' as const, compose: true, cdkVersion: '2.1148.1' };
  const dockerPath = () => {
    const dir = pathDir(true);
    dirs.push(dir);
    return dir;
  };

  test('all present: no error', () => {
    expect(() =>
      checkPrerequisites({ ...base, env: { PATH: dockerPath(), LOCALSTACK_AUTH_TOKEN: 'ls-x' } }),
    ).not.toThrow();
  });

  test.each([
    [
      'DOCKER_MISSING',
      { env: { PATH: '/nonexistent', LOCALSTACK_AUTH_TOKEN: 'x' } },
      /docker was not found on PATH/,
    ],
    [
      'AUTH_TOKEN_MISSING',
      { env: {} },
      /LOCALSTACK_AUTH_TOKEN is not set but localstack\/localstack:2026\.09\.0/,
    ],
    ['TIER_IMAGE_MISMATCH', { image: ARCHIVE, env: {} }, /--tier base needs a licensed LocalStack image/],
    [
      'CDK_TOO_OLD',
      { cdkVersion: '2.150.0', env: { LOCALSTACK_AUTH_TOKEN: 'x' } },
      /aws-cdk 2\.150\.0 .* ignores AWS_ENDPOINT_URL/,
    ],
    [
      'CDK_TOO_OLD',
      { cdkVersion: undefined, env: { LOCALSTACK_AUTH_TOKEN: 'x' } },
      /aws-cdk \(not installed\)/,
    ],
  ] as const)('%s', (code, overrides, message) => {
    const input = { ...base, ...overrides, env: { PATH: dockerPath(), ...overrides.env } };
    let error: unknown;
    try {
      checkPrerequisites(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PrerequisiteError);
    expect((error as PrerequisiteError).code).toBe(code);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });

  test('local:down needs no token, and no docker when it leaves the containers alone', () => {
    expect(() =>
      checkPrerequisites({ ...base, compose: false, requireToken: false, env: { PATH: '/nonexistent' } }),
    ).not.toThrow();
  });

  test('version comparison is numeric per part', () => {
    expect(versionAtLeast('2.1148.1', MIN_CDK_VERSION)).toBe(true);
    expect(versionAtLeast('2.177.0', MIN_CDK_VERSION)).toBe(true);
    expect(versionAtLeast('2.176.9', MIN_CDK_VERSION)).toBe(false);
    expect(versionAtLeast('1.204.0', MIN_CDK_VERSION)).toBe(false);
  });

  test('findExecutable looks only on PATH', () => {
    const dir = dockerPath();
    expect(findExecutable('docker', { PATH: dir })).toBe(join(dir, 'docker'));
    expect(findExecutable('docker', { PATH: '' })).toBeUndefined();
  });
});

describe('plan', () => {
  const options = {
    endpoint: DEFAULT_ENDPOINT,
    region: 'us-east-1',
    stage: 'dev',
    tier: 'base' as const,
    compose: true,
    bootstrap: true,
  };

  test('CDK runs against LocalStack with throwaway credentials and without any AWS profile', () => {
    const steps = deploySteps(options, names);
    expect(steps.map((s) => s.args.slice(0, 3).join(' '))).toEqual([
      'compose -f docker-compose.yml',
      '--no-install cdk bootstrap',
      '--no-install cdk deploy',
    ]);
    for (const step of steps.slice(1)) {
      expect(step.env).toEqual(cdkEnvironment(options));
      expect(step.unset).toEqual(UNSAFE_AWS_VARIABLES);
    }
    expect(cdkEnvironment(options)).toMatchObject({
      AWS_ENDPOINT_URL: DEFAULT_ENDPOINT,
      AWS_ENDPOINT_URL_S3: 'http://s3.localhost.localstack.cloud:4566',
      AWS_ACCESS_KEY_ID: 'test',
      CDK_DEFAULT_ACCOUNT: '000000000000',
    });
    expect(UNSAFE_AWS_VARIABLES).toEqual(expect.arrayContaining(['AWS_PROFILE', 'AWS_SESSION_TOKEN']));
  });

  test('the tier decides which stacks are deployed; --skip-* drop steps', () => {
    const deploy = (tier: 'community' | 'base') =>
      deploySteps({ ...options, tier }, names).find((s) => s.args.includes('deploy'))!;
    expect(deploy('base').args).toEqual(expect.arrayContaining(Object.values(names)));
    expect(deploy('community').args).not.toContain(names.api);
    expect(deploySteps({ ...options, compose: false, bootstrap: false }, names)).toHaveLength(1);
  });

  test('local:down destroys every stack newest first, then stops compose (volumes on request)', () => {
    const [destroy, stop] = downSteps({ ...options, volumes: true }, names);
    expect(destroy?.args.slice(2, 7)).toEqual([
      'destroy',
      names.schedule,
      names.api,
      names.secrets,
      names.storage,
    ]);
    expect(destroy?.args).toContain('--force');
    expect(stop?.args).toEqual(['compose', '-f', 'docker-compose.yml', 'down', '--volumes']);
  });

  test('formatStep prints a line a shell can run', () => {
    expect(
      formatStep({ title: 't', command: 'echo', args: ['a b', "it's"], env: { X: '1' }, unset: ['Y'] }),
    ).toBe(`env -u Y X=1 echo 'a b' 'it'\\''s'`);
    expect(s3EndpointFor('http://127.0.0.1:4566')).toBe('http://127.0.0.1:4566');
  });

  test('the API URL from the stack output becomes LocalStack’s execute-api host', () => {
    expect(localApiUrl('https://AbC123.execute-api.us-east-1.amazonaws.com/', DEFAULT_ENDPOINT)).toBe(
      'http://abc123.execute-api.localhost.localstack.cloud:4566/',
    );
    expect(() => localApiUrl('http://example.com/', DEFAULT_ENDPOINT)).toThrow(
      /not an API Gateway execute-api URL/,
    );
    expect(() => requireOutput({ s: { A: 'x' } }, 's', 'ApiUrl')).toThrow(
      /stack s has no output ApiUrl .*found: A/,
    );
  });
});

describe('invokeAndWait (the first training run)', () => {
  let server: Server;
  let endpoint: string;
  const seen: { url?: string; type?: string; body: string }[] = [];

  beforeAll(async () => {
    // Stands in for LocalStack's Lambda Invoke API: "fail" in the name answers like a function error.
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        seen.push({ url: req.url, type: String(req.headers['x-amz-invocation-type']), body });
        if (req.url?.includes('fail')) {
          res.writeHead(200, { 'x-amz-function-error': 'Unhandled', 'content-type': 'application/json' });
          res.end(JSON.stringify({ errorType: 'AppError', errorMessage: 'dataset "nope" not found' }));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ modelName: 'iris', version: 1, alias: 'production' }));
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((done) => server.close(done)));

  test('waits for the result (RequestResponse) and returns the summary', async () => {
    const summary = await invokeAndWait({ endpoint, region: 'us-east-1' }, 'train-fn', {
      dataset: 'builtin:iris',
    });
    expect(summary).toEqual({ modelName: 'iris', version: 1, alias: 'production' });
    expect(seen[0]).toEqual({
      url: '/2015-03-31/functions/train-fn/invocations',
      type: 'RequestResponse',
      body: '{"dataset":"builtin:iris"}',
    });
  });

  test("a function error is thrown with the function's own message", async () => {
    await expect(invokeAndWait({ endpoint, region: 'us-east-1' }, 'train-fail', {})).rejects.toThrow(
      'train-fail failed (Unhandled): dataset "nope" not found',
    );
  });
});

describe('the scripts, run without Docker', () => {
  // Started together: each run pays tsx's start-up (and aws-cdk-lib's import for --dry-run).
  let runs: Record<'noDocker' | 'badFlag' | 'dryRun' | 'community' | 'down', ScriptResult>;
  beforeAll(async () => {
    const [noDocker, badFlag, dryRun, community, down] = await Promise.all([
      script('local-deploy', ['--dry-run'], { LOCALSTACK_AUTH_TOKEN: 'x' }, false),
      script('local-deploy', ['--tier', 'gold'], {}),
      script('local-deploy', ['--dry-run'], { LOCALSTACK_AUTH_TOKEN: 'x', AWS_PROFILE: 'prod-admin' }),
      script('local-deploy', ['--dry-run', '--skip-compose'], { LOCALSTACK_IMAGE: ARCHIVE }, false),
      script('local-down', ['--dry-run', '--volumes'], {}),
    ]);
    runs = { noDocker, badFlag, dryRun, community, down };
  }, 120_000);

  test('local:deploy with docker missing from PATH: one line naming the fix, exit 1', () => {
    const result = runs.noDocker;
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /^local:deploy: docker was not found on PATH: .* npm start \(no Docker, no account\)$/,
    );
    expect(result.stdout).toBe('');
  });

  test('a bad flag: usage error, exit 2', () => {
    expect(runs.badFlag).toMatchObject({
      status: 2,
      stderr: 'local:deploy: --tier "gold" must be one of community, hobby, base',
    });
  });

  test('--dry-run prints every command, and runs none of them (the stand-in docker would fail)', () => {
    const result = runs.dryRun;
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const lines = result.stdout.split('\n').map((l) => l.trim());
    expect(lines).toContain('docker compose -f docker-compose.yml up --detach --wait');
    const bootstrap = lines.find((l) => l.includes(' cdk bootstrap '));
    expect(bootstrap).toMatch(
      /^env -u AWS_PROFILE .*AWS_ENDPOINT_URL=http:\/\/localhost\.localstack\.cloud:4566 /,
    );
    expect(bootstrap).toMatch(/npx --no-install cdk bootstrap aws:\/\/000000000000\/us-east-1 -c stage=dev$/);
    expect(lines.find((l) => l.includes(' cdk deploy '))).toMatch(
      /cdk deploy mlops-dev-storage mlops-dev-secrets mlops-dev-api mlops-dev-schedule --require-approval never --outputs-file localstack\/state\/cdk-outputs\.json -c stage=dev -c allowSelfRegistration=true -c metricsRemoteWrite=http:\/\/prometheus:9090\/api\/v1\/write -c console=false$/,
    );
    expect(lines.find((l) => l.includes('invoke the train function'))).toMatch(/"dataset":"builtin:iris"/);
    expect(lines).toContain('npm run smoke -- --url <api url>');
  });

  test('--dry-run on the frozen community image deploys only what that tier runs, and says so', () => {
    const result = runs.community;
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('tier community: stacks mlops-dev-storage, mlops-dev-secrets');
    expect(result.stdout).toMatch(/HTTP APIs need a paid plan.*serve the API with npm start/);
    expect(result.stdout).not.toContain('mlops-dev-api');
    expect(result.stdout).not.toContain('docker compose');
  });

  test('local:down --dry-run needs no token and prints destroy, then compose down', () => {
    const result = runs.down;
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(
      /cdk destroy mlops-dev-schedule mlops-dev-api mlops-dev-secrets mlops-dev-storage --force/,
    );
    expect(result.stdout).toContain('docker compose -f docker-compose.yml down --volumes');
  });
});

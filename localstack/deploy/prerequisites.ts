import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { imageNeedsToken, type Tier } from './compose.js';

/** A missing tool or setting, reported as one line and exit code 1. */
export class PrerequisiteError extends Error {
  constructor(
    readonly code: 'DOCKER_MISSING' | 'AUTH_TOKEN_MISSING' | 'CDK_TOO_OLD' | 'TIER_IMAGE_MISMATCH',
    message: string,
  ) {
    super(message);
    this.name = 'PrerequisiteError';
  }
}

/** The oldest CDK CLI that honours AWS_ENDPOINT_URL; older ones would deploy to real AWS. */
export const MIN_CDK_VERSION = '2.177.0';

const NO_DOCKER_HINT = 'or run the embedded runtime instead: npm start (no Docker, no account)';

/** Looks a command up on PATH the way a shell would, without running it. */
export function findExecutable(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const extensions = process.platform === 'win32' ? (env['PATHEXT'] ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const extension of extensions) {
      const candidate = join(dir, name + extension);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here; keep looking
      }
    }
  }
  return undefined;
}

/** Compares dotted versions numerically: `2.1148.1` is newer than `2.177.0`. */
export function versionAtLeast(version: string, minimum: string): boolean {
  const a = version.split(/[.-]/).map(Number);
  const b = minimum.split('.').map(Number);
  for (let i = 0; i < b.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (Number.isNaN(x)) return false;
    if (x !== y) return x > y;
  }
  return true;
}

/** The version of the repository's aws-cdk CLI (node_modules/aws-cdk). */
export function cdkCliVersion(root: string): string | undefined {
  try {
    const pkg = JSON.parse(readFileSync(join(root, 'node_modules', 'aws-cdk', 'package.json'), 'utf8'));
    return typeof pkg.version === 'string' ? pkg.version : undefined;
  } catch {
    return undefined;
  }
}

export interface PrerequisiteInput {
  readonly env: NodeJS.ProcessEnv;
  readonly image: string;
  readonly tier: Tier;
  /** Whether the run starts/stops the compose services (docker is then needed on this machine). */
  readonly compose: boolean;
  readonly cdkVersion: string | undefined;
  /** False for local:down: stopping containers needs no licence. */
  readonly requireToken?: boolean;
}

/**
 * Throws the first missing prerequisite as a one-line {@link PrerequisiteError} that says what
 * to do about it.
 *
 * @example
 * checkPrerequisites({ env: { PATH: '' }, image, tier: 'base', compose: true, cdkVersion: '2.1148.1' });
 * // PrerequisiteError: docker was not found on PATH: install Docker ... or run the embedded runtime ...
 */
export function checkPrerequisites(input: PrerequisiteInput): void {
  if (input.compose && !findExecutable('docker', input.env)) {
    throw new PrerequisiteError(
      'DOCKER_MISSING',
      `docker was not found on PATH: install Docker Engine or Docker Desktop (with compose v2), ${NO_DOCKER_HINT}`,
    );
  }
  if (input.requireToken !== false && imageNeedsToken(input.image) && !input.env['LOCALSTACK_AUTH_TOKEN']) {
    throw new PrerequisiteError(
      'AUTH_TOKEN_MISSING',
      `LOCALSTACK_AUTH_TOKEN is not set but ${input.image} needs one (a free Hobby account at ` +
        'https://app.localstack.cloud gives one); without an account set ' +
        `LOCALSTACK_IMAGE=localstack/localstack:4.14.0 and --tier community, ${NO_DOCKER_HINT}`,
    );
  }
  if (!imageNeedsToken(input.image) && input.tier !== 'community') {
    throw new PrerequisiteError(
      'TIER_IMAGE_MISMATCH',
      `--tier ${input.tier} needs a licensed LocalStack image, but ${input.image} is the frozen community ` +
        'build: use --tier community, or unset LOCALSTACK_IMAGE and set LOCALSTACK_AUTH_TOKEN',
    );
  }
  if (!input.cdkVersion || !versionAtLeast(input.cdkVersion, MIN_CDK_VERSION)) {
    throw new PrerequisiteError(
      'CDK_TOO_OLD',
      `aws-cdk ${input.cdkVersion ?? '(not installed)'} in node_modules ignores AWS_ENDPOINT_URL and could ` +
        `deploy to real AWS; run npm ci (aws-cdk >= ${MIN_CDK_VERSION} is a devDependency)`,
    );
  }
}

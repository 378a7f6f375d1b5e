import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** The compose file at the repository root, shared by the deploy scripts and test/compose. */
export const COMPOSE_FILE = 'docker-compose.yml';
export const LOCALSTACK_SERVICE = 'localstack';

export interface ComposeService {
  readonly image?: string;
  readonly ports?: readonly (string | { published?: string | number; target?: number })[];
  readonly volumes?: readonly (string | { type?: string; source?: string; target?: string })[];
  readonly environment?: Record<string, string | number | boolean | null> | readonly string[];
  readonly healthcheck?: { readonly test?: string | readonly string[]; readonly disable?: boolean };
  readonly depends_on?: Record<string, { condition?: string }> | readonly string[];
  readonly [key: string]: unknown;
}

export interface ComposeFile {
  readonly name?: string;
  readonly services: Record<string, ComposeService>;
  readonly volumes?: Record<string, unknown>;
  readonly networks?: Record<string, unknown>;
}

export function readCompose(root: string): ComposeFile {
  const document = parse(readFileSync(join(root, COMPOSE_FILE), 'utf8')) as ComposeFile;
  if (!document || typeof document.services !== 'object') {
    throw new Error(`${COMPOSE_FILE} has no services`);
  }
  return document;
}

/**
 * Compose's variable interpolation for the forms this file uses: `${VAR}`, `${VAR:-default}`
 * (default when unset or empty) and `${VAR-default}` (default when unset).
 *
 * @example
 * interpolate('${IMAGE:-localstack/localstack:2026.09.0}', {}); // 'localstack/localstack:2026.09.0'
 */
export function interpolate(text: string, env: NodeJS.ProcessEnv): string {
  return text.replace(
    /\$\{([A-Z0-9_]+)(?:(:?-)([^}]*))?\}/gi,
    (_, name: string, op?: string, fallback = '') => {
      const value = env[name];
      if (op === ':-') return value === undefined || value === '' ? fallback : value;
      if (op === '-') return value === undefined ? fallback : value;
      return value ?? '';
    },
  );
}

/** The LocalStack image compose will run, after `LOCALSTACK_IMAGE` and the file's default. */
export function localstackImage(compose: ComposeFile, env: NodeJS.ProcessEnv): string {
  const image = compose.services[LOCALSTACK_SERVICE]?.image;
  if (!image) throw new Error(`${COMPOSE_FILE} has no "${LOCALSTACK_SERVICE}" service with an image`);
  return interpolate(image, env);
}

/** The tag of `repo:tag` or `repo:tag@sha256:...`; `latest` when there is none, as Docker assumes. */
export function imageTag(image: string): string {
  const withoutDigest = image.split('@')[0] ?? image;
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  return colon > slash ? withoutDigest.slice(colon + 1) : 'latest';
}

/**
 * Whether the image refuses to start without `LOCALSTACK_AUTH_TOKEN`: every release since the
 * 2026-03-23 consolidation (calendar-versioned tags, `latest`, the `-pro` image) does; the
 * frozen community builds (`community-archive`, `4.14.0` and older) do not.
 */
export function imageNeedsToken(image: string): boolean {
  if (/localstack-pro/.test(image)) return true;
  const tag = imageTag(image);
  if (tag === 'community-archive') return false;
  const major = /^(\d+)\./.exec(tag);
  if (major) return Number(major[1]) >= 2026;
  return true;
}

/**
 * What the LocalStack plan can deploy of ours. `community` is the frozen token-free image,
 * `hobby` the free account, `base` a paid plan (Base, Ultimate, Enterprise, Student): only
 * paid plans emulate API Gateway v2 HTTP APIs, which the api stack needs.
 */
export const TIERS = ['community', 'hobby', 'base'] as const;
export type Tier = (typeof TIERS)[number];

/** The tier to assume when none is given: a token image is assumed to carry a paid plan. */
export function defaultTier(image: string): Tier {
  return imageNeedsToken(image) ? 'base' : 'community';
}

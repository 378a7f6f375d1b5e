import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { MODEL_NAME_PATTERN, MODEL_NAME_RULE } from '../core/registry/names.js';
import { MAX_TRIALS } from '../training/run-defaults.js';

/**
 * Deploy-time configuration, read from CDK context once (cdk.json defaults, overridden with
 * `-c key=value`) and validated before any construct is built, so a typo fails `cdk synth`
 * with the key's name instead of failing half-way through a deployment.
 *
 * Values given on the command line arrive as strings (`-c predictProvisionedConcurrency=2`),
 * values from cdk.json keep their JSON type; both are accepted.
 */
export const STAGES = ['dev', 'staging', 'prod'] as const;
export type Stage = (typeof STAGES)[number];

/** CloudWatch Logs accepts only these retention periods (days); 9999 means "never expire". */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
  9999,
] as const;

/** Every context key this app reads, with the type it is validated to. */
export interface PlatformConfig {
  /** Deployment stage; decides removal policies, deletion protection and whether CORS `*` is allowed. */
  readonly stage: Stage;
  /** Where alarms are sent (monitoring stack). Required for staging and prod; optional in dev. */
  readonly alertEmail?: string;
  /** EventBridge Scheduler expression for the training run: `cron(6 fields)` or `rate(n unit)`. */
  readonly trainingSchedule: string;
  /** Hyper-parameter search trials of the scheduled run (algorithm "auto"); 1 = a single fit. */
  readonly trainingTrials: number;
  readonly defaultModelName: string;
  /** `builtin:<name>` (shipped in the train bundle) or `s3://bucket/key.csv`. */
  readonly defaultDataset: string;
  readonly defaultTarget: string;
  /** Provisioned concurrency on the predict function's `live` alias; 0 turns it off. */
  readonly predictProvisionedConcurrency: number;
  readonly allowSelfRegistration: boolean;
  /** Browser origins allowed by CORS; empty means no CORS configuration (server-to-server only). */
  readonly corsOrigins: readonly string[];
  /** Days after which objects under `runs/` expire; 0 keeps them forever. */
  readonly artifactRetentionDays: number;
  /** Days after which overwritten (noncurrent) object versions in the artifact bucket expire. */
  readonly noncurrentVersionDays: number;
  readonly apiThrottleRateLimit: number;
  readonly apiThrottleBurstLimit: number;
  /** Stage throttle of `POST /token` (each request may cost a scrypt hash): requests per second, burst. */
  readonly tokenRouteRateLimit: number;
  readonly tokenRouteBurstLimit: number;
  /** Stage throttle of the user-management routes (`POST /users`, password change, revoke-tokens). */
  readonly usersRouteRateLimit: number;
  readonly usersRouteBurstLimit: number;
  /** `aud` of the tokens, required by the gateway's JWT authorizer. */
  readonly jwtAudience: string;
  /** Token lifetime = the maximum token age verifiers accept (60-43200 s). */
  readonly tokenTtlSeconds: number;
  readonly logRetentionDays: (typeof LOG_RETENTION_DAYS)[number];
  /** Reported by the functions as MLOPS_CODE_VERSION; CI passes the commit (`-c codeVersion=$GITHUB_SHA`). */
  readonly codeVersion: string;
  /**
   * Where the functions remote-write Prometheus series: `amp` (the alerting stack's workspace), `off`, or
   * an http(s) URL of another remote-write receiver (the LocalStack mirror's Prometheus). Anything but
   * `amp` keeps the API stack independent of the alerting stack.
   */
  readonly metricsRemoteWrite: 'amp' | 'off' | `http${string}`;
  /**
   * Amazon Managed Grafana workspace in the monitoring stack. Off by default: it needs AWS
   * Organizations with IAM Identity Center enabled, in one of the Grafana regions (lib/regions.ts).
   */
  readonly grafana: boolean;
  /** Reserved concurrency per function (`predict=20,train=2`); a function not named has none. */
  readonly reservedConcurrency: Readonly<Partial<Record<ConcurrencyFunctionId, number>>>;
  /**
   * X-Ray active tracing on the predict function. Off by default: Lambda samples 1 request a
   * second plus 5% of the rest, which at low traffic traces nearly every prediction ($5 per
   * million traces, docs/cost.md). The other functions are always traced.
   */
  readonly predictTracing: boolean;
  /**
   * Deploy the web console (S3 + CloudFront, lib/console-stack.ts) and allow its origin by CORS.
   * Off where CloudFront is not available (the LocalStack mirror) or no browser UI is wanted.
   */
  readonly console: boolean;
}

/** The function ids reserved concurrency can name (lib/constructs/bundling.ts FUNCTION_IDS). */
export const CONCURRENCY_FUNCTION_IDS = ['auth', 'predict', 'admin', 'docs', 'train'] as const;
export type ConcurrencyFunctionId = (typeof CONCURRENCY_FUNCTION_IDS)[number];

/** Thrown for any missing or malformed context value; the message names every bad key. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly keys: readonly string[],
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

const CRON_FIELDS = [
  { name: 'minutes', min: 0, max: 59, chars: /^[0-9,\-*/]+$/ },
  { name: 'hours', min: 0, max: 23, chars: /^[0-9,\-*/]+$/ },
  { name: 'day-of-month', min: 1, max: 31, chars: /^([0-9,\-*/LW]+|\?)$/ },
  {
    name: 'month',
    min: 1,
    max: 12,
    chars: /^([0-9,\-*/]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)+$/i,
  },
  { name: 'day-of-week', min: 1, max: 7, chars: /^(([0-9,\-*/L#]|SUN|MON|TUE|WED|THU|FRI|SAT)+|\?)$/i },
  { name: 'year', min: 1970, max: 2199, chars: /^[0-9,\-*/]+$/ },
] as const;

/**
 * Checks an EventBridge Scheduler recurring expression; returns why it is invalid, or undefined.
 *
 * @example
 * scheduleExpressionProblem('cron(0 3 * * ? *)'); // undefined
 * scheduleExpressionProblem('cron(0 3 * * *)'); // 'cron() needs 6 fields ...'
 */
export function scheduleExpressionProblem(expression: string): string | undefined {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2]!;
    if (value < 1) return 'rate() value must be at least 1';
    if (value === 1 && unit.endsWith('s')) return `rate(1 ${unit}) must use the singular unit`;
    if (value > 1 && !unit.endsWith('s')) return `rate(${value} ${unit}) must use the plural unit`;
    return undefined;
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (!cron) return 'must be cron(minutes hours day-of-month month day-of-week year) or rate(value unit)';
  const fields = cron[1]!.trim().split(/\s+/);
  if (fields.length !== 6)
    return `cron() needs 6 fields (minutes hours day-of-month month day-of-week year), got ${fields.length}`;
  for (const [i, spec] of CRON_FIELDS.entries()) {
    const field = fields[i]!;
    if (!spec.chars.test(field)) return `cron() ${spec.name} field "${field}" is not valid`;
    // Range check the plain values; the number after "/" (a step) or "#" (nth weekday) is not a value.
    for (const part of field.split(',')) {
      const [range] = part.split(/[/#]/);
      for (const n of (range ?? '').match(/\d+/g) ?? []) {
        const value = Number(n);
        if (value < spec.min || value > spec.max) {
          return `cron() ${spec.name} value ${value} is outside ${spec.min}-${spec.max}`;
        }
      }
    }
  }
  if ((fields[2] === '?') === (fields[4] === '?')) {
    return 'cron() needs "?" in exactly one of day-of-month and day-of-week';
  }
  return undefined;
}

/** Command-line context is always a string; cdk.json context keeps its JSON type. Accept both. */
const fromString = (parse: (raw: string) => unknown) => (value: unknown) =>
  typeof value === 'string' && value.trim() !== '' ? parse(value.trim()) : value;

const integer = (min: number) =>
  z.preprocess(
    fromString((raw) => (/^-?\d+$/.test(raw) ? Number(raw) : raw)),
    z.number({ error: 'must be an integer' }).int('must be an integer').min(min, `must be at least ${min}`),
  );

const boolean = z.preprocess(
  fromString((raw) => (/^(true|false)$/i.test(raw) ? raw.toLowerCase() === 'true' : raw)),
  z.boolean({ error: 'must be true or false' }),
);

/** `{"train": 2}` (cdk.json) or `train=2,predict=20` (command line). */
const concurrency = z.preprocess(
  (value) =>
    typeof value === 'string'
      ? Object.fromEntries(
          value
            .split(',')
            .map((pair) => pair.trim())
            .filter(Boolean)
            .map((pair) => {
              const [name, count] = pair.split('=').map((s) => s.trim());
              return [name ?? '', /^\d+$/.test(count ?? '') ? Number(count) : count];
            }),
        )
      : value,
  z.partialRecord(
    z.enum(CONCURRENCY_FUNCTION_IDS, {
      error: `function must be one of ${CONCURRENCY_FUNCTION_IDS.join(', ')}`,
    }),
    z.number({ error: 'must be an integer' }).int('must be an integer').min(1, 'must be at least 1'),
    { error: 'must be name=count pairs, e.g. predict=20,train=2' },
  ),
);

const ORIGIN = /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/i;
const origins = z.preprocess(
  (value) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : value,
  z.array(
    z
      .string()
      .refine(
        (origin) => origin === '*' || ORIGIN.test(origin),
        'must be "*" or an origin like https://app.example.com',
      ),
    { error: 'must be a list of origins (JSON array or comma-separated)' },
  ),
);

const schema = z
  .object({
    stage: z.enum(STAGES, { error: `must be one of ${STAGES.join(', ')}` }),
    alertEmail: z.preprocess(
      (value) => (value === '' || value === null ? undefined : value),
      z.email('must be an email address').optional(),
    ),
    trainingSchedule: z.string({ error: 'must be a Scheduler expression' }).superRefine((value, ctx) => {
      const problem = scheduleExpressionProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
    trainingTrials: integer(1).refine((trials) => trials <= MAX_TRIALS, `must be at most ${MAX_TRIALS}`),
    defaultModelName: z.string({ error: 'must be a model name' }).regex(MODEL_NAME_PATTERN, MODEL_NAME_RULE),
    defaultDataset: z
      .string({ error: 'must be builtin:<name> or s3://bucket/key' })
      .regex(
        /^(builtin:[a-z0-9_-]+|s3:\/\/[a-z0-9.-]{3,63}\/.+)$/,
        'must be builtin:<name> or s3://bucket/key',
      ),
    defaultTarget: z.string({ error: 'must be a column name' }).min(1, 'must be a column name'),
    predictProvisionedConcurrency: integer(0),
    allowSelfRegistration: boolean,
    corsOrigins: origins,
    artifactRetentionDays: integer(0),
    noncurrentVersionDays: integer(1),
    apiThrottleRateLimit: integer(1),
    apiThrottleBurstLimit: integer(1),
    tokenRouteRateLimit: integer(1),
    tokenRouteBurstLimit: integer(1),
    usersRouteRateLimit: integer(1),
    usersRouteBurstLimit: integer(1),
    jwtAudience: z
      .string({ error: 'must be an audience name' })
      .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/, 'must be 1-128 letters, digits or ._:/-'),
    // core/auth/tokens.ts MAX_TOKEN_TTL_SECONDS
    tokenTtlSeconds: integer(60).refine((ttl) => ttl <= 43_200, 'must be at most 43200 (12 hours)'),
    logRetentionDays: integer(1).refine(
      (days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days),
      `must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
    ),
    codeVersion: z.string().min(1),
    metricsRemoteWrite: z.union(
      [
        z.literal('amp'),
        z.literal('off'),
        z.url({ protocol: /^https?$/, error: 'must be amp, off or an http(s) URL' }),
      ],
      { error: 'must be amp, off or an http(s) URL' },
    ),
    grafana: boolean,
    reservedConcurrency: concurrency,
    predictTracing: boolean,
    console: boolean,
  })
  .superRefine((config, ctx) => {
    if (config.stage !== 'dev' && config.alertEmail === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['alertEmail'],
        message: `is required for stage ${config.stage}`,
      });
    }
    // A wildcard origin lets any web page call the API with a user's token: dev only.
    if (config.stage !== 'dev' && config.corsOrigins.includes('*')) {
      ctx.addIssue({ code: 'custom', path: ['corsOrigins'], message: '"*" is only allowed for stage dev' });
    }
    for (const route of ['tokenRoute', 'usersRoute'] as const) {
      if (config[`${route}BurstLimit`] < config[`${route}RateLimit`]) {
        ctx.addIssue({
          code: 'custom',
          path: [`${route}BurstLimit`],
          message: `must be at least ${route}RateLimit`,
        });
      }
    }
    if (config.apiThrottleBurstLimit < config.apiThrottleRateLimit) {
      ctx.addIssue({
        code: 'custom',
        path: ['apiThrottleBurstLimit'],
        message: 'must be at least apiThrottleRateLimit',
      });
    }
  });

/** Context keys, in the order they are documented (docs/deploy.md). */
export const CONTEXT_KEYS = Object.keys(schema.shape) as readonly (keyof PlatformConfig)[];

/** Something with CDK context: an App, or any construct. */
export interface ContextSource {
  readonly node: { tryGetContext(key: string): unknown };
}

/**
 * Reads and validates every context key. Call once, in bin/app.ts, and pass the result down.
 *
 * @example
 * const app = new App();
 * const config = loadConfig(app); // throws ConfigError naming e.g. "trainingSchedule"
 */
export function loadConfig(source: ContextSource): PlatformConfig {
  const raw: Record<string, unknown> = {};
  for (const key of CONTEXT_KEYS) raw[key] = source.node.tryGetContext(key);
  raw['codeVersion'] ??= packageVersion();
  raw['metricsRemoteWrite'] ??= 'amp';
  raw['grafana'] ??= false;
  raw['reservedConcurrency'] ??= {};
  raw['predictTracing'] ??= false;
  raw['console'] ??= true;
  const result = schema.safeParse(raw);
  if (result.success) return result.data as PlatformConfig;
  const problems = result.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? '(context)');
    const value = raw[key] === undefined ? 'missing' : `got ${JSON.stringify(raw[key])}`;
    return { key, line: `  - ${key}: ${issue.message} (${value})` };
  });
  const keys = [...new Set(problems.map((p) => p.key))];
  throw new ConfigError(
    `Invalid CDK context (set it in cdk.json or with -c key=value):\n${problems.map((p) => p.line).join('\n')}`,
    keys,
  );
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

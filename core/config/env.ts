/**
 * Every environment variable the platform reads, named once. The CDK stacks set them on the
 * functions, the local runtime sets them for the embedded emulators, and the docs list them.
 */
export const ENV = {
  region: 'AWS_REGION',
  /** Standard AWS SDK v3 service-specific endpoint overrides; unset means real AWS. */
  dynamodbEndpoint: 'AWS_ENDPOINT_URL_DYNAMODB',
  s3Endpoint: 'AWS_ENDPOINT_URL_S3',
  /** Path-style S3 addressing, needed by s3rver and LocalStack. */
  s3ForcePathStyle: 'MLOPS_S3_FORCE_PATH_STYLE',
  usersTable: 'USERS_TABLE',
  registryTable: 'REGISTRY_TABLE',
  runsTable: 'RUNS_TABLE',
  artifactBucket: 'ARTIFACT_BUCKET',
  /** JWT signing keys: a Secrets Manager secret in AWS, a file under MLOPS_HOME locally. */
  jwtSecretArn: 'JWT_SECRET_ARN',
  jwtKeyFile: 'JWT_KEY_FILE',
  jwtIssuer: 'JWT_ISSUER',
  jwtAudience: 'JWT_AUDIENCE',
  tokenTtlSeconds: 'TOKEN_TTL_SECONDS',
  allowSelfRegistration: 'ALLOW_SELF_REGISTRATION',
  /** Login throttling (core/auth/throttle.ts): failed attempts per (username, address) per window, the first window's length. */
  loginMaxFailures: 'LOGIN_MAX_FAILURES',
  loginWindowSeconds: 'LOGIN_WINDOW_SECONDS',
  /** Failed attempts per username from addresses it never signed in from, and per address across usernames. */
  loginUserMaxFailures: 'LOGIN_USER_MAX_FAILURES',
  loginAddressMaxFailures: 'LOGIN_ADDRESS_MAX_FAILURES',
  defaultModelName: 'DEFAULT_MODEL_NAME',
  defaultDataset: 'DEFAULT_DATASET',
  defaultTarget: 'DEFAULT_TARGET',
  modelRefreshSeconds: 'MODEL_REFRESH_SECONDS',
  /** Model cache budget per serving process: loaded ONNX sessions, and their artifacts' MB. */
  modelCacheMaxSessions: 'MODEL_CACHE_MAX_SESSIONS',
  modelCacheMaxMb: 'MODEL_CACHE_MAX_MB',
  /** How long a RUNNING run lives without a heartbeat before the reaper marks it ABANDONED. */
  runLeaseSeconds: 'RUN_LEASE_SECONDS',
  maxBatchRows: 'MAX_BATCH_ROWS',
  stage: 'MLOPS_STAGE',
  /** The train function the admin API invokes asynchronously; unset locally (trains in-process). */
  trainFunctionName: 'TRAIN_FUNCTION_NAME',
  /**
   * Promotion policy: metric, minimum value, margin over production on the same rows, and the
   * significance level of the paired test a new version needs (core/registry/policy.ts).
   */
  promotionMetric: 'PROMOTION_METRIC',
  promotionMinimum: 'PROMOTION_MIN',
  promotionMargin: 'PROMOTION_MARGIN',
  promotionSignificance: 'PROMOTION_SIGNIFICANCE',
  codeVersion: 'MLOPS_CODE_VERSION',
  logLevel: 'LOG_LEVEL',
  /** Amazon Managed Prometheus remote-write URL; metrics are remote-written only when set. */
  ampRemoteWriteUrl: 'AMP_REMOTE_WRITE_URL',
  /** Set by the Lambda runtime; its presence turns on EMF metrics (CloudWatch). */
  lambdaFunctionName: 'AWS_LAMBDA_FUNCTION_NAME',
} as const;

export type EnvKey = keyof typeof ENV;
export type EnvName = (typeof ENV)[EnvKey];

/** Reads a variable, naming it when it is missing: a misconfigured function fails at cold start, loudly. */
export function requireEnv(key: EnvKey, env: NodeJS.ProcessEnv = process.env): string {
  const name = ENV[key];
  const value = env[name];
  if (value === undefined || value === '') {
    throw new Error(`environment variable ${name} is not set`);
  }
  return value;
}

export function optionalEnv(key: EnvKey, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[ENV[key]];
  return value === undefined || value === '' ? undefined : value;
}

export function numberEnv(key: EnvKey, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = optionalEnv(key, env);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value))
    throw new Error(`environment variable ${ENV[key]} must be a number, got "${raw}"`);
  return value;
}

export function booleanEnv(key: EnvKey, fallback: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  const raw = optionalEnv(key, env);
  if (raw === undefined) return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new Error(`environment variable ${ENV[key]} must be true or false, got "${raw}"`);
}

import { App } from 'aws-cdk-lib';
import { ConfigError, loadConfig, scheduleExpressionProblem } from '../../lib/config.js';
import { contextSource, DEFAULT_CONTEXT, testConfig } from './builders.js';

/** Loads config from the shipped defaults plus overrides; returns the error, if any. */
function configError(overrides: Record<string, unknown>): ConfigError | undefined {
  try {
    loadConfig(contextSource({ ...DEFAULT_CONTEXT, ...overrides }));
    return undefined;
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
}

describe('lib/config.ts: CDK context', () => {
  it('accepts the defaults shipped in cdk.json', () => {
    // Arrange: an App reads cdk.json's context the way the CLI passes it.
    const app = new App({ context: DEFAULT_CONTEXT });

    // Act
    const config = loadConfig(app);

    // Assert
    expect(config).toMatchObject({
      stage: 'dev',
      trainingSchedule: 'cron(0 3 * * ? *)',
      defaultModelName: 'iris',
      defaultDataset: 'builtin:iris',
      defaultTarget: 'species',
      predictProvisionedConcurrency: 0,
      allowSelfRegistration: false,
      corsOrigins: [],
      artifactRetentionDays: 365,
    });
    expect(config.alertEmail).toBeUndefined();
  });

  it('coerces command-line strings (-c key=value) to their types', () => {
    const config = testConfig({
      stage: 'prod',
      alertEmail: 'ops@example.com',
      predictProvisionedConcurrency: '2',
      allowSelfRegistration: 'true',
      corsOrigins: 'https://app.example.com, http://localhost:5173',
      artifactRetentionDays: '0',
      logRetentionDays: '90',
    });
    expect(config.predictProvisionedConcurrency).toBe(2);
    expect(config.allowSelfRegistration).toBe(true);
    expect(config.corsOrigins).toEqual(['https://app.example.com', 'http://localhost:5173']);
    expect(config.artifactRetentionDays).toBe(0);
    expect(config.logRetentionDays).toBe(90);
  });

  it('remote-writes metrics to AMP unless told off or given another receiver', () => {
    expect(testConfig({ metricsRemoteWrite: undefined }).metricsRemoteWrite).toBe('amp');
    expect(testConfig({ metricsRemoteWrite: 'off' }).metricsRemoteWrite).toBe('off');
    const url = 'http://prometheus:9090/api/v1/write';
    expect(testConfig({ metricsRemoteWrite: url }).metricsRemoteWrite).toBe(url);
  });

  it('defaults codeVersion to the package version when no context sets it', () => {
    const config = testConfig({ codeVersion: undefined });
    expect(config.codeVersion).toMatch(/^\d+\.\d+\.\d+/);
  });

  // Each bad value fails before any construct exists, and the message names the key.
  it.each([
    ['stage', 'production', /stage: must be one of dev, staging, prod/],
    ['stage', undefined, /stage: .*\(missing\)/],
    ['alertEmail', 'not-an-email', /alertEmail: must be an email address/],
    ['trainingSchedule', 'cron(0 3 * * *)', /trainingSchedule: cron\(\) needs 6 fields/],
    ['trainingSchedule', 'cron(0 25 * * ? *)', /trainingSchedule: cron\(\) hours value 25 is outside 0-23/],
    [
      'trainingSchedule',
      'cron(0 3 * * * *)',
      /trainingSchedule: .*exactly one of day-of-month and day-of-week/,
    ],
    ['trainingSchedule', 'cron(0 3 ? * FOO *)', /trainingSchedule: cron\(\) day-of-week field "FOO"/],
    ['trainingSchedule', 'rate(1 days)', /trainingSchedule: rate\(1 days\) must use the singular unit/],
    ['trainingSchedule', 'rate(0 hours)', /trainingSchedule: rate\(\) value must be at least 1/],
    ['trainingSchedule', 'every day', /trainingSchedule: must be cron\(/],
    ['trainingSchedule', 5, /trainingSchedule: must be a Scheduler expression/],
    ['trainingTrials', 0, /trainingTrials: must be at least 1/],
    ['trainingTrials', 501, /trainingTrials: must be at most 500/],
    ['defaultModelName', 'iris model', /defaultModelName: use 1–64 letters/],
    ['defaultDataset', 'iris.csv', /defaultDataset: must be builtin:<name> or s3:\/\/bucket\/key/],
    ['defaultTarget', '', /defaultTarget: must be a column name/],
    ['predictProvisionedConcurrency', -1, /predictProvisionedConcurrency: must be at least 0/],
    ['predictProvisionedConcurrency', '-3', /predictProvisionedConcurrency: must be at least 0/],
    ['predictProvisionedConcurrency', 1.5, /predictProvisionedConcurrency: must be an integer/],
    ['predictProvisionedConcurrency', 'two', /predictProvisionedConcurrency: must be an integer/],
    ['allowSelfRegistration', 'yes', /allowSelfRegistration: must be true or false/],
    ['corsOrigins', ['app.example.com'], /corsOrigins: must be "\*" or an origin/],
    ['corsOrigins', 'https://app.example.com/path', /corsOrigins: must be "\*" or an origin/],
    ['artifactRetentionDays', -30, /artifactRetentionDays: must be at least 0/],
    ['noncurrentVersionDays', 0, /noncurrentVersionDays: must be at least 1/],
    ['apiThrottleRateLimit', 0, /apiThrottleRateLimit: must be at least 1/],
    ['logRetentionDays', 45, /logRetentionDays: must be one of 1, 3, 5/],
    ['metricsRemoteWrite', 'prometheus', /metricsRemoteWrite: must be amp, off or an http\(s\) URL/],
    ['metricsRemoteWrite', 'ftp://host/write', /metricsRemoteWrite: must be amp, off or an http\(s\) URL/],
  ])('rejects %s = %j', (key, value, message) => {
    const error = configError({ [key]: value });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.keys).toEqual([key]);
    expect(error?.message).toMatch(message);
  });

  it('requires alertEmail outside dev', () => {
    const error = configError({ stage: 'staging', alertEmail: '' });
    expect(error?.keys).toEqual(['alertEmail']);
    expect(error?.message).toMatch(/alertEmail: is required for stage staging/);
  });

  it('allows CORS "*" in dev only', () => {
    expect(testConfig({ corsOrigins: ['*'] }).corsOrigins).toEqual(['*']);
    const error = configError({ stage: 'prod', alertEmail: 'ops@example.com', corsOrigins: '*' });
    expect(error?.keys).toEqual(['corsOrigins']);
  });

  it('rejects a burst limit below the rate limit', () => {
    const error = configError({ apiThrottleRateLimit: 100, apiThrottleBurstLimit: 10 });
    expect(error?.keys).toEqual(['apiThrottleBurstLimit']);
  });

  it('names every bad key at once', () => {
    const error = configError({ stage: 'qa', trainingSchedule: 'daily', artifactRetentionDays: -1 });
    expect(error?.keys).toEqual(
      expect.arrayContaining(['stage', 'trainingSchedule', 'artifactRetentionDays']),
    );
  });
});

describe('scheduleExpressionProblem', () => {
  it.each([
    'cron(0 3 * * ? *)',
    'cron(0/15 8-18 ? * MON-FRI *)',
    'cron(30 2 1 * ? *)',
    'cron(0 4 ? * 2#1 *)',
    'cron(0 0 L * ? 2030)',
    'rate(1 day)',
    'rate(6 hours)',
    'rate(30 minutes)',
  ])('accepts %s', (expression) => {
    expect(scheduleExpressionProblem(expression)).toBeUndefined();
  });

  it('reads the deploy switches: Grafana and predict tracing off by default, reserved concurrency per function', () => {
    expect(testConfig()).toMatchObject({ grafana: false, predictTracing: false, reservedConcurrency: {} });
    expect(
      testConfig({ grafana: 'true', predictTracing: 'true', reservedConcurrency: 'train=2, predict=20' }),
    ).toMatchObject({
      grafana: true,
      predictTracing: true,
      reservedConcurrency: { train: 2, predict: 20 },
    });
    expect(testConfig({ reservedConcurrency: { docs: 1 } }).reservedConcurrency).toEqual({ docs: 1 });
  });

  it.each([
    ['reservedConcurrency', 'trainer=2'],
    ['reservedConcurrency', 'train=0'],
    ['reservedConcurrency', 'train=two'],
    ['grafana', 'yes please'],
  ])('refuses %s=%s naming the key', (key, value) => {
    expect(configError({ [key]: value })?.keys).toEqual([key]);
  });
});

import type { Environment } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ENV } from '../core/config/env.js';
import { AlertingStack } from './alerting-stack.js';
import { ApiStack } from './api-stack.js';
import type { PlatformConfig } from './config.js';
import { ConsoleContentStack, ConsoleStack } from './console-stack.js';
import type { FunctionId } from './constructs/bundling.js';
import type { AlertRules } from './constructs/monitoring-rules.js';
import { publishShared, SHARED_KEYS } from './constructs/shared-parameter.js';
import { stagePolicy } from './defaults.js';
import { type MonitoredResources, MonitoringStack } from './monitoring-stack.js';
import { TrainingScheduleStack } from './schedule-stack.js';
import { SecretsStack } from './secrets-stack.js';
import { StorageStack } from './storage-stack.js';

export interface Platform {
  readonly storage: StorageStack;
  readonly secrets: SecretsStack;
  readonly api: ApiStack;
  readonly schedule: TrainingScheduleStack;
  /** The web console's hosting and files; absent with `-c console=false`. */
  readonly console?: ConsoleStack;
  readonly consoleContent?: ConsoleContentStack;
}

/**
 * Every stack `cdk deploy --all` creates, in deployment order. The console's two (first and last)
 * are left out with `-c console=false`: {@link OPTIONAL_STACK_KEYS}.
 */
export const STACK_KEYS = [
  'console',
  'storage',
  'secrets',
  'alerting',
  'api',
  'schedule',
  'monitoring',
  'consoleContent',
] as const;
export type StackKey = (typeof STACK_KEYS)[number];
export const OPTIONAL_STACK_KEYS: readonly StackKey[] = ['console', 'consoleContent'];

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** CloudFormation stack names, per stage, so several stages can share an account. */
export function stackNames(stage: PlatformConfig['stage']): Readonly<Record<StackKey, string>> {
  return Object.fromEntries(STACK_KEYS.map((key) => [key, `mlops-${stage}-${kebab(key)}`])) as Record<
    StackKey,
    string
  >;
}

function common(config: PlatformConfig, env?: Environment) {
  return {
    config,
    ...(env ? { env } : {}),
    tags: { project: 'serverless-mlops', stage: config.stage },
  };
}

/**
 * The platform stacks, in dependency order, each taking the previous ones' public resources as
 * props: the console's hosting (unless `console=false`), storage, secrets, api, schedule, and the
 * console's files. Used by bin/app.ts (through {@link createApp}) and by the infra tests.
 *
 * @example
 * const platform = createPlatform(app, loadConfig(app));
 * platform.api.functions.predict;
 */
export function createPlatform(scope: Construct, config: PlatformConfig, env?: Environment): Platform {
  const names = stackNames(config.stage);
  // First: its origin is the one browser origin the artifact bucket and the API accept (CORS).
  const site = config.console
    ? new ConsoleStack(scope, names.console, {
        ...common(config, env),
        stackName: names.console,
        description: 'MLOps web console: S3 + CloudFront',
      })
    : undefined;
  const storage = new StorageStack(scope, names.storage, {
    ...common(config, env),
    stackName: names.storage,
    description: 'MLOps data: DynamoDB tables and the artifact bucket',
    ...(site ? { consoleOrigin: site.origin } : {}),
  });
  const secrets = new SecretsStack(scope, names.secrets, {
    ...common(config, env),
    stackName: names.secrets,
    description: 'MLOps JWT signing key',
  });
  publishShared(
    secrets,
    config.stage,
    SHARED_KEYS.jwtSecretArn,
    secrets.jwtSecret.secretArn,
    'JWT signing key secret ARN',
  );
  const api = new ApiStack(scope, names.api, {
    ...common(config, env),
    stackName: names.api,
    description: 'MLOps functions and HTTP API',
    tables: storage.tables,
    artifactBucket: storage.artifactBucket,
    jwtSecret: secrets.jwtSecret,
    ...(site ? { consoleOrigin: site.origin } : {}),
  });
  // The API stack reads the data stacks' names from SSM at deploy time: no reference, so the order
  // is stated.
  api.addStackDependency(storage);
  api.addStackDependency(secrets);
  const schedule = new TrainingScheduleStack(scope, names.schedule, {
    ...common(config, env),
    stackName: names.schedule,
    description: 'MLOps scheduled training',
    trainFunction: api.functions.train,
    datasetBucket: storage.artifactBucket,
  });
  if (!site) return { storage, secrets, api, schedule };
  const consoleContent = new ConsoleContentStack(scope, names.consoleContent, {
    ...common(config, env),
    stackName: names.consoleContent,
    description: 'MLOps web console files and config.json',
    site,
    apiUrl: api.apiStage.url,
    logRetentionDays: config.logRetentionDays as logs.RetentionDays,
    removalPolicy: stagePolicy(config.stage).removalPolicy,
  });
  return { storage, secrets, api, schedule, console: site, consoleContent };
}

/** What the monitoring needs of the API stack (its public plug-in point). */
export interface MonitoredApi {
  readonly functions: Readonly<Record<FunctionId, lambda.Function>>;
  readonly httpApi: MonitoredResources['httpApi'];
  readonly trainingFailureQueue: sqs.IQueue;
}

/**
 * Adds the alerting and monitoring stacks to an app built by createPlatform. With
 * `metricsRemoteWrite=amp` every function may remote-write to the AMP workspace; with an http(s)
 * URL they write there instead (the LocalStack mirror's Prometheus), and with `off` nowhere.
 * Anything but `amp` keeps the API stack independent of the alerting stack.
 *
 * @example
 * createMonitoring(app, config, createPlatform(app, config, env), env);
 */
export function createMonitoring(
  scope: Construct,
  config: PlatformConfig,
  platform: {
    readonly api: MonitoredApi;
    readonly schedule?: Pick<TrainingScheduleStack, 'deadLetterQueue'>;
  },
  env?: Environment,
  options: { rules?: AlertRules } = {},
): { alerting: AlertingStack; monitoring: MonitoringStack } {
  const names = stackNames(config.stage);
  const alerting = new AlertingStack(scope, names.alerting, {
    ...common(config, env),
    stackName: names.alerting,
    description: 'MLOps alert topic and Amazon Managed Prometheus workspace (rules, alert manager)',
    ...(options.rules ? { rules: options.rules } : {}),
  });
  for (const fn of Object.values(platform.api.functions)) {
    if (config.metricsRemoteWrite === 'amp') alerting.grantRemoteWrite(fn);
    else if (config.metricsRemoteWrite !== 'off')
      fn.addEnvironment(ENV.ampRemoteWriteUrl, config.metricsRemoteWrite);
  }
  const monitoring = new MonitoringStack(scope, names.monitoring, {
    ...common(config, env),
    stackName: names.monitoring,
    description: 'MLOps CloudWatch alarms and dashboard (and Amazon Managed Grafana with -c grafana=true)',
    alerting,
    functions: platform.api.functions,
    httpApi: platform.api.httpApi,
    deadLetterQueues: {
      'training-failures': platform.api.trainingFailureQueue,
      ...(platform.schedule ? { 'schedule-delivery': platform.schedule.deadLetterQueue } : {}),
    },
  });
  return { alerting, monitoring };
}

/**
 * All six stacks, as `cdk deploy --all` creates them.
 *
 * @example
 * const app = new App();
 * createApp(app, loadConfig(app));
 */
export function createApp(scope: Construct, config: PlatformConfig, env?: Environment) {
  const platform = createPlatform(scope, config, env);
  return { ...platform, ...createMonitoring(scope, config, platform, env) };
}

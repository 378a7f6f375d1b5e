import type { Environment } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ApiStack } from './api-stack.js';
import type { PlatformConfig } from './config.js';
import { ConsoleContentStack, ConsoleStack } from './console-stack.js';
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

/** CloudFormation stack names, per stage, so several stages can share an account. */
export function stackNames(stage: PlatformConfig['stage']) {
  return {
    storage: `mlops-${stage}-storage`,
    secrets: `mlops-${stage}-secrets`,
    api: `mlops-${stage}-api`,
    schedule: `mlops-${stage}-schedule`,
    console: `mlops-${stage}-console`,
    consoleContent: `mlops-${stage}-console-content`,
  } as const;
}

/**
 * The stacks, in dependency order, each taking the previous ones' public resources as props.
 * Used by bin/app.ts and by the infra tests, so both build exactly the same app.
 *
 * @example
 * const platform = createPlatform(app, loadConfig(app));
 * platform.api.functions.predict; // for a monitoring stack
 */
export function createPlatform(scope: Construct, config: PlatformConfig, env?: Environment): Platform {
  const names = stackNames(config.stage);
  const common = {
    config,
    ...(env ? { env } : {}),
    tags: { project: 'serverless-mlops', stage: config.stage },
  };
  // First: its origin is the one browser origin the artifact bucket and the API accept (CORS).
  const site = config.console
    ? new ConsoleStack(scope, names.console, {
        ...common,
        stackName: names.console,
        description: 'MLOps web console: S3 + CloudFront',
      })
    : undefined;
  const storage = new StorageStack(scope, names.storage, {
    ...common,
    stackName: names.storage,
    description: 'MLOps data: DynamoDB tables and the artifact bucket',
    ...(site ? { consoleOrigin: site.origin } : {}),
  });
  const secrets = new SecretsStack(scope, names.secrets, {
    ...common,
    stackName: names.secrets,
    description: 'MLOps JWT signing key',
  });
  const api = new ApiStack(scope, names.api, {
    ...common,
    stackName: names.api,
    description: 'MLOps functions and HTTP API',
    tables: storage.tables,
    artifactBucket: storage.artifactBucket,
    jwtSecret: secrets.jwtSecret,
    ...(site ? { consoleOrigin: site.origin } : {}),
  });
  const schedule = new TrainingScheduleStack(scope, names.schedule, {
    ...common,
    stackName: names.schedule,
    description: 'MLOps scheduled training',
    trainFunction: api.functions.train,
  });
  if (!site) return { storage, secrets, api, schedule };
  const consoleContent = new ConsoleContentStack(scope, names.consoleContent, {
    ...common,
    stackName: names.consoleContent,
    description: 'MLOps web console files and config.json',
    site,
    apiUrl: api.apiStage.url,
  });
  return { storage, secrets, api, schedule, console: site, consoleContent };
}

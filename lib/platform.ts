import type { Environment } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ApiStack } from './api-stack.js';
import type { PlatformConfig } from './config.js';
import { TrainingScheduleStack } from './schedule-stack.js';
import { SecretsStack } from './secrets-stack.js';
import { StorageStack } from './storage-stack.js';

export interface Platform {
  readonly storage: StorageStack;
  readonly secrets: SecretsStack;
  readonly api: ApiStack;
  readonly schedule: TrainingScheduleStack;
}

/** CloudFormation stack names, per stage, so several stages can share an account. */
export function stackNames(stage: PlatformConfig['stage']) {
  return {
    storage: `mlops-${stage}-storage`,
    secrets: `mlops-${stage}-secrets`,
    api: `mlops-${stage}-api`,
    schedule: `mlops-${stage}-schedule`,
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
  const storage = new StorageStack(scope, names.storage, {
    ...common,
    stackName: names.storage,
    description: 'MLOps data: DynamoDB tables and the artifact bucket',
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
  });
  const schedule = new TrainingScheduleStack(scope, names.schedule, {
    ...common,
    stackName: names.schedule,
    description: 'MLOps scheduled training',
    trainFunction: api.functions.train,
    datasetBucket: storage.artifactBucket,
  });
  return { storage, secrets, api, schedule };
}

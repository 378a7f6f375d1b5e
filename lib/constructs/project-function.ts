import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { ENV, type EnvKey } from '../../core/config/env.js';
import { ARTIFACT_BUCKET } from '../../core/config/tables.js';
import { acknowledge, acknowledgeResourceWildcards } from '../nag.js';
import {
  BUNDLED_FILES,
  copyCommands,
  FUNCTION_BUNDLING,
  type FunctionId,
  functionEntry,
} from './bundling.js';
import type { BoundTable } from './definition-table.js';

/**
 * The current Node.js LTS Lambda runtime (supported until 2028-04-30; nodejs22.x ends 2027-04-30).
 * The bundles target the same version (FUNCTION_BUNDLING.target).
 */
export const FUNCTION_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** Repository root: entries and the lock file are resolved from here, not from the cwd. */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ProjectFunctionProps {
  /** Which function; picks the entry (`lambdas/<id>/handler.ts`) and any files shipped beside it. */
  readonly functionId: FunctionId;
  readonly description?: string;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Log group removal; keep logs of prod functions after a stack deletion. @default RemovalPolicy.DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** X-Ray active tracing (true), or pass-through: traced only when the caller sampled. @default true */
  readonly tracing?: boolean;
  /** Concurrent executions reserved for (and capping) this function. @default none */
  readonly reservedConcurrentExecutions?: number;
  /** Plain settings, keyed by the shared ENV names; resources are added with the bind helpers. */
  readonly environment?: Partial<Record<EnvKey, string>>;
}

/**
 * The house Lambda function: every function goes through here, so handler name, runtime,
 * architecture, ESM bundling, tracing, source maps and log retention cannot differ between them.
 * Configuration reaches the code only through the shared ENV names, set by {@link setEnv} and the
 * `bind*` helpers, which grant access in the same call.
 *
 * The execution role is created here with no AWS managed policy: the function may write only to
 * its own log group (plus X-Ray, which has no resource-level permissions).
 *
 * @example
 * const auth = new ProjectFunction(this, 'AuthFunction', { functionId: 'auth' });
 * auth.bindTable(storage.tables.users, 'readWrite'); // USERS_TABLE=<name> + DynamoDB grant
 */
export class ProjectFunction extends nodejs.NodejsFunction {
  readonly functionId: FunctionId;

  constructor(scope: Construct, id: string, props: ProjectFunctionProps) {
    // Siblings, because a subclass cannot create children before super(); named after the function.
    const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the ${props.functionId} function`,
    });
    logGroup.grantWrite(role);

    const files = BUNDLED_FILES[props.functionId] ?? [];
    super(scope, id, {
      entry: path.join(PROJECT_ROOT, functionEntry(props.functionId)),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: FUNCTION_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: (props.tracing ?? true) ? lambda.Tracing.ACTIVE : lambda.Tracing.PASS_THROUGH,
      ...(props.reservedConcurrentExecutions !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions }
        : {}),
      logGroup,
      role,
      ...(props.description ? { description: props.description } : {}),
      environment: { NODE_OPTIONS: '--enable-source-maps' },
      bundling: {
        target: FUNCTION_BUNDLING.target,
        format: nodejs.OutputFormat.ESM,
        minify: FUNCTION_BUNDLING.minify,
        sourceMap: FUNCTION_BUNDLING.sourceMap,
        sourcesContent: FUNCTION_BUNDLING.sourcesContent,
        mainFields: [...FUNCTION_BUNDLING.mainFields],
        externalModules: [...FUNCTION_BUNDLING.externalModules],
        banner: FUNCTION_BUNDLING.banner,
        ...(files.length > 0
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (inputDir: string, outputDir: string) =>
                  copyCommands(files, inputDir, outputDir),
              },
            }
          : {}),
      },
    });
    this.functionId = props.functionId;
    for (const [key, value] of Object.entries(props.environment ?? {})) this.setEnv(key as EnvKey, value);

    acknowledge(
      role,
      'AwsSolutions-IAM5',
      'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) do not support resource-level permissions.',
      ['Resource::*'],
    );
  }

  /**
   * Sets one of the shared environment variables (core/config/env.ts) by its key.
   *
   * @example
   * fn.setEnv('stage', 'prod'); // MLOPS_STAGE=prod
   */
  setEnv(key: EnvKey, value: string): this {
    this.addEnvironment(ENV[key], value);
    return this;
  }

  /**
   * Passes the table name in the definition's env var and grants item access to exactly that
   * table and, by name, its GSIs (no `index/*`).
   *
   * @example
   * fn.bindTable(storage.tables.registry, 'read'); // REGISTRY_TABLE + dynamodb:GetItem/Query/...
   */
  bindTable(bound: BoundTable, access: 'read' | 'readWrite'): this {
    this.setEnv(bound.definition.envKey, bound.table.tableName);
    const actions =
      access === 'read' ? [...TABLE_READ_ACTIONS] : [...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS];
    this.addToRolePolicy(
      new iam.PolicyStatement({
        actions,
        resources: [
          bound.table.tableArn,
          ...bound.definition.globalSecondaryIndexes.map(
            (index) => `${bound.table.tableArn}/index/${index.indexName}`,
          ),
        ],
      }),
    );
    return this;
  }

  /**
   * Passes the artifact bucket name (ARTIFACT_BUCKET) and grants object read and/or write on the
   * given key prefixes only (e.g. `runs/`), never on the whole bucket and never delete.
   * Statements are explicit rather than `grantRead` so no action wildcard (`s3:GetObject*`,
   * `s3:List*`) is granted; the bucket uses SSE-S3, so no KMS permission is needed.
   *
   * @example
   * fn.bindBucket(storage.artifactBucket, { read: ['runs/', 'datasets/'], write: ['runs/'] });
   */
  bindBucket(bucket: s3.IBucket, access: { read?: readonly string[]; write?: readonly string[] }): this {
    this.setEnv(ARTIFACT_BUCKET.envKey, bucket.bucketName);
    const read = access.read ?? [];
    const write = access.write ?? [];
    const prefixes = [...new Set([...read, ...write])];
    if (read.length > 0) {
      this.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['s3:GetObject'],
          resources: read.map((prefix) => bucket.arnForObjects(`${prefix}*`)),
        }),
      );
      // Without ListBucket a missing key answers 403 instead of 404; limited to the same prefixes.
      this.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['s3:ListBucket'],
          resources: [bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': prefixes.map((prefix) => `${prefix}*`) } },
        }),
      );
    }
    if (write.length > 0) {
      this.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
          resources: write.map((prefix) => bucket.arnForObjects(`${prefix}*`)),
        }),
      );
    }
    // Run artifacts carry the lifecycle tag (written pending, re-tagged when registered).
    const tagged = write.filter((prefix) => prefix === ARTIFACT_BUCKET.runPrefix);
    if (tagged.length > 0) {
      this.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['s3:PutObjectTagging'],
          resources: tagged.map((prefix) => bucket.arnForObjects(`${prefix}*`)),
        }),
      );
    }
    acknowledgeResourceWildcards(
      this.role!,
      prefixes.map((prefix) => bucket.arnForObjects(`${prefix}*`)),
      `Object keys are generated per run/upload, so access is granted on the key prefixes ${prefixes.join(', ')} ` +
        'of the artifact bucket, not on the whole bucket.',
    );
    return this;
  }

  /**
   * Passes the signing-key secret's ARN (JWT_SECRET_ARN) and grants reading it and writing new
   * versions (the first key pair on first use, conditionally): the auth function only.
   *
   * @example
   * auth.bindJwtSecret(secrets.jwtSecret);
   */
  bindJwtSecret(secret: secretsmanager.ISecret): this {
    this.setEnv('jwtSecretArn', secret.secretArn);
    secret.grantRead(this);
    this.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:PutSecretValue'], resources: [secret.secretArn] }),
    );
    return this;
  }

  /**
   * Passes the table name and grants GetItem on it restricted to the named attributes (IAM
   * fine-grained access: `dynamodb:Attributes` and `dynamodb:Select`), so the function can read
   * e.g. a user's role and token version but never the password hash beside them.
   *
   * @example
   * admin.bindTableAttributes(storage.tables.users, ['pk', 'sk', 'role', 'tokenVersion']);
   */
  bindTableAttributes(bound: BoundTable, attributes: readonly string[]): this {
    this.setEnv(bound.definition.envKey, bound.table.tableName);
    this.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem'],
        resources: [bound.table.tableArn],
        conditions: {
          'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...attributes] },
          StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
        },
      }),
    );
    return this;
  }

  /**
   * Lets `grantee` invoke this function (unqualified ARN only; no `:*` for versions/aliases).
   *
   * @example
   * train.grantInvokeExact(admin);
   */
  grantInvokeExact(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['lambda:InvokeFunction'],
      resourceArns: [this.functionArn],
    });
  }
}

/** Item-level reads, as CDK's grantReadData minus the stream actions (no streams here). */
export const TABLE_READ_ACTIONS = [
  'dynamodb:BatchGetItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
] as const;
export const TABLE_WRITE_ACTIONS = [
  'dynamodb:BatchWriteItem',
  'dynamodb:DeleteItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
] as const;

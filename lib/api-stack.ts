import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import {
  gatewayMethods,
  ROUTES,
  type RouteDefinition,
  type FunctionId as RouteFunctionId,
} from '../core/api/routes.js';
import { TOKEN_STATE_ATTRIBUTES } from '../core/auth/users.js';
import type { TableDefinition } from '../core/config/tables.js';
import { ARTIFACT_BUCKET } from '../core/config/tables.js';
import type { PlatformConfig } from './config.js';
import { type FunctionId, functionIds } from './constructs/bundling.js';
import type { BoundTable } from './constructs/definition-table.js';
import { ProjectFunction } from './constructs/project-function.js';
import { readShared, SHARED_KEYS } from './constructs/shared-parameter.js';
import { stagePolicy } from './defaults.js';
import { acknowledge } from './nag.js';

export interface ApiStackProps extends StackProps {
  readonly config: PlatformConfig;
  readonly tables: Readonly<Record<TableDefinition['id'], BoundTable>>;
  readonly artifactBucket: s3.IBucket;
  readonly jwtSecret: secretsmanager.ISecret;
  /** The web console's origin (lib/console-stack.ts), added to the configured CORS origins. */
  readonly consoleOrigin?: string;
}

/** Output keys other tools (the `mlops` CLI, integration tests) read from this stack. */
export const API_OUTPUTS = { apiUrl: 'ApiUrl', trainingFailureQueue: 'TrainingFailureQueueUrl' } as const;

/**
 * Asynchronous invocations of the train function (schedule, POST /train): no Lambda retry, since a
 * retry would run a whole training again from scratch (and an out-of-memory run would just die
 * again, billed each time); a failure goes to the training-failure queue, which alarms.
 */
export const TRAIN_ASYNC_INVOKE = { retryAttempts: 0, maxEventAge: Duration.hours(6) } as const;

/**
 * Memory is also the CPU dial on Lambda (1,769 MB = 1 vCPU). Timeouts stay under API Gateway's
 * 30 s integration limit for the HTTP functions.
 */
export const FUNCTION_SIZING = {
  // scrypt (N=2^14) hashing is CPU bound: ~25 ms on a full core, several times that at 256 MB.
  auth: { memorySize: 512, timeout: Duration.seconds(10) },
  // Compiling onnxruntime-web's 14 MB wasm at cold start (and inference) is CPU bound, and Lambda
  // CPU scales with memory: 1024 MB (~0.6 vCPU) rather than the 256 MB default for the others.
  predict: { memorySize: 1024, timeout: Duration.seconds(15) },
  admin: { memorySize: 512, timeout: Duration.seconds(29) },
  docs: { memorySize: 256, timeout: Duration.seconds(10) },
  // Training (CV/tuning in pure JS) is CPU bound and holds the dataset in memory: ~1.2 vCPU.
  train: { memorySize: 2048, timeout: Duration.minutes(15) },
} as const satisfies Record<FunctionId, { memorySize: number; timeout: Duration }>;

/**
 * Routes with a stage throttle of their own, tighter than the stage default: each `POST /token`
 * may cost a scrypt hash, and user management should never see bursts. API Gateway answers
 * throttled requests with 429 before any function runs. Keyed by route key.
 */
export function routeThrottles(
  config: PlatformConfig,
): Record<string, { rateLimit: number; burstLimit: number }> {
  const users = { rateLimit: config.usersRouteRateLimit, burstLimit: config.usersRouteBurstLimit };
  return {
    'POST /token': { rateLimit: config.tokenRouteRateLimit, burstLimit: config.tokenRouteBurstLimit },
    'POST /users': users,
    'POST /users/{username}/password': users,
    'POST /users/{username}/revoke-tokens': users,
  };
}

/**
 * Stateless compute: the functions and the HTTP API, redeployed on every code change.
 *
 * Plug-in point for monitoring: `functions`, `httpApi` and `apiStage` are public so a monitoring
 * stack can take them as props (see bin/app.ts).
 */
export class ApiStack extends Stack {
  readonly functions: Readonly<Record<FunctionId, ProjectFunction>>;
  /** What API Gateway invokes for predict: the `live` alias when provisioned concurrency is on. */
  readonly predictTarget: lambda.IFunction;
  readonly httpApi: apigwv2.HttpApi;
  readonly apiStage: apigwv2.HttpStage;
  readonly accessLogGroup: logs.LogGroup;
  /** On-failure destination of the train function's asynchronous invocations. */
  readonly trainingFailureQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { config } = props;
    const { tables, artifactBucket, jwtSecret } = sharedReferences(this, config.stage, props);
    const policy = stagePolicy(config.stage);
    const retention = config.logRetentionDays as logs.RetentionDays;
    const corsOrigins = [...config.corsOrigins, ...(props.consoleOrigin ? [props.consoleOrigin] : [])];
    // Functions that check tokens get the audience and lifetime here and the issuer (the API's
    // URL) once the API exists; only the auth function gets the signing secret. The others read
    // the public keys it publishes (auth/jwks.json) and, for admin, the users' token versions.
    const verifiesTokens = (fn: ProjectFunction) =>
      fn.setEnv('jwtAudience', config.jwtAudience).setEnv('tokenTtlSeconds', String(config.tokenTtlSeconds));

    // What each function may touch. A Record over every FunctionId: a function added to the route
    // table does not compile until it is wired here.
    const wiring: Record<FunctionId, { description: string; bind: (fn: ProjectFunction) => void }> = {
      auth: {
        description: 'POST /users, POST /token',
        bind: (fn) =>
          verifiesTokens(fn)
            .bindJwtSecret(jwtSecret)
            .bindTable(tables.users, 'readWrite')
            // Writes the public JWKS for the other functions (auth/ holds nothing private).
            .bindBucket(artifactBucket, {
              read: [ARTIFACT_BUCKET.authPrefix],
              write: [ARTIFACT_BUCKET.authPrefix],
            })
            .setEnv('allowSelfRegistration', String(config.allowSelfRegistration)),
      },
      predict: {
        description: 'Prediction and model info',
        bind: (fn) =>
          verifiesTokens(fn)
            .bindTable(tables.registry, 'read')
            .bindBucket(artifactBucket, { read: [ARTIFACT_BUCKET.runPrefix, ARTIFACT_BUCKET.authPrefix] })
            .setEnv('defaultModelName', config.defaultModelName),
      },
      admin: {
        description: 'Admin routes: runs, registry, start training, artifacts, dataset uploads',
        // Of the users table, only GetItem of the role and token version (revocation check on every
        // admin route), never the password hashes; user management is the auth function's.
        bind: (fn) =>
          verifiesTokens(fn)
            .bindTableAttributes(tables.users, TOKEN_STATE_ATTRIBUTES)
            // The public keys (auth/); run artifacts to download (runs/); uploaded datasets (datasets/):
            // presigned PUTs signed with this role, listed, and read to validate before training.
            .bindBucket(artifactBucket, {
              read: [ARTIFACT_BUCKET.authPrefix, ARTIFACT_BUCKET.runPrefix, ARTIFACT_BUCKET.datasetPrefix],
              write: [ARTIFACT_BUCKET.datasetPrefix],
            })
            .bindTable(tables.registry, 'readWrite')
            // POST /train records the run (RUNNING) before answering 202, so runs is written too.
            .bindTable(tables.runs, 'readWrite')
            .setEnv('defaultModelName', config.defaultModelName)
            .setEnv('defaultDataset', config.defaultDataset)
            .setEnv('defaultTarget', config.defaultTarget),
      },
      // Serves the OpenAPI document and the docs page: static, no data access.
      docs: { description: 'OpenAPI document and docs page', bind: () => {} },
      train: {
        description: 'Trains, records the run and registers the model version',
        bind: (fn) =>
          fn
            .bindTable(tables.registry, 'readWrite')
            .bindTable(tables.runs, 'readWrite')
            .bindBucket(artifactBucket, {
              read: [ARTIFACT_BUCKET.runPrefix, ARTIFACT_BUCKET.datasetPrefix],
              write: [ARTIFACT_BUCKET.runPrefix],
            })
            .setEnv('defaultModelName', config.defaultModelName)
            .setEnv('defaultDataset', config.defaultDataset)
            .setEnv('defaultTarget', config.defaultTarget),
      },
    };

    const functions = {} as Record<FunctionId, ProjectFunction>;
    for (const functionId of functionIds()) {
      const fn = new ProjectFunction(this, `${pascal(functionId)}Function`, {
        functionId,
        description: wiring[functionId].description,
        ...FUNCTION_SIZING[functionId],
        logRetention: retention,
        logRemovalPolicy: policy.removalPolicy,
        tracing: functionId !== 'predict' || config.predictTracing,
        ...(config.reservedConcurrency[functionId] !== undefined
          ? { reservedConcurrentExecutions: config.reservedConcurrency[functionId] }
          : {}),
      });
      fn.setEnv('stage', config.stage).setEnv('codeVersion', config.codeVersion);
      wiring[functionId].bind(fn);
      functions[functionId] = fn;
    }
    const { predict, admin, train } = functions;
    // POST /train invokes the train function asynchronously (InvocationType Event).
    train.grantInvokeExact(admin);
    admin.setEnv('trainFunctionName', train.functionName);
    this.functions = functions;

    this.trainingFailureQueue = new sqs.Queue(this, 'TrainingFailureQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: policy.removalPolicy,
    });
    acknowledge(
      this.trainingFailureQueue,
      'AwsSolutions-SQS3',
      "This queue is itself the train function's on-failure destination (a dead-letter queue).",
    );
    train.configureAsyncInvoke({
      ...TRAIN_ASYNC_INVOKE,
      onFailure: new destinations.SqsDestination(this.trainingFailureQueue),
    });
    new CfnOutput(this, API_OUTPUTS.trainingFailureQueue, {
      value: this.trainingFailureQueue.queueUrl,
      description: 'Failed train invocations (the event and the error), kept 14 days',
    });

    if (config.predictProvisionedConcurrency > 0) {
      this.predictTarget = new lambda.Alias(this, 'PredictLiveAlias', {
        aliasName: 'live',
        version: predict.currentVersion,
        provisionedConcurrentExecutions: config.predictProvisionedConcurrency,
      });
    } else {
      this.predictTarget = predict;
    }

    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      apiName: `mlops-${config.stage}`,
      description: `Serverless MLOps API (${config.stage})`,
      // The stage below carries throttling and access logs, which the implicit one cannot.
      createDefaultStage: false,
      ...(corsOrigins.length > 0
        ? {
            corsPreflight: {
              allowOrigins: corsOrigins,
              allowMethods: [apigwv2.CorsHttpMethod.GET, apigwv2.CorsHttpMethod.POST],
              allowHeaders: ['authorization', 'content-type'],
              exposeHeaders: ['x-request-id'],
              maxAge: Duration.hours(1),
            },
          }
        : {}),
    });

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      // Under /aws/vendedlogs/, CloudWatch Logs does not add a statement per log group to the
      // account's log resource policy (5,120 characters, full in busy accounts).
      logGroupName: `/aws/vendedlogs/apigateway/mlops-${config.stage}-${this.httpApi.apiId}`,
      retention,
      removalPolicy: policy.removalPolicy,
    });
    this.apiStage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: config.apiThrottleRateLimit, burstLimit: config.apiThrottleBurstLimit },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogGroup),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    // Tokens are issued for, and checked against, the API's own URL: API Gateway's JWT authorizer
    // reads <issuer>/.well-known/openid-configuration (served by the auth function) for the JWKS.
    const issuer = this.httpApi.apiEndpoint;
    for (const id of ['auth', 'predict', 'admin'] as const) functions[id].setEnv('jwtIssuer', issuer);
    // Refuses missing and bad tokens on user and admin routes before any function runs (RS256
    // only: HTTP API JWT authorizers verify RSA signatures only). Roles are checked in the handlers.
    const authorizer = new HttpJwtAuthorizer('JwtAuthorizer', issuer, {
      authorizerName: 'jwt',
      jwtAudience: [config.jwtAudience],
      identitySource: ['$request.header.Authorization'],
    });

    // One integration per function (predict through its alias when provisioned), shared by its routes.
    const integrations = new Map<RouteFunctionId, HttpLambdaIntegration>();
    const integrationFor = (id: RouteFunctionId) => {
      let integration = integrations.get(id);
      if (!integration) {
        const target = id === 'predict' ? this.predictTarget : functions[id];
        integration = new HttpLambdaIntegration(`${pascal(id)}Integration`, target);
        integrations.set(id, integration);
      }
      return integration;
    };
    const routes = new Map<string, apigwv2.HttpRoute>();
    // A GET route answers HEAD too (core/api/routes.ts gatewayMethods), with the same authorizer.
    for (const route of deployedRoutes())
      for (const method of gatewayMethods(route)) {
        const key = `${method} ${route.path}`;
        const integration = integrationFor(route.function);
        const httpRoute = new apigwv2.HttpRoute(this, `Route ${key}`, {
          httpApi: this.httpApi,
          routeKey: apigwv2.HttpRouteKey.with(route.path, method as apigwv2.HttpMethod),
          integration,
          ...(route.access === 'public' ? {} : { authorizer }),
        });
        routes.set(key, httpRoute);
        if (route.access === 'public') {
          acknowledge(
            httpRoute,
            'AwsSolutions-APIG4',
            `${key} is public by design (core/api/routes.ts access: public).`,
          );
        }
      }

    // Per-route stage throttles. The stage must come after the routes it names (CloudFormation
    // refuses RouteSettings for a route key that does not exist yet). RouteSettings is untyped JSON
    // in the L1, passed through as is: CloudFormation's own (PascalCase) names.
    const throttles = routeThrottles(config);
    (this.apiStage.node.defaultChild as apigwv2.CfnStage).routeSettings = Object.fromEntries(
      Object.entries(throttles).map(([key, limit]) => [
        key,
        { ThrottlingRateLimit: limit.rateLimit, ThrottlingBurstLimit: limit.burstLimit },
      ]),
    );
    for (const key of Object.keys(throttles)) {
      const route = routes.get(key);
      if (!route) throw new Error(`route throttle for ${key}, which is not a deployed route`);
      this.apiStage.node.addDependency(route);
    }

    // Everything no route matches (unknown path, or a known path with another method) goes to the
    // docs function, which answers 404 or 405 in the documented error envelope, as `npm start` does.
    const fallback = new apigwv2.HttpRoute(this, 'Route $default', {
      httpApi: this.httpApi,
      routeKey: apigwv2.HttpRouteKey.DEFAULT,
      integration: integrationFor('docs'),
    });
    acknowledge(
      fallback,
      'AwsSolutions-APIG4',
      '$default only answers unmatched requests with a 404/405 error envelope; it serves no data.',
    );

    new CfnOutput(this, API_OUTPUTS.apiUrl, {
      value: this.apiStage.url,
      description: 'Base URL of the HTTP API',
    });
  }
}

/**
 * The data stacks' resources as this stack sees them: names read from SSM parameters at deploy
 * time (lib/constructs/shared-parameter.ts), so a replaced table or secret reaches the functions on
 * the next deploy. The props only carry the table definitions (keys, GSIs, env var).
 */
function sharedReferences(scope: Stack, stage: string, props: ApiStackProps) {
  const tables = Object.fromEntries(
    Object.entries(props.tables).map(([id, bound]) => [
      id,
      {
        definition: bound.definition,
        table: dynamodb.TableV2.fromTableName(
          scope,
          `${pascal(id)}TableRef`,
          readShared(scope, stage, SHARED_KEYS.table(id)),
        ),
      },
    ]),
  ) as Record<TableDefinition['id'], BoundTable>;
  const artifactBucket = s3.Bucket.fromBucketName(
    scope,
    'ArtifactBucketRef',
    readShared(scope, stage, SHARED_KEYS.artifactBucket),
  );
  const jwtSecret = secretsmanager.Secret.fromSecretCompleteArn(
    scope,
    'JwtSecretRef',
    readShared(scope, stage, SHARED_KEYS.jwtSecretArn),
  );
  return { tables, artifactBucket, jwtSecret };
}

/**
 * JSON access log line: what only API Gateway sees, one field per question we ask of it. The
 * function's own line (lambdas/shared/logger.ts) carries the same request id with the handler's
 * latency and model version, so the gateway line leaves out what is there or in the log event
 * itself (integration latency, request time, response length, user agent): 248 -> 133 bytes a
 * request (docs/cost.md).
 */
export const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  routeKey: '$context.routeKey',
  status: '$context.status',
  latency: '$context.responseLatency',
  ip: '$context.identity.sourceIp',
  integrationError: '$context.integrationErrorMessage',
} as const;

/** Routes served by AWS: every entry of ROUTES except any marked local-only. */
export function deployedRoutes(): RouteDefinition[] {
  return ROUTES.filter((route) => !(route as RouteDefinition & { localOnly?: boolean }).localOnly);
}

function pascal(id: string): string {
  return id.charAt(0).toUpperCase() + id.slice(1);
}

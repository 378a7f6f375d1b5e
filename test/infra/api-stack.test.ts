import { Match, type Template } from 'aws-cdk-lib/assertions';
import { gatewayMethods } from '../../core/api/routes.js';
import { ACCESS_LOG_FIELDS, deployedRoutes } from '../../lib/api-stack.js';
import {
  type BuiltPlatform,
  buildPlatform,
  type CfnJson,
  flatten,
  functionLogicalId,
  permissionsOf,
  resourcesOf,
  statementsOf,
} from './builders.js';

const LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
const XRAY = { 'xray:PutTelemetryRecords': ['*'], 'xray:PutTraceSegments': ['*'] };
const TABLE_READ = [
  'dynamodb:BatchGetItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
];
const TABLE_WRITE = [
  'dynamodb:BatchWriteItem',
  'dynamodb:DeleteItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
];
/** The signing secret's ARN comes from SSM at deploy time (lib/constructs/shared-parameter.ts). */
const SECRET = 'ssm:mlopsdevsecretsjwtsigningkey';
const SECRET_READ_WRITE = {
  'secretsmanager:DescribeSecret': [SECRET],
  'secretsmanager:GetSecretValue': [SECRET],
  'secretsmanager:PutSecretValue': [SECRET],
};
const BUCKET = 'arn:AWS::Partition:s3:::ssm:mlopsdevbucketsartifacts';
/** The published public keys (auth/jwks.json): what predict and admin verify tokens with. */
const JWKS_READ = {
  's3:GetObject': [`${BUCKET}/auth/*`],
  's3:ListBucket': [`${BUCKET} if {"StringLike":{"s3:prefix":["auth/*"]}}`],
};
const TABLE = (id: string) =>
  `arn:AWS::Partition:dynamodb:AWS::Region:AWS::AccountId:table/ssm:mlopsdevtables${id}`;

/** Every function remote-writes its metrics to the AMP workspace (the default, metricsRemoteWrite=amp). */
const AMP = { 'aps:RemoteWrite': ['PrometheusWorkspace.Arn'] };

/** Expected permissions: own log group, X-Ray, AMP remote write, plus `extra`. */
function expected(construct: string, extra: Record<string, string[]>): Record<string, string[]> {
  const logs = Object.fromEntries(LOGS.map((action) => [action, [`${construct}LogGroup.Arn`]]));
  const all = { ...logs, ...XRAY, ...AMP, ...extra };
  return Object.fromEntries(
    Object.entries(all)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([action, resources]) => [action, [...resources].sort()]),
  );
}

function tableActions(actions: string[], resources: string[]): Record<string, string[]> {
  return Object.fromEntries(actions.map((action) => [action, resources]));
}

function merge(...parts: Record<string, string[]>[]): Record<string, string[]> {
  const merged: Record<string, string[]> = {};
  for (const part of parts) {
    for (const [action, resources] of Object.entries(part))
      merged[action] = [...(merged[action] ?? []), ...resources];
  }
  return merged;
}

const REGISTRY = [TABLE('registry'), `${TABLE('registry')}/index/byRun`];
const RUNS = [TABLE('runs'), `${TABLE('runs')}/index/byExperiment`, `${TABLE('runs')}/index/byMetric`];
const USERS = [TABLE('users')];

describe('ApiStack', () => {
  let built: BuiltPlatform;
  let api: Template;
  beforeAll(() => {
    built = buildPlatform();
    api = built.templates.api;
  });

  describe('functions', () => {
    it('creates one function per function id, all through ProjectFunction', () => {
      api.resourceCountIs('AWS::Lambda::Function', 5);
      expect(Object.keys(built.platform.api.functions).sort()).toEqual([
        'admin',
        'auth',
        'docs',
        'predict',
        'train',
      ]);
    });

    it('runs every function as ESM on Node.js 24, ARM64, with source maps and its own log group', () => {
      for (const fn of Object.values(resourcesOf(api, 'AWS::Lambda::Function'))) {
        expect(fn.Properties).toMatchObject({
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          Handler: 'index.handler',
          LoggingConfig: { LogGroup: { Ref: expect.stringMatching(/FunctionLogGroup/) } },
          Environment: { Variables: expect.objectContaining({ NODE_OPTIONS: '--enable-source-maps' }) },
        });
      }
    });

    it.each([
      ['AuthFunction', 512, 10],
      ['PredictFunction', 1024, 15],
      ['AdminFunction', 512, 29],
      ['DocsFunction', 256, 10],
      ['TrainFunction', 2048, 900],
    ])('sizes %s at %i MB and %i s', (construct, memory, timeout) => {
      const fn = resourcesOf(api, 'AWS::Lambda::Function')[functionLogicalId(api, construct)];
      expect(fn.Properties.MemorySize).toBe(memory);
      expect(fn.Properties.Timeout).toBe(timeout);
    });

    it('traces every function but predict (X-Ray cost, docs/cost.md); -c predictTracing=true traces it too', () => {
      const fns = resourcesOf(api, 'AWS::Lambda::Function');
      for (const [id, fn] of Object.entries(fns)) {
        expect({ id, mode: fn.Properties.TracingConfig.Mode }).toEqual({
          id,
          mode: id.startsWith('PredictFunction') ? 'PassThrough' : 'Active',
        });
      }
    });

    it('keeps function logs for the configured retention; access logs under /aws/vendedlogs/', () => {
      const groups = resourcesOf(api, 'AWS::Logs::LogGroup');
      expect(Object.keys(groups)).toHaveLength(6); // 5 functions + API access logs
      for (const group of Object.values(groups)) expect(group.Properties.RetentionInDays).toBe(30);
      const access = Object.entries(groups).find(([id]) => id.startsWith('AccessLogs'))![1];
      expect(access.Properties.LogGroupName['Fn::Join'][1][0]).toBe('/aws/vendedlogs/apigateway/mlops-dev-');
    });

    it('reserves no concurrency by default (a new account may have too little to reserve)', () => {
      for (const fn of Object.values(resourcesOf(api, 'AWS::Lambda::Function'))) {
        expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
      }
    });

    it('train: asynchronous invocations are not retried and fail into the training-failure queue', () => {
      api.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: functionLogicalId(api, 'TrainFunction') },
        MaximumRetryAttempts: 0,
        MaximumEventAgeInSeconds: 21_600,
        DestinationConfig: {
          OnFailure: {
            Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TrainingFailureQueue'), 'Arn'] },
          },
        },
      });
      api.resourceCountIs('AWS::Lambda::EventInvokeConfig', 1);
    });

    it('reads table, bucket and secret names from SSM at deploy time, never from another stack', () => {
      const parameters = api.toJSON().Parameters as Record<string, CfnJson>;
      const ssm = Object.values(parameters)
        .filter((p) => p.Type === 'AWS::SSM::Parameter::Value<String>' && p.Default.startsWith('/mlops/'))
        .map((p) => p.Default)
        .sort();
      expect(ssm).toEqual([
        '/mlops/dev/buckets/artifacts',
        '/mlops/dev/secrets/jwt-signing-key',
        '/mlops/dev/tables/registry',
        '/mlops/dev/tables/runs',
        '/mlops/dev/tables/users',
      ]);
      const text = JSON.stringify(api.toJSON());
      for (const producer of [
        'UsersTable',
        'RegistryTable',
        'RunsTable',
        'ArtifactBucket',
        'JwtSigningKey',
      ]) {
        expect({ producer, referenced: text.includes(producer) }).toEqual({ producer, referenced: false });
      }
      // The producers write exactly those parameters, from their own resources.
      const written = [
        ...Object.values(resourcesOf(built.templates.storage, 'AWS::SSM::Parameter')),
        ...Object.values(resourcesOf(built.templates.secrets, 'AWS::SSM::Parameter')),
      ].map((p) => p.Properties.Name);
      expect(written.sort()).toEqual(ssm);
      // Deployed after the data stacks, though no reference says so.
      expect(built.platform.api.dependencies).toEqual(
        expect.arrayContaining([built.platform.storage, built.platform.secrets]),
      );
    });

    it('passes the configuration each function reads', () => {
      const env = (construct: string) =>
        resourcesOf(api, 'AWS::Lambda::Function')[functionLogicalId(api, construct)].Properties.Environment
          .Variables;
      expect(env('AuthFunction')).toMatchObject({
        MLOPS_STAGE: 'dev',
        MLOPS_CODE_VERSION: 'test',
        JWT_AUDIENCE: 'mlops-api',
        TOKEN_TTL_SECONDS: '3600',
        ALLOW_SELF_REGISTRATION: 'false',
      });
      // The issuer is the API's own URL, the one its JWT authorizer trusts.
      for (const fn of ['AuthFunction', 'PredictFunction', 'AdminFunction']) {
        expect(env(fn).JWT_ISSUER).toEqual({
          'Fn::GetAtt': [expect.stringMatching(/^HttpApi/), 'ApiEndpoint'],
        });
      }
      // Runtime defaults (model refresh interval, batch size) live in core only.
      expect(env('PredictFunction')).toMatchObject({ DEFAULT_MODEL_NAME: 'iris' });
      for (const name of ['MODEL_REFRESH_SECONDS', 'MAX_BATCH_ROWS'])
        expect(env('PredictFunction')).not.toHaveProperty(name);
      expect(env('TrainFunction')).toMatchObject({
        DEFAULT_MODEL_NAME: 'iris',
        DEFAULT_DATASET: 'builtin:iris',
        DEFAULT_TARGET: 'species',
      });
      expect(env('TrainFunction')).not.toHaveProperty('JWT_SECRET_ARN');
      expect(env('AdminFunction').TRAIN_FUNCTION_NAME).toEqual({
        Ref: functionLogicalId(api, 'TrainFunction'),
      });
      expect(Object.keys(env('DocsFunction')).sort()).toEqual([
        'AMP_REMOTE_WRITE_URL',
        'MLOPS_CODE_VERSION',
        'MLOPS_STAGE',
        'NODE_OPTIONS',
      ]);
    });
  });

  describe('least privilege (identity policies per function)', () => {
    it('auth: users table read/write, the signing secret (read, new versions), the public keys under auth/', () => {
      expect(permissionsOf(statementsOf(api, 'AuthFunction'))).toEqual(
        expected(
          'AuthFunction',
          merge(SECRET_READ_WRITE, tableActions([...TABLE_READ, ...TABLE_WRITE], USERS), JWKS_READ, {
            's3:PutObject': [`${BUCKET}/auth/*`],
            's3:AbortMultipartUpload': [`${BUCKET}/auth/*`],
          }),
        ),
      );
    });

    it('predict: registry read, objects under runs/ and the public keys read; no secret, nothing written', () => {
      expect(permissionsOf(statementsOf(api, 'PredictFunction'))).toEqual(
        expected(
          'PredictFunction',
          merge(tableActions(TABLE_READ, REGISTRY), {
            's3:GetObject': [`${BUCKET}/auth/*`, `${BUCKET}/runs/*`],
            's3:ListBucket': [`${BUCKET} if {"StringLike":{"s3:prefix":["runs/*","auth/*"]}}`],
          }),
        ),
      );
    });

    it("admin: registry and runs read/write, the public keys, users' role and token version only, runs/ read, datasets/ read+put; no secret", () => {
      const attributes = {
        'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'sk', 'role', 'tokenVersion'] },
        StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
      };
      expect(permissionsOf(statementsOf(api, 'AdminFunction'))).toEqual(
        expected(
          'AdminFunction',
          merge(tableActions([...TABLE_READ, ...TABLE_WRITE], [...REGISTRY, ...RUNS]), {
            'dynamodb:GetItem': [`${TABLE('users')} if ${JSON.stringify(attributes)}`],
            'lambda:InvokeFunction': ['TrainFunction.Arn'],
            's3:AbortMultipartUpload': [`${BUCKET}/datasets/*`],
            's3:GetObject': [`${BUCKET}/auth/*`, `${BUCKET}/datasets/*`, `${BUCKET}/runs/*`],
            's3:ListBucket': [`${BUCKET} if {"StringLike":{"s3:prefix":["auth/*","runs/*","datasets/*"]}}`],
            's3:PutObject': [`${BUCKET}/datasets/*`],
          }),
        ),
      );
    });

    it('docs: only its logs and traces', () => {
      expect(permissionsOf(statementsOf(api, 'DocsFunction'))).toEqual(expected('DocsFunction', {}));
    });

    it('train: registry and runs read/write, runs/ read+put, datasets/ read; no secret, no delete', () => {
      expect(permissionsOf(statementsOf(api, 'TrainFunction'))).toEqual(
        expected(
          'TrainFunction',
          merge(tableActions([...TABLE_READ, ...TABLE_WRITE], [...REGISTRY, ...RUNS]), {
            's3:GetObject': [`${BUCKET}/datasets/*`, `${BUCKET}/runs/*`],
            's3:ListBucket': [`${BUCKET} if {"StringLike":{"s3:prefix":["runs/*","datasets/*"]}}`],
            's3:PutObject': [`${BUCKET}/runs/*`],
            's3:PutObjectTagging': [`${BUCKET}/runs/*`],
            's3:AbortMultipartUpload': [`${BUCKET}/runs/*`],
            // Lambda's on-failure destination writes as the function (CDK's SqsDestination grant).
            'sqs:GetQueueAttributes': ['TrainingFailureQueue.Arn'],
            'sqs:GetQueueUrl': ['TrainingFailureQueue.Arn'],
            'sqs:SendMessage': ['TrainingFailureQueue.Arn'],
          }),
        ),
      );
    });

    it('grants no wildcard action and no "*" resource except for X-Ray', () => {
      for (const policy of Object.values(resourcesOf(api, 'AWS::IAM::Policy'))) {
        for (const statement of policy.Properties.PolicyDocument.Statement as CfnJson[]) {
          const actions: string[] = [statement.Action].flat();
          expect(actions.filter((action) => action.includes('*'))).toEqual([]);
          if ([statement.Resource].flat().includes('*'))
            expect(actions.every((a) => a.startsWith('xray:'))).toBe(true);
        }
      }
    });
  });

  describe('HTTP API', () => {
    it('puts a JWT authorizer (issuer: the API itself, audience from config) on every user and admin route, none on public ones', () => {
      const authorizers = resourcesOf(api, 'AWS::ApiGatewayV2::Authorizer');
      expect(Object.keys(authorizers)).toHaveLength(1);
      const [authorizerId, authorizer] = Object.entries(authorizers)[0]!;
      expect(authorizer.Properties).toMatchObject({
        AuthorizerType: 'JWT',
        IdentitySource: ['$request.header.Authorization'],
        JwtConfiguration: {
          Audience: ['mlops-api'],
          Issuer: { 'Fn::GetAtt': [expect.stringMatching(/^HttpApi/), 'ApiEndpoint'] },
        },
      });
      const routes = Object.values(resourcesOf(api, 'AWS::ApiGatewayV2::Route'));
      for (const route of deployedRoutes()) {
        const cfn = routes.find((r) => r.Properties.RouteKey === `${route.method} ${route.path}`)!;
        if (route.access === 'public') {
          expect({ route: route.path, type: cfn.Properties.AuthorizationType ?? 'NONE' }).toEqual({
            route: route.path,
            type: 'NONE',
          });
        } else {
          expect(cfn.Properties).toMatchObject({
            AuthorizationType: 'JWT',
            AuthorizerId: { Ref: authorizerId },
          });
        }
      }
    });

    it('throttles POST /token and the user-management routes tighter than the stage default, after creating them', () => {
      const [stageId, stage] = Object.entries(resourcesOf(api, 'AWS::ApiGatewayV2::Stage'))[0]!;
      const users = { ThrottlingRateLimit: 2, ThrottlingBurstLimit: 5 };
      expect(stage.Properties.RouteSettings).toEqual({
        'POST /token': { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
        'POST /users': users,
        'POST /users/{username}/password': users,
        'POST /users/{username}/revoke-tokens': users,
      });
      const routeIds = Object.entries(resourcesOf(api, 'AWS::ApiGatewayV2::Route'))
        .filter(([, r]) => r.Properties.RouteKey in stage.Properties.RouteSettings)
        .map(([id]) => id);
      expect(routeIds).toHaveLength(4);
      expect(stage.DependsOn).toEqual(expect.arrayContaining(routeIds));
      expect(stageId).toMatch(/^DefaultStage/);
    });

    it('has a $default stage with throttling and JSON access logs', () => {
      api.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
      const stage = Object.values(resourcesOf(api, 'AWS::ApiGatewayV2::Stage'))[0];
      expect(stage.Properties).toMatchObject({
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingBurstLimit: 100, ThrottlingRateLimit: 50 },
        AccessLogSettings: {
          DestinationArn: { 'Fn::GetAtt': [expect.stringMatching(/^AccessLogs/), 'Arn'] },
        },
      });
      const format = JSON.parse(stage.Properties.AccessLogSettings.Format);
      expect(format).toEqual(ACCESS_LOG_FIELDS);
      expect(format).toMatchObject({
        requestId: '$context.requestId',
        routeKey: '$context.routeKey',
        status: '$context.status',
        latency: '$context.responseLatency',
        ip: '$context.identity.sourceIp',
      });
    });

    it("allows exactly the web console's origin by default", () => {
      const [httpApi] = Object.values(resourcesOf(api, 'AWS::ApiGatewayV2::Api'));
      expect(httpApi.Properties.CorsConfiguration.AllowOrigins.map(flatten)).toEqual([
        'https://Distribution.DomainName',
      ]);
    });

    it('uses Lambda proxy integrations with payload format 2.0, one per function', () => {
      const integrations = Object.values(resourcesOf(api, 'AWS::ApiGatewayV2::Integration'));
      expect(integrations).toHaveLength(new Set(deployedRoutes().map((route) => route.function)).size);
      for (const integration of integrations) {
        expect(integration.Properties).toMatchObject({
          IntegrationType: 'AWS_PROXY',
          PayloadFormatVersion: '2.0',
        });
      }
    });

    it('routes everything else ($default) to the docs function, which answers 404/405 in the envelope', () => {
      const routes = Object.values(resourcesOf(api, 'AWS::ApiGatewayV2::Route'));
      expect(routes.map((r) => r.Properties.RouteKey)).toContain('$default');
      // One per route and method (a GET route answers HEAD too), plus $default.
      expect(routes).toHaveLength(deployedRoutes().flatMap(gatewayMethods).length + 1);
      const fallback = routes.find((r) => r.Properties.RouteKey === '$default')!;
      const integrationId = fallback.Properties.Target['Fn::Join'][1][1].Ref;
      const integration = resourcesOf(api, 'AWS::ApiGatewayV2::Integration')[integrationId];
      expect(flatten(integration.Properties.IntegrationUri)).toBe('DocsFunction.Arn');
    });

    it('outputs the API URL and the training-failure queue', () => {
      api.hasOutput('ApiUrl', {});
      api.hasOutput('TrainingFailureQueueUrl', {});
    });
  });
});

describe('ApiStack with CORS and provisioned concurrency (prod)', () => {
  let api: Template;
  beforeAll(() => {
    api = buildPlatform({
      context: {
        stage: 'prod',
        alertEmail: 'ops@example.com',
        corsOrigins: ['https://app.example.com'],
        predictProvisionedConcurrency: 2,
        reservedConcurrency: 'train=2,predict=20',
      },
    }).templates.api;
  });

  it("allows only the configured origins and the console's", () => {
    const [httpApi] = Object.values(resourcesOf(api, 'AWS::ApiGatewayV2::Api'));
    expect(httpApi.Properties.CorsConfiguration.AllowOrigins.map(flatten)).toEqual([
      'https://app.example.com',
      'https://Distribution.DomainName',
    ]);
    api.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: {
        AllowMethods: ['GET', 'POST'],
        AllowHeaders: ['authorization', 'content-type'],
        MaxAge: 3600,
      },
    });
  });

  it('serves predict through a live alias with provisioned concurrency', () => {
    api.hasResourceProperties('AWS::Lambda::Alias', {
      Name: 'live',
      ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 2 },
    });
    const aliasId = Object.keys(resourcesOf(api, 'AWS::Lambda::Alias'))[0];
    api.hasResourceProperties('AWS::ApiGatewayV2::Integration', { IntegrationUri: { Ref: aliasId } });
  });

  it('retains prod logs', () => {
    for (const group of Object.values(api.findResources('AWS::Logs::LogGroup'))) {
      expect(group['DeletionPolicy']).toBe('Retain');
    }
  });

  it('reserves the concurrency the context names, per function', () => {
    const reserved = Object.fromEntries(
      Object.entries(resourcesOf(api, 'AWS::Lambda::Function')).map(([id, fn]) => [
        id.replace(/[0-9A-F]{8}$/, ''),
        fn.Properties.ReservedConcurrentExecutions,
      ]),
    );
    expect(reserved).toMatchObject({ TrainFunction: 2, PredictFunction: 20, AuthFunction: undefined });
  });
});

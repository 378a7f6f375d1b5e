import type { Template } from 'aws-cdk-lib/assertions';
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
const SECRET_READ_WRITE = {
  'secretsmanager:DescribeSecret': ['JwtSigningKey'],
  'secretsmanager:GetSecretValue': ['JwtSigningKey'],
  'secretsmanager:PutSecretValue': ['JwtSigningKey'],
};
/** The published public keys (auth/jwks.json): what predict and admin verify tokens with. */
const JWKS_READ = {
  's3:GetObject': ['ArtifactBucket.Arn/auth/*'],
  's3:ListBucket': ['ArtifactBucket.Arn if {"StringLike":{"s3:prefix":["auth/*"]}}'],
};

/** Expected permissions: own log group, X-Ray, plus `extra`. */
function expected(construct: string, extra: Record<string, string[]>): Record<string, string[]> {
  const logs = Object.fromEntries(LOGS.map((action) => [action, [`${construct}LogGroup.Arn`]]));
  const all = { ...logs, ...XRAY, ...extra };
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

const REGISTRY = ['RegistryTable.Arn', 'RegistryTable.Arn/index/byRun'];
const RUNS = ['RunsTable.Arn', 'RunsTable.Arn/index/byExperiment', 'RunsTable.Arn/index/byMetric'];
const USERS = ['UsersTable.Arn'];

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

    it('runs every function as ESM on Node.js 22, ARM64, traced, with source maps and its own log group', () => {
      for (const fn of Object.values(resourcesOf(api, 'AWS::Lambda::Function'))) {
        expect(fn.Properties).toMatchObject({
          Runtime: 'nodejs22.x',
          Architectures: ['arm64'],
          Handler: 'index.handler',
          TracingConfig: { Mode: 'Active' },
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

    it('keeps function logs for the configured retention', () => {
      const groups = resourcesOf(api, 'AWS::Logs::LogGroup');
      expect(Object.keys(groups)).toHaveLength(6); // 5 functions + API access logs
      for (const group of Object.values(groups)) expect(group.Properties.RetentionInDays).toBe(30);
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
      expect(env('PredictFunction')).toMatchObject({
        DEFAULT_MODEL_NAME: 'iris',
        MODEL_REFRESH_SECONDS: '60',
      });
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
            's3:PutObject': ['ArtifactBucket.Arn/auth/*'],
            's3:AbortMultipartUpload': ['ArtifactBucket.Arn/auth/*'],
          }),
        ),
      );
    });

    it('predict: registry read, objects under runs/ and the public keys read; no secret, nothing written', () => {
      expect(permissionsOf(statementsOf(api, 'PredictFunction'))).toEqual(
        expected(
          'PredictFunction',
          merge(tableActions(TABLE_READ, REGISTRY), {
            's3:GetObject': ['ArtifactBucket.Arn/auth/*', 'ArtifactBucket.Arn/runs/*'],
            's3:ListBucket': ['ArtifactBucket.Arn if {"StringLike":{"s3:prefix":["runs/*","auth/*"]}}'],
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
            'dynamodb:GetItem': [`UsersTable.Arn if ${JSON.stringify(attributes)}`],
            'lambda:InvokeFunction': ['TrainFunction.Arn'],
            's3:AbortMultipartUpload': ['ArtifactBucket.Arn/datasets/*'],
            's3:GetObject': [
              'ArtifactBucket.Arn/auth/*',
              'ArtifactBucket.Arn/datasets/*',
              'ArtifactBucket.Arn/runs/*',
            ],
            's3:ListBucket': [
              'ArtifactBucket.Arn if {"StringLike":{"s3:prefix":["auth/*","runs/*","datasets/*"]}}',
            ],
            's3:PutObject': ['ArtifactBucket.Arn/datasets/*'],
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
            's3:GetObject': ['ArtifactBucket.Arn/datasets/*', 'ArtifactBucket.Arn/runs/*'],
            's3:ListBucket': ['ArtifactBucket.Arn if {"StringLike":{"s3:prefix":["runs/*","datasets/*"]}}'],
            's3:PutObject': ['ArtifactBucket.Arn/runs/*'],
            's3:AbortMultipartUpload': ['ArtifactBucket.Arn/runs/*'],
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

    it('outputs the API URL', () => {
      api.hasOutput('ApiUrl', {});
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
});

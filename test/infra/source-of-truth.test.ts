import type { Template } from 'aws-cdk-lib/assertions';
import { gatewayMethods, ROUTES, routeKey } from '../../core/api/routes.js';
import { ENV } from '../../core/config/env.js';
import { ARTIFACT_BUCKET, type KeyAttribute, TABLES } from '../../core/config/tables.js';
import { deployedRoutes } from '../../lib/api-stack.js';
import { buildPlatform, type CfnJson, flatten, functionLogicalId, resourcesOf } from './builders.js';

/**
 * The deployed app must agree with the three shared declarations: core/config/env.ts (variable
 * names), core/config/tables.ts (key schemas) and core/api/routes.ts (routes). These tests read
 * the synthesized templates, so they fail on drift whoever introduced it.
 */
const pascal = (id: string) => id.charAt(0).toUpperCase() + id.slice(1);

describe('source of truth: templates agree with core/', () => {
  let storage: Template;
  let api: Template;
  beforeAll(() => {
    const built = buildPlatform();
    storage = built.templates.storage;
    api = built.templates.api;
  });

  describe('core/api/routes.ts', () => {
    it('has exactly one API Gateway route per ROUTES entry (and a HEAD route per GET route)', () => {
      const routeKeys = Object.values(resourcesOf(api, 'AWS::ApiGatewayV2::Route')).map(
        (r) => r.Properties.RouteKey,
      );
      // One per method (GET routes answer HEAD too), plus API Gateway's catch-all, which answers
      // unmatched requests like the local server does.
      const expected = deployedRoutes().flatMap((route) =>
        gatewayMethods(route).map((method) => `${method} ${route.path}`),
      );
      expect(routeKeys.sort()).toEqual([...expected, '$default'].sort());
      expect(expected.filter((key) => key.startsWith('HEAD ')).length).toBe(
        deployedRoutes().filter((route) => route.method === 'GET').length,
      );
      expect(deployedRoutes().length).toBe(ROUTES.length); // nothing is marked local-only today
    });

    it.each(ROUTES.map((route) => [routeKey(route), route.function] as const))(
      '%s is served by the %s function',
      (key, functionId) => {
        const route = Object.values(resourcesOf(api, 'AWS::ApiGatewayV2::Route')).find(
          (r) => r.Properties.RouteKey === key,
        );
        const integrationId = route.Properties.Target['Fn::Join'][1][1].Ref;
        const uri = resourcesOf(api, 'AWS::ApiGatewayV2::Integration')[integrationId].Properties
          .IntegrationUri;
        expect(uri['Fn::GetAtt'][0]).toBe(functionLogicalId(api, `${pascal(functionId)}Function`));
      },
    );
  });

  describe('core/config/tables.ts', () => {
    const keySchema = (partition: KeyAttribute, sort?: KeyAttribute) => [
      { AttributeName: partition.name, KeyType: 'HASH' },
      ...(sort ? [{ AttributeName: sort.name, KeyType: 'RANGE' }] : []),
    ];

    it.each(TABLES.map((table) => [table.id, table] as const))(
      'the %s table matches its definition',
      (_, table) => {
        const tables = resourcesOf(storage, 'AWS::DynamoDB::GlobalTable');
        const matches = Object.entries(tables).filter(([id]) => id.startsWith(`${pascal(table.id)}Table`));
        expect(matches).toHaveLength(1);
        const props = matches[0]![1].Properties;

        expect(props.KeySchema).toEqual(keySchema(table.partitionKey, table.sortKey));
        const attributes = new Map<string, string>();
        for (const key of [
          table.partitionKey,
          table.sortKey,
          ...table.globalSecondaryIndexes.flatMap((i) => [i.partitionKey, i.sortKey]),
        ]) {
          if (key) attributes.set(key.name, key.type);
        }
        expect(
          [...props.AttributeDefinitions].sort((a: CfnJson, b: CfnJson) =>
            a.AttributeName.localeCompare(b.AttributeName),
          ),
        ).toEqual(
          [...attributes.entries()]
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType })),
        );
        expect(props.GlobalSecondaryIndexes ?? []).toEqual(
          table.globalSecondaryIndexes.map((index) => ({
            IndexName: index.indexName,
            KeySchema: keySchema(index.partitionKey, index.sortKey),
            Projection: { ProjectionType: 'ALL' },
          })),
        );
        expect(props.TimeToLiveSpecification).toEqual(
          table.timeToLiveAttribute ? { AttributeName: table.timeToLiveAttribute, Enabled: true } : undefined,
        );
      },
    );
  });

  describe('core/config/env.ts', () => {
    const functions = () => Object.entries(resourcesOf(api, 'AWS::Lambda::Function'));

    it('sets only variables named in ENV (plus NODE_OPTIONS for source maps)', () => {
      const allowed = new Set<string>([...Object.values(ENV), 'NODE_OPTIONS']);
      for (const [id, fn] of functions()) {
        const unknown = Object.keys(fn.Properties.Environment.Variables).filter((name) => !allowed.has(name));
        expect({ id, unknown }).toEqual({ id, unknown: [] });
      }
    });

    it('points each table variable at the table of that definition', () => {
      for (const [, fn] of functions()) {
        const variables = fn.Properties.Environment.Variables;
        for (const table of TABLES) {
          const value = variables[ENV[table.envKey]];
          // The name arrives through the SSM parameter the storage stack writes for that table.
          if (value !== undefined) expect(flatten(value)).toBe(`ssm:mlopsdevtables${table.id}`);
        }
        const bucket = variables[ENV[ARTIFACT_BUCKET.envKey]];
        if (bucket !== undefined) expect(flatten(bucket)).toBe('ssm:mlopsdevbucketsartifacts');
      }
    });

    it('gives every function that uses a table or bucket its variable', () => {
      const variables = (construct: string) =>
        Object.keys(
          resourcesOf(api, 'AWS::Lambda::Function')[functionLogicalId(api, construct)].Properties.Environment
            .Variables,
        );
      expect(variables('AuthFunction')).toEqual(expect.arrayContaining([ENV.usersTable, ENV.jwtSecretArn]));
      expect(variables('PredictFunction')).toEqual(
        expect.arrayContaining([ENV.registryTable, ENV.artifactBucket, ENV.jwtIssuer]),
      );
      expect(variables('AdminFunction')).toEqual(
        expect.arrayContaining([
          ENV.registryTable,
          ENV.runsTable,
          ENV.usersTable,
          ENV.artifactBucket,
          ENV.jwtIssuer,
          ENV.trainFunctionName,
        ]),
      );
      // Only the auth function can reach the private keys.
      expect(variables('PredictFunction')).not.toContain(ENV.jwtSecretArn);
      expect(variables('AdminFunction')).not.toContain(ENV.jwtSecretArn);
      expect(variables('TrainFunction')).toEqual(
        expect.arrayContaining([ENV.registryTable, ENV.runsTable, ENV.artifactBucket]),
      );
    });
  });
});

import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { parse } from 'yaml';
import { loadConfig } from '../../lib/config.js';
import { type FunctionId, functionIds } from '../../lib/constructs/bundling.js';
import { readAlertRules } from '../../lib/constructs/monitoring-rules.js';
import { createMonitoring, type MonitoredApi } from '../../lib/monitoring-stack.js';
import { type CfnJson, DEFAULT_CONTEXT, nagFindings, resourcesOf } from './builders.js';

/**
 * The monitoring stacks against a stand-in API stack (plain inline functions and an HTTP API):
 * synthesizing the real one bundles-or-hashes the project and takes half a minute, so that
 * integration is checked once, in monitoring-platform.test.ts.
 */
class StandInApi extends Stack implements MonitoredApi {
  readonly functions: Record<FunctionId, lambda.Function>;
  readonly httpApi: apigwv2.HttpApi;
  constructor(app: App) {
    super(app, 'StandInApi');
    const fn = (id: string) =>
      new lambda.Function(this, id, {
        runtime: lambda.Runtime.NODEJS_22_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline('exports.handler = async () => ({})'),
      });
    this.functions = Object.fromEntries(functionIds().map((id) => [id, fn(id)])) as Record<
      FunctionId,
      lambda.Function
    >;
    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi');
  }
}

function build(
  context: Record<string, unknown> = {},
  options: { grafanaWorkspace?: boolean; remoteWrite?: boolean } = {},
) {
  const app = new App({ context: { ...DEFAULT_CONTEXT, ...context } });
  const config = loadConfig(app);
  const api = new StandInApi(app);
  const stacks = createMonitoring(app, config, { api }, undefined, options);
  app.synth();
  return {
    api,
    ...stacks,
    alertingTemplate: Template.fromStack(stacks.alerting),
    monitoringTemplate: Template.fromStack(stacks.monitoring),
    apiTemplate: Template.fromStack(api),
  };
}

const built = build({ stage: 'prod', alertEmail: 'oncall@example.com' });
const rules = readAlertRules();

describe('alerting stack', () => {
  test('SNS topic is KMS-encrypted, SSL-only, with the email subscription from context', () => {
    const t = built.alertingTemplate;
    t.resourceCountIs('AWS::SNS::Topic', 1);
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
    t.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  test('AMP workspace with the rule file as its rule groups namespace', () => {
    const t = built.alertingTemplate;
    t.resourceCountIs('AWS::APS::Workspace', 1);
    const namespaces = Object.values(resourcesOf(t, 'AWS::APS::RuleGroupsNamespace'));
    expect(namespaces).toHaveLength(1);
    expect(namespaces[0].Properties.Data).toBe(rules.text);
    expect(namespaces[0].Properties.Workspace).toEqual({ 'Fn::GetAtt': [expect.any(String), 'Arn'] });
  });

  test('the alert manager definition routes every alert to the SNS topic (SigV4, this region)', () => {
    const ws = Object.values(resourcesOf(built.alertingTemplate, 'AWS::APS::Workspace'))[0] as CfnJson;
    const parts: CfnJson[] = ws.Properties.AlertManagerDefinition['Fn::Join'][1];
    // Render references as placeholders and parse the YAML AMP receives.
    const text = parts.map((p) => (typeof p === 'string' ? p : p.Ref ? `<${p.Ref}>` : '<ref>')).join('');
    const definition = parse(text) as { alertmanager_config: string };
    const config = parse(definition.alertmanager_config) as CfnJson;
    expect(config.route.receiver).toBe('sns');
    expect(config.receivers).toEqual([
      {
        name: 'sns',
        sns_configs: [
          {
            topic_arn: expect.stringMatching(/^<AlertTopic/),
            sigv4: { region: '<AWS::Region>' },
            attributes: { source: 'amp' },
          },
        ],
      },
    ]);
    for (const route of config.route.routes ?? []) expect(route.receiver).toBe('sns');
    expect(config.inhibit_rules).toHaveLength(1);
  });

  test('only the AMP workspace may publish through the topic policy, and both services may use the key', () => {
    const t = built.alertingTemplate;
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'aps.amazonaws.com' },
            Action: ['sns:GetTopicAttributes', 'sns:Publish'],
            Condition: Match.objectLike({ ArnEquals: { 'aws:SourceArn': Match.anyValue() } }),
          }),
        ]),
      },
    });
    const key = Object.values(resourcesOf(t, 'AWS::KMS::Key'))[0] as CfnJson;
    const services = key.Properties.KeyPolicy.Statement.flatMap((s: CfnJson) =>
      s.Principal?.Service ? [s.Principal.Service].flat() : [],
    );
    expect(services.sort()).toEqual(['aps.amazonaws.com', 'cloudwatch.amazonaws.com']);
  });

  test('every function may remote-write to this workspace only, and gets AMP_REMOTE_WRITE_URL', () => {
    const policies = Object.values(resourcesOf(built.apiTemplate, 'AWS::IAM::Policy')) as CfnJson[];
    expect(policies).toHaveLength(functionIds().length);
    for (const policy of policies) {
      const statements = policy.Properties.PolicyDocument.Statement;
      expect(statements).toEqual([
        { Action: 'aps:RemoteWrite', Effect: 'Allow', Resource: expect.objectContaining({}) },
      ]);
      expect(JSON.stringify(statements[0].Resource)).toContain('PrometheusWorkspace');
    }
    const fns = Object.values(resourcesOf(built.apiTemplate, 'AWS::Lambda::Function')) as CfnJson[];
    expect(fns.filter((f) => f.Properties.Environment?.Variables?.AMP_REMOTE_WRITE_URL)).toHaveLength(
      functionIds().length,
    );
  });
});

describe('monitoring stack', () => {
  const alarms = () =>
    Object.values(resourcesOf(built.monitoringTemplate, 'AWS::CloudWatch::Alarm')) as CfnJson[];
  const byName = (name: string) => alarms().find((a) => a.Properties.AlarmName === `mlops-prod-${name}`);

  test('one CloudWatch alarm per Prometheus alert, named after it, each to the topic on ALARM and OK', () => {
    for (const alert of rules.alerts) {
      const matching = alarms().filter((a) =>
        String(a.Properties.AlarmName).startsWith(`mlops-prod-${alert}`),
      );
      expect({ alert, found: matching.length > 0 }).toEqual({ alert, found: true });
    }
    for (const alarm of alarms()) {
      expect(alarm.Properties.AlarmActions).toHaveLength(1);
      expect(alarm.Properties.OKActions).toEqual(alarm.Properties.AlarmActions);
    }
  });

  test('latency: p95 of each deployed route over 1 s (the rule file threshold) for 5 of 5 minutes', () => {
    const latency = alarms().filter((a) =>
      String(a.Properties.AlarmName).startsWith('mlops-prod-MlopsHighLatencyP95'),
    );
    expect(latency.length).toBe(Object.keys(built.monitoring.alarms.latency).length);
    const predict = byName('MlopsHighLatencyP95-POST-predict');
    expect(predict.Properties).toMatchObject({
      MetricName: 'mlops_http_request_duration_seconds',
      Namespace: 'MLOps/prod',
      ExtendedStatistic: 'p95',
      Threshold: rules.thresholds.latency_p95_seconds,
      EvaluationPeriods: 5,
      DatapointsToAlarm: 5,
      Dimensions: expect.arrayContaining([
        { Name: 'service', Value: 'mlops' },
        { Name: 'route', Value: 'POST /predict' },
      ]),
    });
  });

  test('error ratio, 5xx (codes from core/errors.ts + API Gateway), prediction rate, retraining freshness, accuracy, training, loads', () => {
    const ratio = byName('MlopsHighErrorRatio');
    expect(ratio.Properties.Threshold).toBe(rules.thresholds.error_ratio);
    expect(JSON.stringify(ratio.Properties.Metrics)).toContain('mlops_errors_total');

    const server = JSON.stringify(byName('MlopsServerErrors').Properties.Metrics);
    for (const code of ['INTERNAL', 'NO_MODEL', 'MODEL_UNAVAILABLE'])
      expect(server).toContain(`"Value":"${code}"`);
    expect(server).toContain('"MetricName":"5xx"');

    expect(byName('MlopsLowPredictionRate').Properties).toMatchObject({
      MetricName: 'mlops_predictions_total',
      Threshold: rules.thresholds.predictions_per_minute,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      EvaluationPeriods: 10,
    });
    const retraining = byName('MlopsRetrainingStale').Properties;
    expect(retraining).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      EvaluationPeriods: rules.thresholds.retraining_age_seconds / 21600,
      DatapointsToAlarm: rules.thresholds.retraining_age_seconds / 21600,
    });
    const checks = JSON.stringify(retraining.Metrics);
    expect(checks).toContain('mlops_training_runs_total');
    expect(checks).toContain('"Value":"SKIPPED"');
    expect(checks).toContain('"Value":"FINISHED"');
    expect(byName('MlopsProductionAccuracyLow').Properties).toMatchObject({
      MetricName: 'mlops_production_model_accuracy',
      Threshold: rules.thresholds.production_accuracy,
      ComparisonOperator: 'LessThanThreshold',
    });
    const training = JSON.stringify(byName('MlopsTrainingFailed').Properties.Metrics);
    expect(training).toContain('"Value":"FAILED"');
    expect(training).toContain('"MetricName":"Errors"');
    expect(byName('MlopsModelLoadFailed').Properties.MetricName).toBe('mlops_model_load_failures_total');
  });

  test('a CloudWatch dashboard and a Grafana workspace with AMP and CloudWatch data sources', () => {
    const t = built.monitoringTemplate;
    t.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    t.hasResourceProperties('AWS::Grafana::Workspace', {
      DataSources: ['PROMETHEUS', 'CLOUDWATCH'],
      PermissionType: 'CUSTOMER_MANAGED',
      AccountAccessType: 'CURRENT_ACCOUNT',
    });
    const body = JSON.stringify(Object.values(resourcesOf(t, 'AWS::CloudWatch::Dashboard'))[0]);
    for (const name of [
      'mlops_http_requests_total',
      'mlops_predictions_total',
      'mlops_training_runs_total',
    ]) {
      expect(body).toContain(name);
    }
  });

  test('the Grafana role reads only this AMP workspace', () => {
    const policies = Object.values(resourcesOf(built.monitoringTemplate, 'AWS::IAM::Policy')) as CfnJson[];
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement);
    const query = statements.find((s: CfnJson) => [s.Action].flat().includes('aps:QueryMetrics'));
    expect(JSON.stringify(query.Resource)).toContain('PrometheusWorkspace');
  });
});

describe('cdk-nag AwsSolutions', () => {
  test.each(['alerting', 'monitoring'] as const)(
    '%s stack: no unacknowledged errors or warnings',
    (which) => {
      const { errors, warnings } = nagFindings(built[which]);
      expect({ errors, warnings }).toEqual({ errors: [], warnings: [] });
    },
    180_000,
  );
});

test('dev without alertEmail: no subscription; Grafana and remote write can be left out', () => {
  const dev = build({ stage: 'dev' }, { grafanaWorkspace: false, remoteWrite: false });
  dev.alertingTemplate.resourceCountIs('AWS::SNS::Subscription', 0);
  dev.monitoringTemplate.resourceCountIs('AWS::Grafana::Workspace', 0);
  dev.apiTemplate.resourceCountIs('AWS::IAM::Policy', 0);
  expect(dev.api.dependencies).toEqual([]);
}, 180_000); // a synth takes seconds alone, far longer on a loaded 2-core machine

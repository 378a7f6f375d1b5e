import { readFileSync } from 'node:fs';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { parse } from 'yaml';
import { deployedRoutes } from '../../lib/api-stack.js';
import { loadConfig } from '../../lib/config.js';
import { ALARM_TABLE, prometheusAlerts } from '../../lib/constructs/alarm-table.js';
import { type FunctionId, functionIds } from '../../lib/constructs/bundling.js';
import { readAlertRules } from '../../lib/constructs/monitoring-rules.js';
import { createMonitoring, type MonitoredApi } from '../../lib/platform.js';
import { type CfnJson, DEFAULT_CONTEXT, nagFindings, resourcesOf } from './builders.js';

/**
 * The monitoring stacks against a stand-in API stack (plain inline functions and an HTTP API):
 * synthesizing the real one bundles-or-hashes the project and takes half a minute, so that
 * integration is checked once, in monitoring-platform.test.ts.
 */
class StandInApi extends Stack implements MonitoredApi {
  readonly functions: Record<FunctionId, lambda.Function>;
  readonly httpApi: apigwv2.HttpApi;
  readonly trainingFailureQueue: sqs.Queue;
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
    this.trainingFailureQueue = new sqs.Queue(this, 'TrainingFailureQueue');
  }
}

function build(context: Record<string, unknown> = {}) {
  const app = new App({ context: { ...DEFAULT_CONTEXT, ...context } });
  const config = loadConfig(app);
  const api = new StandInApi(app);
  const stacks = createMonitoring(app, config, { api });
  app.synth();
  return {
    api,
    ...stacks,
    alertingTemplate: Template.fromStack(stacks.alerting),
    monitoringTemplate: Template.fromStack(stacks.monitoring),
    apiTemplate: Template.fromStack(api),
  };
}

const built = build({ stage: 'prod', alertEmail: 'oncall@example.com', grafana: true });
const rules = readAlertRules();

describe('alerting stack', () => {
  test('SNS topic is KMS-encrypted, SSL-only, with the email subscription from context', () => {
    const t = built.alertingTemplate;
    t.resourceCountIs('AWS::SNS::Topic', 1);
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
    t.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  test('AMP workspace whose rule groups namespace holds the model alerts only (the rest alarm in CloudWatch)', () => {
    const t = built.alertingTemplate;
    t.resourceCountIs('AWS::APS::Workspace', 1);
    const namespaces = Object.values(resourcesOf(t, 'AWS::APS::RuleGroupsNamespace'));
    expect(namespaces).toHaveLength(1);
    const data = parse(namespaces[0].Properties.Data) as { groups: { rules: CfnJson[] }[] };
    const alerts = data.groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : [])));
    expect(alerts.sort()).toEqual(['MlopsProductionAccuracyLow', 'MlopsRetrainingStale']);
    // Every threshold (recording rule) stays, so the AMP alerts compare against the same numbers.
    const records = data.groups.flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : [])));
    expect(records).toEqual(
      expect.arrayContaining(Object.keys(rules.thresholds).map((k) => `mlops:threshold:${k}`)),
    );
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

  test('one route per condition: each alert is a CloudWatch alarm or an AMP rule, never both', () => {
    const amp = prometheusAlerts(true);
    for (const alert of rules.alerts) {
      const inCloudWatch = alarms().some((a) =>
        String(a.Properties.AlarmName).startsWith(`mlops-prod-${alert}`),
      );
      const expected =
        alert === 'MlopsLowPredictionRate' ? 'off' : amp.includes(alert) ? 'amp' : 'cloudwatch';
      const actual = inCloudWatch ? 'cloudwatch' : amp.includes(alert) ? 'amp' : 'off';
      expect({ alert, route: actual }).toEqual({ alert, route: expected });
    }
    // Every alert of the rule file is in the table, and the table names no alert the file lacks.
    expect(
      ALARM_TABLE.filter((d) => d.inRuleFile)
        .map((d) => d.name)
        .sort(),
    ).toEqual([...rules.alerts].sort());
  });

  test('ALARM notifications only, to the topic: an OK action would mail every alarm on its first evaluation', () => {
    for (const alarm of alarms()) {
      expect(alarm.Properties.AlarmActions).toHaveLength(1);
      expect(alarm.Properties.OKActions).toBeUndefined();
      expect(alarm.Properties.AlarmDescription).toMatch(/Runbook: docs\/monitoring.md#runbook/);
    }
  });

  test('every dead-letter queue alarms on a waiting message, keeping its state when SQS stops reporting', () => {
    const dlq = alarms().filter((a) =>
      String(a.Properties.AlarmName).startsWith('mlops-prod-MlopsDeadLetters'),
    );
    expect(dlq.map((a) => a.Properties.AlarmName)).toEqual(['mlops-prod-MlopsDeadLetters-training-failures']);
    expect(dlq[0].Properties).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'ignore',
    });
  });

  test('quiet when idle: no alarm treats missing data as breaching unless it watches traffic on purpose', () => {
    for (const alarm of alarms()) {
      expect({ name: alarm.Properties.AlarmName, missing: alarm.Properties.TreatMissingData }).toEqual({
        name: alarm.Properties.AlarmName,
        missing: expect.stringMatching(/^(notBreaching|ignore)$/),
      });
    }
  });

  test('latency: p95 of each deployed route over 1 s (the rule file threshold) for 5 of 5 minutes', () => {
    const latency = alarms().filter((a) =>
      String(a.Properties.AlarmName).startsWith('mlops-prod-MlopsHighLatencyP95'),
    );
    expect(latency.length).toBe(deployedRoutes().length);
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

  test('error ratio, 5xx (codes from core/errors.ts + API Gateway), prediction rate, staleness, accuracy, training, loads', () => {
    const ratio = byName('MlopsHighErrorRatio');
    expect(ratio.Properties.Threshold).toBe(rules.thresholds.error_ratio);
    expect(JSON.stringify(ratio.Properties.Metrics)).toContain('mlops_errors_total');

    const server = JSON.stringify(byName('MlopsServerErrors').Properties.Metrics);
    for (const code of ['INTERNAL', 'NO_MODEL', 'MODEL_UNAVAILABLE'])
      expect(server).toContain(`"Value":"${code}"`);
    expect(server).toContain('"MetricName":"5xx"');

    // No minimum rate configured (threshold 0): no traffic alarm at all.
    expect(byName('MlopsLowPredictionRate')).toBeUndefined();
    // Model signals are AMP's while the functions write there.
    expect(byName('MlopsRetrainingStale')).toBeUndefined();
    expect(byName('MlopsProductionAccuracyLow')).toBeUndefined();
    // FAILED runs, and runs the reaper found ABANDONED (a crash or timeout, which also reaches the failure queue).
    const training = JSON.stringify(byName('MlopsTrainingFailed').Properties.Metrics);
    expect(training).toContain('"MetricName":"mlops_training_runs_total"');
    expect(training).toContain('{"Name":"status","Value":"FAILED"}');
    expect(training).toContain('{"Name":"status","Value":"ABANDONED"}');
    expect(byName('MlopsModelDegraded').Properties.MetricName).toBe('mlops_model_degraded');
    expect(byName('MlopsModelLoadFailed').Properties.MetricName).toBe('mlops_model_load_failures_total');
  });

  test('a CloudWatch dashboard, named per stage and region, and (grafana=true) a Grafana workspace', () => {
    const t = built.monitoringTemplate;
    t.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const dashboard = Object.values(resourcesOf(t, 'AWS::CloudWatch::Dashboard'))[0] as CfnJson;
    expect(dashboard.Properties.DashboardName).toEqual({
      'Fn::Join': ['', ['mlops-prod-', { Ref: 'AWS::Region' }]],
    });
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

test('dashboard threshold lines come from the rule file', () => {
  const parts: CfnJson[] = (
    Object.values(resourcesOf(built.monitoringTemplate, 'AWS::CloudWatch::Dashboard'))[0] as CfnJson
  ).Properties.DashboardBody['Fn::Join'][1];
  const body = parts.map((p) => (typeof p === 'string' ? p : 'ref')).join('');
  expect(body).toContain(`"value":${rules.thresholds.latency_p95_seconds},"label":"p95 alert"`);
  expect(body).toContain(`"value":${rules.thresholds.error_ratio * 100},"label":"error-ratio alert"`);
  expect(body).toContain(`"value":${rules.thresholds.production_accuracy},"label":"accuracy alert"`);
  expect(body).not.toContain('traffic-drop alert');
});

test('a configured minimum prediction rate adds the traffic alarm (no data is breaching, on purpose)', () => {
  const withRate = readAlertRules();
  const configured = { ...withRate, thresholds: { ...withRate.thresholds, predictions_per_minute: 100 } };
  const app = new App({ context: { ...DEFAULT_CONTEXT } });
  const { monitoring } = createMonitoring(app, loadConfig(app), { api: new StandInApi(app) }, undefined, {
    rules: configured,
  });
  const alarm = Object.values(resourcesOf(Template.fromStack(monitoring), 'AWS::CloudWatch::Alarm')).find(
    (a) => (a as CfnJson).Properties.AlarmName === 'mlops-dev-MlopsLowPredictionRate',
  ) as CfnJson;
  expect(alarm.Properties).toMatchObject({
    MetricName: 'mlops_predictions_total',
    Threshold: 100,
    ComparisonOperator: 'LessThanThreshold',
    TreatMissingData: 'breaching',
    EvaluationPeriods: 10,
  });
});

test('default dev without AMP: no workspace, no Grafana, no subscription; model alerts alarm in CloudWatch', () => {
  const dev = build({ stage: 'dev', metricsRemoteWrite: 'off' });
  dev.alertingTemplate.resourceCountIs('AWS::SNS::Subscription', 0);
  dev.alertingTemplate.resourceCountIs('AWS::APS::Workspace', 0);
  dev.monitoringTemplate.resourceCountIs('AWS::Grafana::Workspace', 0);
  dev.apiTemplate.resourceCountIs('AWS::IAM::Policy', 0);
  expect(dev.api.dependencies).toEqual([]);
  const names = Object.values(resourcesOf(dev.monitoringTemplate, 'AWS::CloudWatch::Alarm')).map(
    (a) => (a as CfnJson).Properties.AlarmName,
  );
  expect(names).toEqual(
    expect.arrayContaining(['mlops-dev-MlopsRetrainingStale', 'mlops-dev-MlopsProductionAccuracyLow']),
  );
  const stale = Object.values(resourcesOf(dev.monitoringTemplate, 'AWS::CloudWatch::Alarm')).find(
    (a) => (a as CfnJson).Properties.AlarmName === 'mlops-dev-MlopsRetrainingStale',
  ) as CfnJson;
  // Successful checks (FINISHED or SKIPPED runs) per 6 h, none for the whole threshold: alarm.
  expect(stale.Properties).toMatchObject({
    Threshold: 1,
    ComparisonOperator: 'LessThanThreshold',
    TreatMissingData: 'breaching',
    EvaluationPeriods: rules.thresholds.retraining_age_seconds / 21600,
    DatapointsToAlarm: rules.thresholds.retraining_age_seconds / 21600,
  });
  const checks = JSON.stringify(stale.Properties.Metrics);
  expect(checks).toContain('mlops_training_runs_total');
  expect(checks).toContain('"Value":"SKIPPED"');
  expect(checks).toContain('"Value":"FINISHED"');
}, 180_000); // a synth takes seconds alone, far longer on a loaded 2-core machine

test('every alarm has a runbook line in docs/monitoring.md', () => {
  const doc = readFileSync(new URL('../../docs/monitoring.md', import.meta.url), 'utf8');
  const runbook = doc.slice(doc.indexOf('## Runbook'), doc.indexOf('\n## ', doc.indexOf('## Runbook') + 1));
  const rows = runbook.split('\n').filter((line) => line.startsWith('| `Mlops'));
  const named = rows.map((row) => /^\| `([^`]+)`/.exec(row)![1]!);
  const alarmNames = Object.values(resourcesOf(built.monitoringTemplate, 'AWS::CloudWatch::Alarm')).map((a) =>
    String((a as CfnJson).Properties.AlarmName).replace(/^mlops-prod-/, ''),
  );
  for (const definition of ALARM_TABLE) {
    expect({ alarm: definition.name, row: named.some((n) => n.startsWith(definition.name)) }).toEqual({
      alarm: definition.name,
      row: true,
    });
  }
  // Every deployed alarm is covered by a row (per-route and per-queue rows name the pattern).
  for (const name of alarmNames) {
    const covered = named.some(
      (n) => n === name || (n.endsWith('<route>') && name.startsWith(n.replace('<route>', ''))),
    );
    expect({ name, covered }).toEqual({ name, covered: true });
  }
});

import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { parse } from 'yaml';
import { loadConfig } from '../../lib/config.js';
import { readAlertRules } from '../../lib/constructs/monitoring-rules.js';
import { createMonitoring } from '../../lib/monitoring-stack.js';
import { createPlatform } from '../../lib/platform.js';
import { type CfnJson, DEFAULT_CONTEXT, nagFindings, resourcesOf, statementsOf } from './builders.js';

function build(context: Record<string, unknown> = {}) {
  const app = new App({ context: { ...DEFAULT_CONTEXT, ...context, 'aws:cdk:bundling-stacks': [] } });
  const config = loadConfig(app);
  const platform = createPlatform(app, config);
  const stacks = createMonitoring(app, config, platform);
  app.synth();
  return {
    platform,
    ...stacks,
    alertingTemplate: Template.fromStack(stacks.alerting),
    monitoringTemplate: Template.fromStack(stacks.monitoring),
    apiTemplate: Template.fromStack(platform.api),
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
            Action: ['sns:Publish', 'sns:GetTopicAttributes'],
            Condition: Match.objectLike({ ArnEquals: { 'aws:SourceArn': Match.anyValue() } }),
          }),
        ]),
      },
    });
    const key = Object.values(resourcesOf(t, 'AWS::KMS::Key'))[0] as CfnJson;
    const services = key.Properties.KeyPolicy.Statement.flatMap((s: CfnJson) =>
      s.Principal?.Service ? [s.Principal.Service] : [],
    );
    expect(services.sort()).toEqual(['aps.amazonaws.com', 'cloudwatch.amazonaws.com']);
  });

  test('every function may remote-write to this workspace only, and gets AMP_REMOTE_WRITE_URL', () => {
    for (const id of ['AuthFunction', 'PredictFunction', 'AdminFunction', 'TrainFunction']) {
      const statements = statementsOf(built.apiTemplate, id).filter((s) =>
        s.actions.includes('aps:RemoteWrite'),
      );
      expect({
        id,
        statements: statements.map((s) => ({ actions: s.actions, resources: s.resources })),
      }).toEqual({
        id,
        statements: [{ actions: ['aps:RemoteWrite'], resources: ['PrometheusWorkspace.Arn'] }],
      });
    }
    const fns = Object.values(resourcesOf(built.apiTemplate, 'AWS::Lambda::Function')) as CfnJson[];
    const withUrl = fns.filter((f) => f.Properties.Environment?.Variables?.AMP_REMOTE_WRITE_URL);
    expect(withUrl.length).toBeGreaterThanOrEqual(4);
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

  test('error ratio, 5xx (codes from core/errors.ts + API Gateway), prediction rate, staleness, accuracy, training, loads', () => {
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
    expect(byName('MlopsProductionModelStale').Properties).toMatchObject({
      MetricName: 'mlops_production_model_age_seconds',
      Threshold: 129600,
    });
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
  );

  test('the API stack stays clean with the remote-write grants', () => {
    const { errors, warnings } = nagFindings(built.platform.api);
    expect({ errors, warnings }).toEqual({ errors: [], warnings: [] });
  });
});

test('dev without alertEmail: no subscription; Grafana can be left out', () => {
  const app = new App({ context: { ...DEFAULT_CONTEXT, stage: 'dev', 'aws:cdk:bundling-stacks': [] } });
  const config = loadConfig(app);
  const { alerting, monitoring } = createMonitoring(app, config, createPlatform(app, config), undefined, {
    grafanaWorkspace: false,
  });
  app.synth();
  Template.fromStack(alerting).resourceCountIs('AWS::SNS::Subscription', 0);
  Template.fromStack(monitoring).resourceCountIs('AWS::Grafana::Workspace', 0);
});

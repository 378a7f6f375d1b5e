import { CfnOutput, Duration, type Environment, Stack, type StackProps } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as aps from 'aws-cdk-lib/aws-aps';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as grafana from 'aws-cdk-lib/aws-grafana';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { routeKey } from '../core/api/routes.js';
import { ENV } from '../core/config/env.js';
import { ERROR_CODES } from '../core/errors.js';
import {
  alarmNamePrefix,
  cloudWatchNamespace,
  METRICS,
  type MetricKey,
  SERVICE_NAME,
} from '../core/metrics/catalog.js';
import { deployedRoutes } from './api-stack.js';
import type { PlatformConfig } from './config.js';
import type { FunctionId } from './constructs/bundling.js';
import { type AlertRules, ampAlertManagerDefinition, readAlertRules } from './constructs/monitoring-rules.js';
import { acknowledge } from './nag.js';

/** CloudFormation stack names of the two monitoring stacks, per stage. */
export function monitoringStackNames(stage: PlatformConfig['stage']) {
  return { alerting: `mlops-${stage}-alerting`, monitoring: `mlops-${stage}-monitoring` } as const;
}

export interface AlertingStackProps extends StackProps {
  readonly config: PlatformConfig;
  /** @default dashboards/rules/mlops-alerts.yml, read at synth */
  readonly rules?: AlertRules;
}

/**
 * What alerts go through, with no dependency on the functions: the encrypted SNS topic (email
 * from context `alertEmail`) and the Amazon Managed Prometheus workspace with the rule file as its
 * rule groups namespace and an alert manager that routes to the topic. Separate from
 * {@link MonitoringStack} because the functions need the workspace (remote-write URL and grant)
 * while the alarms need the functions: one stack would be a cycle.
 */
export class AlertingStack extends Stack {
  readonly topic: sns.Topic;
  readonly topicKey: kms.Key;
  readonly workspace: aps.CfnWorkspace;
  readonly rulesNamespace: aps.CfnRuleGroupsNamespace;
  /** `<workspace endpoint>api/v1/remote_write`, what AMP_REMOTE_WRITE_URL is set to. */
  readonly remoteWriteUrl: string;
  readonly rules: AlertRules;

  constructor(scope: Construct, id: string, props: AlertingStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.rules = props.rules ?? readAlertRules();

    this.topicKey = new kms.Key(this, 'AlertTopicKey', {
      description: `Encrypts the mlops-${config.stage} alert topic`,
      enableKeyRotation: true,
    });
    // CloudWatch alarms and the AMP alert manager publish to the encrypted topic.
    for (const service of ['cloudwatch.amazonaws.com', 'aps.amazonaws.com']) {
      this.topicKey.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal(service)],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
        }),
      );
    }
    this.topic = new sns.Topic(this, 'AlertTopic', {
      displayName: `MLOps ${config.stage} alerts`,
      masterKey: this.topicKey,
      enforceSSL: true,
    });
    if (config.alertEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(config.alertEmail));

    this.workspace = new aps.CfnWorkspace(this, 'PrometheusWorkspace', {
      alias: `mlops-${config.stage}`,
      alertManagerDefinition: ampAlertManagerDefinition(this.topic.topicArn, this.region),
    });
    this.rulesNamespace = new aps.CfnRuleGroupsNamespace(this, 'AlertRules', {
      workspace: this.workspace.attrArn,
      name: 'mlops-alerts',
      data: this.rules.text,
    });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('aps.amazonaws.com')],
        actions: ['sns:Publish', 'sns:GetTopicAttributes'],
        resources: [this.topic.topicArn],
        conditions: {
          ArnEquals: { 'aws:SourceArn': this.workspace.attrArn },
          StringEquals: { 'aws:SourceAccount': this.account },
        },
      }),
    );
    this.remoteWriteUrl = `${this.workspace.attrPrometheusEndpoint}api/v1/remote_write`;

    new CfnOutput(this, 'AlertTopicArn', { value: this.topic.topicArn });
    new CfnOutput(this, 'PrometheusRemoteWriteUrl', { value: this.remoteWriteUrl });
  }

  /**
   * Lets a function remote-write to the workspace: sets AMP_REMOTE_WRITE_URL and grants
   * `aps:RemoteWrite` on this workspace only (the statement lives in the function's stack).
   */
  grantRemoteWrite(fn: lambda.Function): void {
    fn.addEnvironment(ENV.ampRemoteWriteUrl, this.remoteWriteUrl);
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['aps:RemoteWrite'], resources: [this.workspace.attrArn] }),
    );
  }
}

export interface MonitoringStackProps extends StackProps {
  readonly config: PlatformConfig;
  readonly alerting: AlertingStack;
  readonly functions: Readonly<Record<FunctionId, lambda.Function>>;
  readonly httpApi: apigwv2.IHttpApi;
  /** @default true. Amazon Managed Grafana needs IAM Identity Center enabled in the account. */
  readonly grafanaWorkspace?: boolean;
}

/** One CloudWatch alarm per Prometheus alert (latency: one per route), named after the alert. */
export interface AlarmSet {
  readonly latency: Record<string, cw.Alarm>;
  readonly errorRatio: cw.Alarm;
  readonly serverErrors: cw.Alarm;
  readonly lowPredictionRate: cw.Alarm;
  readonly retrainingStale: cw.Alarm;
  readonly accuracyLow: cw.Alarm;
  readonly trainingFailed: cw.Alarm;
  readonly modelLoadFailed: cw.Alarm;
}

/**
 * CloudWatch alarms equivalent to the Prometheus rules (same thresholds, read from the rule file)
 * on the EMF metrics, all to the alert topic; a CloudWatch dashboard; and an Amazon Managed
 * Grafana workspace with AMP and CloudWatch data sources.
 */
export class MonitoringStack extends Stack {
  readonly alarms: AlarmSet;
  readonly dashboard: cw.Dashboard;
  readonly grafanaWorkspace?: grafana.CfnWorkspace;
  readonly grafanaRole?: iam.Role;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    const { config, alerting, functions, httpApi } = props;
    const { thresholds } = alerting.rules;
    const namespace = cloudWatchNamespace(config.stage);
    const prefix = alarmNamePrefix(config.stage);
    const model = config.defaultModelName;

    const metric = (key: MetricKey, statistic: string, period: Duration, dims: Record<string, string> = {}) =>
      new cw.Metric({
        namespace,
        metricName: METRICS[key].name,
        dimensionsMap: { service: SERVICE_NAME, ...dims },
        statistic,
        period,
      });
    const minute = Duration.minutes(1);
    const action = new cwActions.SnsAction(alerting.topic);
    const alarm = (name: string, description: string, props: cw.AlarmProps) => {
      const created = new cw.Alarm(this, name.replace(/[^A-Za-z0-9]/g, ''), {
        alarmName: `${prefix}${name}`,
        alarmDescription: description,
        ...props,
      });
      created.addAlarmAction(action);
      created.addOkAction(action);
      return created;
    };

    const latency: Record<string, cw.Alarm> = {};
    for (const route of deployedRoutes()) {
      const key = routeKey(route);
      latency[key] = alarm(
        `MlopsHighLatencyP95-${route.method}${route.path.replace(/[{}]/g, '').replace(/\//g, '-')}`,
        `p95 latency of ${key} above ${thresholds.latency_p95_seconds} s for 5 minutes (rule MlopsHighLatencyP95).`,
        {
          metric: metric('httpRequestDuration', 'p95', minute, { route: key }),
          threshold: thresholds.latency_p95_seconds,
          evaluationPeriods: 5,
          datapointsToAlarm: 5,
          comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
          treatMissingData: cw.TreatMissingData.NOT_BREACHING,
        },
      );
    }

    const errors = metric('errors', 'Sum', minute);
    const requests = metric('httpRequests', 'Sum', minute);
    const errorRatio = alarm(
      'MlopsHighErrorRatio',
      `Errors above ${thresholds.error_ratio * 100}% of requests for 5 minutes (rule MlopsHighErrorRatio).`,
      {
        metric: new cw.MathExpression({
          expression: 'IF(requests > 0, FILL(errors, 0) / requests, 0)',
          usingMetrics: { errors, requests },
          period: minute,
          label: 'error ratio',
        }),
        threshold: thresholds.error_ratio,
        evaluationPeriods: 5,
        datapointsToAlarm: 5,
        comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cw.TreatMissingData.NOT_BREACHING,
      },
    );

    // 5xx: the error codes that map to a 5xx (core/errors.ts), plus API Gateway's own 5xx, which
    // also counts crashes and timeouts that never reach our error mapping.
    const serverCodes = Object.entries(ERROR_CODES)
      .filter(([, status]) => status >= 500)
      .map(([code]) => code);
    const serverMetrics: Record<string, cw.IMetric> = Object.fromEntries(
      serverCodes.map((code, i) => [`e${i}`, metric('errors', 'Sum', minute, { type: code })]),
    );
    serverMetrics['gateway'] = httpApi.metricServerError({ period: minute, statistic: 'Sum' });
    const serverErrors = alarm(
      'MlopsServerErrors',
      `Any 5xx in a minute: ${serverCodes.join(', ')} or API Gateway 5xx (rule MlopsServerErrors).`,
      {
        metric: new cw.MathExpression({
          expression: Object.keys(serverMetrics)
            .map((k) => `FILL(${k}, 0)`)
            .join(' + '),
          usingMetrics: serverMetrics,
          period: minute,
          label: '5xx',
        }),
        threshold: 0,
        evaluationPeriods: 1,
        comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cw.TreatMissingData.NOT_BREACHING,
      },
    );

    const lowPredictionRate = alarm(
      'MlopsLowPredictionRate',
      `Fewer than ${thresholds.predictions_per_minute} predictions per minute for 10 minutes (rule MlopsLowPredictionRate).`,
      {
        metric: metric('predictions', 'Sum', minute),
        threshold: thresholds.predictions_per_minute,
        evaluationPeriods: 10,
        datapointsToAlarm: 10,
        comparisonOperator: cw.ComparisonOperator.LESS_THAN_THRESHOLD,
        // No data points means no predictions at all: that is the drop this alarm is for.
        treatMissingData: cw.TreatMissingData.BREACHING,
      },
    );

    // No training run of the default model ended FINISHED or SKIPPED (unchanged data) in the
    // threshold: 6-hour periods, all of them empty; no data at all counts as empty.
    const checkPeriod = Duration.hours(6);
    const retrainingStale = alarm(
      'MlopsRetrainingStale',
      `No successful retraining check of ${model} for ${thresholds.retraining_age_seconds / 3600} h (rule MlopsRetrainingStale).`,
      {
        metric: new cw.MathExpression({
          expression: 'FILL(finished, 0) + FILL(skipped, 0)',
          usingMetrics: {
            finished: metric('trainingRuns', 'Sum', checkPeriod, { model, status: 'FINISHED' }),
            skipped: metric('trainingRuns', 'Sum', checkPeriod, { model, status: 'SKIPPED' }),
          },
          period: checkPeriod,
          label: 'successful retraining checks',
        }),
        threshold: 1,
        evaluationPeriods: Math.ceil(thresholds.retraining_age_seconds / checkPeriod.toSeconds()),
        datapointsToAlarm: Math.ceil(thresholds.retraining_age_seconds / checkPeriod.toSeconds()),
        comparisonOperator: cw.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: cw.TreatMissingData.BREACHING,
      },
    );

    const accuracyLow = alarm(
      'MlopsProductionAccuracyLow',
      `Production model ${model} accuracy below ${thresholds.production_accuracy} (rule MlopsProductionAccuracyLow).`,
      {
        metric: metric('productionAccuracy', 'Minimum', Duration.minutes(5), { model }),
        threshold: thresholds.production_accuracy,
        evaluationPeriods: 1,
        comparisonOperator: cw.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: cw.TreatMissingData.NOT_BREACHING,
      },
    );

    const trainingFailed = alarm(
      'MlopsTrainingFailed',
      'A training run failed in the last hour, or the train function errored/timed out (rule MlopsTrainingFailed).',
      {
        metric: new cw.MathExpression({
          expression: 'FILL(failed, 0) + FILL(crashed, 0)',
          usingMetrics: {
            failed: metric('trainingRuns', 'Sum', Duration.hours(1), { status: 'FAILED' }),
            crashed: functions.train.metricErrors({ period: Duration.hours(1), statistic: 'Sum' }),
          },
          period: Duration.hours(1),
          label: 'failed runs',
        }),
        threshold: 0,
        evaluationPeriods: 1,
        comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cw.TreatMissingData.NOT_BREACHING,
      },
    );

    const modelLoadFailed = alarm(
      'MlopsModelLoadFailed',
      'A model version failed to load in the last 15 minutes (rule MlopsModelLoadFailed).',
      {
        metric: metric('modelLoadFailures', 'Sum', Duration.minutes(15)),
        threshold: 0,
        evaluationPeriods: 1,
        comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cw.TreatMissingData.NOT_BREACHING,
      },
    );

    this.alarms = {
      latency,
      errorRatio,
      serverErrors,
      lowPredictionRate,
      retrainingStale,
      accuracyLow,
      trainingFailed,
      modelLoadFailed,
    };

    this.dashboard = this.buildDashboard(config, namespace, metric, Object.values(latency), [
      errorRatio,
      serverErrors,
      lowPredictionRate,
      retrainingStale,
      accuracyLow,
      trainingFailed,
      modelLoadFailed,
    ]);

    if (props.grafanaWorkspace ?? true) {
      const { role, workspace } = this.buildGrafana(config, alerting);
      this.grafanaRole = role;
      this.grafanaWorkspace = workspace;
    }
  }

  private buildDashboard(
    config: PlatformConfig,
    namespace: string,
    metric: (key: MetricKey, statistic: string, period: Duration, dims?: Record<string, string>) => cw.Metric,
    latencyAlarms: cw.Alarm[],
    otherAlarms: cw.Alarm[],
  ): cw.Dashboard {
    const minute = Duration.minutes(1);
    const model = config.defaultModelName;
    const routes = deployedRoutes().map(routeKey);
    const dashboard = new cw.Dashboard(this, 'Dashboard', {
      dashboardName: `mlops-${config.stage}`,
      defaultInterval: Duration.hours(3),
    });
    const duration = (stat: string) =>
      metric('httpRequestDuration', stat, minute).with({ label: stat, unit: cw.Unit.SECONDS });
    dashboard.addWidgets(
      new cw.TextWidget({
        markdown: `# MLOps ${config.stage}\nMetrics in \`${namespace}\` (EMF, names as in core/metrics/catalog.ts). Same dashboards for AMP in Amazon Managed Grafana.`,
        width: 24,
        height: 2,
      }),
      new cw.AlarmStatusWidget({
        title: 'Alarms',
        alarms: [...otherAlarms, ...latencyAlarms],
        width: 24,
        height: 4,
      }),
      new cw.GraphWidget({
        title: 'Requests by route (per minute)',
        left: routes.map((route) => metric('httpRequests', 'Sum', minute, { route }).with({ label: route })),
        width: 12,
      }),
      new cw.GraphWidget({
        title: 'Latency p50 / p95 / p99 (s)',
        left: [duration('p50'), duration('p95'), duration('p99')],
        leftAnnotations: [{ value: 1, label: 'p95 alert', color: '#d62728' }],
        width: 12,
      }),
      new cw.GraphWidget({
        title: 'Error % and 5xx',
        left: [
          new cw.MathExpression({
            expression: 'IF(requests > 0, 100 * FILL(errors, 0) / requests, 0)',
            usingMetrics: {
              errors: metric('errors', 'Sum', minute),
              requests: metric('httpRequests', 'Sum', minute),
            },
            label: 'error %',
            period: minute,
          }),
        ],
        right: [
          metric('errors', 'Sum', minute, { type: 'INTERNAL' }).with({ label: 'INTERNAL' }),
          metric('errors', 'Sum', minute, { type: 'MODEL_UNAVAILABLE' }).with({ label: 'MODEL_UNAVAILABLE' }),
        ],
        width: 12,
      }),
      new cw.GraphWidget({
        title: 'Inference time (s) and rows per call',
        left: [
          metric('inferenceDuration', 'p50', minute).with({ label: 'inference p50' }),
          metric('inferenceDuration', 'p95', minute).with({ label: 'inference p95' }),
        ],
        right: [metric('inferenceBatchRows', 'Average', minute).with({ label: 'rows per call' })],
        width: 12,
      }),
      new cw.GraphWidget({
        title: 'Predictions per minute',
        left: [metric('predictions', 'Sum', minute).with({ label: 'all' })],
        leftAnnotations: [{ value: 100, label: 'traffic-drop alert', color: '#ff7f0e' }],
        width: 12,
      }),
      new cw.SingleValueWidget({
        title: `Production model ${model}`,
        metrics: [
          metric('productionVersion', 'Maximum', Duration.hours(1), { model }).with({ label: 'version' }),
          metric('productionAccuracy', 'Maximum', Duration.hours(1), { model }).with({ label: 'accuracy' }),
          metric('productionAge', 'Maximum', Duration.hours(1), { model }).with({ label: 'age (s)' }),
        ],
        width: 12,
      }),
      new cw.GraphWidget({
        title: 'Training runs and test accuracy',
        left: [
          metric('trainingRuns', 'Sum', Duration.hours(1), { status: 'FINISHED' }).with({
            label: 'finished',
          }),
          metric('trainingRuns', 'Sum', Duration.hours(1), { status: 'FAILED' }).with({ label: 'failed' }),
        ],
        right: [
          metric('trainingAccuracy', 'Maximum', Duration.hours(1), { model }).with({ label: 'run accuracy' }),
          metric('productionAccuracy', 'Maximum', Duration.hours(1), { model }).with({ label: 'production' }),
        ],
        width: 24,
      }),
    );
    return dashboard;
  }

  /**
   * Amazon Managed Grafana with AMP and CloudWatch as data sources (service-managed data source
   * permissions would need an organization; the role is ours, least privilege). Dashboards are a
   * documented step (docs/monitoring.md): they live in Grafana's HTTP API, not CloudFormation.
   */
  private buildGrafana(config: PlatformConfig, alerting: AlertingStack) {
    const role = new iam.Role(this, 'GrafanaRole', {
      assumedBy: new iam.ServicePrincipal('grafana.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
      description: `Amazon Managed Grafana (mlops-${config.stage}): query AMP and CloudWatch, notify SNS`,
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'aps:QueryMetrics',
          'aps:GetSeries',
          'aps:GetLabels',
          'aps:GetMetricMetadata',
          'aps:DescribeWorkspace',
        ],
        resources: [alerting.workspace.attrArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'aps:ListWorkspaces',
          'cloudwatch:DescribeAlarms',
          'cloudwatch:DescribeAlarmsForMetric',
          'cloudwatch:DescribeAlarmHistory',
          'cloudwatch:GetMetricData',
          'cloudwatch:ListMetrics',
          'ec2:DescribeRegions',
          'tag:GetResources',
        ],
        resources: ['*'],
      }),
    );
    alerting.topic.grantPublish(role);
    acknowledge(
      role,
      'AwsSolutions-IAM5',
      'CloudWatch read (GetMetricData, ListMetrics, DescribeAlarms*), aps:ListWorkspaces, ec2:DescribeRegions and ' +
        'tag:GetResources have no resource-level permissions; they are what the Grafana data sources call to discover.',
      ['Resource::*'],
    );
    acknowledge(
      role,
      'AwsSolutions-IAM5',
      'kms:GenerateDataKey*/ReEncrypt* is how CDK grants SNS publish on a KMS-encrypted topic; limited to its one key.',
      ['Action::kms:GenerateDataKey*', 'Action::kms:ReEncrypt*'],
    );
    const workspace = new grafana.CfnWorkspace(this, 'GrafanaWorkspace', {
      name: `mlops-${config.stage}`,
      description: `MLOps ${config.stage}: dashboards from dashboards/grafana`,
      accountAccessType: 'CURRENT_ACCOUNT',
      authenticationProviders: ['AWS_SSO'],
      permissionType: 'CUSTOMER_MANAGED',
      roleArn: role.roleArn,
      dataSources: ['PROMETHEUS', 'CLOUDWATCH'],
      notificationDestinations: ['SNS'],
      grafanaVersion: '10.4',
    });
    new CfnOutput(this, 'GrafanaUrl', { value: `https://${workspace.attrEndpoint}` });
    return { role, workspace };
  }
}

/** What the monitoring needs of the API stack (its public plug-in point). */
export interface MonitoredApi {
  readonly functions: Readonly<Record<FunctionId, lambda.Function>>;
  readonly httpApi: apigwv2.IHttpApi;
}

/**
 * Adds the alerting and monitoring stacks to an app built by createPlatform, and lets every
 * function remote-write to AMP.
 *
 * @example
 * const platform = createPlatform(app, config, env);
 * createMonitoring(app, config, platform, env);
 */
export function createMonitoring(
  scope: Construct,
  config: PlatformConfig,
  platform: { readonly api: MonitoredApi },
  env?: Environment,
  options: {
    grafanaWorkspace?: boolean;
    rules?: AlertRules;
    /**
     * false overrides the `metricsRemoteWrite` context with `off`. Anything but `amp` keeps the API
     * stack independent of the alerting stack (e.g. an emulator without AMP). @default true
     */
    remoteWrite?: boolean;
  } = {},
): { alerting: AlertingStack; monitoring: MonitoringStack } {
  const names = monitoringStackNames(config.stage);
  const common = {
    config,
    ...(env ? { env } : {}),
    tags: { project: 'serverless-mlops', stage: config.stage },
  };
  const alerting = new AlertingStack(scope, names.alerting, {
    ...common,
    stackName: names.alerting,
    description: 'MLOps alert topic and Amazon Managed Prometheus workspace (rules, alert manager)',
    ...(options.rules ? { rules: options.rules } : {}),
  });
  const target = options.remoteWrite === false ? 'off' : config.metricsRemoteWrite;
  for (const fn of Object.values(platform.api.functions)) {
    if (target === 'amp') alerting.grantRemoteWrite(fn);
    else if (target !== 'off') fn.addEnvironment(ENV.ampRemoteWriteUrl, target);
  }
  const monitoring = new MonitoringStack(scope, names.monitoring, {
    ...common,
    stackName: names.monitoring,
    description: 'MLOps CloudWatch alarms and dashboard, Amazon Managed Grafana',
    alerting,
    functions: platform.api.functions,
    httpApi: platform.api.httpApi,
    ...(options.grafanaWorkspace !== undefined ? { grafanaWorkspace: options.grafanaWorkspace } : {}),
  });
  return { alerting, monitoring };
}

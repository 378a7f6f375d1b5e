import { Aws, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as grafana from 'aws-cdk-lib/aws-grafana';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { routeKey } from '../core/api/routes.js';
import { alarmNamePrefix, cloudWatchNamespace } from '../core/metrics/catalog.js';
import type { AlertingStack } from './alerting-stack.js';
import { deployedRoutes } from './api-stack.js';
import type { PlatformConfig } from './config.js';
import {
  ALARM_TABLE,
  type AlarmContext,
  alarmRoute,
  emfMetricFactory,
  type MetricFactory,
} from './constructs/alarm-table.js';
import type { FunctionId } from './constructs/bundling.js';
import { stagePolicy } from './defaults.js';
import { acknowledge } from './nag.js';

/** What the monitoring watches: the API stack's functions and HTTP API, and every dead-letter queue. */
export interface MonitoredResources {
  readonly functions: Readonly<Record<FunctionId, lambda.IFunction>>;
  readonly httpApi: apigwv2.IHttpApi;
  /** By a short name that ends up in the alarm name (`MlopsDeadLetters-<name>`). */
  readonly deadLetterQueues: Readonly<Record<string, sqs.IQueue>>;
}

export interface MonitoringStackProps extends StackProps, MonitoredResources {
  readonly config: PlatformConfig;
  readonly alerting: AlertingStack;
}

/** Output keys of this stack. */
export const MONITORING_OUTPUTS = { dashboard: 'DashboardName', grafanaUrl: 'GrafanaUrl' } as const;

/**
 * The CloudWatch side of alerting: one alarm per condition the alarm table routes to CloudWatch
 * (thresholds from the rule file), ALARM notifications to the alert topic; the CloudWatch dashboard
 * (its threshold lines from the same file); and, with context `grafana=true`, an Amazon Managed
 * Grafana workspace.
 */
export class MonitoringStack extends Stack {
  /** By alarm name without the stage prefix, e.g. `MlopsHighLatencyP95-POST-predict`. */
  readonly alarms: Readonly<Record<string, cw.Alarm>>;
  readonly dashboard: cw.Dashboard;
  readonly grafanaWorkspace?: grafana.CfnWorkspace;
  readonly grafanaRole?: iam.Role;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    const { config, alerting } = props;
    const metric = emfMetricFactory(config.stage);
    const prefix = alarmNamePrefix(config.stage);
    const prometheus = alerting.workspace !== undefined;
    const context: AlarmContext = {
      stage: config.stage,
      defaultModelName: config.defaultModelName,
      thresholds: alerting.rules.thresholds,
      routes: deployedRoutes(),
      functions: props.functions,
      httpApi: props.httpApi,
      deadLetterQueues: props.deadLetterQueues,
    };

    // ALARM only: an OK action would also fire on every alarm's first evaluation (INSUFFICIENT_DATA
    // to OK), one email per alarm at each deploy. Recoveries show on the dashboard's alarm widget.
    const action = new cwActions.SnsAction(alerting.topic);
    const alarms: Record<string, cw.Alarm> = {};
    for (const definition of ALARM_TABLE) {
      if (alarmRoute(definition, prometheus) !== 'cloudwatch') continue;
      for (const spec of definition.alarms(context, metric)) {
        const name = spec.suffix ? `${definition.name}-${spec.suffix}` : definition.name;
        const alarm = new cw.Alarm(this, name.replace(/[^A-Za-z0-9]/g, ''), {
          ...spec.props,
          alarmName: `${prefix}${name}`,
          alarmDescription: `${spec.description} Runbook: docs/monitoring.md#runbook (${definition.name}).`,
        });
        alarm.addAlarmAction(action);
        alarms[name] = alarm;
      }
    }
    this.alarms = alarms;
    this.dashboard = this.buildDashboard(config, context, metric, Object.values(alarms));
    new CfnOutput(this, MONITORING_OUTPUTS.dashboard, { value: this.dashboard.dashboardName });

    if (config.grafana) {
      const { role, workspace } = this.buildGrafana(config, alerting);
      this.grafanaRole = role;
      this.grafanaWorkspace = workspace;
    }
  }

  private buildDashboard(
    config: PlatformConfig,
    context: AlarmContext,
    metric: MetricFactory,
    alarms: cw.Alarm[],
  ): cw.Dashboard {
    const minute = Duration.minutes(1);
    const { thresholds } = context;
    const model = config.defaultModelName;
    const routes = context.routes.map(routeKey);
    const dashboard = new cw.Dashboard(this, 'Dashboard', {
      // Dashboards are global to an account: the region keeps two regions' stages apart.
      dashboardName: `mlops-${config.stage}-${Aws.REGION}`,
      defaultInterval: Duration.hours(3),
    });
    const duration = (stat: string) =>
      metric('httpRequestDuration', stat, minute).with({ label: stat, unit: cw.Unit.SECONDS });
    dashboard.addWidgets(
      new cw.TextWidget({
        markdown: `# MLOps ${config.stage}\nMetrics in \`${cloudWatchNamespace(config.stage)}\` (EMF, names as in core/metrics/catalog.ts); threshold lines from dashboards/rules/mlops-alerts.yml.`,
        width: 24,
        height: 2,
      }),
      new cw.AlarmStatusWidget({ title: 'Alarms', alarms, width: 24, height: 4 }),
      new cw.GraphWidget({
        title: 'Requests by route (per minute)',
        left: routes.map((route) => metric('httpRequests', 'Sum', minute, { route }).with({ label: route })),
        width: 12,
      }),
      new cw.GraphWidget({
        title: 'Latency p50 / p95 / p99 (s)',
        left: [duration('p50'), duration('p95'), duration('p99')],
        leftAnnotations: [{ value: thresholds.latency_p95_seconds, label: 'p95 alert', color: '#d62728' }],
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
        leftAnnotations: [
          { value: thresholds.error_ratio * 100, label: 'error-ratio alert', color: '#d62728' },
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
        leftAnnotations:
          thresholds.predictions_per_minute > 0
            ? [{ value: thresholds.predictions_per_minute, label: 'traffic-drop alert', color: '#ff7f0e' }]
            : [],
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
        rightAnnotations: [
          { value: thresholds.production_accuracy, label: 'accuracy alert', color: '#d62728' },
        ],
        width: 12,
      }),
      new cw.GraphWidget({
        title: 'Dead-letter queues (messages waiting)',
        left: Object.entries(context.deadLetterQueues).map(([name, queue]) =>
          queue
            .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' })
            .with({ label: name }),
        ),
        width: 12,
      }),
    );
    return dashboard;
  }

  /**
   * Amazon Managed Grafana with CloudWatch (and AMP, when there is a workspace) as data sources
   * (service-managed data source permissions would need an organization; the role is ours, least
   * privilege). Dashboards are a documented step (docs/monitoring.md): they live in Grafana's HTTP
   * API, not CloudFormation.
   */
  private buildGrafana(config: PlatformConfig, alerting: AlertingStack) {
    const role = new iam.Role(this, 'GrafanaRole', {
      assumedBy: new iam.ServicePrincipal('grafana.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
      description: `Amazon Managed Grafana (mlops-${config.stage}): query AMP and CloudWatch, notify SNS`,
    });
    if (alerting.workspace) {
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
    }
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          ...(alerting.workspace ? ['aps:ListWorkspaces'] : []),
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
      'kms:GenerateDataKey* is how CDK grants SNS publish on a KMS-encrypted topic; limited to its one key.',
      ['Action::kms:GenerateDataKey*'],
    );
    const workspace = new grafana.CfnWorkspace(this, 'GrafanaWorkspace', {
      name: `mlops-${config.stage}`,
      description: `MLOps ${config.stage}: dashboards from dashboards/grafana`,
      accountAccessType: 'CURRENT_ACCOUNT',
      authenticationProviders: ['AWS_SSO'],
      permissionType: 'CUSTOMER_MANAGED',
      roleArn: role.roleArn,
      dataSources: alerting.workspace ? ['PROMETHEUS', 'CLOUDWATCH'] : ['CLOUDWATCH'],
      notificationDestinations: ['SNS'],
      grafanaVersion: '10.4',
    });
    workspace.applyRemovalPolicy(stagePolicy(config.stage).removalPolicy);
    new CfnOutput(this, MONITORING_OUTPUTS.grafanaUrl, { value: `https://${workspace.attrEndpoint}` });
    return { role, workspace };
  }
}

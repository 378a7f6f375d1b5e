import { Duration } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { type RouteDefinition, routeKey } from '../../core/api/routes.js';
import { ERROR_CODES } from '../../core/errors.js';
import { cloudWatchNamespace, METRICS, type MetricKey, SERVICE_NAME } from '../../core/metrics/catalog.js';
import type { FunctionId } from './bundling.js';
import type { AlertThresholds } from './monitoring-rules.js';

/**
 * Every alert condition, once, with where it is evaluated. The Prometheus rule file
 * (dashboards/rules/mlops-alerts.yml) holds the expressions and the thresholds; this table says,
 * per alert, which service watches it in AWS and how the CloudWatch alarm reads the EMF metrics.
 *
 * One route per condition:
 * - Lambda, API and queue signals go to CloudWatch alarms: they include what only CloudWatch sees
 *   (API Gateway 5xx, function Errors, queue depth) and EMF lines are written before a request
 *   ends, while a frozen Lambda environment may never send its last remote write.
 * - Model signals (production model age and accuracy) go to Amazon Managed Prometheus rules when
 *   the functions remote-write there (`metricsRemoteWrite=amp`), since the rules cover every model
 *   by label; without AMP, CloudWatch alarms on the default model take them over.
 * The AMP rule groups namespace therefore carries only the alerts routed to it.
 */
export type Signal = 'api' | 'lambda' | 'queue' | 'model';
export type AlarmRoute = 'cloudwatch' | 'prometheus';

/** What an alarm needs from the platform. */
export interface AlarmContext {
  readonly stage: string;
  readonly defaultModelName: string;
  readonly thresholds: AlertThresholds;
  readonly routes: readonly RouteDefinition[];
  readonly functions: Readonly<Record<FunctionId, lambda.IFunction>>;
  readonly httpApi: apigwv2.IHttpApi;
  /** Every dead-letter queue, by a short name used in the alarm name. */
  readonly deadLetterQueues: Readonly<Record<string, sqs.IQueue>>;
}

/** One CloudWatch alarm: a name suffix (for per-route/per-queue alarms) and its properties. */
export interface AlarmSpec {
  /** Appended to the condition name: `MlopsHighLatencyP95-POST-predict`. */
  readonly suffix?: string;
  readonly description: string;
  readonly props: Omit<cw.AlarmProps, 'alarmName' | 'alarmDescription'>;
}

export interface AlarmDefinition {
  /** The alert's name in the rule file, or a CloudWatch-only condition (`inRuleFile: false`). */
  readonly name: string;
  readonly signal: Signal;
  readonly inRuleFile: boolean;
  /** Why missing data is treated the way `alarms()` sets it: the alarm's behaviour when idle. */
  readonly whenIdle: string;
  /** The CloudWatch alarms (none when the condition is switched off by its threshold). */
  alarms(ctx: AlarmContext, metric: MetricFactory): AlarmSpec[];
}

export type MetricFactory = (
  key: MetricKey,
  statistic: string,
  period: Duration,
  dimensions?: Record<string, string>,
) => cw.Metric;

const MINUTE = Duration.minutes(1);
const GT = cw.ComparisonOperator.GREATER_THAN_THRESHOLD;
const LT = cw.ComparisonOperator.LESS_THAN_THRESHOLD;
const NOT_BREACHING = cw.TreatMissingData.NOT_BREACHING;

/** Name of a route as an alarm name part: `POST /models/{name}/promote` → `POST-models-name-promote`. */
export const routeSuffix = (route: Pick<RouteDefinition, 'method' | 'path'>) =>
  `${route.method}${route.path.replace(/[{}]/g, '').replace(/\//g, '-')}`;

export const ALARM_TABLE: readonly AlarmDefinition[] = [
  {
    name: 'MlopsHighLatencyP95',
    signal: 'api',
    inRuleFile: true,
    whenIdle: 'no requests, no data: not breaching (nothing is slow)',
    alarms: (ctx, metric) =>
      ctx.routes.map((route) => ({
        suffix: routeSuffix(route),
        description: `p95 latency of ${routeKey(route)} above ${ctx.thresholds.latency_p95_seconds} s for 5 minutes.`,
        props: {
          metric: metric('httpRequestDuration', 'p95', MINUTE, { route: routeKey(route) }),
          threshold: ctx.thresholds.latency_p95_seconds,
          evaluationPeriods: 5,
          datapointsToAlarm: 5,
          comparisonOperator: GT,
          treatMissingData: NOT_BREACHING,
        },
      })),
  },
  {
    name: 'MlopsHighErrorRatio',
    signal: 'api',
    inRuleFile: true,
    whenIdle: 'no requests, no data: not breaching',
    alarms: (ctx, metric) => [
      {
        description: `Errors above ${ctx.thresholds.error_ratio * 100}% of requests for 5 minutes.`,
        props: {
          metric: new cw.MathExpression({
            expression: 'IF(requests > 0, FILL(errors, 0) / requests, 0)',
            usingMetrics: {
              errors: metric('errors', 'Sum', MINUTE),
              requests: metric('httpRequests', 'Sum', MINUTE),
            },
            period: MINUTE,
            label: 'error ratio',
          }),
          threshold: ctx.thresholds.error_ratio,
          evaluationPeriods: 5,
          datapointsToAlarm: 5,
          comparisonOperator: GT,
          treatMissingData: NOT_BREACHING,
        },
      },
    ],
  },
  {
    name: 'MlopsServerErrors',
    signal: 'api',
    inRuleFile: true,
    whenIdle: 'no requests, no data: not breaching',
    alarms: (ctx, metric) => {
      // The codes that map to a 5xx (core/errors.ts), plus API Gateway's own 5xx, which also
      // counts crashes and timeouts that never reach the error mapping.
      const codes = Object.entries(ERROR_CODES)
        .filter(([, status]) => status >= 500)
        .map(([code]) => code);
      const using: Record<string, cw.IMetric> = Object.fromEntries(
        codes.map((code, i) => [`e${i}`, metric('errors', 'Sum', MINUTE, { type: code })]),
      );
      using['gateway'] = ctx.httpApi.metricServerError({ period: MINUTE, statistic: 'Sum' });
      return [
        {
          description: `Any 5xx in a minute: ${codes.join(', ')} or API Gateway 5xx.`,
          props: {
            metric: new cw.MathExpression({
              expression: Object.keys(using)
                .map((k) => `FILL(${k}, 0)`)
                .join(' + '),
              usingMetrics: using,
              period: MINUTE,
              label: '5xx',
            }),
            threshold: 0,
            evaluationPeriods: 1,
            comparisonOperator: GT,
            treatMissingData: NOT_BREACHING,
          },
        },
      ];
    },
  },
  {
    name: 'MlopsLowPredictionRate',
    signal: 'api',
    inRuleFile: true,
    whenIdle:
      'only exists when a minimum rate is configured (threshold > 0); then no data is breaching: no predictions at all is the drop it is for',
    alarms: (ctx, metric) =>
      ctx.thresholds.predictions_per_minute > 0
        ? [
            {
              description: `Fewer than ${ctx.thresholds.predictions_per_minute} predictions per minute for 10 minutes.`,
              props: {
                metric: metric('predictions', 'Sum', MINUTE),
                threshold: ctx.thresholds.predictions_per_minute,
                evaluationPeriods: 10,
                datapointsToAlarm: 10,
                comparisonOperator: LT,
                treatMissingData: cw.TreatMissingData.BREACHING,
              },
            },
          ]
        : [],
  },
  {
    // Freshness of the retraining pipeline, not of the model: a daily run on unchanged data ends
    // SKIPPED, a healthy check. 6-hour periods, all of them without a FINISHED or SKIPPED run.
    name: 'MlopsRetrainingStale',
    signal: 'model',
    inRuleFile: true,
    whenIdle:
      'no successful training run is the condition itself: missing data is breaching (the schedule runs daily)',
    alarms: (ctx, metric) => {
      const period = Duration.hours(6);
      const periods = Math.ceil(ctx.thresholds.retraining_age_seconds / period.toSeconds());
      return [
        {
          description: `No successful retraining check of ${ctx.defaultModelName} for ${ctx.thresholds.retraining_age_seconds / 3600} h.`,
          props: {
            metric: new cw.MathExpression({
              expression: 'FILL(finished, 0) + FILL(skipped, 0)',
              usingMetrics: {
                finished: metric('trainingRuns', 'Sum', period, {
                  model: ctx.defaultModelName,
                  status: 'FINISHED',
                }),
                skipped: metric('trainingRuns', 'Sum', period, {
                  model: ctx.defaultModelName,
                  status: 'SKIPPED',
                }),
              },
              period,
              label: 'successful retraining checks',
            }),
            threshold: 1,
            evaluationPeriods: periods,
            datapointsToAlarm: periods,
            comparisonOperator: LT,
            treatMissingData: cw.TreatMissingData.BREACHING,
          },
        },
      ];
    },
  },
  {
    name: 'MlopsProductionAccuracyLow',
    signal: 'model',
    inRuleFile: true,
    whenIdle: 'reported by running functions only: no report, no data, not breaching',
    alarms: (ctx, metric) => [
      {
        description: `Production model ${ctx.defaultModelName} accuracy below ${ctx.thresholds.production_accuracy}.`,
        props: {
          metric: metric('productionAccuracy', 'Minimum', Duration.minutes(5), {
            model: ctx.defaultModelName,
          }),
          threshold: ctx.thresholds.production_accuracy,
          evaluationPeriods: 1,
          comparisonOperator: LT,
          treatMissingData: NOT_BREACHING,
        },
      },
    ],
  },
  {
    // Runs that end FAILED. A crash, timeout or out-of-memory kill ends no run: that invocation
    // lands in the training-failure queue, whose alarm (MlopsDeadLetters) reports it once.
    name: 'MlopsTrainingFailed',
    signal: 'lambda',
    inRuleFile: true,
    whenIdle: 'no training, no data: not breaching',
    alarms: (_ctx, metric) => [
      {
        description: 'A training run failed, or was found ABANDONED by the reaper, in the last hour.',
        props: {
          metric: new cw.MathExpression({
            expression: 'FILL(failed, 0) + FILL(abandoned, 0)',
            usingMetrics: {
              failed: metric('trainingRuns', 'Sum', Duration.hours(1), { status: 'FAILED' }),
              abandoned: metric('trainingRuns', 'Sum', Duration.hours(1), { status: 'ABANDONED' }),
            },
            period: Duration.hours(1),
            label: 'failed or abandoned runs',
          }),
          threshold: 0,
          evaluationPeriods: 1,
          comparisonOperator: GT,
          treatMissingData: NOT_BREACHING,
        },
      },
    ],
  },
  {
    // A serving-process event: written as EMF before the request ends (a frozen environment may
    // never remote-write it), so CloudWatch even when AMP is on.
    name: 'MlopsModelLoadFailed',
    signal: 'lambda',
    inRuleFile: true,
    whenIdle: 'no loads, no data: not breaching',
    alarms: (_ctx, metric) => [
      {
        description: 'A model version failed to load in the last 15 minutes.',
        props: {
          metric: metric('modelLoadFailures', 'Sum', Duration.minutes(15)),
          threshold: 0,
          evaluationPeriods: 1,
          comparisonOperator: GT,
          treatMissingData: NOT_BREACHING,
        },
      },
    ],
  },
  {
    // Written as EMF by the serving process at each refresh while production is served by a
    // fallback version, like the load failures above.
    name: 'MlopsModelDegraded',
    signal: 'lambda',
    inRuleFile: true,
    whenIdle: 'no refresh, no data: not breaching',
    alarms: (_ctx, metric) => [
      {
        description: 'Production is served by a fallback version: the version it names failed to load.',
        props: {
          metric: metric('modelDegraded', 'Maximum', Duration.minutes(1)),
          threshold: 0,
          evaluationPeriods: 1,
          comparisonOperator: GT,
          treatMissingData: NOT_BREACHING,
        },
      },
    ],
  },
  {
    name: 'MlopsDeadLetters',
    signal: 'queue',
    inRuleFile: false,
    whenIdle:
      'missing data keeps the current state: SQS stops publishing for a queue untouched for 6 hours, so a message left unread keeps the alarm in ALARM, and an empty new queue stays INSUFFICIENT_DATA (no notification)',
    alarms: (ctx) =>
      Object.entries(ctx.deadLetterQueues).map(([name, queue]) => ({
        suffix: name,
        description: `A message is waiting in the ${name} dead-letter queue: something failed and was not retried.`,
        props: {
          metric: queue.metricApproximateNumberOfMessagesVisible({
            period: Duration.minutes(5),
            statistic: 'Maximum',
          }),
          threshold: 0,
          evaluationPeriods: 1,
          comparisonOperator: GT,
          treatMissingData: cw.TreatMissingData.IGNORE,
        },
      })),
  },
];

/**
 * Where a condition is evaluated in AWS: model signals in AMP when the functions write there,
 * everything else (and model signals without AMP) in CloudWatch.
 */
export function alarmRoute(definition: AlarmDefinition, prometheus: boolean): AlarmRoute {
  return definition.signal === 'model' && prometheus ? 'prometheus' : 'cloudwatch';
}

/** The rule file's alerts AMP evaluates (the others are left out of its rule groups namespace). */
export function prometheusAlerts(prometheus: boolean): string[] {
  return ALARM_TABLE.filter((d) => d.inRuleFile && alarmRoute(d, prometheus) === 'prometheus').map(
    (d) => d.name,
  );
}

/** EMF metrics of the platform, in the stage's namespace, with the service dimension. */
export function emfMetricFactory(stage: string): MetricFactory {
  const namespace = cloudWatchNamespace(stage);
  return (key, statistic, period, dimensions = {}) =>
    new cw.Metric({
      namespace,
      metricName: METRICS[key].name,
      dimensionsMap: { service: SERVICE_NAME, ...dimensions },
      statistic,
      period,
    });
}

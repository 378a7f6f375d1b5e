/**
 * Every metric the platform emits, defined once: name, help, type, labels and buckets. The
 * Prometheus registry (GET /metrics, AMP remote write), the EMF writer (CloudWatch), the alert
 * rules, the Grafana dashboards and the CDK alarms all read names from here; a test checks that
 * every PromQL expression under dashboards/ names only these metrics.
 */
export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricDefinition<L extends string = string, T extends MetricType = MetricType> {
  readonly name: string;
  readonly help: string;
  readonly type: T;
  readonly labels: readonly L[];
  /** Histogram upper bounds, in the metric's unit. */
  readonly buckets?: readonly number[];
  /** CloudWatch unit of the EMF value. */
  readonly unit: 'Count' | 'Seconds' | 'None';
}

const define = <L extends string, T extends MetricType>(definition: MetricDefinition<L, T>) => definition;

/** Seconds: from a cached health check (~1 ms) to a Lambda cold start (several s). */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Seconds: one row scores in well under a millisecond; a 1,000-row batch in a few. */
const INFERENCE_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

export const METRICS = {
  httpRequests: define({
    name: 'mlops_http_requests_total',
    help: 'HTTP requests answered, by route and status code.',
    type: 'counter',
    labels: ['route', 'status'],
    unit: 'Count',
  }),
  httpRequestDuration: define({
    name: 'mlops_http_request_duration_seconds',
    help: 'Time from request to response inside the handler, by route.',
    type: 'histogram',
    labels: ['route'],
    buckets: LATENCY_BUCKETS,
    unit: 'Seconds',
  }),
  predictions: define({
    name: 'mlops_predictions_total',
    help: 'Rows scored, by model, model version and predicted class.',
    type: 'counter',
    labels: ['model', 'version', 'class'],
    unit: 'Count',
  }),
  inferenceDuration: define({
    name: 'mlops_inference_duration_seconds',
    help: 'ONNX scoring time per request (one row or a batch).',
    type: 'histogram',
    labels: [],
    buckets: INFERENCE_BUCKETS,
    unit: 'Seconds',
  }),
  inferenceBatchRows: define({
    name: 'mlops_inference_batch_rows',
    help: 'Rows per scoring call.',
    type: 'histogram',
    labels: [],
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
    unit: 'Count',
  }),
  errors: define({
    name: 'mlops_errors_total',
    help: 'Requests answered with an error, by error code (core/errors.ts).',
    type: 'counter',
    labels: ['type'],
    unit: 'Count',
  }),
  modelLoads: define({
    name: 'mlops_model_loads_total',
    help: 'Model versions loaded into a serving process.',
    type: 'counter',
    labels: ['model', 'version'],
    unit: 'Count',
  }),
  modelLoadFailures: define({
    name: 'mlops_model_load_failures_total',
    help: 'Model versions that failed to load (missing artifact, bad digest, bad graph).',
    type: 'counter',
    labels: ['model', 'version'],
    unit: 'Count',
  }),
  modelDegraded: define({
    name: 'mlops_model_degraded',
    help: 'Whether production of a model is served by a fallback version (1) because the version it names failed to load, or as named (0).',
    type: 'gauge',
    labels: ['model'],
    unit: 'None',
  }),
  trainingRuns: define({
    name: 'mlops_training_runs_total',
    help: 'Training runs, by model and final status (FINISHED, SKIPPED when the data had not changed, FAILED, or ABANDONED by the reaper).',
    type: 'counter',
    labels: ['model', 'status'],
    unit: 'Count',
  }),
  trainingDuration: define({
    name: 'mlops_training_duration_seconds',
    help: 'Wall time of a training run, dataset read to registration.',
    type: 'histogram',
    labels: ['model'],
    buckets: [1, 5, 10, 30, 60, 120, 300, 600, 900],
    unit: 'Seconds',
  }),
  trainingLastSuccess: define({
    name: 'mlops_training_last_success_timestamp_seconds',
    help: 'When a training run of the model last ended without failing (Unix seconds): a new version, or SKIPPED because the data had not changed. The retraining freshness alert reads it.',
    type: 'gauge',
    labels: ['model'],
    unit: 'None',
  }),
  trainingAccuracy: define({
    name: 'mlops_training_test_accuracy',
    help: 'Test-split accuracy of the latest finished training run, by model.',
    type: 'gauge',
    labels: ['model'],
    unit: 'None',
  }),
  productionAccuracy: define({
    name: 'mlops_production_model_accuracy',
    help: 'Test accuracy recorded for the version the production alias points at.',
    type: 'gauge',
    labels: ['model'],
    unit: 'None',
  }),
  productionVersion: define({
    name: 'mlops_production_model_version',
    help: 'Version number the production alias points at.',
    type: 'gauge',
    labels: ['model'],
    unit: 'None',
  }),
  productionTrainedAt: define({
    name: 'mlops_production_model_trained_timestamp_seconds',
    help: 'When the production version was trained (Unix seconds).',
    type: 'gauge',
    labels: ['model'],
    unit: 'None',
  }),
  productionAge: define({
    name: 'mlops_production_model_age_seconds',
    help: 'Age of the production version when reported (CloudWatch alarms on it; PromQL uses time() - trained_timestamp).',
    type: 'gauge',
    labels: ['model'],
    unit: 'Seconds',
  }),
} as const;

export type MetricKey = keyof typeof METRICS;
export type LabelsOf<K extends MetricKey> = Record<(typeof METRICS)[K]['labels'][number], string>;

/** Every series name a PromQL query may use: histogram families add _bucket, _sum and _count. */
export function seriesNames(): Set<string> {
  const names = new Set<string>();
  for (const metric of Object.values(METRICS)) {
    names.add(metric.name);
    if (metric.type === 'histogram') {
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(metric.name + suffix);
    }
  }
  return names;
}

/** CloudWatch namespace per stage, so several stages can share an account (CDK alarms use the same). */
export function cloudWatchNamespace(stage: string): string {
  return `MLOps/${stage}`;
}

/** EMF default dimension on every CloudWatch metric (Powertools' `service`). */
export const SERVICE_NAME = 'mlops';

/** CloudWatch alarm names start with this (CDK names them, `mlops status` lists them). */
export function alarmNamePrefix(stage: string): string {
  return `mlops-${stage}-`;
}

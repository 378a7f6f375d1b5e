import { Counter, Gauge, Histogram, type Metric, Registry } from 'prom-client';
import { METRICS, type MetricKey } from './catalog.js';

export type PromMetrics = {
  [K in MetricKey]: (typeof METRICS)[K]['type'] extends 'counter'
    ? Counter<string>
    : (typeof METRICS)[K]['type'] extends 'histogram'
      ? Histogram<string>
      : Gauge<string>;
};

/**
 * One prom-client registry per process, built from the catalog. It backs both GET /metrics
 * (text exposition) and the AMP remote writer (which reads the same values as JSON), so the
 * series names and labels cannot differ between the two.
 */
export function createPromRegistry(): { registry: Registry; metrics: PromMetrics } {
  const registry = new Registry();
  const metrics = {} as Record<MetricKey, Metric<string>>;
  for (const [key, def] of Object.entries(METRICS) as [MetricKey, (typeof METRICS)[MetricKey]][]) {
    const common = {
      name: def.name,
      help: def.help,
      labelNames: [...def.labels] as string[],
      registers: [registry],
    };
    metrics[key] =
      def.type === 'counter'
        ? new Counter(common)
        : def.type === 'histogram'
          ? new Histogram({ ...common, buckets: [...(def as { buckets: readonly number[] }).buckets] })
          : new Gauge(common);
  }
  return { registry, metrics: metrics as unknown as PromMetrics };
}

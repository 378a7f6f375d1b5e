import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS, type MetricKey, SERVICE_NAME } from './catalog.js';

/**
 * CloudWatch dimension sets per metric: the full label set plus the roll-ups the alarms and the
 * dashboard read (e.g. requests by route, and all requests). `[]` is the service-wide total.
 * Metrics not listed are published with their full label set only.
 */
export const EMF_ROLLUPS: Partial<Record<MetricKey, readonly (readonly string[])[]>> = {
  httpRequests: [['route', 'status'], ['route'], []],
  httpRequestDuration: [['route'], []],
  predictions: [['model', 'version', 'class'], ['model'], []],
  errors: [['type'], []],
  modelLoadFailures: [['model', 'version'], []],
  trainingRuns: [['model', 'status'], ['status']],
};

/**
 * EMF allows at most 100 values per metric in one record, and Powertools publishes by itself
 * (dropping our dimensions) when a metric reaches 100, so records are cut at 99.
 */
const MAX_VALUES = 99;

/**
 * Powertools warns whenever a key is in two dimension sets, which is exactly what a roll-up is
 * (same key, same value; valid EMF). That one warning would be logged on every request, so it
 * is dropped; every other warning goes to the console as before.
 */
const ROLLUP_QUIET_LOGGER = {
  debug: () => {},
  info: () => {},
  error: (...args: unknown[]) => console.error(...args),
  warn: (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].includes('as both a dimension set and dimension set')) return;
    console.warn(...args);
  },
};

interface Group {
  readonly dimensionSets: Record<string, string>[];
  readonly metrics: Map<MetricKey, number[]>;
}

/**
 * Buffers observations and writes them as Embedded Metric Format records (one JSON line per
 * dimension combination) through Powertools. Counters are summed per flush, histogram and gauge
 * observations are kept as raw values so CloudWatch can compute percentiles from them.
 */
export class EmfWriter {
  private readonly groups = new Map<string, Group>();
  private readonly powertools: Metrics;

  constructor(namespace: string) {
    this.powertools = new Metrics({ namespace, serviceName: SERVICE_NAME, logger: ROLLUP_QUIET_LOGGER });
  }

  record(key: MetricKey, labels: Record<string, string>, value: number): void {
    const def = METRICS[key];
    const rollups = EMF_ROLLUPS[key] ?? [def.labels];
    const dimensionSets = rollups.map((names) => Object.fromEntries(names.map((n) => [n, labels[n] ?? ''])));
    const id = JSON.stringify(dimensionSets);
    let group = this.groups.get(id);
    if (!group) {
      group = { dimensionSets, metrics: new Map() };
      this.groups.set(id, group);
    }
    const values = group.metrics.get(key);
    if (!values) group.metrics.set(key, [value]);
    else if (def.type === 'counter') values[0] = (values[0] ?? 0) + value;
    else values.push(value);
  }

  /** Writes everything buffered to stdout, where the Lambda runtime ships it to CloudWatch Logs. */
  flush(): void {
    for (const group of this.groups.values()) {
      let remaining = true;
      let offset = 0;
      while (remaining) {
        remaining = false;
        for (const set of group.dimensionSets) this.powertools.addDimensions(set);
        for (const [key, values] of group.metrics) {
          const def = METRICS[key];
          for (const value of values.slice(offset, offset + MAX_VALUES)) {
            this.powertools.addMetric(def.name, def.unit, value);
          }
          if (values.length > offset + MAX_VALUES) remaining = true;
        }
        this.powertools.publishStoredMetrics();
        offset += MAX_VALUES;
      }
    }
    this.groups.clear();
  }
}

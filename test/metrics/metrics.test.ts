import { readFileSync } from 'node:fs';
import { jest } from '@jest/globals';
import { cloudWatchNamespace, METRICS, SERVICE_NAME, seriesNames } from '../../core/metrics/catalog.js';
import { PlatformMetrics } from '../../core/metrics/index.js';

describe('metrics catalog', () => {
  test('names are unique, Prometheus-valid, and counters end in _total', () => {
    const names = Object.values(METRICS).map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    for (const metric of Object.values(METRICS)) {
      expect(metric.name).toMatch(/^mlops_[a-z0-9_]+$/);
      if (metric.type === 'counter') expect(metric.name).toMatch(/_total$/);
      if (metric.type === 'histogram') expect(metric.buckets?.length).toBeGreaterThan(0);
      for (const label of metric.labels) expect(label).toMatch(/^[a-z_][a-z0-9_]*$/);
    }
    expect(seriesNames()).toContain('mlops_http_request_duration_seconds_bucket');
  });

  test('docs/monitoring.md lists every metric with its help text', () => {
    const doc = readFileSync(new URL('../../docs/monitoring.md', import.meta.url), 'utf8');
    for (const metric of Object.values(METRICS)) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${metric.name}\` |`));
      expect({ metric: metric.name, row: row?.includes(`| ${metric.type} |`) }).toEqual({
        metric: metric.name,
        row: true,
      });
    }
  });
});

describe('Prometheus exposition', () => {
  test('every hook lands in GET /metrics text with its labels', async () => {
    const now = Date.parse('2026-01-02T00:00:00Z');
    const m = new PlatformMetrics({ now: () => now });
    m.request('POST /predict', 200, 12);
    m.request('POST /predict', 422, 3);
    m.prediction('iris', 3, 'setosa');
    m.prediction('iris', 3, 'setosa');
    m.inference(0.4, 2);
    m.error('VALIDATION_FAILED');
    m.modelLoad('iris', 3, true);
    m.modelLoad('iris', 4, false);
    m.trainingRun({ model: 'iris', status: 'FINISHED', durationMs: 1500, accuracy: 0.96 });
    m.productionModel({
      name: 'iris',
      version: 3,
      metrics: { accuracy: 0.96 },
      trainedAt: '2026-01-01T00:00:00Z',
    });
    const text = await m.text();
    expect(text).toContain('mlops_http_requests_total{route="POST /predict",status="200"} 1');
    expect(text).toContain('mlops_http_requests_total{route="POST /predict",status="422"} 1');
    expect(text).toContain('mlops_http_request_duration_seconds_bucket{le="0.025",route="POST /predict"} 2');
    expect(text).toContain('mlops_predictions_total{model="iris",version="3",class="setosa"} 2');
    expect(text).toContain('mlops_inference_batch_rows_count 1');
    expect(text).toContain('mlops_errors_total{type="VALIDATION_FAILED"} 1');
    expect(text).toContain('mlops_model_loads_total{model="iris",version="3"} 1');
    expect(text).toContain('mlops_model_load_failures_total{model="iris",version="4"} 1');
    expect(text).toContain('mlops_training_runs_total{model="iris",status="FINISHED"} 1');
    expect(text).toContain('mlops_training_test_accuracy{model="iris"} 0.96');
    expect(text).toContain('mlops_production_model_accuracy{model="iris"} 0.96');
    expect(text).toContain('mlops_production_model_version{model="iris"} 3');
    expect(text).toContain(
      `mlops_production_model_trained_timestamp_seconds{model="iris"} ${now / 1000 - 86400}`,
    );
    expect(text).toContain('mlops_production_model_age_seconds{model="iris"} 86400');
    for (const metric of Object.values(METRICS)) expect(text).toContain(`# HELP ${metric.name} `);
  });

  test('no EMF output outside Lambda', () => {
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      new PlatformMetrics().request('GET /health', 200, 1);
      expect(write).not.toHaveBeenCalled();
    } finally {
      write.mockRestore();
    }
  });
});

describe('Embedded Metric Format (CloudWatch)', () => {
  function captureEmf(action: (m: PlatformMetrics) => void): Record<string, unknown>[] {
    const lines: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      action(new PlatformMetrics({ emfNamespace: cloudWatchNamespace('dev') }));
    } finally {
      write.mockRestore();
    }
    return lines
      .flatMap((l) => l.split('\n'))
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  type Directive = { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] };
  const directive = (record: Record<string, unknown>) =>
    (record['_aws'] as { CloudWatchMetrics: Directive[] }).CloudWatchMetrics[0]!;

  test('a request becomes EMF records with the same names, labels as dimensions, and roll-ups', () => {
    const records = captureEmf((m) => {
      m.prediction('iris', 2, 'setosa');
      m.prediction('iris', 2, 'setosa');
      m.prediction('iris', 2, 'virginica');
      m.inference(2, 3);
      m.request('POST /predict', 200, 250);
    });
    const byMetric = (name: string) =>
      records.filter((r) => directive(r).Metrics.some((metric) => metric.Name === name));

    const requests = byMetric(METRICS.httpRequests.name);
    expect(requests).toHaveLength(1);
    const req = requests[0]!;
    expect(directive(req).Namespace).toBe('MLOps/dev');
    expect(directive(req).Dimensions).toEqual([
      ['service', 'route', 'status'],
      ['service', 'route'],
      ['service'],
    ]);
    expect(req).toMatchObject({ service: SERVICE_NAME, route: 'POST /predict', status: '200' });
    expect(req[METRICS.httpRequests.name]).toBe(1);

    const duration = byMetric(METRICS.httpRequestDuration.name)[0]!;
    expect(duration[METRICS.httpRequestDuration.name]).toBe(0.25);
    expect(directive(duration).Metrics[0]!.Unit).toBe('Seconds');

    const predictions = byMetric(METRICS.predictions.name);
    const counts = Object.fromEntries(predictions.map((r) => [r['class'], r[METRICS.predictions.name]]));
    expect(counts).toEqual({ setosa: 2, virginica: 1 });

    const inference = byMetric(METRICS.inferenceDuration.name)[0]!;
    expect(inference[METRICS.inferenceBatchRows.name]).toBe(3);
  });

  test('roll-ups (a key in several dimension sets) do not log a Powertools warning per request', () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      captureEmf((m) => m.request('POST /predict', 200, 5));
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  test('production model gauges include the age CloudWatch alarms on', () => {
    const records = captureEmf((m) =>
      m.productionModel({
        name: 'iris',
        version: 7,
        metrics: { accuracy: 0.9 },
        trainedAt: new Date(Date.now() - 3600_000).toISOString(),
      }),
    );
    expect(records).toHaveLength(1);
    const record = records[0]!;
    expect(record['model']).toBe('iris');
    expect(record[METRICS.productionAccuracy.name]).toBe(0.9);
    expect(record[METRICS.productionVersion.name]).toBe(7);
    expect(record[METRICS.productionAge.name] as number).toBeGreaterThanOrEqual(3599);
  });

  test('histograms keep raw values, at most 100 per record', () => {
    const records = captureEmf((m) => {
      for (let i = 0; i < 150; i++) m.inference(1, 1);
      m.flush();
    });
    const sizes = records.map((r) => (r[METRICS.inferenceDuration.name] as number[]).length);
    expect(sizes.every((n) => n <= 100)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(150);
    for (const record of records) expect(directive(record).Dimensions).toEqual([['service']]);
  });
});

import { type SynthesizedApp, synthesizeApp } from '../../scripts/app-templates.js';
import {
  alarmMetricCount,
  billedMs,
  idleCost,
  PRICES,
  perMillionPredictions,
  readBenchFigures,
  runsPerMonth,
  total,
} from '../../scripts/cost-model.js';

/** The cost model over the real synthesized templates (what `npm run cost` reads). */
let plain: SynthesizedApp;
let full: SynthesizedApp;
beforeAll(() => {
  plain = synthesizeApp({ stage: 'dev' });
  full = synthesizeApp({ stage: 'dev', grafana: 'true', predictTracing: 'true' });
}, 120_000);

const templatesOf = (app: SynthesizedApp) => app.stacks.map((s) => s.template);
const training = { runsPerMonth: 30, seconds: 4, memoryMb: 2048 };

test('idle: every alarm metric, the dashboard, the KMS key and the secret, priced from the templates', () => {
  const lines = idleCost(templatesOf(plain), training);
  const byItem = Object.fromEntries(lines.map((l) => [l.item, l]));
  const alarms = templatesOf(plain)
    .flatMap((t) => Object.values(t['Resources'] as Record<string, { Type: string }>))
    .filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
  const metrics = alarms.reduce((n, a) => n + alarmMetricCount(a), 0);
  expect(metrics).toBeGreaterThan(alarms.length); // metric-math alarms count each metric they read
  expect(byItem['CloudWatch alarm metrics']!.monthly).toBeCloseTo(metrics * PRICES.alarmPerMetricMonth);
  expect(byItem['KMS key (alert topic)']!.monthly).toBe(PRICES.kmsKeyPerMonth);
  expect(byItem['CloudWatch dashboard']!.monthly).toBe(PRICES.dashboardPerMonth);
  expect(byItem['Managed Grafana editor license']).toBeUndefined();
  const withGrafana = total(idleCost(templatesOf(full), training));
  expect(withGrafana - total(lines)).toBeCloseTo(PRICES.grafanaEditorPerMonth);
});

test('per million single-row predictions: HTTP API and logs dominate; X-Ray only when predict is traced', () => {
  const bench = readBenchFigures();
  const profile = { label: '1 row', rows: 1, handlerMs: bench.singleRowMs, functionLogBytes: 1500 };
  const untraced = perMillionPredictions({
    templates: templatesOf(plain),
    profile,
    requestsPerSecond: 10,
    ampSeries: 44,
  });
  const item = (lines: typeof untraced, name: string) => lines.find((l) => l.item.startsWith(name))!.monthly;
  expect(item(untraced, 'HTTP API')).toBe(1);
  expect(item(untraced, 'X-Ray')).toBe(0);
  expect(item(untraced, 'CloudWatch Logs ingestion')).toBeGreaterThan(0.5);
  const traced = perMillionPredictions({
    templates: templatesOf(full),
    profile,
    requestsPerSecond: 10,
    ampSeries: 44,
  });
  // Lambda samples the first request each second and 5% of the rest: 14.5% at 10 req/s.
  expect(item(traced, 'X-Ray')).toBeCloseTo(0.145 * PRICES.xrayPerMillionTraces);
  // Batches: a thousand times fewer requests for the same predictions.
  const batch = perMillionPredictions({
    templates: templatesOf(plain),
    profile: { label: 'batch', rows: 1000, handlerMs: bench.batchMs, functionLogBytes: 2200 },
    requestsPerSecond: 10,
    ampSeries: 44,
  });
  expect(total(batch)).toBeLessThan(total(untraced) / 100);
});

test('inputs: benchmark figures from the docs, Lambda billing granularity, schedule frequency', () => {
  const bench = readBenchFigures();
  expect(bench.singleRowMs).toBeGreaterThan(0);
  expect(bench.batchRows).toBe(1000);
  expect(billedMs(0.09, 1024)).toBe(1);
  expect(billedMs(3.28, 1024)).toBe(6); // 1,024 MB is ~0.58 of the core the bench ran on
  expect(runsPerMonth('cron(0 3 * * ? *)')).toBe(30);
  expect(runsPerMonth('rate(1 hour)')).toBe(730);
});

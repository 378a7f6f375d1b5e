/**
 * `npm run cost`: the monthly cost of a deployed stage at idle, and the cost of one million
 * predictions (single rows and 1,000-row batches), computed from the synthesized templates, the
 * benchmarks' measured durations and the log bytes the code really writes per request.
 *
 * Usage: npm run cost [-- --rate 10] [-- --write] [-- -c key=value ...]
 *   --rate    sustained requests per second while serving (X-Ray sampling and AMP depend on it)
 *   --write   rewrite the block between the markers in docs/cost.md
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { PlatformMetrics } from '../core/metrics/index.js';
import { toTimeSeries } from '../core/metrics/remote-write.js';
import { accessLog } from '../lambdas/shared/logger.js';
import { parseArgs, synthesizeApp } from './app-templates.js';
import {
  billedMs,
  functionMemoryMb,
  idleCost,
  type Line,
  PRICES,
  perMillionPredictions,
  type RequestProfile,
  readBenchFigures,
  runsPerMonth,
  total,
} from './cost-model.js';

const { context, options } = parseArgs(process.argv.slice(2));
const rate = Number(options['rate'] ?? 10);
const CLASSES = ['setosa', 'versicolor', 'virginica'];

/** Bytes and distinct CloudWatch metrics one predict request writes, by running the same hooks. */
async function measureRequest(rows: number) {
  const write = process.stdout.write.bind(process.stdout);
  let bytes = 0;
  const metrics = new Set<string>();
  process.stdout.write = ((chunk: string | Uint8Array) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    bytes += Buffer.byteLength(text);
    for (const line of text.split('\n').filter(Boolean)) {
      const record = JSON.parse(line) as {
        _aws?: { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] };
        [k: string]: unknown;
      };
      for (const directive of record._aws?.CloudWatchMetrics ?? []) {
        for (const dims of directive.Dimensions) {
          for (const metric of directive.Metrics) {
            metrics.add(`${metric.Name}{${dims.map((d) => `${d}=${record[d]}`).join(',')}}`);
          }
        }
      }
    }
    return true;
  }) as typeof process.stdout.write;
  const emf = new PlatformMetrics({ emfNamespace: 'MLOps/cost' });
  try {
    emf.inference(0.05 * rows, rows);
    for (let r = 0; r < rows; r++) emf.prediction('iris', 1, CLASSES[r % CLASSES.length]!);
    emf.request('POST /predict', 200, 1);
    accessLog({
      requestId: '0f6d0a3e-5a41-4c7b-9f0e-3f1b2b8b9c21',
      route: 'POST /predict',
      status: 200,
      latencyMs: 0.312,
      modelVersion: 1,
    });
  } finally {
    process.stdout.write = write;
    emf.close();
  }
  const prom = new PlatformMetrics();
  prom.inference(1, rows);
  for (let r = 0; r < rows; r++) prom.prediction('iris', 1, CLASSES[r % CLASSES.length]!);
  prom.request('POST /predict', 200, 1);
  const series = toTimeSeries(await prom.snapshot(), { job: 'j', instance: 'i' }, Date.now()).length;
  return { bytes, metrics: metrics.size, series };
}

const money = (n: number) => `$${n < 0.01 && n > 0 ? n.toFixed(4) : n.toFixed(2)}`;
const table = (lines: readonly Line[]) =>
  [
    '| item | quantity | USD / month |',
    '|---|---|---:|',
    ...lines.map((l) => `| ${l.item} | ${l.quantity} | ${money(l.monthly)} |`),
    `| **total** | | **${money(total(lines))}** |`,
  ].join('\n');

const bench = readBenchFigures();
const single = await measureRequest(1);
const batch = await measureRequest(bench.batchRows);
const variants = [
  { name: 'dev (default)', context: { stage: 'dev' } },
  { name: 'dev, grafana=true', context: { stage: 'dev', grafana: 'true' } },
  { name: 'prod', context: { stage: 'prod', alertEmail: 'ops@example.com' } },
  { name: 'prod, grafana=true', context: { stage: 'prod', alertEmail: 'ops@example.com', grafana: 'true' } },
];
const out: string[] = [];
out.push(
  `Prices: AWS public list prices, ${PRICES.region}, on-demand, first tier, as of ${PRICES.date} (scripts/cost-model.ts); free tiers not applied.`,
  `Measured inputs: predict handler p50 ${bench.singleRowMs} ms (1 row) and ${bench.batchMs} ms (${bench.batchRows.toLocaleString('en-US')} rows) from docs/benchmarks.md; ` +
    `a ${bench.trainingTrials}-trial iris search in ${bench.trainingMs.toLocaleString('en-US')} ms from docs/lifecycle-bench.md; ` +
    `log bytes the code writes per request: ${single.bytes} B (1 row), ${batch.bytes} B (${bench.batchRows.toLocaleString('en-US')} rows).`,
  '',
);
const summary: string[] = ['| stage | idle USD / month |', '|---|---:|'];
let first: ReturnType<typeof synthesizeApp> | undefined;
for (const variant of variants) {
  const app = synthesizeApp({ ...variant.context, ...context });
  first ??= app;
  const templates = app.stacks.map((s) => s.template);
  const trainMemory = functionMemoryMb(templates, 'Trains, records the run and registers the model version');
  const trainSeconds =
    billedMs((bench.trainingMs * app.config.trainingTrials) / bench.trainingTrials, trainMemory) / 1000;
  const idle = idleCost(templates, {
    runsPerMonth: runsPerMonth(app.config.trainingSchedule),
    seconds: trainSeconds,
    memoryMb: trainMemory,
  });
  summary.push(`| ${variant.name} | ${money(total(idle))} |`);
  if (variant === variants[0]) out.push(`### Idle: ${variant.name}`, '', table(idle), '');
}
out.push('### Idle, per stage', '', ...summary, '');

const templates = first!.stacks.map((s) => s.template);
const ampSeries = first!.config.metricsRemoteWrite === 'amp' ? single.series : 0;
const profiles: RequestProfile[] = [
  { label: 'single-row requests', rows: 1, handlerMs: bench.singleRowMs, functionLogBytes: single.bytes },
  {
    label: `${bench.batchRows.toLocaleString('en-US')}-row batches`,
    rows: bench.batchRows,
    handlerMs: bench.batchMs,
    functionLogBytes: batch.bytes,
  },
];
for (const profile of profiles) {
  const lines = perMillionPredictions({ templates, profile, requestsPerSecond: rate, ampSeries });
  out.push(`### One million predictions as ${profile.label} (${rate} req/s sustained)`, '', table(lines), '');
}
out.push(
  `While predictions flow every hour, CloudWatch also bills the custom metrics the EMF lines create: ` +
    `${single.metrics} for one model version with one route and status (${money(single.metrics * PRICES.customMetricPerMonth)} / month), ` +
    'more with every route, status, model version and class seen.',
);

const report = out.join('\n');
console.log(report);
if (options['write']) {
  const file = new URL('../docs/cost.md', import.meta.url);
  const doc = readFileSync(file, 'utf8');
  const start = '<!-- cost:start -->';
  const end = '<!-- cost:end -->';
  const command = `npm run cost -- --rate ${rate}${
    Object.keys(context).length
      ? ` ${Object.entries(context)
          .map(([k, v]) => `-c ${k}=${v}`)
          .join(' ')}`
      : ''
  }`;
  const block = `${start}\n${report}\n\n(\`${command}\`, ${new Date().toISOString().slice(0, 10)})\n${end}`;
  if (!doc.includes(start)) throw new Error('docs/cost.md has no cost markers');
  writeFileSync(file, doc.replace(new RegExp(`${start}[\\s\\S]*${end}`), block));
}

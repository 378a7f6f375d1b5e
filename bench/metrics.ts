/**
 * `npm run bench:metrics`: what the metrics cost a request, a scrape and a remote-write flush.
 * Figures go to docs/monitoring.md ("Overhead"). CPU only: no network, EMF lines discarded.
 */
import { PlatformMetrics } from '../core/metrics/index.js';
import { encodeWriteRequest, toTimeSeries } from '../core/metrics/remote-write.js';

const print = (line: string) => process.stderr.write(`${line}\n`);

function time(label: string, iterations: number, fn: (i: number) => void): number {
  for (let i = 0; i < Math.min(iterations, 2000); i++) fn(i); // warm-up
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn(i);
  const perOp = Number(process.hrtime.bigint() - started) / iterations / 1000;
  print(`${label.padEnd(58)} ${perOp.toFixed(2).padStart(8)} µs`);
  return perOp;
}

const ROUTES = ['POST /predict', 'GET /health', 'GET /model-info', 'POST /token', 'POST /users', 'GET /'];
const CLASSES = ['setosa', 'versicolor', 'virginica'];

/** One predict request's hooks: a single row. */
function predictRequest(m: PlatformMetrics, i: number) {
  m.inference(0.3, 1);
  m.prediction('iris', 1 + (i % 3), CLASSES[i % 3]!);
  m.request(ROUTES[i % ROUTES.length]!, i % 20 === 0 ? 422 : 200, 4 + (i % 50));
}

async function main() {
  print(`node ${process.version}, ${process.platform}/${process.arch}\n`);
  const prom = new PlatformMetrics();
  time('request hooks, Prometheus registry only (local server)', 200_000, (i) => predictRequest(prom, i));

  const write = process.stdout.write.bind(process.stdout);
  let emfBytes = 0;
  let emfLines = 0;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    emfBytes += chunk.length;
    emfLines++;
    return true;
  }) as typeof process.stdout.write;
  const emf = new PlatformMetrics({ emfNamespace: 'MLOps/bench' });
  const n = 20_000;
  time('request hooks + EMF (Lambda)', n, (i) => predictRequest(emf, i));
  process.stdout.write = write;
  print(
    `${'  EMF output per request'.padEnd(58)} ${(emfLines / (n + 2000)).toFixed(1)} lines, ${Math.round(emfBytes / (n + 2000))} bytes`,
  );

  const batch = new PlatformMetrics();
  time('1,000-row batch: 1,000 prediction() calls + request()', 500, (i) => {
    for (let r = 0; r < 1000; r++) batch.prediction('iris', 1, CLASSES[r % 3]!);
    batch.inference(3, 1000);
    batch.request('POST /predict', 200, 8 + (i % 5));
  });

  // A populated registry: every route × a few statuses, 3 versions × 3 classes, training gauges.
  for (const route of ROUTES) for (const status of [200, 401, 422, 503]) prom.request(route, status, 10);
  prom.trainingRun({ model: 'iris', status: 'FINISHED', durationMs: 1200, accuracy: 0.96 });
  prom.productionModel({
    name: 'iris',
    version: 3,
    metrics: { accuracy: 0.96 },
    trainedAt: new Date().toISOString(),
  });
  const snapshot = await prom.snapshot();
  const series = toTimeSeries(snapshot, { job: 'mlops-predict', instance: 'predict:abcd1234' }, Date.now());
  const text = await prom.text();
  print(`\nregistry: ${series.length} series, exposition ${(text.length / 1024).toFixed(1)} KiB`);
  let started = performance.now();
  for (let i = 0; i < 200; i++) await prom.text();
  print(
    `${'GET /metrics rendering'.padEnd(58)} ${(((performance.now() - started) / 200) * 1000).toFixed(0).padStart(8)} µs`,
  );
  started = performance.now();
  let body: Uint8Array = new Uint8Array();
  for (let i = 0; i < 200; i++) {
    body = encodeWriteRequest(toTimeSeries(await prom.snapshot(), { job: 'j', instance: 'i' }, Date.now()));
  }
  print(
    `${'remote-write flush: snapshot + protobuf + snappy'.padEnd(58)} ${(((performance.now() - started) / 200) * 1000).toFixed(0).padStart(8)} µs`,
  );
  print(`${'  body'.padEnd(58)} ${body.length} bytes (snappy)`);
}

void main();

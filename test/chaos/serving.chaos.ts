import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registryService, runStore } from '../../core/services/index.js';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime.js';
import { figure, load, percentile, type Server, signIn, sleep, startServer, stop } from './harness.js';

/**
 * Serving while other things happen, on a real `npm start`: a heavy training run started through
 * the API (it trains in a worker thread) and promotions back and forth. Predictions keep being
 * answered, all of them; the latency figures are printed (timings are reported, not asserted).
 */
const IRIS = [5.1, 3.5, 1.4, 0.2];
let home: string;
let server: Server;
let runtime: LocalRuntime;
let user: string;
let admin: string;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'mlops-chaos-serve-'));
  server = await startServer(home, { MODEL_REFRESH_SECONDS: '0.5' });
  runtime = await startLocalRuntime({ home, report: () => {} });
  user = await signIn(server.url, 'user');
  admin = await signIn(server.url, 'admin');
}, 180_000);

afterAll(async () => {
  await runtime?.stop();
  if (server) await stop(server.child);
  rmSync(home, { recursive: true, force: true });
});

test('a heavy training run started through the API does not hold up predictions', async () => {
  const body = () => ({ features: IRIS });
  await load(server.url, { token: user, body, concurrency: 2, durationMs: 2000 }); // warm
  const idle = await load(server.url, { token: user, body, concurrency: 2, durationMs: 5000 });

  const res = await fetch(`${server.url}/train`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
    body: JSON.stringify({
      dataset: 'builtin:breast_cancer',
      model_name: 'heavy',
      trials: 40,
      algorithm: 'auto',
      cv: 3,
    }),
  });
  expect(res.status).toBe(202);
  const { run_id: runId } = (await res.json()) as { run_id: string };
  // Measure only while the run trains: from its first trial to its end (or 40 s).
  const deadline = performance.now() + 30_000;
  while ((await runStore().listTrials(runId, 1)).length === 0 && performance.now() < deadline)
    await sleep(100);
  const during = await load(server.url, { token: user, body, concurrency: 2, durationMs: 15_000 });
  const run = await runStore().require(runId);
  const trialsDone = (await runStore().listTrials(runId)).filter((t) => t.status !== 'RUNNING').length;

  figure(
    '/predict p99 idle',
    `${percentile(idle.latenciesMs, 99).toFixed(2)} ms (p50 ${percentile(idle.latenciesMs, 50).toFixed(2)}, ${idle.count} requests)`,
  );
  figure(
    '/predict p99 during a 40-trial CV search started through the API',
    `${percentile(during.latenciesMs, 99).toFixed(2)} ms (p50 ${percentile(during.latenciesMs, 50).toFixed(2)}, max ${Math.max(...during.latenciesMs).toFixed(1)}, ${during.count} requests; ${trialsDone} trials done, run ${run.status})`,
  );
  expect(during.statuses).toEqual({ 200: during.count });
  expect(during.count).toBeGreaterThan(100);
  // The measurement overlapped the training: trials ran while predictions were answered.
  expect(trialsDone).toBeGreaterThan(0);
});

test('promotions back and forth under load: zero failed requests, both versions served', async () => {
  const { name: _n, version: _v, createdAt: _c, ...data } = await registryService().resolve('iris');
  const second = await registryService().store.createVersion('iris', data);
  const first = (await registryService().requireModel('iris')).aliases['production']!;
  const seen = new Set<number>();
  const running = load(server.url, {
    token: user,
    body: () => ({ features: IRIS }),
    concurrency: 4,
    durationMs: 10_000,
  });
  const versions = (async () => {
    for (let i = 0; i < 8; i++) {
      await sleep(1000);
      await registryService().promote('iris', i % 2 === 0 ? second.version : first);
      const probe = await fetch(`${server.url}/model-info`, { headers: { authorization: `Bearer ${user}` } });
      seen.add(Number(probe.headers.get('x-model-version')));
    }
  })();
  const [result] = await Promise.all([running, versions]);
  figure(
    'promotion under load',
    `${result.count} requests, 8 promotions, ${JSON.stringify(result.statuses)}, p99 ${percentile(result.latenciesMs, 99).toFixed(1)} ms`,
  );
  expect(result.statuses).toEqual({ 200: result.count });
  expect([...seen].sort()).toEqual([first, second.version].sort());
});

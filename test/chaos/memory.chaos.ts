import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registryService } from '../../core/services/index.js';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime.js';
import {
  figure,
  load,
  percentile,
  random,
  rssMb,
  type Server,
  signIn,
  sleep,
  startServer,
  stop,
} from './harness.js';

/**
 * Memory under version cycling and random names, measured on a real `npm start` process: 50
 * versions pinned in turn stay within the cache budget (RSS < 600 MB) at no less than half the
 * single-version throughput, and a stream of unknown model names leaves nothing behind.
 */
const VERSIONS = 50;
const CONCURRENCY = 8;
const IRIS = [5.1, 3.5, 1.4, 0.2];
let home: string;
let server: Server;
let runtime: LocalRuntime;
let token: string;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'mlops-chaos-mem-'));
  server = await startServer(home); // trains iris v1 on its way up
  runtime = await startLocalRuntime({ home, report: () => {} });
  token = await signIn(server.url, 'user');
  const { name: _n, version: _v, createdAt: _c, ...data } = await registryService().resolve('iris');
  for (let i = 2; i <= VERSIONS; i++) await registryService().store.createVersion('iris', data);
}, 180_000);

afterAll(async () => {
  await runtime?.stop();
  if (server) await stop(server.child);
  rmSync(home, { recursive: true, force: true });
});

/** Samples the server's RSS every 250 ms while `work` runs; returns the work's result and the peak. */
async function withPeakRss<T>(work: Promise<T>): Promise<{ result: T; peakMb: number }> {
  let peakMb = rssMb(server.child.pid!);
  let done = false;
  const sampler = (async () => {
    while (!done) {
      peakMb = Math.max(peakMb, rssMb(server.child.pid!));
      await sleep(250);
    }
  })();
  const result = await work.finally(() => {
    done = true;
  });
  await sampler;
  return { result, peakMb };
}

test('cycling through 50 pinned versions: RSS < 600 MB, throughput ≥ half of one version', async () => {
  // Warm both paths first (JIT, the wasm runtime, every version's session).
  await load(server.url, {
    token,
    body: (i) => ({ features: IRIS, version: (i % VERSIONS) + 1 }),
    concurrency: 4,
    durationMs: 3000,
    maxRequests: 500,
  });
  const single = await load(server.url, {
    token,
    body: () => ({ features: IRIS }),
    concurrency: CONCURRENCY,
    durationMs: 6000,
  });
  const { result: cycling, peakMb } = await withPeakRss(
    load(server.url, {
      token,
      body: (i) => ({ features: IRIS, version: (i % VERSIONS) + 1 }),
      concurrency: CONCURRENCY,
      durationMs: 10_000,
    }),
  );
  const singleRps = single.count / single.seconds;
  const cyclingRps = cycling.count / cycling.seconds;
  figure(
    'single version',
    `${singleRps.toFixed(0)} req/s, p99 ${percentile(single.latenciesMs, 99).toFixed(1)} ms`,
  );
  figure(
    `cycling ${VERSIONS} versions`,
    `${cyclingRps.toFixed(0)} req/s (${((100 * cyclingRps) / singleRps).toFixed(0)}% of single), p99 ${percentile(cycling.latenciesMs, 99).toFixed(1)} ms, peak RSS ${peakMb.toFixed(0)} MB`,
  );
  expect(cycling.statuses).toEqual({ 200: cycling.count });
  expect(peakMb).toBeLessThan(600);
  expect(cyclingRps).toBeGreaterThanOrEqual(singleRps / 2);
});

test('a stream of random model and alias names: 404s, and memory does not grow with them', async () => {
  const rand = random(7);
  const names = (i: number) => `random-${i}-${Math.floor(rand() * 1e9).toString(36)}`;
  const before = rssMb(server.child.pid!);
  const { result, peakMb } = await withPeakRss(
    load(server.url, {
      token,
      body: (i) =>
        i % 2 ? { features: IRIS, model: names(i) } : { features: IRIS, alias: `a${names(i)}`.slice(0, 30) },
      concurrency: CONCURRENCY,
      durationMs: 15_000,
      maxRequests: 40_000,
    }),
  );
  await sleep(1000);
  const after = rssMb(server.child.pid!);
  figure(
    'random names',
    `${result.count} requests, ${JSON.stringify(result.statuses)}, RSS ${before.toFixed(0)} → ${after.toFixed(0)} MB (peak ${peakMb.toFixed(0)})`,
  );
  expect(Object.keys(result.statuses)).toEqual(['404']);
  expect(result.count).toBeGreaterThan(1000);
  expect(after - before).toBeLessThan(64);
});

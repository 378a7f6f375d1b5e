import { ENV } from '../../core/config/env.js';
import { registryService } from '../../core/services/index.js';
import { type LocalApi, startLocalApi, userToken } from '../helpers/local-api.js';
import { trainIris } from './fixtures.js';

/**
 * Promotion while a bounded loopback load runs: zero failed requests, and the new version
 * answers within the (shortened) refresh interval. A version whose artifact fails its digest
 * check never replaces the one serving.
 */
const REFRESH_SECONDS = 0.5;
const WORKERS = 4;
const IRIS = { features: [5.1, 3.5, 1.4, 0.2] };

let api: LocalApi;
let token: string;

beforeAll(async () => {
  api = await startLocalApi({ env: { [ENV.modelRefreshSeconds]: String(REFRESH_SECONDS) } });
  await trainIris('iris', { seed: 1 });
  await trainIris('iris', { seed: 2 });
  token = await userToken(api);
}, 120_000);

afterAll(() => api?.stop());

interface Sample {
  readonly startedAt: number;
  readonly endedAt: number;
  readonly status: number;
  readonly version?: number;
}

/** Runs WORKERS sequential request loops until `stop()`; returns every sample. */
function load() {
  let running = true;
  const samples: Sample[] = [];
  const worker = async () => {
    while (running) {
      const startedAt = performance.now();
      const res = await api.call('POST', '/predict', { json: IRIS, token });
      samples.push({
        startedAt,
        endedAt: performance.now(),
        status: res.status,
        version: res.body?.model_version,
      });
    }
  };
  const done = Promise.all(Array.from({ length: WORKERS }, worker));
  return {
    samples,
    async stop() {
      running = false;
      await done;
      return samples;
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function production(): Promise<{ serving: number; other: number }> {
  const model = await registryService().requireModel('iris');
  const serving = model.aliases['production']!;
  return { serving, other: serving === 1 ? 2 : 1 };
}

async function waitFor(samples: Sample[], version: number, timeoutMs: number): Promise<Sample | undefined> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const hit = samples.find((s) => s.version === version);
    if (hit) return hit;
    await sleep(20);
  }
  return undefined;
}

test('promoting a version during a load test: zero failures, new version within the refresh interval', async () => {
  const { serving, other } = await production();
  const run = load();
  await sleep(300);
  expect(run.samples.every((s) => s.version === serving)).toBe(true);

  const promotedAt = performance.now();
  await registryService().promote('iris', other);
  const first = await waitFor(run.samples, other, 15_000);
  await sleep(300);
  const samples = await run.stop();

  expect(samples.filter((s) => s.status !== 200)).toEqual([]);
  expect(first).toBeDefined();
  // At most one refresh interval, plus one model load (generous: the shared CI machine is slow at times).
  expect(first!.endedAt - promotedAt).toBeLessThan(REFRESH_SECONDS * 1000 + 10_000);
  // Once the new version has answered, every request started afterwards gets it.
  const later = samples.filter((s) => s.startedAt > first!.endedAt);
  expect(later.length).toBeGreaterThan(0);
  expect(later.every((s) => s.version === other)).toBe(true);
  expect(samples.length).toBeGreaterThan(20);
});

/**
 * Registers a copy of the production version with `change` applied, promotes it under load, and
 * returns what the load saw (every answer, and which version gave it) and the serving version.
 */
async function promoteBrokenCopy(change: (data: Record<string, unknown>) => Record<string, unknown>) {
  const { serving } = await production();
  const { name: _n, version: _v, createdAt: _c, ...data } = await registryService().resolve('iris');
  const broken = await registryService().store.createVersion('iris', change(data) as typeof data);
  const run = load();
  await sleep(200);
  // Some broken copies change the schema: forced, as an operator would, to test the serving side.
  await registryService().promote('iris', broken.version, { force: true });
  await sleep(REFRESH_SECONDS * 1000 * 4);
  return { serving, broken, samples: await run.stop() };
}

test('a new production version that fails its integrity check does not replace the serving one', async () => {
  const { serving, broken, samples } = await promoteBrokenCopy((data) => ({
    ...data,
    sha256: '0'.repeat(64),
  }));

  expect(samples.filter((s) => s.status !== 200)).toEqual([]);
  expect(samples.every((s) => s.version === serving)).toBe(true);
  const health = await api.call('GET', '/health');
  expect(health.status).toBe(200);
  expect(health.body.model.version).toBe(serving);

  // Pinning the broken version explicitly is a clear 503, not a 500.
  const pinned = await api.call('POST', '/predict', { json: { ...IRIS, version: broken.version }, token });
  expect(pinned.status).toBe(503);
  expect(pinned.body.error.code).toBe('MODEL_UNAVAILABLE');
  await registryService().promote('iris', serving);
});

test('a new version whose graph loads but cannot score its declared features does not replace the serving one', async () => {
  // Same (intact) artifact, but the record declares a fifth feature the graph does not take.
  const { serving, samples } = await promoteBrokenCopy((data) => ({
    ...data,
    featureNames: [...(data['featureNames'] as string[]), 'extra (cm)'],
  }));

  expect(samples.filter((s) => s.status !== 200)).toEqual([]);
  expect(samples.every((s) => s.version === serving)).toBe(true);
  // Back from the broken copy's schema to the serving one: forced too.
  await registryService().promote('iris', serving, { force: true });
});

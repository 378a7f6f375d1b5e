import { ENV } from '../../core/config/env.js';
import { platformMetrics } from '../../core/metrics/index.js';
import { registryService, resetServices } from '../../core/services/index.js';
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

/** The value of a labelled series in this process's metrics registry (the local server runs in it). */
async function metricValue(name: string, labels: Record<string, string>): Promise<number> {
  const metric = platformMetrics().registry.getSingleMetric(name);
  const values = (await metric?.get())?.values ?? [];
  const hit = values.find((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want));
  return hit?.value ?? 0;
}

/** Polls until the metric reaches `atLeast` (the effect a negative test waits on, never a fixed sleep). */
async function waitForMetric(
  name: string,
  labels: Record<string, string>,
  atLeast: number,
  timeoutMs = 15_000,
) {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if ((await metricValue(name, labels)) >= atLeast) return performance.now();
    await sleep(20);
  }
  throw new Error(`${name} ${JSON.stringify(labels)} did not reach ${atLeast} within ${timeoutMs} ms`);
}

/** Registers a copy of the production version with `change` applied (not promoted). */
async function registerBrokenCopy(change: (data: Record<string, unknown>) => Record<string, unknown>) {
  const { name: _n, version: _v, createdAt: _c, ...data } = await registryService().resolve('iris');
  return registryService().store.createVersion('iris', change(data) as typeof data);
}

/**
 * Promotes a broken copy of the production version under load and waits until serving has tried
 * it (its load failure is counted), then for one more refresh; returns what the load saw.
 */
async function promoteBrokenCopy(change: (data: Record<string, unknown>) => Record<string, unknown>) {
  const { serving } = await production();
  const broken = await registerBrokenCopy(change);
  const labels = { model: 'iris', version: String(broken.version) };
  const failuresBefore = await metricValue('mlops_model_load_failures_total', labels);
  const run = load();
  await sleep(200);
  // Some broken copies change the schema: forced, as an operator would, to test the serving side.
  await registryService().promote('iris', broken.version, { force: true });
  const triedAt = await waitForMetric('mlops_model_load_failures_total', labels, failuresBefore + 1);
  // Requests that start after the failed load was counted, for one refresh interval.
  const deadline = performance.now() + 15_000;
  while (run.samples.filter((s) => s.startedAt > triedAt).length < 20 && performance.now() < deadline) {
    await sleep(REFRESH_SECONDS * 100);
  }
  return { serving, broken, triedAt, samples: await run.stop() };
}

test('a new production version that fails its integrity check does not replace the serving one, and says so', async () => {
  const { serving, broken, samples } = await promoteBrokenCopy((data) => ({
    ...data,
    sha256: '0'.repeat(64),
  }));

  expect(samples.filter((s) => s.status !== 200)).toEqual([]);
  expect(samples.every((s) => s.version === serving)).toBe(true);
  const health = await api.call('GET', '/health');
  expect(health.status).toBe(200);
  expect(health.body).toMatchObject({ status: 'degraded', model: { version: serving, loaded: true } });
  expect(health.body.model.reason).toContain(`version ${broken.version}`);
  const answer = await api.call('POST', '/predict', { json: IRIS, token });
  expect(answer.headers.get('x-model-version')).toBe(String(serving));
  expect(answer.headers.get('x-model-degraded')).toContain(`version ${broken.version}`);
  expect(await metricValue('mlops_model_degraded', { model: 'iris' })).toBe(1);

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

test('a fresh process whose production artifact is corrupt serves the last good production version, degraded', async () => {
  const { serving } = await production();
  const broken = await registerBrokenCopy((data) => ({ ...data, sha256: 'f'.repeat(64) }));
  await registryService().promote('iris', broken.version);
  resetServices(); // a new model cache: what a restart (or a new Lambda environment) starts with

  const answer = await api.call('POST', '/predict', { json: IRIS, token });
  expect(answer.status).toBe(200);
  expect(answer.body.model_version).toBe(serving);
  expect(answer.headers.get('x-model-version')).toBe(String(serving));
  expect(answer.headers.get('x-model-degraded')).toContain(`version ${broken.version}`);
  const health = await api.call('GET', '/health');
  expect(health.body).toMatchObject({ status: 'degraded', model: { version: serving } });
  expect(await metricValue('mlops_model_degraded', { model: 'iris' })).toBe(1);

  // Production back on a good version: served as named, no longer degraded.
  await registryService().promote('iris', serving);
  await waitForMetric('mlops_model_degraded', { model: 'iris' }, 0);
  const deadline = performance.now() + 15_000;
  let healthy = await api.call('GET', '/health');
  while (healthy.body.status !== 'ok' && performance.now() < deadline) {
    await sleep(50);
    healthy = await api.call('GET', '/health');
  }
  expect(healthy.body.status).toBe('ok');
  expect(
    (await api.call('POST', '/predict', { json: IRIS, token })).headers.get('x-model-degraded'),
  ).toBeNull();
});

test('with no good version to fall back to, the answer is 503 with Retry-After', async () => {
  const { name: _n, version: _v, createdAt: _c, ...data } = await registryService().resolve('iris');
  await registryService().store.createVersion('lonely', { ...data, sha256: '1'.repeat(64) });
  const model = await registryService().requireModel('lonely');
  await registryService().promote('lonely', model.latestVersion);
  const answer = await api.call('POST', '/predict', { json: { ...IRIS, model: 'lonely' }, token });
  expect(answer.status).toBe(503);
  expect(answer.body.error.code).toBe('MODEL_UNAVAILABLE');
  expect(answer.headers.get('retry-after')).toBe('30');
});

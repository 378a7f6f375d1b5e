import { ENV } from '../../core/config/env.js';
import { type LocalApi, startLocalApi, userToken } from '../helpers/local-api.js';
import { trainIris } from './fixtures.js';

/**
 * Readiness follows the registry: with a model loaded and the registry gone (here the emulators
 * are stopped under the running API), the loaded model keeps serving and /health says so.
 */
let api: LocalApi;
let token: string;

beforeAll(async () => {
  // Every request re-checks the registry, so the outage is seen at once.
  api = await startLocalApi({ env: { [ENV.modelRefreshSeconds]: '0' } });
  await trainIris();
  token = await userToken(api);
}, 120_000);
afterAll(async () => {
  await api?.stop();
});

test('registry reachable: ok, with the served version', async () => {
  const health = await api.call('GET', '/health');
  expect(health.status).toBe(200);
  expect(health.body).toMatchObject({
    status: 'ok',
    registry: 'reachable',
    model: { name: 'iris', version: 1, loaded: true },
  });
});

test('registry unreachable: the loaded model keeps serving and /health reports degraded', async () => {
  const row = { features: [5.1, 3.5, 1.4, 0.2] };
  expect((await api.call('POST', '/predict', { token, json: row })).status).toBe(200);
  await api.runtime.emulators!.stop();
  const predicted = await api.call('POST', '/predict', { token, json: row });
  expect(predicted.status).toBe(200);
  expect(predicted.body.model_version).toBe(1);

  const health = await api.call('GET', '/health');
  expect(health.status).toBe(200);
  expect(health.body).toMatchObject({
    status: 'degraded',
    registry: 'unreachable',
    model: { name: 'iris', version: 1, loaded: true },
  });
}, 60_000);

import { GetObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient, s3Client } from '../../core/aws/clients.js';
import { ENV } from '../../core/config/env.js';
import { registryService } from '../../core/services/index.js';
import { faulty, throttling, timeout } from '../helpers/faults.js';
import { type LocalApi, startLocalApi, userToken } from '../helpers/local-api.js';
import { trainIris } from './fixtures.js';

/**
 * AWS misbehaving while a model serves: DynamoDB throttling the registry reads and S3 timing out
 * on an artifact. Serving goes on with what it has, and says so; nothing answers 5xx.
 */
const IRIS = { features: [5.1, 3.5, 1.4, 0.2] };
let api: LocalApi;
let token: string;

beforeAll(async () => {
  api = await startLocalApi({ env: { [ENV.modelRefreshSeconds]: '0.05' } });
  await trainIris('iris', { seed: 1 });
  await trainIris('iris', { seed: 2 });
  token = await userToken(api);
}, 120_000);
afterAll(() => api?.stop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('registry reads throttled: the loaded model keeps answering, /health says the registry is unreachable', async () => {
  const serving = (await api.call('POST', '/predict', { json: IRIS, token })).body.model_version;
  const fault = faulty(
    documentClient(),
    (c) => c instanceof GetCommand && String(c.input.Key?.['pk']).startsWith('MODEL#'),
    throttling,
  );
  try {
    await sleep(100); // past the refresh interval: the next request re-checks, and is throttled
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => api.call('POST', '/predict', { json: IRIS, token })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(answers.every((a) => a.body.model_version === serving)).toBe(true);
    expect(fault.calls()).toBeGreaterThan(0);
    const health = await api.call('GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({
      status: 'degraded',
      registry: 'unreachable',
      model: { version: serving },
    });
  } finally {
    fault.restore();
  }
  await sleep(100);
  await api.call('POST', '/predict', { json: IRIS, token });
  expect((await api.call('GET', '/health')).body).toMatchObject({ status: 'ok', registry: 'reachable' });
});

test('S3 timing out on a newly promoted artifact: the serving version stays, degraded, no 5xx', async () => {
  const model = await registryService().requireModel('iris');
  const serving = model.aliases['production']!;
  const other = serving === 1 ? 2 : 1;
  const otherKey = (await registryService().getVersion('iris', other)).artifactKey;
  const fault = faulty(s3Client(), (c) => c instanceof GetObjectCommand && c.input.Key === otherKey, timeout);
  try {
    await registryService().promote('iris', other);
    const deadline = performance.now() + 10_000;
    while (fault.calls() === 0 && performance.now() < deadline) {
      expect((await api.call('POST', '/predict', { json: IRIS, token })).status).toBe(200);
      await sleep(20);
    }
    expect(fault.calls()).toBeGreaterThan(0);
    const answer = await api.call('POST', '/predict', { json: IRIS, token });
    expect(answer.status).toBe(200);
    expect(answer.body.model_version).toBe(serving);
    expect(answer.headers.get('x-model-degraded')).toContain('socket timed out');
  } finally {
    fault.restore();
  }
  // S3 answers again: the next refresh loads the promoted version.
  const deadline = performance.now() + 10_000;
  let version = serving;
  while (version !== other && performance.now() < deadline) {
    version = (await api.call('POST', '/predict', { json: IRIS, token })).body.model_version;
    await sleep(20);
  }
  expect(version).toBe(other);
});

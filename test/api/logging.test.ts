import { ENV } from '../../core/config/env.js';
import { logger } from '../../lambdas/shared/logger.js';
import { type LocalApi, startLocalApi } from '../helpers/local-api.js';
import { trainIris } from './fixtures.js';

/** One JSON access-log line per request, with the fields operators need and no secrets. */
let api: LocalApi;
let lines: string[] = [];
const originalWrite = process.stdout.write.bind(process.stdout);

beforeAll(async () => {
  logger.setLogLevel('INFO'); // test/setup-env.ts silences logs by default
  api = await startLocalApi({ env: { [ENV.allowSelfRegistration]: 'true' } });
  await trainIris();
  process.stdout.write = ((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  }) as typeof process.stdout.write;
}, 120_000);

afterAll(async () => {
  process.stdout.write = originalWrite;
  await api?.stop();
});

test('every request logs one JSON line; passwords and tokens never appear', async () => {
  const password = 'sekrit-Passw0rd-xyz';
  lines = [];
  await api.call('POST', '/users', { json: { username: 'logger', password } });
  const issued = await api.call('POST', '/token', { form: { username: 'logger', password } });
  const token = issued.body.access_token as string;
  await api.call('POST', '/token', { form: { username: 'logger', password: `${password}-wrong` } });
  const predicted = await api.call('POST', '/predict', { json: { features: [5.1, 3.5, 1.4, 0.2] }, token });
  await api.call('POST', '/predict', { raw: `{"features": "${password}"`, token });

  const all = lines.join('\n');
  expect(all).not.toContain(password);
  expect(all).not.toContain(token);
  expect(all).not.toContain(token.split('.')[2]!);

  const access = lines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l['message'] === 'request')
    // The gateway authorizer's JWKS fetch reaches the auth function too, as deployed; not this test's business.
    .filter((l) => l['route'] !== 'GET /.well-known/jwks.json');
  expect(access.map((l) => [l['route'], l['status']])).toEqual([
    ['POST /users', 201],
    ['POST /token', 200],
    ['POST /token', 401],
    ['POST /predict', 200],
    ['POST /predict', 400],
  ]);
  for (const line of access) {
    expect(line).toMatchObject({
      level: 'INFO',
      requestId: expect.any(String),
      latencyMs: expect.any(Number),
    });
  }
  const predictLine = access[3]!;
  expect(predictLine['requestId']).toBe(predicted.body.request_id);
  expect(predictLine['modelVersion']).toBe(predicted.body.model_version);
});

import { request } from 'node:http';
import { ENV } from '../../core/config/env.js';
import { registryService } from '../../core/services/index.js';
import { HTML_CSP } from '../../lambdas/shared/http.js';
import { adminToken, type LocalApi, startLocalApi, userToken } from '../helpers/local-api.js';
import { trainIris } from './fixtures.js';

/**
 * Requests that once answered 500 (or were served as the wrong route): each now gets its 4xx in
 * the error envelope, and every answer carries the security headers.
 */
let api: LocalApi;
let token: string;
let admin: string;

beforeAll(async () => {
  api = await startLocalApi({ env: { [ENV.allowSelfRegistration]: 'true' } });
  await trainIris();
  token = await userToken(api);
  admin = await adminToken(api);
}, 120_000);

afterAll(() => api?.stop());

/** A raw request: fetch() would normalise `//health` and refuse some targets itself. */
function raw(
  method: string,
  target: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const url = new URL(api.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path: target }, (res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test.each([
  ['bad percent-encoding in a path parameter', 'GET', '/runs/%E0%A4%A', 400],
  ['bad percent-encoding in a docs asset', 'GET', '/docs/%ZZ', 400],
  ['a docs asset named like an Object.prototype member', 'GET', '/docs/constructor', 404],
  ['__proto__', 'GET', '/docs/__proto__', 404],
  ['toString', 'GET', '/docs/toString', 404],
  ['a doubled slash', 'GET', '//health', 400],
  ['a dot segment', 'GET', '/docs/../health', 400],
  ['an absolute-form target', 'GET', 'http://elsewhere/health', 400],
])('%s: %s %s → %i in the error envelope', async (_name, method, target, status) => {
  const res = await raw(method, target);
  expect(res.status).toBe(status);
  const body = JSON.parse(res.body);
  expect(body.error.code).toEqual(expect.any(String));
  expect(body.request_id).toBe(res.headers['x-request-id']);
});

test('HEAD answers where GET does: same status and headers, no body', async () => {
  for (const path of ['/health', '/', '/docs', '/openapi.json', '/docs/swagger-ui.css']) {
    const [get, head] = await Promise.all([raw('GET', path), raw('HEAD', path)]);
    expect({ path, status: head.status }).toEqual({ path, status: get.status });
    expect(head.body).toBe('');
    expect(head.headers['content-type']).toBe(get.headers['content-type']);
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(get.body)));
  }
  expect((await raw('HEAD', '/predict')).status).toBe(405);
});

test('every answer carries nosniff, frame and referrer headers; HTML a CSP with no inline script', async () => {
  const answers = await Promise.all([
    raw('GET', '/health'),
    raw('GET', '/docs'),
    raw('GET', '/nowhere'),
    raw('GET', '//health'),
    raw('GET', '/metrics'),
    raw('GET', '/docs/swagger-ui-bundle.js'),
  ]);
  for (const res of answers) {
    expect(res.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
    });
  }
  const page = answers[1]!;
  expect(page.headers['content-security-policy']).toBe(HTML_CSP);
  expect(HTML_CSP).toContain("script-src 'self'");
  expect(HTML_CSP).not.toContain("'unsafe-eval'");
  // Swagger UI still starts: its one script besides the bundle is a file of ours, served as JS.
  expect(page.body).not.toMatch(/<script>(?!<\/script>)/);
  const scripts = [...page.body.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]!);
  expect(scripts).toEqual(['/docs/swagger-ui-bundle.js', '/docs/mlops-init.js']);
  const init = await raw('GET', '/docs/mlops-init.js');
  expect(init.status).toBe(200);
  expect(init.headers['content-type']).toMatch(/javascript/);
  expect(init.body).toContain("url: '/openapi.json'");
});

test('features at the float32 limit: 422 naming the row, never null probabilities', async () => {
  const huge = await api.call('POST', '/predict', {
    json: { features: [3.4e38, -3.4e38, 3.4e38, 3.4e38] },
    token,
  });
  expect(huge.status).toBe(422);
  expect(huge.body.error.message).toMatch(/overflow/);
  const batch = await api.call('POST', '/predict', {
    json: {
      instances: [
        [5.1, 3.5, 1.4, 0.2],
        [-3.4e38, 3.4e38, -3.4e38, 3.4e38],
      ],
    },
    token,
  });
  expect(batch.status).toBe(422);
  expect(batch.body.error.details[0].field).toBe('instances[1]');
  // Large but finite inputs that the model handles still answer, with numbers only.
  const large = await api.call('POST', '/predict', { json: { features: [1e6, 1e6, 1e6, 1e6] }, token });
  expect(large.status).toBe(200);
  expect(Object.values(large.body.probabilities).every((p) => typeof p === 'number')).toBe(true);
});

test('2,000 large tags: 422 before anything is written, on metadata and on training', async () => {
  const tags = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, 'v'.repeat(250)]));
  const metadata = await api.call('POST', '/models/iris/metadata', { json: { tags }, token: admin });
  expect(metadata.status).toBe(422);
  const before = (await registryService().requireModel('iris')).latestVersion;
  const train = await api.call('POST', '/train', { json: { dataset: 'builtin:iris', tags }, token: admin });
  expect(train.status).toBe(422);
  // Tags merged over requests cannot pass the limit either.
  const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`a${i}`, 'x']));
  expect(
    (await api.call('POST', '/models/iris/metadata', { json: { tags: fifty }, token: admin })).status,
  ).toBe(200);
  const more = await api.call('POST', '/models/iris/metadata', {
    json: { tags: { extra: 'x' } },
    token: admin,
  });
  expect(more.status).toBe(422);
  expect(more.body.error.message).toMatch(/at most 50 tags/);
  // No version number was reserved for the refused registration.
  const { latestVersion } = await registryService().requireModel('iris');
  expect(latestVersion).toBe(before);
});

test('a version record too large for DynamoDB is refused before its number is reserved', async () => {
  const { name: _n, version: _v, createdAt: _c, ...data } = await registryService().resolve('iris');
  const before = (await registryService().requireModel('iris')).latestVersion;
  const wide = { ...data, featureNames: Array.from({ length: 20_000 }, (_, i) => `feature_number_${i}`) };
  await expect(registryService().store.createVersion('iris', wide)).rejects.toMatchObject({
    code: 'VALIDATION_FAILED',
  });
  expect((await registryService().requireModel('iris')).latestVersion).toBe(before);
});

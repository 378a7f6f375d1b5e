import { generateKeyPair, importJWK, SignJWT } from 'jose';
import { ENV } from '../../core/config/env.js';
import { type ApiResponse, type LocalApi, startLocalApi, userToken } from '../helpers/local-api.js';
import { localSigningKey, trainIris } from './fixtures.js';

/**
 * Hostile requests against the real local server (emulators + the Lambda handlers): each gets
 * its documented 4xx with the one error shape, never a 500, and carries its request id.
 */
let api: LocalApi;
let token: string;

const MAX_ROWS = 50;

beforeAll(async () => {
  api = await startLocalApi({
    env: {
      [ENV.allowSelfRegistration]: 'true',
      [ENV.maxBatchRows]: String(MAX_ROWS),
      [ENV.loginMaxFailures]: '3',
      [ENV.loginWindowSeconds]: '60',
    },
  });
  await trainIris();
  token = await userToken(api);
}, 120_000);

afterAll(() => api?.stop());

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

/** A token signed with the real private key, with claims and header overridden. */
async function forge(
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
  key?: Parameters<SignJWT['sign']>[0],
): Promise<string> {
  const real = await localSigningKey();
  const base = {
    sub: 'tester',
    role: 'user',
    ver: 0,
    iss: 'mlops',
    aud: 'mlops-api',
    iat: now(),
    nbf: now(),
    exp: now() + 600,
  };
  const payload = Object.fromEntries(
    Object.entries({ ...base, ...claims }).filter(([, v]) => v !== undefined),
  );
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'RS256', kid: real.kid, typ: 'JWT', ...header } as { alg: string })
    .sign(key ?? real.privateKey);
}

/**
 * Each attack, and who refuses it on a user route: the gateway authorizer (API Gateway's answer,
 * before any function runs) or the handler (claims the gateway does not check).
 */
type Attack = [name: string, token: () => Promise<string>, refusedBy: 'gateway' | 'handler'];

const tokenAttacks: Attack[] = [
  [
    'alg none',
    async () =>
      `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'tester', role: 'admin', exp: now() + 600 })}.`,
    'gateway',
  ],
  [
    'alg HS256 keyed with the public key (algorithm confusion)',
    async () =>
      forge(
        {},
        { alg: 'HS256' },
        new TextEncoder().encode(JSON.stringify((await localSigningKey()).publicJwk)),
      ),
    'gateway',
  ],
  [
    'alg RS512 with the real key',
    async () => {
      const { privateJwk } = await localSigningKey();
      return forge({}, { alg: 'RS512' }, await importJWK({ ...privateJwk, alg: 'RS512' }, 'RS512'));
    },
    'gateway',
  ],
  [
    'another RSA key, real kid',
    async () => forge({}, {}, (await generateKeyPair('RS256')).privateKey),
    'gateway',
  ],
  [
    'tampered payload (role: admin)',
    async () => {
      const [h, p, s] = token.split('.');
      const payload = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
      return `${h}.${b64({ ...payload, role: 'admin' })}.${s}`;
    },
    'gateway',
  ],
  ['expired', () => forge({ iat: now() - 7200, nbf: now() - 7200, exp: now() - 3600 }), 'gateway'],
  ['not valid yet (nbf in the future)', () => forge({ nbf: now() + 3600 }), 'gateway'],
  ['wrong issuer', () => forge({ iss: 'someone-else' }), 'gateway'],
  ['wrong audience', () => forge({ aud: 'another-api' }), 'gateway'],
  ['unknown kid', () => forge({}, { kid: 'k-unknown' }), 'gateway'],
  ['no kid', () => forge({}, { kid: undefined }), 'gateway'],
  ['no exp', () => forge({ exp: undefined }), 'gateway'],
  ['garbage', async () => 'not.a.jwt', 'gateway'],
  ['random bytes', async () => 'AAAA', 'gateway'],
  ['older than the maximum token age', () => forge({ iat: now() - 7200 }), 'handler'],
  ['invalid role claim', () => forge({ role: 'root' }), 'handler'],
  ['no version claim', () => forge({ ver: undefined }), 'handler'],
];

type Case = {
  name: string;
  method?: string;
  path?: string;
  status: number;
  code: string;
  field?: string;
  send: () => Promise<ApiResponse>;
};

const predict = (body: unknown) => () => api.call('POST', '/predict', { json: body, token });
const predictRaw = (raw: string) => () => api.call('POST', '/predict', { raw, token });
const iris = [5.1, 3.5, 1.4, 0.2];

const badInputs: Case[] = [
  { name: 'malformed JSON', status: 400, code: 'BAD_REQUEST', send: predictRaw('{"features": [5.1, ') },
  { name: 'empty body', status: 400, code: 'BAD_REQUEST', send: predictRaw('') },
  {
    name: 'NaN literal (not JSON)',
    status: 400,
    code: 'BAD_REQUEST',
    send: predictRaw('{"features":[NaN,1,1,1]}'),
  },
  {
    name: 'body over the size limit',
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    send: predictRaw(`{"features":[${'1,'.repeat(700_000)}1]}`),
  },
  { name: 'body is an array', status: 422, code: 'VALIDATION_FAILED', send: predict([iris]) },
  { name: 'body is a string', status: 422, code: 'VALIDATION_FAILED', send: predict('x') },
  {
    name: 'no features key',
    status: 422,
    code: 'VALIDATION_FAILED',
    field: 'features',
    send: predict({ feature: iris }),
  },
  {
    name: 'unknown top-level key',
    status: 422,
    code: 'VALIDATION_FAILED',
    send: predict({ features: iris, debug: true }),
  },
  {
    name: 'wrong feature count',
    status: 422,
    code: 'VALIDATION_FAILED',
    field: 'features',
    send: predict({ features: [1, 2, 3] }),
  },
  {
    name: 'empty features',
    status: 422,
    code: 'VALIDATION_FAILED',
    field: 'features',
    send: predict({ features: [] }),
  },
  {
    name: 'non-number feature',
    status: 422,
    code: 'VALIDATION_FAILED',
    field: 'features[1]',
    send: predict({ features: [5.1, 'a', 1.4, 0.2] }),
  },
  {
    name: 'null feature',
    status: 422,
    code: 'VALIDATION_FAILED',
    field: 'features[0]',
    send: predict({ features: [null, 3.5, 1.4, 0.2] }),
  },
  {
    name: 'Infinity (1e400)',
    status: 422,
    code: 'VALIDATION_FAILED',
    field: 'features[0]',
    send: predictRaw('{"features":[1e400,3.5,1.4,0.2]}'),
  },
  {
    name: 'beyond float32 range',
    status: 422,
    code: 'VALIDATION_FAILED',
    field: 'features[0]',
    send: predict({ features: [1e39, 3.5, 1.4, 0.2] }),
  },
  {
    name: 'unknown feature name',
    status: 422,
    code: 'VALIDATION_FAILED',
    field: 'features.petal_size',
    send: predict({
      features: {
        'sepal length (cm)': 1,
        'sepal width (cm)': 1,
        'petal length (cm)': 1,
        'petal width (cm)': 1,
        petal_size: 2,
      },
    }),
  },
  {
    name: 'missing feature name',
    status: 422,
    code: 'VALIDATION_FAILED',
    field: 'features.petal width (cm)',
    send: predict({ features: { 'sepal length (cm)': 1, 'sepal width (cm)': 1, 'petal length (cm)': 1 } }),
  },
  {
    name: 'too many rows',
    status: 422,
    code: 'VALIDATION_FAILED',
    field: 'instances',
    send: predict({ instances: Array.from({ length: MAX_ROWS + 1 }, () => iris) }),
  },
  {
    name: 'empty batch',
    status: 422,
    code: 'VALIDATION_FAILED',
    field: 'instances',
    send: predict({ instances: [] }),
  },
  {
    name: 'bad row in a batch',
    status: 422,
    code: 'VALIDATION_FAILED',
    field: 'instances[1]',
    send: predict({ instances: [iris, [1, 2]] }),
  },
  {
    name: 'both features and instances',
    status: 422,
    code: 'VALIDATION_FAILED',
    send: predict({ features: iris, instances: [iris] }),
  },
  {
    name: 'version not an integer',
    status: 422,
    code: 'VALIDATION_FAILED',
    field: 'version',
    send: predict({ features: iris, version: 1.5 }),
  },
  {
    name: 'unknown model',
    status: 404,
    code: 'NOT_FOUND',
    send: predict({ features: iris, model: 'no-such-model' }),
  },
  {
    name: 'unknown version',
    status: 404,
    code: 'NOT_FOUND',
    send: predict({ features: iris, version: 999 }),
  },
  { name: 'unknown alias', status: 404, code: 'NOT_FOUND', send: predict({ features: iris, alias: 'nope' }) },
  {
    name: 'model-info: bad version query',
    status: 422,
    code: 'VALIDATION_FAILED',
    field: 'version',
    send: () => api.call('GET', '/model-info?version=abc', { token }),
  },
  {
    name: 'model-info: unknown query key',
    status: 422,
    code: 'VALIDATION_FAILED',
    send: () => api.call('GET', '/model-info?debug=1', { token }),
  },
  { name: 'unknown route', status: 404, code: 'ROUTE_NOT_FOUND', send: () => api.call('GET', '/nowhere') },
  { name: 'wrong method', status: 405, code: 'METHOD_NOT_ALLOWED', send: () => api.call('GET', '/predict') },
  {
    name: 'unknown docs file',
    status: 404,
    code: 'NOT_FOUND',
    send: () => api.call('GET', '/docs/..%2Fpackage.json'),
  },
  // auth
  {
    name: 'create user: short password',
    status: 422,
    code: 'WEAK_PASSWORD',
    field: 'password',
    send: () => api.call('POST', '/users', { json: { username: 'bob1', password: 'short' } }),
  },
  {
    name: 'create user: common password',
    status: 422,
    code: 'WEAK_PASSWORD',
    field: 'password',
    send: () => api.call('POST', '/users', { json: { username: 'bob1', password: '123456789012' } }),
  },
  {
    name: 'create user: password contains the username',
    status: 422,
    code: 'WEAK_PASSWORD',
    field: 'password',
    send: () => api.call('POST', '/users', { json: { username: 'bob1', password: 'my-name-is-BOB1!' } }),
  },
  {
    name: 'create user: bad username',
    status: 422,
    code: 'VALIDATION_FAILED',
    field: 'username',
    send: () => api.call('POST', '/users', { json: { username: '../x', password: 'long-enough-pass' } }),
  },
  {
    name: 'create user: extra field',
    status: 422,
    code: 'VALIDATION_FAILED',
    send: () =>
      api.call('POST', '/users', { json: { username: 'bob2', password: 'long-enough-pass', admin: true } }),
  },
  {
    name: 'create user: role admin without an admin token',
    status: 403,
    code: 'FORBIDDEN',
    send: () =>
      api.call('POST', '/users', {
        json: { username: 'mallory', password: 'long-enough-pass', role: 'admin' },
      }),
  },
  {
    name: 'create user: role admin with a user token',
    status: 403,
    code: 'FORBIDDEN',
    send: () =>
      api.call('POST', '/users', {
        json: { username: 'mallory', password: 'long-enough-pass', role: 'admin' },
        token,
      }),
  },
  {
    name: 'create user: taken name',
    status: 409,
    code: 'USER_EXISTS',
    send: () => api.call('POST', '/users', { json: { username: 'tester', password: 'long-enough-pass' } }),
  },
  {
    name: 'token: wrong password',
    status: 401,
    code: 'INVALID_CREDENTIALS',
    send: () => api.call('POST', '/token', { form: { username: 'tester', password: 'wrong-password' } }),
  },
  {
    name: 'token: unknown user',
    status: 401,
    code: 'INVALID_CREDENTIALS',
    send: () => api.call('POST', '/token', { form: { username: 'nobody', password: 'whatever' } }),
  },
  {
    name: 'token: missing password',
    status: 422,
    code: 'VALIDATION_FAILED',
    field: 'password',
    send: () => api.call('POST', '/token', { form: { username: 'tester' } }),
  },
  {
    name: 'token: huge username',
    status: 422,
    code: 'VALIDATION_FAILED',
    field: 'username',
    send: () => api.call('POST', '/token', { form: { username: 'x'.repeat(5000), password: 'p' } }),
  },
];

function expectErrorShape(res: ApiResponse, status: number, code: string, field?: string) {
  const requestId = res.headers.get('x-request-id');
  expect(requestId).toBeTruthy();
  expect(res.status).toBe(status);
  expect(res.body).toEqual({
    error: { code, message: expect.any(String), details: expect.any(Array) },
    request_id: requestId,
  });
  if (field) {
    expect(res.body.error.details.map((d: { field?: string }) => d.field)).toContain(field);
    expect(res.body.error.message).toContain(field);
  }
}

describe('hostile requests', () => {
  test.each(badInputs.map((c) => [c.name, c] as const))('%s → documented 4xx', async (_name, c) => {
    const res = await c.send();
    expect(res.status).toBeLessThan(500);
    expectErrorShape(res, c.status, c.code, c.field);
  });

  test.each(tokenAttacks)('token attack: %s → 401 on user routes', async (_name, make, refusedBy) => {
    const forged = await make();
    for (const [method, path, json] of [
      ['POST', '/predict', { features: iris }],
      ['GET', '/model-info', undefined],
    ] as const) {
      const res = await api.call(method, path, { token: forged, ...(json ? { json } : {}) });
      if (refusedBy === 'gateway') {
        expect(res.status).toBe(401);
        expect(res.body).toEqual({ message: 'Unauthorized' });
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer scope="" error="invalid_token"/);
      } else {
        expectErrorShape(res, 401, 'INVALID_TOKEN');
        expect(res.headers.get('www-authenticate')).toBe('Bearer');
      }
    }
  });

  test.each(tokenAttacks)(
    'token attack: %s → 401 INVALID_TOKEN from the handler itself',
    async (_name, make) => {
      // POST /users is public (no authorizer in front): the auth function's own check must refuse it.
      const res = await api.call('POST', '/users', {
        json: { username: 'eve', password: 'a-very-long-password', role: 'admin' },
        token: await make(),
      });
      expectErrorShape(res, 401, 'INVALID_TOKEN');
    },
  );

  test('the control: a well-formed request with a real token succeeds', async () => {
    const res = await api.call('POST', '/predict', { json: { features: iris }, token });
    expect(res.status).toBe(200);
    expect(res.body.prediction).toBe('setosa');
    expect(res.body.request_id).toBe(res.headers.get('x-request-id'));
    // A token forged with the real key and valid claims is accepted: the attacks fail for their flaw alone.
    const ok = await api.call('POST', '/predict', { json: { features: iris }, token: await forge({}) });
    expect(ok.status).toBe(200);
  });

  test('login throttling: after N failures the name is locked (429 + Retry-After), known or not', async () => {
    await api.call('POST', '/users', { json: { username: 'carol', password: 'singing-in-the-rain' } });
    for (const username of ['carol', 'not-a-user']) {
      for (let i = 0; i < 3; i++) {
        const res = await api.call('POST', '/token', { form: { username, password: 'wrong-password' } });
        expectErrorShape(res, 401, 'INVALID_CREDENTIALS');
      }
      const locked = await api.call('POST', '/token', {
        form: { username, password: 'singing-in-the-rain' },
      });
      expectErrorShape(locked, 429, 'TOO_MANY_ATTEMPTS');
      expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // Other names are unaffected, and a success clears earlier failures.
    const other = await api.call('POST', '/token', {
      form: { username: 'tester', password: 'correct-horse' },
    });
    expect(other.status).toBe(200);
  });

  test.each([
    ['no Authorization header', {}],
    ['Authorization not a bearer JWT', { authorization: 'Basic dTpw' }],
  ])("%s on a user route → the gateway authorizer's 401, no function runs", async (_name, headers) => {
    const res = await api.call('POST', '/predict', { json: { features: iris }, headers });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ message: 'Unauthorized' });
    expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });

  test('unknown user and wrong password give the same answer', async () => {
    const a = await api.call('POST', '/token', { form: { username: 'tester', password: 'wrong-password' } });
    const b = await api.call('POST', '/token', { form: { username: 'ghost', password: 'wrong-password' } });
    expect(a.status).toBe(b.status);
    expect(a.body.error).toEqual(b.body.error);
  });
});

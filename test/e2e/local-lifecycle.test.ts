import { handler as train } from '../../lambdas/train/handler.js';
import { type LocalApi, startLocalApi, userToken } from '../helpers/local-api.js';

/**
 * The issue-2 loop, through the real handlers, the local API Gateway shim and the embedded
 * DynamoDB/S3 emulators: no production model → 503; train → register → serve → predict.
 */
describe('local lifecycle: train → register → serve → predict', () => {
  let api: LocalApi;
  let token: string;

  beforeAll(async () => {
    api = await startLocalApi();
  });
  afterAll(async () => {
    await api.stop();
  });

  test('before any training, /predict answers 503 with Retry-After and how to train', async () => {
    token = await userToken(api, 'alice', 'through-the-looking-glass');
    const res = await api.call('POST', '/predict', { token, json: { features: [5.1, 3.5, 1.4, 0.2] } });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBeTruthy();
    expect(res.body.error.code).toBe('NO_MODEL');
    expect(res.body.error.message).toMatch(/train/);
    const health = await api.call('GET', '/health');
    expect(health.status).toBe(503);
    expect(health.body.status).toBe('degraded');
  });

  test('the train handler registers a production version with its artifact and lineage', async () => {
    const summary = await train({ dataset: 'builtin:iris', modelName: 'iris' });
    expect(summary).toMatchObject({ modelName: 'iris', version: 1, alias: 'production' });
    expect(summary.metrics['accuracy']).toBeGreaterThanOrEqual(0.93);
  });

  test('the README curl session: create user, form-encoded token, predict', async () => {
    const created = await api.call('POST', '/users', { json: { username: 'bob', password: 'builder-pass' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ username: 'bob', role: 'user', request_id: expect.any(String) });

    const tokenRes = await api.call('POST', '/token', {
      form: { username: 'bob', password: 'builder-pass' },
    });
    expect(tokenRes.status).toBe(200);
    expect(tokenRes.body).toMatchObject({ token_type: 'bearer', expires_in: expect.any(Number) });

    const res = await api.call('POST', '/predict', {
      token: tokenRes.body.access_token,
      json: { features: [5.1, 3.5, 1.4, 0.2] },
    });
    expect(res.status).toBe(200);
    expect(res.body.prediction).toBe('setosa');
    expect(res.body.model_name).toBe('iris');
    expect(res.body.model_version).toBe(1);
    expect(Object.keys(res.body.probabilities).sort()).toEqual(['setosa', 'versicolor', 'virginica']);
    const total = Object.values<number>(res.body.probabilities).reduce((a, b) => a + b, 0);
    expect(total).toBeCloseTo(1, 5);
    expect(Date.parse(res.body.timestamp)).not.toBeNaN();
  });

  test('JSON credentials are accepted by /token too', async () => {
    const res = await api.call('POST', '/token', { json: { username: 'bob', password: 'builder-pass' } });
    expect(res.status).toBe(200);
    expect(typeof res.body.access_token).toBe('string');
  });

  test('model-info and health describe the served version', async () => {
    const info = await api.call('GET', '/model-info', { token });
    expect(info.status).toBe(200);
    expect(info.body).toMatchObject({
      name: 'iris',
      version: 1,
      classes: ['setosa', 'versicolor', 'virginica'],
    });
    expect(info.body.sha256).toMatch(/^[0-9a-f]{64}$/);
    const health = await api.call('GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('ok');
  });

  test('a second training that does not beat production is registered as challenger', async () => {
    const summary = await train({ dataset: 'builtin:iris', modelName: 'iris' });
    expect(summary.version).toBe(2);
    expect(summary.alias).toBe('challenger');
    const res = await api.call('POST', '/predict', { token, json: { features: [6.7, 3.0, 5.2, 2.3] } });
    expect(res.body.model_version).toBe(1);
    expect(res.body.prediction).toBe('virginica');
  });

  describe('bad input gets a 4xx that names the problem, never a 500', () => {
    const cases: [
      string,
      () => Promise<{
        status: number;
        headers: Headers;
        body: { error?: { code: string; message: string } };
      }>,
      number,
      RegExp,
    ][] = [
      [
        'malformed JSON',
        () => api.call('POST', '/predict', { token, raw: '{"features": [1,' }),
        400,
        /malformed JSON/,
      ],
      ['empty body', () => api.call('POST', '/predict', { token, raw: '' }), 400, /empty/],
      [
        'too few features',
        () => api.call('POST', '/predict', { token, json: { features: [1, 2, 3] } }),
        422,
        /expected 4 features/,
      ],
      [
        'too many features',
        () => api.call('POST', '/predict', { token, json: { features: [1, 2, 3, 4, 5] } }),
        422,
        /expected 4 features/,
      ],
      [
        'a string feature',
        () => api.call('POST', '/predict', { token, json: { features: [1, 'two', 3, 4] } }),
        422,
        /features\[1\]/,
      ],
      [
        'a non-finite number',
        () => api.call('POST', '/predict', { token, raw: '{"features": [1e999, 1, 1, 1]}' }),
        422,
        /features\[0\]/,
      ],
      [
        'null feature',
        () => api.call('POST', '/predict', { token, json: { features: [null, 1, 1, 1] } }),
        422,
        /features\[0\]/,
      ],
      [
        'no features at all',
        () => api.call('POST', '/predict', { token, json: { rows: [] } }),
        422,
        /features|rows/,
      ],
      [
        'missing token',
        () => api.call('POST', '/predict', { json: { features: [1, 2, 3, 4] } }),
        401,
        /invalid_token/,
      ],
      [
        'garbage token',
        () => api.call('POST', '/predict', { token: 'not.a.jwt', json: { features: [1, 2, 3, 4] } }),
        401,
        /invalid_token/,
      ],
      [
        'wrong scheme',
        () =>
          api.call('POST', '/predict', {
            headers: { authorization: 'Basic Ym9iOng=' },
            json: { features: [1, 2, 3, 4] },
          }),
        401,
        /invalid_token/,
      ],
      [
        'duplicate username',
        () => api.call('POST', '/users', { json: { username: 'bob', password: 'another-pass-123' } }),
        409,
        /already exists/,
      ],
      [
        'empty password',
        () => api.call('POST', '/users', { json: { username: 'carol', password: '' } }),
        422,
        /password/,
      ],
      [
        'missing username',
        () => api.call('POST', '/users', { json: { password: 'long-enough' } }),
        422,
        /username/,
      ],
      [
        'wrong password',
        () => api.call('POST', '/token', { form: { username: 'bob', password: 'nope-nope' } }),
        401,
        /incorrect username or password/,
      ],
      [
        'unknown user',
        () => api.call('POST', '/token', { form: { username: 'nobody', password: 'nope-nope' } }),
        401,
        /incorrect username or password/,
      ],
      ['unknown route', () => api.call('GET', '/nope'), 404, /no route/],
    ];
    test.each(cases)('%s', async (_name, send, status, message) => {
      const res = await send();
      expect(res.status).toBe(status);
      // Token problems on a user route are the gateway authorizer's answer: its description is in www-authenticate.
      expect(res.body.error?.message ?? res.headers.get('www-authenticate')).toMatch(message);
      expect(JSON.stringify(res.body)).not.toMatch(/\n\s+at |\.ts:\d+/);
    });
  });

  test('an expired token is refused', async () => {
    const { TokenIssuer } = await import('../../core/auth/tokens.js');
    const { keyRing } = await import('../../core/services/index.js');
    const expired = new TokenIssuer(keyRing(), { issuer: 'mlops', audience: 'mlops-api', ttlSeconds: -60 });
    const { access_token } = await expired.issue({ username: 'bob', role: 'user' }, 0);
    const res = await api.call('POST', '/predict', { token: access_token, json: { features: [1, 2, 3, 4] } });
    // Refused by the gateway authorizer before the function runs, in API Gateway's words.
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ message: 'Unauthorized' });
    expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token".*expired/);
  });
});

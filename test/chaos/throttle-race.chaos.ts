import { ENV } from '../../core/config/env.js';
import { type LocalApi, startLocalApi } from '../helpers/local-api.js';
import { loginFrom } from '../helpers/source-address.js';

/**
 * The throttle race at full size: 200 concurrent wrong passwords for one name from one address
 * reach exactly the limit of password checks (a 401 comes only after a check, a 429 only
 * before one), and the real user signs in from another address meanwhile. The fast variant with
 * 20 requests is in test/auth/login-abuse.test.ts.
 */
const LIMIT = 5;
const ATTEMPTS = 200;
let api: LocalApi;

beforeAll(async () => {
  api = await startLocalApi({
    env: {
      [ENV.allowSelfRegistration]: 'true',
      [ENV.loginMaxFailures]: String(LIMIT),
      [ENV.loginAddressMaxFailures]: String(ATTEMPTS),
    },
  });
  expect(
    (await api.call('POST', '/users', { json: { username: 'victim', password: 'the-real-password' } }))
      .status,
  ).toBe(201);
}, 60_000);
afterAll(() => api?.stop());

test(`${ATTEMPTS} concurrent wrong passwords: exactly ${LIMIT} password checks; the real user still signs in elsewhere`, async () => {
  const started = performance.now();
  const [answers, real] = await Promise.all([
    Promise.all(
      Array.from({ length: ATTEMPTS }, () => loginFrom(api.url, '127.0.0.2', 'victim', 'wrong-password')),
    ),
    loginFrom(api.url, '127.0.0.3', 'victim', 'the-real-password'),
  ]);
  const elapsed = performance.now() - started;
  const checked = answers.filter((a) => a.status === 401).length;
  const refused = answers.filter((a) => a.status === 429).length;
  console.log(
    `throttle race: ${ATTEMPTS} concurrent wrong passwords → ${checked} password checks, ${refused} refused before any check ` +
      `(${elapsed.toFixed(0)} ms); real user from another address: ${real.status} in ${real.ms.toFixed(0)} ms`,
  );
  expect(checked).toBe(LIMIT);
  expect(refused).toBe(ATTEMPTS - LIMIT);
  expect(real.status).toBe(200);
}, 120_000);

import { ENV } from '../../core/config/env.js';
import { type LocalApi, startLocalApi } from '../helpers/local-api.js';
import { loginFrom } from '../helpers/source-address.js';

/**
 * Login abuse against the real local server (emulators + the auth handler), from several client
 * addresses: the local server takes the address from the socket, and loopback answers on any
 * 127.x.y.z, so each test client binds its own source address.
 */
let api: LocalApi;
const LIMIT = 3;

beforeAll(async () => {
  api = await startLocalApi({
    env: {
      [ENV.allowSelfRegistration]: 'true',
      [ENV.loginMaxFailures]: String(LIMIT),
      [ENV.loginWindowSeconds]: '60',
      [ENV.loginAddressMaxFailures]: '12',
      [ENV.loginUserMaxFailures]: '8',
    },
  });
  for (const username of ['victim', 'racer', 'target', 'traveller']) {
    const res = await api.call('POST', '/users', { json: { username, password: 'the-real-password' } });
    expect(res.status).toBe(201);
  }
}, 60_000);
afterAll(() => api?.stop());

const login = (from: string, username: string, password: string) =>
  loginFrom(api.url, from, username, password);

test('concurrent wrong passwords from one address: exactly the limit are checked, the rest refused before any check', async () => {
  const answers = await Promise.all(
    Array.from({ length: 20 }, () => login('127.0.0.2', 'racer', 'wrong-password')),
  );
  const statuses = answers.map((a) => a.status);
  // A 401 comes only after a password check; a 429 only before one.
  expect(statuses.filter((s) => s === 401)).toHaveLength(LIMIT);
  expect(statuses.filter((s) => s === 429)).toHaveLength(20 - LIMIT);
  expect(answers.find((a) => a.status === 429)!.body.error.code).toBe('TOO_MANY_ATTEMPTS');
});

test('an attacker locking the name from another address does not lock the real user out', async () => {
  for (let i = 0; i < LIMIT; i++) {
    expect((await login('127.0.0.3', 'victim', 'guess')).status).toBe(401);
  }
  const locked = await login('127.0.0.3', 'victim', 'the-real-password');
  expect(locked.status).toBe(429); // even the right password, from the attacker's address
  const real = await login('127.0.0.4', 'victim', 'the-real-password');
  expect(real.status).toBe(200);
  expect(real.body.access_token).toEqual(expect.any(String));
});

test('guessing from many addresses is capped per user, but the addresses the user signed in from stay open', async () => {
  expect((await login('127.0.0.5', 'target', 'the-real-password')).status).toBe(200); // a known address
  // 8 failures per user from addresses it never signed in from, spread so no pair reaches its limit.
  const spread = ['127.0.1.1', '127.0.1.2', '127.0.1.3', '127.0.1.4'];
  const statuses: number[] = [];
  for (let i = 0; i < 10; i++) statuses.push((await login(spread[i % 4]!, 'target', `guess-${i}`)).status);
  expect(statuses.slice(0, 8)).toEqual(Array(8).fill(401));
  expect(statuses.slice(8)).toEqual([429, 429]);
  expect((await login('127.0.1.9', 'target', 'the-real-password')).status).toBe(429); // new address: capped
  expect((await login('127.0.0.5', 'target', 'the-real-password')).status).toBe(200); // known: open
});

test('a flood of random names from one address stops costing password checks at the address budget', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 16; i++) statuses.push((await login('127.0.2.1', `nobody-${i}`, 'x')).status);
  expect(statuses.slice(0, 12)).toEqual(Array(12).fill(401));
  expect(statuses.slice(12)).toEqual(Array(4).fill(429));
  // Other addresses are not affected.
  expect((await login('127.0.2.2', 'traveller', 'the-real-password')).status).toBe(200);
});

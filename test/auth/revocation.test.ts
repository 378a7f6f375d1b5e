import { ENV } from '../../core/config/env.js';
import { keyRing } from '../../core/services/index.js';
import { adminToken, type LocalApi, startLocalApi, userToken } from '../helpers/local-api.js';

/** Revocation, password change and the gateway authorizer against the local server. */
let api: LocalApi;

beforeAll(async () => {
  api = await startLocalApi({ env: { [ENV.allowSelfRegistration]: 'true' } });
}, 60_000);
afterAll(() => api?.stop());

test('a revoked admin token stops working on admin routes at once; a new sign-in works', async () => {
  const admin = await adminToken(api, 'boss', 'keys-to-the-kingdom');
  expect((await api.call('GET', '/models', { token: admin })).status).toBe(200);

  const revoked = await api.call('POST', '/users/boss/revoke-tokens', { token: admin });
  expect(revoked.status).toBe(200);
  expect(revoked.body).toMatchObject({ username: 'boss', token_version: 1 });

  const refused = await api.call('GET', '/models', { token: admin });
  expect(refused.status).toBe(401);
  expect(refused.body.error).toMatchObject({
    code: 'INVALID_TOKEN',
    message: 'token has been revoked; sign in again',
  });

  const again = await api.call('POST', '/token', {
    form: { username: 'boss', password: 'keys-to-the-kingdom' },
  });
  expect((await api.call('GET', '/models', { token: again.body.access_token })).status).toBe(200);
});

test("an admin revokes another user's tokens; a user may not revoke someone else's", async () => {
  const admin = await adminToken(api, 'chief', 'keys-to-the-kingdom');
  const user = await userToken(api, 'mallory', 'a-perfectly-fine-pass');
  const denied = await api.call('POST', '/users/chief/revoke-tokens', { token: user });
  expect(denied.status).toBe(403);
  expect((await api.call('POST', '/users/mallory/revoke-tokens', { token: admin })).body.token_version).toBe(
    1,
  );
  // Her token no longer acts on her account either.
  const stale = await api.call('POST', '/users/mallory/revoke-tokens', { token: user });
  expect(stale.status).toBe(401);
});

test('a password change checks the policy, needs the current password, and revokes earlier tokens', async () => {
  const token = await userToken(api, 'carla', 'first-password-here');
  const weak = await api.call('POST', '/users/carla/password', {
    token,
    json: { current_password: 'first-password-here', new_password: 'carla-carla-carla' },
  });
  expect(weak.status).toBe(422);
  expect(weak.body.error).toMatchObject({
    code: 'WEAK_PASSWORD',
    message: expect.stringContaining('contains_username'),
  });
  const wrong = await api.call('POST', '/users/carla/password', {
    token,
    json: { current_password: 'not-it-at-all', new_password: 'second-password-here' },
  });
  expect(wrong.status).toBe(401);
  const changed = await api.call('POST', '/users/carla/password', {
    token,
    json: { current_password: 'first-password-here', new_password: 'second-password-here' },
  });
  expect(changed.status).toBe(200);
  expect(changed.body.token_version).toBe(1);
  expect((await api.call('POST', '/users/carla/revoke-tokens', { token })).status).toBe(401);
  const old = await api.call('POST', '/token', {
    form: { username: 'carla', password: 'first-password-here' },
  });
  expect(old.status).toBe(401);
  const fresh = await api.call('POST', '/token', {
    form: { username: 'carla', password: 'second-password-here' },
  });
  expect(fresh.status).toBe(200);
});

test('discovery and JWKS: the issuer, the keys, nothing private', async () => {
  const discovery = await api.call('GET', '/.well-known/openid-configuration');
  expect(discovery.status).toBe(200);
  expect(discovery.body).toMatchObject({
    issuer: 'mlops',
    jwks_uri: `${api.url}/.well-known/jwks.json`,
    id_token_signing_alg_values_supported: ['RS256'],
  });
  const jwks = await api.call('GET', '/.well-known/jwks.json');
  expect(jwks.body.keys.length).toBeGreaterThan(0);
  for (const key of jwks.body.keys)
    expect(Object.keys(key).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
});

test('after an immediate key rotation, tokens with the new kid pass the gateway and the handlers at once', async () => {
  const before = await userToken(api, 'rotor', 'spinning-round-and-round');
  expect((await api.call('GET', '/model-info', { token: before })).status).not.toBe(401);
  await keyRing().rotate({ immediate: true });
  const after = await api.call('POST', '/token', {
    form: { username: 'rotor', password: 'spinning-round-and-round' },
  });
  const kid = (t: string) => JSON.parse(Buffer.from(t.split('.')[0]!, 'base64url').toString()).kid;
  expect(kid(after.body.access_token)).not.toBe(kid(before));
  for (const token of [before, after.body.access_token]) {
    const res = await api.call('GET', '/model-info', { token });
    // No model is trained here: 503 from the handler means the token got past both checks.
    expect(res.status).toBe(503);
  }
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { FileKeyProvider } from '../../core/auth/keys.js';
import { TokenService } from '../../core/auth/tokens.js';

/** Token issuing and verification against a local key file: rotation and claims. */
const settings = { issuer: 'mlops', audience: 'mlops-api', ttlSeconds: 600 };
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mlops-keys-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('tokens carry sub, role, iat, nbf, exp, iss, aud and kid', async () => {
  const tokens = new TokenService(new FileKeyProvider(join(dir, 'keys.json')), settings);
  const { access_token } = await tokens.issue({ username: 'alice', role: 'admin' });
  const [, payload] = access_token.split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
  expect(claims).toEqual({
    sub: 'alice',
    role: 'admin',
    iss: 'mlops',
    aud: 'mlops-api',
    iat: expect.any(Number),
    nbf: expect.any(Number),
    exp: claims.iat + 600,
  });
  expect(decodeProtectedHeader(access_token)).toMatchObject({
    alg: 'HS256',
    kid: expect.stringMatching(/^k-/),
  });
});

test('after a key rotation, old tokens verify until they expire and new tokens use the new key', async () => {
  const provider = new FileKeyProvider(join(dir, 'keys.json'));
  const tokens = new TokenService(provider, settings);
  const old = (await tokens.issue({ username: 'alice', role: 'user' })).access_token;
  const oldKid = decodeProtectedHeader(old).kid;

  const fresh = provider.rotate();
  // A second process (another Lambda instance) reading the rotated file sees both keys.
  const other = new TokenService(new FileKeyProvider(join(dir, 'keys.json')), settings);
  const issued = (await other.issue({ username: 'bob', role: 'user' })).access_token;
  expect(decodeProtectedHeader(issued).kid).toBe(fresh.kid);
  expect(fresh.kid).not.toBe(oldKid);
  await expect(other.verify(old)).resolves.toEqual({ username: 'alice', role: 'user' });
  await expect(other.verify(issued)).resolves.toEqual({ username: 'bob', role: 'user' });
});

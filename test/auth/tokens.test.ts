import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { JwksCache } from '../../core/auth/jwks.js';
import { KeyRing } from '../../core/auth/key-ring.js';
import { FileKeyStore } from '../../core/auth/key-store.js';
import { ACTIVATION_DELAY_MS } from '../../core/auth/keys.js';
import { TokenIssuer, TokenVerifier } from '../../core/auth/tokens.js';

/** RS256 tokens against a local key file: claims, the key file, rotation and unknown-kid refresh. */
const settings = { issuer: 'mlops', audience: 'mlops-api', ttlSeconds: 600 };
const alice = { username: 'alice', role: 'user' } as const;
let dir: string;
let clock: number;
const now = () => clock;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mlops-keys-'));
  clock = Date.now();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function setup(file = join(dir, 'keys.json')) {
  const ring = new KeyRing(new FileKeyStore(file), { maxTokenAgeMs: settings.ttlSeconds * 1000, now });
  const jwks = new JwksCache(() => ring.jwks(true), { now });
  return {
    ring,
    jwks,
    issuer: new TokenIssuer(ring, settings),
    verifier: new TokenVerifier(jwks, settings, now),
  };
}

test('tokens are RS256 with kid, sub, role, ver, iat, nbf, exp, iss, aud, jti; the key file is 0600 and the JWKS public', async () => {
  const { ring, issuer } = setup();
  const { access_token } = await issuer.issue(alice, 3);
  const claims = JSON.parse(Buffer.from(access_token.split('.')[1]!, 'base64url').toString());
  expect(claims).toEqual({
    sub: 'alice',
    role: 'user',
    ver: 3,
    iss: 'mlops',
    aud: 'mlops-api',
    jti: expect.any(String),
    iat: expect.any(Number),
    nbf: expect.any(Number),
    exp: claims.iat + 600,
  });
  const { keys } = await ring.jwks();
  expect(decodeProtectedHeader(access_token)).toMatchObject({ alg: 'RS256', kid: keys[0]!.kid });
  expect(Object.keys(keys[0]!).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
  expect(statSync(join(dir, 'keys.json')).mode & 0o777).toBe(0o600);
  expect(readFileSync(join(dir, 'keys.json'), 'utf8')).toContain('"d"');
});

test('a key file of the earlier HS256 format is replaced by an RSA key set, readable by the owner only', async () => {
  const file = join(dir, 'keys.json');
  writeFileSync(file, JSON.stringify({ keys: [{ kid: 'k-old', key: 'x'.repeat(64) }] }), { mode: 0o644 });
  const doc = await new FileKeyStore(file).load();
  expect(doc.keys).toHaveLength(1);
  expect(doc.keys[0]!.privateJwk.kty).toBe('RSA');
  expect(statSync(file).mode & 0o777).toBe(0o600);
});

test('concurrent first use agrees on one key (the file is created exclusively)', async () => {
  const file = join(dir, 'keys.json');
  const docs = await Promise.all(Array.from({ length: 8 }, () => new FileKeyStore(file).load()));
  expect(new Set(docs.map((d) => d.keys[0]!.kid)).size).toBe(1);
});

test('rotation publishes the new key before it signs; old tokens verify until the maximum token age', async () => {
  const { ring, issuer, verifier } = setup();
  const old = (await issuer.issue(alice, 0)).access_token;
  const oldKid = decodeProtectedHeader(old).kid;

  const doc = await ring.rotate();
  const newKid = doc.keys[0]!.kid;
  // Published at once, but the old key keeps signing until the activation delay has passed.
  expect((await ring.jwks()).keys.map((k) => k.kid)).toEqual([newKid, oldKid]);
  expect(decodeProtectedHeader((await issuer.issue(alice, 0)).access_token).kid).toBe(oldKid);

  clock += ACTIVATION_DELAY_MS;
  const fresh = (await issuer.issue(alice, 0)).access_token;
  expect(decodeProtectedHeader(fresh).kid).toBe(newKid);
  await expect(verifier.verify(old)).resolves.toMatchObject({ username: 'alice' });
  await expect(verifier.verify(fresh)).resolves.toMatchObject({ username: 'alice', tokenVersion: 0 });

  // One maximum token age (and a minute of slack) after the new key took over, the old one is gone.
  clock += settings.ttlSeconds * 1000 + 61_000;
  expect((await ring.jwks()).keys.map((k) => k.kid)).toEqual([newKid]);
});

test('an unknown kid triggers one JWKS reload, at most one per cooldown', async () => {
  const { ring, jwks, issuer, verifier } = setup();
  await verifier.verify((await issuer.issue(alice, 0)).access_token); // keys cached now
  clock += 31_000;
  await ring.rotate({ immediate: true });
  const rotated = (await issuer.issue(alice, 0)).access_token;
  await expect(verifier.verify(rotated)).resolves.toMatchObject({ username: 'alice' });
  expect(jwks.refreshes).toBe(1);

  // Another unknown kid within the cooldown: refused without reloading again.
  const [h, p, s] = rotated.split('.');
  const header = JSON.parse(Buffer.from(h!, 'base64url').toString());
  const junk = `${Buffer.from(JSON.stringify({ ...header, kid: 'junk' })).toString('base64url')}.${p}.${s}`;
  await expect(verifier.verify(junk)).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
  expect(jwks.refreshes).toBe(1);
});

test('a token older than the maximum token age is refused even before its exp', async () => {
  const { ring, verifier } = setup();
  const long = new TokenIssuer(ring, { ...settings, ttlSeconds: 7200 });
  const token = (await long.issue(alice, 0)).access_token;
  clock += 620_000; // past 600 s and the 5 s tolerance, whatever the key generation took
  await expect(verifier.verify(token)).rejects.toMatchObject({
    code: 'INVALID_TOKEN',
    message: 'token is older than the maximum token age',
  });
});

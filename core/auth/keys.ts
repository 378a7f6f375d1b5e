import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JSONWebKeySet, type JWK } from 'jose';

/**
 * RS256 signing keys. RSA because API Gateway's HTTP API JWT authorizer verifies only RSA
 * signatures ("Currently, only RSA-based algorithms are supported", API Gateway developer guide,
 * HTTP API JWT authorizers), and the gateway is where tokens are first checked.
 *
 * A key set is a list of keys, newest first. Each key signs from `activatesAt` until the next
 * newer key activates, and stays in the published JWKS for one maximum token age after that, so
 * every token it signed verifies until it expires. A rotated-in key is published before it
 * signs (`ACTIVATION_DELAY_MS`), so verifiers that cache the JWKS (API Gateway, the functions)
 * have normally fetched it before the first token signed with it arrives.
 */
export const ALGORITHM = 'RS256';
const MODULUS_BITS = 2048;
/**
 * Longer than every cache of the key set (the auth function's 60 s, the verifiers' 5 min JWKS
 * cache, JWKS responses' max-age of 5 min), so a key is everywhere before it signs.
 */
export const ACTIVATION_DELAY_MS = 10 * 60_000;

export interface StoredKey {
  readonly kid: string;
  /** The private key as a JWK (RSA `d`, `p`, `q`, ...): only in the key store, never published. */
  readonly privateJwk: JWK;
  /** Epoch ms. */
  readonly createdAt: number;
  /** Epoch ms from which this key signs (until a newer key activates). */
  readonly activatesAt: number;
}

/** What a key store holds: `{ "keys": [...] }`, newest first. */
export interface KeySetDocument {
  readonly keys: readonly StoredKey[];
}

export async function generateKey(now: number, activatesAt = now): Promise<StoredKey> {
  const { privateKey } = await generateKeyPair(ALGORITHM, { modulusLength: MODULUS_BITS, extractable: true });
  const privateJwk = await exportJWK(privateKey);
  // RFC 7638 thumbprint of the public part: stable, unique, and says nothing else about the key.
  const kid = await calculateJwkThumbprint({ kty: 'RSA', n: privateJwk.n!, e: privateJwk.e! });
  return { kid, privateJwk: { ...privateJwk, kid, alg: ALGORITHM }, createdAt: now, activatesAt };
}

/** The key that signs at `now`: the newest one already active. */
export function signingKey(doc: KeySetDocument, now: number): StoredKey {
  const active = doc.keys.find((key) => key.activatesAt <= now);
  if (!active) throw new Error('the key set has no active signing key');
  return active;
}

/**
 * Keys still needed at `now`: every key not yet active, the signing key, and each older key
 * until one maximum token age after it stopped signing (when the next newer key activated).
 */
export function liveKeys(doc: KeySetDocument, now: number, maxTokenAgeMs: number): StoredKey[] {
  const keys = [...doc.keys].sort((a, b) => b.activatesAt - a.activatesAt);
  return keys.filter((_key, i) => {
    const newer = keys[i - 1];
    // A key's tokens live until `maxTokenAge` after its successor took over (plus clock slack).
    return !newer || newer.activatesAt > now || newer.activatesAt + maxTokenAgeMs + 60_000 > now;
  });
}

/** The public JWKS: `kty`, `n`, `e`, `kid`, `alg`, `use` of every live key, nothing private. */
export function publicJwks(doc: KeySetDocument, now: number, maxTokenAgeMs: number): JSONWebKeySet {
  return {
    keys: liveKeys(doc, now, maxTokenAgeMs).map((key) => ({
      kty: 'RSA',
      n: key.privateJwk.n!,
      e: key.privateJwk.e!,
      kid: key.kid,
      alg: ALGORITHM,
      use: 'sig',
    })),
  };
}

export interface RotateOptions {
  /** Sign with the new key at once instead of after ACTIVATION_DELAY_MS (verifiers refresh on the unknown kid). */
  readonly immediate?: boolean;
  /** Drop every older key: all tokens they signed stop verifying (a leaked key). */
  readonly dropPrevious?: boolean;
}

/** A new key set with a fresh key in front; keys past their retention are pruned. */
export async function rotated(
  doc: KeySetDocument,
  now: number,
  maxTokenAgeMs: number,
  options: RotateOptions = {},
): Promise<KeySetDocument> {
  const kept = options.dropPrevious ? [] : liveKeys(doc, now, maxTokenAgeMs);
  // With nothing left to sign meanwhile, the new key must sign at once.
  const immediate = options.immediate || kept.length === 0;
  const fresh = await generateKey(now, immediate ? now : now + ACTIVATION_DELAY_MS);
  return { keys: [fresh, ...kept] };
}

/** Parses a stored key set; anything else (an old HS256 file, a placeholder) reads as no keys. */
export function parseKeySet(text: string | undefined): KeySetDocument {
  if (!text) return { keys: [] };
  const parsed = JSON.parse(text) as { keys?: unknown };
  const keys = Array.isArray(parsed.keys) ? parsed.keys : [];
  return {
    keys: keys.filter(
      (key): key is StoredKey =>
        typeof key === 'object' &&
        key !== null &&
        typeof (key as StoredKey).kid === 'string' &&
        typeof (key as StoredKey).privateJwk?.d === 'string' &&
        typeof (key as StoredKey).activatesAt === 'number',
    ),
  };
}

export function serializeKeySet(doc: KeySetDocument): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

import { importJWK, type JSONWebKeySet } from 'jose';
import type { PublishedJwks } from './jwks.js';
import type { KeyStore } from './key-store.js';
import {
  ALGORITHM,
  type KeySetDocument,
  publicJwks,
  type RotateOptions,
  rotated,
  signingKey,
} from './keys.js';

type SigningKeyObject = Awaited<ReturnType<typeof importJWK>>;

/** How long the auth function uses a loaded key set before reading the store again. */
export const KEY_CACHE_MS = 60_000;

export interface KeyRingOptions {
  /** Tokens live at most this long: retired keys stay published for this long. */
  readonly maxTokenAgeMs: number;
  /** Where verifiers read the public keys; the ring writes it whenever the set changes. */
  readonly published?: PublishedJwks;
  readonly cacheMs?: number;
  readonly now?: () => number;
}

/**
 * The auth function's view of its key store: the signing key, the public JWKS it serves at
 * `/.well-known/jwks.json` and publishes for the other functions, and rotation.
 */
export class KeyRing {
  private cached?: { at: number; doc: KeySetDocument };
  private loading?: Promise<KeySetDocument>;
  private readonly privateKeys = new Map<string, Promise<SigningKeyObject>>();
  private readonly now: () => number;

  constructor(
    private readonly store: KeyStore,
    private readonly options: KeyRingOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** The key set, read at most once per `cacheMs` (concurrent callers share one read). */
  async document(fresh = false): Promise<KeySetDocument> {
    const cacheMs = this.options.cacheMs ?? KEY_CACHE_MS;
    if (!fresh && this.cached && this.now() - this.cached.at < cacheMs) return this.cached.doc;
    this.loading ??= (async () => {
      try {
        const doc = await this.store.load(this.now());
        await this.options.published?.publish(publicJwks(doc, this.now(), this.options.maxTokenAgeMs));
        this.cached = { at: this.now(), doc };
        return doc;
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }

  async signingKey(): Promise<{ kid: string; key: SigningKeyObject }> {
    const stored = signingKey(await this.document(), this.now());
    let key = this.privateKeys.get(stored.kid);
    if (!key) {
      key = importJWK(stored.privateJwk, ALGORITHM);
      this.privateKeys.set(stored.kid, key);
    }
    return { kid: stored.kid, key: await key };
  }

  async jwks(fresh = false): Promise<JSONWebKeySet> {
    return publicJwks(await this.document(fresh), this.now(), this.options.maxTokenAgeMs);
  }

  /** Puts a new key in front (published at once, signing after the activation delay unless `immediate`). */
  async rotate(options: RotateOptions = {}): Promise<KeySetDocument> {
    const doc = await this.store.update((current) =>
      rotated(current, this.now(), this.options.maxTokenAgeMs, options),
    );
    await this.options.published?.publish(publicJwks(doc, this.now(), this.options.maxTokenAgeMs));
    this.cached = { at: this.now(), doc };
    return doc;
  }
}

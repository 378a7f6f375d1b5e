import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { importJWK, type JSONWebKeySet, type JWK } from 'jose';
import { ALGORITHM } from './keys.js';

type VerificationKey = Awaited<ReturnType<typeof importJWK>>;

/** A JWKS a verifier can (re)load: the published object, the auth function's own keys, the JWKS route. */
export type JwksLoader = () => Promise<JSONWebKeySet>;

export interface JwksCacheOptions {
  /** A loaded set is used for this long before it is reloaded. */
  readonly maxAgeMs?: number;
  /** At most one reload for unknown `kid`s per this period (so junk kids cannot hammer the source). */
  readonly cooldownMs?: number;
  readonly now?: () => number;
}

/**
 * Verification keys by `kid`, loaded from a JWKS and kept for `maxAgeMs`. A token whose `kid` is
 * not in the set triggers one reload (at most one per `cooldownMs`), so a key rotated in after the
 * set was loaded is found at once instead of failing until the cache expires.
 */
export class JwksCache {
  private keys = new Map<string, Promise<VerificationKey>>();
  private loadedAt = Number.NEGATIVE_INFINITY;
  private refreshedAt = Number.NEGATIVE_INFINITY;
  private loading?: Promise<void>;
  private readonly maxAgeMs: number;
  private readonly cooldownMs: number;
  private readonly now: () => number;
  /** Reloads done because of an unknown kid (tests and logs read it). */
  refreshes = 0;

  constructor(
    private readonly loader: JwksLoader,
    options: JwksCacheOptions = {},
  ) {
    this.maxAgeMs = options.maxAgeMs ?? 5 * 60_000;
    this.cooldownMs = options.cooldownMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  /** The key for `kid`, or undefined when the (possibly reloaded) set has none. */
  async key(kid: string | undefined): Promise<VerificationKey | undefined> {
    if (!kid) return undefined;
    if (this.now() - this.loadedAt >= this.maxAgeMs) await this.reload();
    let key = this.keys.get(kid);
    if (!key && this.now() - this.refreshedAt >= this.cooldownMs) {
      this.refreshes++;
      this.refreshedAt = this.now();
      await this.reload();
      key = this.keys.get(kid);
    }
    return key;
  }

  /** Loads the set now (warm-up, and the reloads above); concurrent callers share one load. */
  reload(): Promise<void> {
    this.loading ??= (async () => {
      try {
        const jwks = await this.loader();
        const keys = new Map<string, Promise<VerificationKey>>();
        for (const jwk of jwks.keys) {
          if (jwk.kid && jwk.kty === 'RSA' && (jwk.alg ?? ALGORITHM) === ALGORITHM) {
            keys.set(jwk.kid, importJWK(jwk as JWK, ALGORITHM));
          }
        }
        this.keys = keys;
        this.loadedAt = this.now();
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }
}

/**
 * The JWKS as an object in the artifact bucket (`auth/jwks.json`): the auth function writes it,
 * the predict and admin functions read it with a grant on that prefix only, so they never see
 * the private keys.
 */
export class PublishedJwks {
  private lastWritten?: string;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly key: string,
  ) {}

  /** The published set; an empty set before the auth function first published one. */
  async read(): Promise<JSONWebKeySet> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key }));
      const text = await out.Body!.transformToString('utf8');
      return JSON.parse(text) as JSONWebKeySet;
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey')
        return { keys: [] };
      throw error;
    }
  }

  /** Writes the set when it differs from what is published (checked once per process, then remembered). */
  async publish(jwks: JSONWebKeySet): Promise<void> {
    const text = JSON.stringify(jwks);
    if (this.lastWritten === text) return;
    if (this.lastWritten === undefined && JSON.stringify(await this.read()) === text) {
      this.lastWritten = text;
      return;
    }
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.key,
        Body: text,
        ContentType: 'application/json',
        CacheControl: 'max-age=300',
      }),
    );
    this.lastWritten = text;
  }
}

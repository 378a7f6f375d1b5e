import { randomUUID } from 'node:crypto';
import { type JWTHeaderParameters, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { AppError } from '../errors.js';
import type { JwksCache } from './jwks.js';
import type { KeyRing } from './key-ring.js';
import { ALGORITHM } from './keys.js';

export type Role = 'admin' | 'user';

export interface Principal {
  readonly username: string;
  readonly role: Role;
}

/** A verified caller: the principal and the user's token version the token was issued at. */
export interface VerifiedPrincipal extends Principal {
  readonly tokenVersion: number;
}

export interface TokenSettings {
  /** `iss`: the API's own URL when deployed (the gateway authorizer fetches `<iss>/.well-known/openid-configuration`). */
  readonly issuer: string;
  readonly audience: string;
  /** Token lifetime, which is also the maximum token age verifiers accept. */
  readonly ttlSeconds: number;
}

/** Default lifetime, and the ceiling configuration may raise it to. */
export const DEFAULT_TOKEN_TTL_SECONDS = 3600;
export const MAX_TOKEN_TTL_SECONDS = 12 * 3600;

/** Clock skew allowed between the signer and a verifier. */
const CLOCK_TOLERANCE_SECONDS = 5;

export interface IssuedToken {
  readonly access_token: string;
  readonly token_type: 'bearer';
  readonly expires_in: number;
}

/** Checks a configured token lifetime against the documented ceiling. */
export function tokenTtl(seconds: number): number {
  if (!Number.isInteger(seconds) || seconds < 60 || seconds > MAX_TOKEN_TTL_SECONDS) {
    throw new Error(`token lifetime must be 60-${MAX_TOKEN_TTL_SECONDS} seconds, got ${seconds}`);
  }
  return seconds;
}

/** Signs tokens with the current private key: the auth function only. */
export class TokenIssuer {
  constructor(
    private readonly keys: KeyRing,
    private readonly settings: TokenSettings,
  ) {}

  async issue(principal: Principal, tokenVersion: number): Promise<IssuedToken> {
    const { kid, key } = await this.keys.signingKey();
    const token = await new SignJWT({ role: principal.role, ver: tokenVersion })
      .setProtectedHeader({ alg: ALGORITHM, kid, typ: 'JWT' })
      .setSubject(principal.username)
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .setJti(randomUUID())
      .setIssuedAt()
      .setNotBefore('0s')
      .setExpirationTime(`${this.settings.ttlSeconds}s`)
      .sign(key);
    return { access_token: token, token_type: 'bearer', expires_in: this.settings.ttlSeconds };
  }
}

/**
 * Verified tokens are remembered (by their exact text) so a client reusing its token skips the
 * signature check on a warm /predict. Bounded in size, and in age so that a key dropped from the
 * JWKS stops verifying within a minute.
 */
const VERIFIED_CACHE_SIZE = 1024;
const VERIFIED_CACHE_MS = 60_000;

/**
 * Verifies tokens with public keys only (a JwksCache over the published JWKS, or the auth
 * function's own). Only RS256 is accepted, so `alg: none`, HS256 with the public key as secret
 * and other algorithm-confusion tokens fail.
 */
export class TokenVerifier {
  private readonly verified = new Map<string, { principal: VerifiedPrincipal; until: number }>();

  constructor(
    private readonly keys: JwksCache,
    private readonly settings: TokenSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /** Loads the keys ahead of the first request (cold start). */
  warm(): Promise<void> {
    return this.keys.reload();
  }

  async verify(token: string): Promise<VerifiedPrincipal> {
    const hit = this.verified.get(token);
    if (hit) {
      if (hit.until > this.now()) return hit.principal;
      this.verified.delete(token);
    }
    const { principal, exp } = await this.verifySignature(token);
    if (this.verified.size >= VERIFIED_CACHE_SIZE) {
      this.verified.delete(this.verified.keys().next().value!);
    }
    this.verified.set(token, { principal, until: Math.min(exp * 1000, this.now() + VERIFIED_CACHE_MS) });
    return principal;
  }

  private async verifySignature(token: string): Promise<{ principal: VerifiedPrincipal; exp: number }> {
    try {
      const { payload } = await jwtVerify(
        token,
        async (header: JWTHeaderParameters) => {
          const key = await this.keys.key(header.kid);
          if (!key) throw new AppError('INVALID_TOKEN', 'token was signed with an unknown key');
          return key;
        },
        {
          algorithms: [ALGORITHM],
          issuer: this.settings.issuer,
          audience: this.settings.audience,
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          maxTokenAge: this.settings.ttlSeconds, // jose allows clockTolerance on top
          requiredClaims: ['sub', 'iat', 'exp', 'ver'],
          currentDate: new Date(this.now()),
        },
      );
      const role = payload['role'];
      if (role !== 'admin' && role !== 'user')
        throw new AppError('INVALID_TOKEN', 'token has no valid role claim');
      const ver = payload['ver'];
      if (typeof ver !== 'number' || !Number.isInteger(ver) || ver < 0)
        throw new AppError('INVALID_TOKEN', 'token has no valid version claim');
      return { principal: { username: payload.sub!, role, tokenVersion: ver }, exp: payload.exp! };
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new AppError('INVALID_TOKEN', describeJoseError(error));
    }
  }
}

function describeJoseError(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) {
    return error.claim === 'iat' ? 'token is older than the maximum token age' : 'token has expired';
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'token is not valid yet';
    if (error.claim === 'iss') return 'token has the wrong issuer';
    if (error.claim === 'aud') return 'token has the wrong audience';
    return `token claim "${error.claim}" is invalid`;
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'token uses a disallowed algorithm';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'token signature is invalid';
  if (error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JWTInvalid)
    return 'token is malformed';
  return 'token is invalid';
}

/** Extracts the token from an `Authorization: Bearer …` header value. */
export function bearerToken(header: string | undefined): string {
  if (!header)
    throw new AppError(
      'UNAUTHORIZED',
      'missing Authorization header; send "Authorization: Bearer <token>" (POST /token gives one)',
    );
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new AppError('UNAUTHORIZED', 'Authorization header must be "Bearer <token>"');
  return match[1]!;
}

import { type JWTHeaderParameters, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { AppError } from '../errors.js';
import type { KeyProvider } from './keys.js';

export type Role = 'admin' | 'user';

export interface Principal {
  readonly username: string;
  readonly role: Role;
}

export interface TokenSettings {
  readonly issuer: string;
  readonly audience: string;
  readonly ttlSeconds: number;
}

export interface IssuedToken {
  readonly access_token: string;
  readonly token_type: 'bearer';
  readonly expires_in: number;
}

/** Only HS256 is ever accepted: `alg: none` and algorithm-confusion tokens fail verification. */
const ALGORITHM = 'HS256';
const CLOCK_TOLERANCE_SECONDS = 5;
/**
 * Verified tokens are remembered (by their exact text) so a client reusing its token skips the
 * HMAC, which goes through WebCrypto's thread pool and dominated a warm /predict. Bounded in size,
 * and in age so that a key removed from the key set stops verifying within a minute.
 */
const VERIFIED_CACHE_SIZE = 1024;
const VERIFIED_CACHE_MS = 60_000;

export class TokenService {
  private readonly verified = new Map<string, { principal: Principal; until: number }>();

  constructor(
    private readonly keys: KeyProvider,
    private readonly settings: TokenSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /** Fetches the key set ahead of the first request (Secrets Manager in AWS). */
  async warm(): Promise<void> {
    await this.keys.getKeys();
  }

  async issue(principal: Principal): Promise<IssuedToken> {
    const { current } = await this.keys.getKeys();
    const token = await new SignJWT({ role: principal.role })
      .setProtectedHeader({ alg: ALGORITHM, kid: current.kid, typ: 'JWT' })
      .setSubject(principal.username)
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .setIssuedAt()
      .setNotBefore('0s')
      .setExpirationTime(`${this.settings.ttlSeconds}s`)
      .sign(current.secret);
    return { access_token: token, token_type: 'bearer', expires_in: this.settings.ttlSeconds };
  }

  async verify(token: string): Promise<Principal> {
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

  private async verifySignature(token: string): Promise<{ principal: Principal; exp: number }> {
    const { all } = await this.keys.getKeys();
    try {
      const { payload } = await jwtVerify(
        token,
        (header: JWTHeaderParameters) => {
          const key = header.kid ? all.get(header.kid) : undefined;
          if (!key) throw new AppError('INVALID_TOKEN', 'token was signed with an unknown key');
          return key.secret;
        },
        {
          algorithms: [ALGORITHM],
          issuer: this.settings.issuer,
          audience: this.settings.audience,
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          requiredClaims: ['sub', 'iat', 'exp'],
        },
      );
      const role = payload['role'];
      if (role !== 'admin' && role !== 'user')
        throw new AppError('INVALID_TOKEN', 'token has no valid role claim');
      return { principal: { username: payload.sub!, role }, exp: payload.exp! };
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new AppError('INVALID_TOKEN', describeJoseError(error));
    }
  }
}

function describeJoseError(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'token has expired';
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

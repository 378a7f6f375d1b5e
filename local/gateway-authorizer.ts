import type { IncomingHttpHeaders } from 'node:http';
import { decodeJwt, decodeProtectedHeader, type JSONWebKeySet, errors as joseErrors, jwtVerify } from 'jose';
import type { RouteDefinition } from '../core/api/routes.js';
import { JwksCache as Cache, type JwksCache } from '../core/auth/jwks.js';
import { ALGORITHM } from '../core/auth/keys.js';
import { tokenSettings } from '../core/services/token-verifier.js';
import type { HttpEvent, HttpResult } from '../lambdas/shared/http.js';

/**
 * What API Gateway's HTTP API JWT authorizer does in front of the `user` and `admin` routes,
 * played locally so a bad token gets the same answer, before any handler runs, as deployed.
 *
 * As documented for HTTP APIs ("Control access to HTTP APIs with JWT authorizers", and
 * "Troubleshooting issues with HTTP API JWT authorizers" in the API Gateway developer guide):
 * the token is read from the identity source (`Authorization`, bare or after `Bearer `), its
 * algorithm must be RSA (RS256 here) and its `kid` a key of the issuer's JWKS; then `iss` must
 * equal the configured issuer, `aud` (or `client_id` when there is no `aud`) one of the
 * audiences, `exp` be after now and `nbf`/`iat` before now. Any failure answers
 * `401 {"message":"Unauthorized"}` with `www-authenticate: Bearer scope="" error="invalid_token"
 * error_description="…"`. The only description AWS publishes is the audience one ("the token
 * does not have a valid audience"), used verbatim; the others are this module's own wording.
 * On success the claims reach the handler in `requestContext.authorizer.jwt`.
 */
export interface GatewayAuthorizerOptions {
  readonly issuer: string;
  readonly audience: readonly string[];
  /** The issuer's JWKS, fetched as the gateway would (locally: the auth function's route). */
  readonly jwks: () => Promise<JSONWebKeySet>;
  readonly now?: () => number;
}

export type Authorization =
  | { readonly allowed: true; readonly claims: Record<string, string>; readonly scopes: null }
  | { readonly allowed: false; readonly result: HttpResult };

export const AUDIENCE_DESCRIPTION = 'the token does not have a valid audience';

export class GatewayAuthorizer {
  private readonly keys: JwksCache;
  private readonly now: () => number;

  constructor(private readonly options: GatewayAuthorizerOptions) {
    this.now = options.now ?? Date.now;
    this.keys = new Cache(options.jwks, { now: this.now });
  }

  /** Public routes pass untouched; the others need a token the authorizer accepts. */
  async authorize(route: RouteDefinition, headers: IncomingHttpHeaders): Promise<Authorization> {
    if (route.access === 'public') return { allowed: true, claims: {}, scopes: null };
    const raw = headers['authorization'];
    const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
    if (!value) return refuse('no token in the Authorization header');
    const token = value.replace(/^Bearer\s+/i, '');
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
      decodeJwt(token);
    } catch {
      return refuse('the token is not a valid JWT');
    }
    if (header.alg !== ALGORITHM) return refuse(`the token is not signed with ${ALGORITHM}`);
    const key = await this.keys.key(header.kid).catch(() => undefined);
    if (!key) return refuse('the token was not signed by a key of the issuer');
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: [ALGORITHM],
        currentDate: new Date(this.now()),
      });
      if (payload.iss !== this.options.issuer) return refuse('the token does not have a valid issuer');
      const aud = payload.aud ?? (payload['client_id'] as string | undefined);
      const audiences = Array.isArray(aud) ? aud : aud === undefined ? [] : [aud];
      if (!audiences.some((a) => this.options.audience.includes(a))) return refuse(AUDIENCE_DESCRIPTION);
      const now = Math.floor(this.now() / 1000);
      if (typeof payload.exp !== 'number' || payload.exp <= now) return refuse('the token has expired');
      if (typeof payload.nbf === 'number' && payload.nbf > now) return refuse('the token is not valid yet');
      if (typeof payload.iat === 'number' && payload.iat > now)
        return refuse('the token was issued in the future');
      return { allowed: true, claims: stringClaims(payload), scopes: null };
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) return refuse('the token has expired');
      if (error instanceof joseErrors.JWTClaimValidationFailed) return refuse('the token is not valid yet');
      return refuse('the token signature is invalid');
    }
  }
}

/** Puts the claims where API Gateway does (payload format 2.0): `requestContext.authorizer.jwt`. */
export function withAuthorizer(event: HttpEvent, authorization: Authorization): HttpEvent {
  if (!authorization.allowed || Object.keys(authorization.claims).length === 0) return event;
  const requestContext = {
    ...event.requestContext,
    authorizer: { jwt: { claims: authorization.claims, scopes: authorization.scopes } },
  };
  return { ...event, requestContext } as HttpEvent;
}

function refuse(description: string): Authorization {
  return {
    allowed: false,
    result: {
      statusCode: 401,
      headers: {
        'content-type': 'application/json',
        'www-authenticate': `Bearer scope="" error="invalid_token" error_description="${description}"`,
      },
      body: JSON.stringify({ message: 'Unauthorized' }),
    },
  };
}

/** Claim values as strings, as the gateway hands them to the integration. */
function stringClaims(payload: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(payload).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  );
}

/**
 * The local server's authorizer: issuer and audience from the same variables the functions read,
 * the JWKS from the auth function's `GET /.well-known/jwks.json`, invoked in-process the way the
 * gateway fetches it over HTTPS.
 */
export function localGatewayAuthorizer(
  authFunction: () => Promise<(event: HttpEvent) => Promise<HttpResult>>,
): GatewayAuthorizer {
  const settings = tokenSettings();
  return new GatewayAuthorizer({
    issuer: settings.issuer,
    audience: [settings.audience],
    jwks: async () => {
      const handler = await authFunction();
      const result = await handler(jwksEvent());
      if (result.statusCode !== 200 || !result.body) throw new Error(`JWKS answered ${result.statusCode}`);
      return JSON.parse(result.body) as JSONWebKeySet;
    },
  });
}

function jwksEvent(): HttpEvent {
  const now = new Date();
  return {
    version: '2.0',
    routeKey: 'GET /.well-known/jwks.json',
    rawPath: '/.well-known/jwks.json',
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'local',
      http: {
        method: 'GET',
        path: '/.well-known/jwks.json',
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'local-gateway-authorizer',
      },
      requestId: `jwks-${now.getTime()}`,
      routeKey: 'GET /.well-known/jwks.json',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
  };
}

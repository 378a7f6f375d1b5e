import {
  ChangePasswordBody,
  CreateUserBody,
  TokenBody,
  type TokenResponse,
  type TokensRevoked,
  type UserCreated,
  UserPath,
} from '../../core/api/schemas.js';
import { ALGORITHM } from '../../core/auth/keys.js';
import { authService, keyRing, tokenSettings } from '../../core/services/auth.js';
import { clientAddress, optionalPrincipal, requirePrincipal } from '../shared/auth.js';
import {
  type HttpEvent,
  type HttpResult,
  header,
  httpHandler,
  json,
  parseFormOrJson,
  parseJson,
  type ResponseBody,
  validate,
} from '../shared/http.js';

/** Verifiers (API Gateway, the functions) cache keys; rotation publishes keys before they sign. */
const KEYS_CACHE_CONTROL = 'public, max-age=300';

const document = (body: object): HttpResult => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json', 'cache-control': KEYS_CACHE_CONTROL },
  body: JSON.stringify(body),
});

/** Deployed, the issuer is the API's URL; locally (a name) the URL is the one the request came to. */
function baseUrl(event: HttpEvent): string {
  const { issuer } = tokenSettings();
  if (/^https?:\/\//.test(issuer)) return issuer.replace(/\/$/, '');
  const proto = header(event, 'x-forwarded-proto') ?? 'http';
  return `${proto}://${event.requestContext?.domainName ?? header(event, 'host') ?? 'localhost'}`;
}

/** Users, tokens (OAuth2 password grant), revocation, and the keys that verify tokens. */
export const handler = httpHandler({
  'POST /users': async (event) => {
    const body = validate(CreateUserBody, parseJson(event));
    const caller = await optionalPrincipal(event);
    const user = await authService().register(body, caller);
    return json(201, { username: user.username, role: user.role } satisfies ResponseBody<typeof UserCreated>);
  },
  'POST /token': async (event) => {
    const body = validate(TokenBody, parseFormOrJson(event));
    const token = await authService().login(body.username, body.password, clientAddress(event));
    return json(200, token satisfies ResponseBody<typeof TokenResponse>, { 'cache-control': 'no-store' });
  },
  'POST /users/{username}/password': async (event) => {
    const { username } = validate(UserPath, event.pathParameters ?? {}, 'path');
    const caller = await requirePrincipal(event);
    const body = validate(ChangePasswordBody, parseJson(event));
    const { tokenVersion } = await authService().changePassword(
      username,
      {
        newPassword: body.new_password,
        ...(body.current_password !== undefined ? { currentPassword: body.current_password } : {}),
      },
      caller,
      clientAddress(event),
    );
    return json(200, { username, token_version: tokenVersion } satisfies ResponseBody<typeof TokensRevoked>);
  },
  'POST /users/{username}/revoke-tokens': async (event) => {
    const { username } = validate(UserPath, event.pathParameters ?? {}, 'path');
    const caller = await requirePrincipal(event);
    const { tokenVersion } = await authService().revokeTokens(username, caller);
    return json(200, { username, token_version: tokenVersion } satisfies ResponseBody<typeof TokensRevoked>);
  },
  'GET /.well-known/jwks.json': async () => document(await keyRing().jwks()),
  'GET /.well-known/openid-configuration': async (event) => {
    const base = baseUrl(event);
    return document({
      issuer: tokenSettings().issuer,
      jwks_uri: `${base}/.well-known/jwks.json`,
      token_endpoint: `${base}/token`,
      grant_types_supported: ['password'],
      response_types_supported: ['token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: [ALGORITHM],
      token_endpoint_auth_methods_supported: ['none'],
      claims_supported: ['sub', 'role', 'ver', 'iss', 'aud', 'iat', 'nbf', 'exp', 'jti'],
    });
  },
});

import { AppError } from '../errors.js';

/**
 * The HTTP API, declared once: the CDK API stack creates one API Gateway route per entry and
 * points it at the named function; the local server dispatches with the same table; the
 * OpenAPI document and the docs list the same routes.
 */
export type FunctionId = 'auth' | 'predict' | 'admin' | 'docs';
export type Access = 'public' | 'user' | 'admin';
export type Method = 'GET' | 'POST';

export interface RouteDefinition {
  readonly method: Method;
  /** API Gateway route syntax: `{name}` path parameters. */
  readonly path: string;
  readonly function: FunctionId;
  /**
   * `user` and `admin` routes sit behind the JWT authorizer (API Gateway's when deployed, local/
   * gateway-authorizer.ts locally), which refuses missing and invalid tokens before any function
   * runs; the handler verifies the token again and checks the role (and, for admin, revocation).
   */
  readonly access: Access;
  readonly summary: string;
}

export const ROUTES: readonly RouteDefinition[] = [
  {
    method: 'GET',
    path: '/',
    function: 'predict',
    access: 'public',
    summary: 'Service name, version and links',
  },
  {
    method: 'GET',
    path: '/health',
    function: 'predict',
    access: 'public',
    summary: 'Liveness and readiness',
  },
  { method: 'POST', path: '/users', function: 'auth', access: 'public', summary: 'Create a user' },
  {
    method: 'POST',
    path: '/token',
    function: 'auth',
    access: 'public',
    summary: 'OAuth2 password grant: get an access token',
  },
  {
    method: 'POST',
    path: '/users/{username}/password',
    function: 'auth',
    access: 'user',
    summary: "Change a password (yours, or anyone's as admin); earlier tokens are revoked",
  },
  {
    method: 'POST',
    path: '/users/{username}/revoke-tokens',
    function: 'auth',
    access: 'user',
    summary: "Revoke every token issued so far (yours, or anyone's as admin)",
  },
  {
    method: 'GET',
    path: '/.well-known/jwks.json',
    function: 'auth',
    access: 'public',
    summary: 'Public keys that verify access tokens (JWKS)',
  },
  {
    method: 'GET',
    path: '/.well-known/openid-configuration',
    function: 'auth',
    access: 'public',
    summary: 'OpenID Connect discovery: issuer, JWKS and token endpoint',
  },
  { method: 'POST', path: '/predict', function: 'predict', access: 'user', summary: 'Score one row or many' },
  {
    method: 'GET',
    path: '/model-info',
    function: 'predict',
    access: 'user',
    summary: 'The model that /predict serves',
  },
  {
    method: 'GET',
    path: '/openapi.json',
    function: 'docs',
    access: 'public',
    summary: 'This API as an OpenAPI 3.1 document',
  },
  { method: 'GET', path: '/docs', function: 'docs', access: 'public', summary: 'Interactive API docs' },
  {
    method: 'GET',
    path: '/docs/{asset}',
    function: 'docs',
    access: 'public',
    summary: 'Static files of the docs page',
  },
  // Admin API (lambdas/admin): training, tracking and the model registry.
  {
    method: 'POST',
    path: '/train',
    function: 'admin',
    access: 'admin',
    summary: 'Start a training run (202 + run id)',
  },
  {
    method: 'GET',
    path: '/runs',
    function: 'admin',
    access: 'admin',
    summary: 'Runs of an experiment, newest first',
  },
  {
    method: 'POST',
    path: '/runs/reap',
    function: 'admin',
    access: 'admin',
    summary: 'Mark runs whose lease expired ABANDONED',
  },
  {
    method: 'GET',
    path: '/runs/{id}',
    function: 'admin',
    access: 'admin',
    summary: 'One run and its trials',
  },
  { method: 'GET', path: '/experiments', function: 'admin', access: 'admin', summary: 'Experiments' },
  {
    method: 'GET',
    path: '/models',
    function: 'admin',
    access: 'admin',
    summary: 'Registered models and aliases',
  },
  {
    method: 'GET',
    path: '/models/{name}/versions',
    function: 'admin',
    access: 'admin',
    summary: 'Versions of a model, newest first',
  },
  {
    method: 'POST',
    path: '/models/{name}/versions/cleanup',
    function: 'admin',
    access: 'admin',
    summary: 'Retire version numbers reserved but never written',
  },
  {
    method: 'POST',
    path: '/models/{name}/promote',
    function: 'admin',
    access: 'admin',
    summary: 'Make a version production',
  },
  {
    method: 'POST',
    path: '/models/{name}/rollback',
    function: 'admin',
    access: 'admin',
    summary: 'Production back to the previous production version',
  },
  {
    method: 'POST',
    path: '/models/{name}/aliases',
    function: 'admin',
    access: 'admin',
    summary: 'Point (or remove) an alias',
  },
  {
    method: 'POST',
    path: '/models/{name}/metadata',
    function: 'admin',
    access: 'admin',
    summary: 'Description and tags of a model or version',
  },
  // Data routes (lambdas/admin): run artifacts and dataset uploads (core/api/data-schemas.ts).
  {
    method: 'GET',
    path: '/runs/{id}/artifacts/{name}',
    function: 'admin',
    // Any user: the card, matrix and baseline describe the served model; model.onnx checks admin.
    access: 'user',
    summary: "Download one of a run's artifacts",
  },
  {
    method: 'POST',
    path: '/datasets',
    function: 'admin',
    access: 'admin',
    summary: 'Upload a CSV: get a presigned S3 PUT',
  },
  { method: 'GET', path: '/datasets', function: 'admin', access: 'admin', summary: 'Uploaded datasets' },
] as const;

/** Route key as API Gateway HTTP APIs spell it, e.g. `POST /predict`. */
export function routeKey(route: Pick<RouteDefinition, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}

/**
 * The methods API Gateway routes to a route's function: a GET route answers HEAD too (the
 * handler drops the body), as the local server does.
 */
export function gatewayMethods(route: Pick<RouteDefinition, 'method'>): string[] {
  return route.method === 'GET' ? ['GET', 'HEAD'] : [route.method];
}

/** Matches a concrete path against the table; returns the route and its path parameters. */
export function matchRoute(
  method: string,
  path: string,
): { route: RouteDefinition; pathParameters: Record<string, string> } | undefined {
  for (const route of ROUTES) {
    if (route.method !== method) continue;
    const params = matchPath(route.path, path);
    if (params) return { route, pathParameters: params };
  }
  return undefined;
}

function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (w.startsWith('{') && w.endsWith('}')) {
      if (g === '') return undefined;
      params[w.slice(1, -1)] = decodeSegment(g);
    } else if (w !== g) {
      return undefined;
    }
  }
  return params;
}

/** A path parameter, percent-decoded; malformed escapes (`%E0%A4%A`) are the caller's 400. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new AppError('BAD_REQUEST', `malformed percent-encoding in the path segment "${segment}"`);
  }
}

/** API Gateway's catch-all route key: requests no other route matches. */
export const DEFAULT_ROUTE = '$default';

/**
 * The answer to a request no route matches: 405 when the path exists under another method, else
 * 404. Used by the local server and by the deployed `$default` route (lambdas/docs), so both
 * answer alike.
 */
export function unmatchedRouteError(method: string, path: string): AppError {
  return pathExists(path)
    ? new AppError('METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}`)
    : new AppError('ROUTE_NOT_FOUND', `no route for ${method} ${path}`);
}

/** Whether any route exists for this path under another method (405 rather than 404). */
export function pathExists(path: string): boolean {
  return ROUTES.some((route) => matchPath(route.path, path) !== undefined);
}

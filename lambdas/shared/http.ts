import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { DEFAULT_ROUTE } from '../../core/api/routes.js';
import type { ErrorBody } from '../../core/api/schemas.js';
import type * as z from '../../core/api/zod.js';
import { AppError, isAppError } from '../../core/errors.js';

export { validate } from '../../core/api/validate.js';

import { metrics } from '../../core/metrics/index.js';
import { accessLog, logger } from './logger.js';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;

/** Bodies above this are refused before parsing (API Gateway's own limit is 10 MB). */
export const MAX_BODY_BYTES = 1_048_576;

/** On every answer, JSON or not (the local server also sets them on the answers it writes itself). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/**
 * On every HTML answer that sets no policy of its own: scripts, styles and images from this
 * origin only (Swagger UI at /docs needs inline style attributes and data: images, nothing inline
 * that runs), no framing, no plugins.
 */
export const HTML_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export interface RequestContext {
  readonly requestId: string;
  readonly route: string;
  /** Set by handlers so the access log line names the model that answered. */
  modelVersion?: number;
}

/**
 * A JSON answer as a route returns it (`json(...)`): an object not yet serialized. httpHandler
 * serializes it with `request_id` added, so no handler writes the request id itself.
 */
export interface JsonResult {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly json: object;
}

/** A JSON answer (`json(...)`), or a result passed through as is (HTML, static files, the OpenAPI document). */
export type RouteResult = HttpResult | JsonResult;

export type RouteHandler = (event: HttpEvent, ctx: RequestContext) => Promise<RouteResult>;

/**
 * A response schema's body as a handler writes it: the schema's type without `request_id`,
 * which the schemas declare (so the OpenAPI document shows it) and httpHandler adds.
 *
 * @example
 * return json(200, { username, role } satisfies ResponseBody<typeof UserCreated>);
 */
export type ResponseBody<S extends z.ZodMiniType> = WithoutRequestId<z.infer<S>>;
type WithoutRequestId<T> = T extends unknown ? Omit<T, 'request_id'> : never;

/**
 * Wraps a route: request id, one JSON log line, request metrics, and the single place where
 * errors become HTTP answers. Every JSON object body (`json(...)`, success or error) gets
 * `request_id`, equal to the `x-request-id` header. Unknown errors are logged with their stack
 * and answered with a generic 500 that carries the request id, never the stack.
 */
export function httpHandler(routes: Record<string, RouteHandler>) {
  return async (event: HttpEvent, lambdaContext?: Context): Promise<HttpResult> => {
    const started = performance.now();
    const requestId = event.requestContext?.requestId || lambdaContext?.awsRequestId || randomUUID();
    // A catch-all handler keeps the `$default` label: unmatched paths must not become metric labels.
    const catchAll = event.routeKey === DEFAULT_ROUTE && routes[DEFAULT_ROUTE] !== undefined;
    const route = catchAll
      ? DEFAULT_ROUTE
      : event.routeKey && event.routeKey !== DEFAULT_ROUTE
        ? event.routeKey
        : `${method(event)} ${event.rawPath}`;
    const ctx: RequestContext = { requestId, route };
    let result: HttpResult;
    try {
      // HEAD is answered by the GET route; the body is dropped on the way out (RFC 9110 §9.3.2).
      const handler = ownRoute(routes, route) ?? ownRoute(routes, route.replace(/^HEAD /, 'GET '));
      if (!handler) throw new AppError('ROUTE_NOT_FOUND', `no route for ${route}`);
      result = withRequestId(await handler(event, ctx), requestId);
    } catch (error) {
      result = errorResponse(error, requestId);
      if (!isAppError(error)) {
        logger.error('unhandled error', { requestId, route, error: error as Error });
      }
      metrics.error(isAppError(error) ? error.code : 'INTERNAL');
    }
    if (method(event) === 'HEAD') result = withoutBody(result);
    const durationMs = performance.now() - started;
    const status = result.statusCode ?? 200;
    metrics.request(route, status, durationMs);
    accessLog({
      requestId,
      route,
      status,
      latencyMs: Math.round(durationMs * 1000) / 1000,
      ...(ctx.modelVersion !== undefined ? { modelVersion: ctx.modelVersion } : {}),
    });
    return result;
  };
}

const method = (event: HttpEvent) => event.requestContext?.http?.method ?? 'GET';

/** A HEAD answer: the GET answer's status and headers, its length, no body. */
function withoutBody(result: HttpResult): HttpResult {
  const { body, isBase64Encoded, ...rest } = result;
  const length = body === undefined ? 0 : Buffer.byteLength(body, isBase64Encoded ? 'base64' : 'utf8');
  return { ...rest, headers: { ...rest.headers, 'content-length': String(length) } };
}

/** Own keys only: a route key such as `constructor` must not find Object.prototype's. */
const ownRoute = (routes: Record<string, RouteHandler>, key: string) =>
  Object.hasOwn(routes, key) ? routes[key] : undefined;

/**
 * A JSON object answer; httpHandler adds `request_id` when it serializes the body. A body that
 * names `request_id` itself does not compile.
 */
export function json<T extends object>(
  statusCode: number,
  body: T & { readonly request_id?: never },
  headers: Record<string, string> = {},
): JsonResult {
  return { statusCode, headers, json: body };
}

/**
 * The one place a JSON body is serialized: `request_id` is added last (over any value a body
 * smuggled in), and the request id goes into the `x-request-id` header of every answer.
 */
function withRequestId(result: RouteResult, requestId: string): HttpResult {
  if (!('json' in result)) {
    const headers: Record<string, string | number | boolean> = {
      ...SECURITY_HEADERS,
      ...result.headers,
      'x-request-id': requestId,
    };
    if (/^text\/html/i.test(String(headers['content-type'] ?? '')) && !headers['content-security-policy']) {
      headers['content-security-policy'] = HTML_CSP;
    }
    result.headers = headers;
    return result;
  }
  return {
    statusCode: result.statusCode,
    headers: {
      'content-type': 'application/json',
      ...SECURITY_HEADERS,
      ...result.headers,
      'x-request-id': requestId,
    },
    body: JSON.stringify({ ...result.json, request_id: requestId }),
  };
}

/** An error as its HTTP answer: `{error: {code, message, details}, request_id}`. */
export function errorResponse(error: unknown, requestId: string): HttpResult {
  const appError = isAppError(error)
    ? error
    : new AppError('INTERNAL', 'internal error; quote the request id when reporting it');
  const headers: Record<string, string> = {};
  if (appError.retryAfter !== undefined) headers['retry-after'] = String(appError.retryAfter);
  if (appError.code === 'UNAUTHORIZED' || appError.code === 'INVALID_TOKEN') {
    headers['www-authenticate'] = 'Bearer';
  }
  const body = {
    error: { code: appError.code, message: appError.message, details: [...appError.details] },
  } satisfies ResponseBody<typeof ErrorBody>;
  return withRequestId(json(appError.status, body, headers), requestId);
}

/** The raw body as text, decoded and size-checked. */
export function bodyText(event: HttpEvent): string {
  if (!event.body) throw new AppError('BAD_REQUEST', 'request body is empty');
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) {
    throw new AppError('PAYLOAD_TOO_LARGE', `request body exceeds ${MAX_BODY_BYTES} bytes`);
  }
  return text;
}

export function header(event: HttpEvent, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === lower) return value;
  }
  return undefined;
}

/** `application/json` and the `+json` types (e.g. `application/merge-patch+json`), any parameters. */
const JSON_TYPE = /^application\/([\w.-]+\+)?json\s*(;|$)/i;

/** A JSON body: 415 when the request declares another content type, 400 when it does not parse. */
export function parseJson(event: HttpEvent): unknown {
  const type = header(event, 'content-type');
  if (type !== undefined && type.trim() !== '' && !JSON_TYPE.test(type.trim())) {
    throw new AppError(
      'UNSUPPORTED_MEDIA_TYPE',
      `content-type ${type} is not accepted here; send application/json`,
    );
  }
  const text = bodyText(event);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AppError('BAD_REQUEST', `malformed JSON body: ${(error as Error).message}`);
  }
}

/** Form (OAuth2 password grant) or JSON, chosen by content type. */
export function parseFormOrJson(event: HttpEvent): unknown {
  const type = header(event, 'content-type') ?? '';
  if (type.startsWith('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(bodyText(event)));
  }
  return parseJson(event);
}

import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { AppError, isAppError } from '../../core/errors.js';

export { validate } from '../../core/api/validate.js';

import { metrics } from '../../core/metrics/index.js';
import { accessLog, logger } from './logger.js';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;

/** Bodies above this are refused before parsing (API Gateway's own limit is 10 MB). */
export const MAX_BODY_BYTES = 1_048_576;

export interface RequestContext {
  readonly requestId: string;
  readonly route: string;
  /** Set by handlers so the access log line names the model that answered. */
  modelVersion?: number;
}

export type RouteHandler = (event: HttpEvent, ctx: RequestContext) => Promise<HttpResult>;

/**
 * Wraps a route: request id, one JSON log line, request metrics, and the single place where
 * errors become HTTP answers. Unknown errors are logged with their stack and answered with a
 * generic 500 that carries the request id, never the stack.
 */
export function httpHandler(routes: Record<string, RouteHandler>) {
  return async (event: HttpEvent, lambdaContext?: Context): Promise<HttpResult> => {
    const started = performance.now();
    const requestId = event.requestContext?.requestId || lambdaContext?.awsRequestId || randomUUID();
    const route =
      event.routeKey && event.routeKey !== '$default' ? event.routeKey : `${method(event)} ${event.rawPath}`;
    const ctx: RequestContext = { requestId, route };
    let result: HttpResult;
    try {
      const handler = routes[route];
      if (!handler) throw new AppError('ROUTE_NOT_FOUND', `no route for ${route}`);
      result = await handler(event, ctx);
    } catch (error) {
      result = errorResponse(error, requestId);
      if (!isAppError(error)) {
        logger.error('unhandled error', { requestId, route, error: error as Error });
      }
      metrics.error(isAppError(error) ? error.code : 'INTERNAL');
    }
    result.headers = { ...result.headers, 'x-request-id': requestId };
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

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

export function errorResponse(error: unknown, requestId: string): HttpResult {
  const appError = isAppError(error)
    ? error
    : new AppError('INTERNAL', 'internal error; quote the request id when reporting it');
  const headers: Record<string, string> = {};
  if (appError.retryAfter !== undefined) headers['retry-after'] = String(appError.retryAfter);
  if (appError.code === 'UNAUTHORIZED' || appError.code === 'INVALID_TOKEN') {
    headers['www-authenticate'] = 'Bearer';
  }
  return json(
    appError.status,
    {
      error: { code: appError.code, message: appError.message, details: appError.details },
      request_id: requestId,
    },
    headers,
  );
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

export function parseJson(event: HttpEvent): unknown {
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

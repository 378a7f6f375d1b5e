import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { matchRoute, routeKey, unmatchedRouteError } from '../core/api/routes.js';
import { AppError } from '../core/errors.js';
import {
  errorResponse,
  type HttpEvent,
  type HttpResult,
  MAX_BODY_BYTES,
  SECURITY_HEADERS,
} from '../lambdas/shared/http.js';
import { FUNCTIONS, type HttpFunction } from './functions.js';
import { type GatewayAuthorizer, localGatewayAuthorizer, withAuthorizer } from './gateway-authorizer.js';

/** Extra local-only routes (e.g. GET /metrics) answered outside the Lambda handlers. */
export type LocalRoute = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

export interface LocalServerOptions {
  readonly host?: string;
  readonly port?: number;
  readonly localRoutes?: Record<string, LocalRoute>;
  /** Local-only GET/HEAD routes by path prefix (`/console` answers `/console` and `/console/...`). */
  readonly prefixRoutes?: Record<string, LocalRoute>;
}

export interface LocalServer {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/**
 * Plays API Gateway: turns each HTTP request into an HTTP API payload v2 event, routes it with
 * the same route table the CDK API stack uses, and writes the handler's result back.
 */
export async function startLocalServer(options: LocalServerOptions = {}): Promise<LocalServer> {
  const loaded = new Map<string, Promise<HttpFunction>>();
  const fn = (id: keyof typeof FUNCTIONS) => {
    let f = loaded.get(id);
    if (!f) {
      f = FUNCTIONS[id]();
      loaded.set(id, f);
    }
    return f;
  };
  // API Gateway's JWT authorizer in front of the user and admin routes (local/gateway-authorizer.ts).
  let authorizer: GatewayAuthorizer | undefined;

  const server = createServer(async (req, res) => {
    const requestId = randomUUID();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    // Read (and bound) the body first, like API Gateway: an answer given before the body was
    // read would leave its bytes on a keep-alive connection, to be parsed as the next request.
    const body = readBody(req);
    const drained = () =>
      body.then(
        () => undefined,
        () => undefined,
      );
    try {
      const url = requestUrl(req.url);
      const method = (req.method ?? 'GET').toUpperCase();
      // HEAD is served by the GET route (the handler drops the body; so does node:http for HEAD).
      const routeMethod = method === 'HEAD' ? 'GET' : method;
      const localKey = `${routeMethod} ${url.pathname}`;
      const local = options.localRoutes && Object.hasOwn(options.localRoutes, localKey);
      if (local) {
        await options.localRoutes![localKey]!(req, res);
        return;
      }
      const prefixed =
        (method === 'GET' || method === 'HEAD') &&
        Object.entries(options.prefixRoutes ?? {}).find(
          ([prefix]) => url.pathname === prefix || url.pathname.startsWith(`${prefix}/`),
        );
      if (prefixed) {
        await prefixed[1](req, res);
        return;
      }
      const match = matchRoute(routeMethod, url.pathname);
      if (!match) {
        await drained();
        write(res, errorResponse(unmatchedRouteError(method, url.pathname), requestId), requestId);
        return;
      }
      authorizer ??= localGatewayAuthorizer(() => fn('auth'));
      const authorization = await authorizer.authorize(match.route, req.headers);
      if (!authorization.allowed) {
        await drained();
        write(res, authorization.result, requestId);
        return;
      }
      const key = method === 'HEAD' ? `HEAD ${match.route.path}` : routeKey(match.route);
      const event = withAuthorizer(
        toEvent(req, url, await body, key, match.pathParameters, requestId),
        authorization,
      );
      const handler = await fn(match.route.function);
      write(res, await handler(event), requestId);
    } catch (error) {
      // A local route that failed after it started answering can only be cut short.
      if (res.headersSent) res.destroy();
      else {
        await drained();
        write(res, errorResponse(error, requestId), requestId);
      }
    }
  });
  // Keep-alive longer than typical client pools so benchmarks and SDKs reuse connections.
  server.keepAliveTimeout = 65_000;
  // Requests node:http cannot parse (what API Gateway would refuse before any function ran) get
  // the error envelope and the security headers too, then the connection is closed.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (
      !socket.writable ||
      (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent
    ) {
      socket.destroy();
      return;
    }
    const requestId = randomUUID();
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const result = errorResponse(
      new AppError(
        tooLarge ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST',
        tooLarge ? 'request headers are too large' : 'malformed HTTP request',
      ),
      requestId,
    );
    const body = result.body ?? '';
    const headers = {
      ...SECURITY_HEADERS,
      ...result.headers,
      'content-length': Buffer.byteLength(body),
      connection: 'close',
    };
    socket.end(
      `HTTP/1.1 ${result.statusCode} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
        `${Object.entries(headers)
          .map(([k, v]) => `${k}: ${v}`)
          .join('\r\n')}\r\n\r\n${body}`,
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8000, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address}:${address.port}`,
    server,
    close: () =>
      new Promise((resolve) => {
        server.closeIdleConnections();
        server.close(() => resolve());
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      }),
  };
}

/**
 * The request target as a URL. Only origin-form targets (`/path?query`) with a normalised path
 * are accepted: `//health` would otherwise parse as a host named "health" and be served as `/`,
 * and `/a/../health` as `/health`; API Gateway matches neither, so neither does this.
 */
function requestUrl(target: string | undefined): URL {
  const raw = target ?? '/';
  const path = raw.split('?', 1)[0]!;
  if (!path.startsWith('/')) {
    throw new AppError('BAD_REQUEST', 'the request target must be a path starting with "/"');
  }
  if (/\/\/|\/\.\.?(\/|$)/.test(path)) {
    throw new AppError('BAD_REQUEST', `the path ${JSON.stringify(path)} has an empty, "." or ".." segment`);
  }
  return new URL(raw, 'http://localhost');
}

/** Event-based rather than `for await`: the async iterator cost a measurable share of a warm request. */
function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // API Gateway itself caps payloads at 10 MB; past our own limit, stop buffering.
      if (size > MAX_BODY_BYTES * 2) {
        req.removeAllListeners('data');
        req.resume();
        reject(new AppError('PAYLOAD_TOO_LARGE', `request body exceeds ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function toEvent(
  req: IncomingMessage,
  url: URL,
  body: Buffer,
  key: string,
  pathParameters: Record<string, string>,
  requestId: string,
): HttpEvent {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query = Object.fromEntries(url.searchParams);
  const now = new Date();
  const isText = /json|text|x-www-form-urlencoded/.test(headers['content-type'] ?? 'application/json');
  return {
    version: '2.0',
    routeKey: key,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(Object.keys(pathParameters).length > 0 ? { pathParameters } : {}),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers['host'] ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: key,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0
      ? isText
        ? { body: body.toString('utf8'), isBase64Encoded: false }
        : { body: body.toString('base64'), isBase64Encoded: true }
      : { isBase64Encoded: false }),
  };
}

function write(res: ServerResponse, result: HttpResult, requestId: string): void {
  const headers: Record<string, string | number | boolean> = {
    'x-request-id': requestId,
    ...(result.headers ?? {}),
  };
  const body =
    result.body === undefined
      ? ''
      : result.isBase64Encoded
        ? Buffer.from(result.body, 'base64')
        : result.body;
  // An explicit length keeps keep-alive responses out of chunked encoding. A HEAD answer comes
  // without its body but with the length the handler gave it.
  headers['content-length'] ??= Buffer.byteLength(body);
  res.writeHead(result.statusCode ?? 200, headers as Record<string, string>);
  res.end(body);
}

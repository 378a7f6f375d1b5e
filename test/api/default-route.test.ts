import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { type PlatformMetrics, platformMetrics } from '../../core/metrics/index.js';
import { handler as docsHandler } from '../../lambdas/docs/handler.js';
import { parseFormOrJson, parseJson } from '../../lambdas/shared/http.js';

/**
 * API Gateway's `$default` route (lib/api-stack.ts) sends every unmatched request to the docs
 * function: the same 404/405 envelope the local server gives, under the `$default` label.
 */
function event(method: string, path: string, routeKey = '$default', headers: Record<string, string> = {}) {
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: '',
    headers,
    requestContext: { requestId: `req-${method}-${path}`, http: { method, path } },
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2;
}

const body = (result: { body?: string }) => JSON.parse(result.body ?? '{}');

test('an unknown path answers 404 ROUTE_NOT_FOUND in the envelope, with the request id', async () => {
  const result = await docsHandler(event('GET', '/nope'));
  expect(result.statusCode).toBe(404);
  expect(body(result)).toEqual({
    error: { code: 'ROUTE_NOT_FOUND', message: 'no route for GET /nope', details: [] },
    request_id: 'req-GET-/nope',
  });
  expect(result.headers?.['x-request-id']).toBe('req-GET-/nope');
});

test('a known path with another method answers 405 METHOD_NOT_ALLOWED', async () => {
  const result = await docsHandler(event('DELETE', '/predict'));
  expect(result.statusCode).toBe(405);
  expect(body(result).error).toMatchObject({
    code: 'METHOD_NOT_ALLOWED',
    message: 'DELETE is not allowed on /predict',
  });
  expect((await docsHandler(event('POST', '/models/iris/versions'))).statusCode).toBe(405);
});

test('unmatched paths are counted under the $default label, never as labels of their own', async () => {
  const metrics = platformMetrics() as PlatformMetrics;
  await docsHandler(event('GET', `/scan-${Date.now()}`));
  const text = await metrics.text();
  expect(text).toMatch(/mlops_http_requests_total\{route="\$default",status="404"\} \d+/);
  expect(text).not.toMatch(/route="GET \/scan-/);
});

test('a body declared as another content type than JSON answers 415; JSON, +json and no type are parsed', () => {
  const parse = (type?: string) =>
    parseJson({
      ...event('POST', '/predict', 'POST /predict', type ? { 'content-type': type } : {}),
      body: '{"a":1}',
    });
  expect(() => parse('text/plain')).toThrow(
    expect.objectContaining({ code: 'UNSUPPORTED_MEDIA_TYPE', status: 415 }),
  );
  expect(() => parse('application/x-www-form-urlencoded')).toThrow(/send application\/json/);
  for (const type of [
    'application/json',
    'application/json; charset=utf-8',
    'application/merge-patch+json',
    undefined,
  ]) {
    expect(parse(type)).toEqual({ a: 1 });
  }
  // The token route still takes the OAuth2 form body.
  expect(
    parseFormOrJson({
      ...event('POST', '/token', 'POST /token', { 'content-type': 'application/x-www-form-urlencoded' }),
      body: 'username=a&password=b',
    }),
  ).toEqual({ username: 'a', password: 'b' });
});

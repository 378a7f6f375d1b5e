import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { openApiDocument } from '../../core/api/openapi.js';
import { DEFAULT_ROUTE, unmatchedRouteError } from '../../core/api/routes.js';
import { SERVICE } from '../../core/api/service-info.js';
import { AppError } from '../../core/errors.js';
import { settings } from '../../core/services/lazy.js';
import { type HttpResult, httpHandler } from '../shared/http.js';

/**
 * GET /openapi.json, GET /docs and the Swagger UI files it loads, and the `$default` route's
 * 404/405 answers, served from the installed
 * swagger-ui-dist package (no CDN: the page works offline and under a strict network policy).
 * The deployed function must ship swagger-ui-dist beside the bundle (CDK `nodeModules`).
 */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

/**
 * Swagger UI's start-up, as a file of its own rather than an inline script, so the page runs
 * under a CSP without 'unsafe-inline' scripts (lambdas/shared/http.ts HTML_CSP).
 */
const INIT_FILE = 'mlops-init.js';
const INIT_SCRIPT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  persistAuthorization: true,
  tryItOutEnabled: true,
});
`;

let document: string | undefined;
const assetCache = new Map<string, Buffer>();

function assetDir(): string {
  return dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>serverless-mlops API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/${INIT_FILE}"></script>
</body>
</html>
`;

export const handler = httpHandler({
  'GET /openapi.json': async () => {
    document ??= JSON.stringify(
      openApiDocument({ version: SERVICE.version, maxBatchRows: settings.maxBatchRows }),
    );
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' },
      body: document,
    };
  },
  'GET /docs': async () => ({
    statusCode: 200,
    headers: { 'content-type': 'text/html; charset=utf-8' },
    body: PAGE,
  }),
  'GET /docs/{asset}': async (event): Promise<HttpResult> => {
    const name = event.pathParameters?.['asset'] ?? '';
    if (name === INIT_FILE) {
      return {
        statusCode: 200,
        headers: { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=300' },
        body: INIT_SCRIPT,
      };
    }
    // Own keys only: `constructor` or `__proto__` must not find Object.prototype's.
    const type = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
    if (!type) throw new AppError('NOT_FOUND', `no docs file named "${name}"`);
    let bytes = assetCache.get(name);
    if (!bytes) {
      bytes = readFileSync(join(assetDir(), name));
      assetCache.set(name, bytes);
    }
    return {
      statusCode: 200,
      headers: { 'content-type': type, 'cache-control': 'public, max-age=86400' },
      body: bytes.toString('base64'),
      isBase64Encoded: true,
    };
  },
  // API Gateway's catch-all route (lib/api-stack.ts): what no other route matches.
  [DEFAULT_ROUTE]: async (event) => {
    throw unmatchedRouteError(event.requestContext?.http?.method ?? 'GET', event.rawPath ?? '/');
  },
});

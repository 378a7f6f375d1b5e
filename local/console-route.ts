import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { PutBucketCorsCommand, type S3Client } from '@aws-sdk/client-s3';
import type { LocalRoute } from './server.js';

/**
 * The web console on the local server, at /console/: the built files (console/build.ts) with the
 * same headers CloudFront adds in AWS (lib/console-stack.ts): a strict CSP (scripts and styles
 * from the console only; fetches to the API, which is this origin, and to the S3 endpoint that
 * uploads go to), nosniff, no framing. `config.json` tells the app where the API is: here, the
 * same origin.
 */
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
};

export const CONSOLE_PATH = '/console';

export function consolePolicy(connectSources: readonly string[]): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob: data:",
    `connect-src ${["'self'", ...connectSources].join(' ')}`,
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function consoleRoute(dir: string, options: { s3Endpoint?: string } = {}): LocalRoute {
  const policy = consolePolicy(options.s3Endpoint ? [options.s3Endpoint] : []);
  const config = JSON.stringify({ apiUrl: '' });
  return async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === CONSOLE_PATH) {
      res.writeHead(301, { location: `${CONSOLE_PATH}/` }).end();
      return;
    }
    const name = path.slice(CONSOLE_PATH.length + 1) || 'index.html';
    const headers: Record<string, string> = {
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-cache',
    };
    if (name === 'config.json') {
      res.writeHead(200, { ...headers, 'content-type': TYPES['.json']! }).end(config);
      return;
    }
    const type = /^[a-z]+\.(html|js|css)$/.test(name) ? TYPES[extname(name)] : undefined;
    const body = type ? await readFile(join(dir, name)).catch(() => undefined) : undefined;
    if (!type || !body) {
      res.writeHead(404, { ...headers, 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    if (type.startsWith('text/html')) headers['content-security-policy'] = policy;
    res.writeHead(200, { ...headers, 'content-type': type, 'content-length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}

/**
 * Lets the console PUT uploads straight to the bucket (presigned URLs): a CORS rule for exactly
 * the console's origins, nothing wider. The CDK storage stack sets the same rule for CloudFront's.
 */
export async function allowConsoleUploads(s3: S3Client, bucket: string, origins: readonly string[]) {
  await s3.send(
    new PutBucketCorsCommand({
      Bucket: bucket,
      CORSConfiguration: {
        CORSRules: [
          {
            AllowedOrigins: [...origins],
            AllowedMethods: ['PUT', 'GET'],
            AllowedHeaders: ['content-type'],
            ExposeHeaders: ['ETag'],
            MaxAgeSeconds: 3000,
          },
        ],
      },
    }),
  );
}

/** The origins a browser uses for a loopback server URL: as printed, and as `localhost`. */
export function loopbackOrigins(url: string): string[] {
  const u = new URL(url);
  const alt = u.hostname === 'localhost' ? '127.0.0.1' : 'localhost';
  return [u.origin, `${u.protocol}//${alt}:${u.port}`];
}

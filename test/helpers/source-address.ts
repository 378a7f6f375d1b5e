import { request } from 'node:http';

/**
 * POST /token to the local server from a chosen loopback source address (any 127.x.y.z): the
 * local server, like API Gateway, takes the client address from the connection, so this is how
 * a test plays several clients.
 */
export function loginFrom(
  baseUrl: string,
  from: string,
  username: string,
  password: string,
  // biome-ignore lint/suspicious/noExplicitAny: test convenience for JSON bodies
): Promise<{ status: number; body: any; ms: number }> {
  const url = new URL('/token', baseUrl);
  const body = new URLSearchParams({ username, password }).toString();
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        localAddress: from,
        agent: false,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode!, body: JSON.parse(text), ms: performance.now() - started }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

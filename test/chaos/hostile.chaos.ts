import { request } from 'node:http';
import { ROUTES } from '../../core/api/routes.js';
import { ENV } from '../../core/config/env.js';
import { trainIris } from '../api/fixtures.js';
import { adminToken, type LocalApi, startLocalApi, userToken } from '../helpers/local-api.js';
import { figure, random } from './harness.js';

/**
 * Generated hostile input against the local server (emulators + the real handlers): ≥ 500
 * bodies and URLs, seeded so a failure reproduces, and not one 5xx. Every answer is an error
 * envelope or a success, with its request id.
 */
const SEED = 20_260_101;
const rand = random(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
const int = (max: number) => Math.floor(rand() * max);

let api: LocalApi;
let user: string;
let admin: string;

beforeAll(async () => {
  api = await startLocalApi({ env: { [ENV.allowSelfRegistration]: 'true' } });
  await trainIris();
  user = await userToken(api);
  admin = await adminToken(api);
}, 120_000);
afterAll(() => api?.stop());

const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  '\ud800',
  '💥'.repeat(50),
  'a'.repeat(10_000),
  '../../etc/passwd',
  '%E0%A4%A',
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  'toString',
  'production',
  'Staging',
  'iris',
  'builtin:iris',
  's3://nope/x.csv',
  '{"$ne": null}',
];
const NASTY_NUMBERS = [
  0,
  -0,
  1,
  -1,
  3.4e38,
  -3.4e38,
  3.5e38,
  1e308,
  -1e308,
  5e-324,
  2 ** 53 + 1,
  0.1,
  1e6,
  -1e-9,
];
const KEYS = [
  'features',
  'instances',
  'model',
  'version',
  'alias',
  'username',
  'password',
  'role',
  'dataset',
  'tags',
  'description',
  'trials',
  'params',
  '__proto__',
  'constructor',
  'toString',
  'x',
];

function value(depth: number): unknown {
  const kind = depth > 3 ? int(4) : int(7);
  switch (kind) {
    case 0:
      return pick(NASTY_NUMBERS);
    case 1:
      return pick(NASTY_STRINGS);
    case 2:
      return pick([true, false, null]);
    case 3:
      return int(10);
    case 4: {
      // Long arrays hold numbers only; nested ones stay short (the body stays well under 1 MB).
      const length = pick([0, 1, 3, 4, 5, 50, 2000]);
      return Array.from({ length }, () =>
        length > 5 || rand() < 0.7 ? pick(NASTY_NUMBERS) : value(depth + 1),
      );
    }
    case 5:
      return Object.fromEntries(Array.from({ length: int(6) }, () => [pick(KEYS), value(depth + 1)]));
    default: {
      // A valid body with one field broken.
      const base: Record<string, unknown> = { features: [5.1, 3.5, 1.4, 0.2] };
      base[pick(KEYS)] = value(depth + 1);
      return base;
    }
  }
}

function body(): string {
  const json = JSON.stringify(value(0)) ?? 'null';
  switch (int(6)) {
    case 0:
      return json.slice(0, int(json.length + 1)); // truncated
    case 1:
      return `\ufeff${json}`; // BOM
    case 2:
      return json.replace(/:/, '::');
    default:
      return json;
  }
}

function path(): string {
  const route = pick(ROUTES).path.replace(/\{[^}]+\}/g, () =>
    pick(['iris', 'x', '%E0%A4%A', '%00', '..', '%2e%2e', 'a'.repeat(3000), '💥', '__proto__', '%ZZ', '']),
  );
  const mutated = (() => {
    switch (int(6)) {
      case 0:
        return `/${route}`; // doubled slash
      case 1:
        return `${route}/../health`;
      case 2:
        return `${route}?${pick(['model=%', 'limit=-1', 'limit=1e9', 'experiment=__proto__', 'a=%E0%A4%A', `x=${'y'.repeat(5000)}`])}`;
      case 3:
        return route.replace(/\/[^/]*$/, `/${pick(NASTY_STRINGS).slice(0, 200)}`);
      default:
        return route;
    }
  })();
  // Keep it a valid request line: node:http refuses control characters in the target itself.
  return encodeURI(mutated.replace(/[\ud800-\udfff]/g, '?')).replace(/%25/g, '%');
}

function send(
  method: string,
  target: string,
  payload: string | undefined,
  token: string | undefined,
): Promise<{ status: number; requestId: unknown; json: boolean }> {
  const url = new URL(api.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path: target,
        headers: {
          ...(payload !== undefined
            ? {
                'content-type': pick([
                  'application/json',
                  'text/plain',
                  'application/x-www-form-urlencoded',
                  'application/octet-stream',
                ]),
              }
            : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => {
          let json = false;
          try {
            JSON.parse(text);
            json = true;
          } catch {
            // HTML, CSS, JS or an empty HEAD answer
          }
          resolve({ status: res.statusCode ?? 0, requestId: res.headers['x-request-id'], json });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

test(`≥ 500 generated hostile bodies and URLs (seed ${SEED}): not one 5xx`, async () => {
  const cases: { method: string; target: string; payload?: string; token?: string }[] = [];
  for (let i = 0; i < 300; i++)
    cases.push({ method: 'POST', target: '/predict', payload: body(), token: user });
  for (let i = 0; i < 60; i++)
    cases.push({ method: 'POST', target: pick(['/token', '/users']), payload: body() });
  for (let i = 0; i < 80; i++) {
    cases.push({
      method: 'POST',
      target: pick(['/train', '/models/iris/metadata', '/models/iris/aliases', '/models/iris/promote']),
      payload: body(),
      token: admin,
    });
  }
  for (let i = 0; i < 200; i++) {
    const method = pick(['GET', 'GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);
    cases.push({
      method,
      target: path(),
      // A HEAD request with a body is refused by the HTTP parser itself (400, connection closed).
      ...(rand() < 0.5 && method !== 'HEAD' ? { payload: body() } : {}),
      ...(rand() < 0.7 ? { token: pick([user, admin, 'garbage']) } : {}),
    });
  }
  const statuses: Record<number, number> = {};
  const failures: string[] = [];
  for (let i = 0; i < cases.length; i += 8) {
    const batch = cases.slice(i, i + 8);
    const answers = await Promise.all(
      batch.map((c) =>
        send(c.method, c.target, c.payload, c.token).catch((error: Error) => ({
          status: 599,
          requestId: error.message,
          json: false,
        })),
      ),
    );
    answers.forEach((answer, j) => {
      statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
      const c = batch[j]!;
      if (answer.status >= 500 || !answer.requestId) {
        failures.push(
          `${answer.status} ${c.method} ${c.target.slice(0, 120)} ${c.payload?.slice(0, 200) ?? ''}`,
        );
      }
    });
  }
  figure('hostile requests', `${cases.length}, statuses ${JSON.stringify(statuses)}`);
  expect(cases.length).toBeGreaterThanOrEqual(500);
  expect(failures).toEqual([]);
});

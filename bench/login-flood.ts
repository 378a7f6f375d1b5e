/**
 * A real user's sign-in latency while `POST /token` is flooded with random usernames (each a
 * scrypt hash if nothing stops it), against the local server with its emulators:
 *
 * - idle: the real user alone;
 * - one address: 32 requests in flight from one client address (127.0.0.2);
 * - many addresses: the same from 64 addresses (127.0.3.1-64), which the per-address budget
 *   does not stop, so only the bounded password-check queue protects the real login.
 *
 * The real user signs in from its own address (127.0.0.1) ten times in each phase. Run:
 * `npm run bench:auth` (prints a table; figures go to docs/api.md by hand, with `uptime`).
 */
import { Agent, request } from 'node:http';
import { startLocalRuntime } from '../local/runtime.js';
import { startLocalServer } from '../local/server.js';

const PASSWORD = 'the-real-password';
const FLOOD_IN_FLIGHT = 32;
const REAL_LOGINS = 10;

const agents = new Map<string, Agent>();
function post(base: string, from: string, body: string): Promise<{ status: number; ms: number }> {
  let agent = agents.get(from);
  if (!agent) {
    agent = new Agent({ keepAlive: true, localAddress: from, maxSockets: 64 });
    agents.set(from, agent);
  }
  const url = new URL('/token', base);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: '/token',
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, ms: performance.now() - started }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const form = (username: string, password: string) => new URLSearchParams({ username, password }).toString();

async function realLogins(base: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < REAL_LOGINS; i++) {
    const { status, ms } = await post(base, '127.0.0.1', form('alice', PASSWORD));
    if (status !== 200) throw new Error(`real login answered ${status}`);
    times.push(ms);
  }
  return times;
}

async function flooded(base: string, addresses: string[]) {
  let stop = false;
  const statuses = new Map<number, number>();
  let n = 0;
  const started = performance.now();
  const worker = async (w: number) => {
    while (!stop) {
      const from = addresses[(n + w) % addresses.length]!;
      const { status } = await post(base, from, form(`nobody-${n++}-${Math.random()}`, 'guess'));
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  };
  const workers = Array.from({ length: FLOOD_IN_FLIGHT }, (_, w) => worker(w));
  await new Promise((resolve) => setTimeout(resolve, 1000)); // the flood is on
  const real = await realLogins(base);
  stop = true;
  await Promise.all(workers);
  const seconds = (performance.now() - started) / 1000;
  return { real, statuses, rate: n / seconds };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const max = (xs: number[]) => Math.max(...xs);

const runtime = await startLocalRuntime({ ephemeral: true, env: { ALLOW_SELF_REGISTRATION: 'true' } });
const server = await startLocalServer({ port: 0 });
try {
  const created = await fetch(`${server.url}/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'alice', password: PASSWORD }),
  });
  if (created.status !== 201) throw new Error(`create user: ${created.status} ${await created.text()}`);
  const rows: string[] = [];
  const idle = await realLogins(server.url);
  rows.push(`| idle | - | - | ${median(idle).toFixed(0)} | ${max(idle).toFixed(0)} |`);
  for (const [name, addresses] of [
    ['one address', ['127.0.0.2']],
    ['64 addresses', Array.from({ length: 64 }, (_, i) => `127.0.3.${i + 1}`)],
  ] as const) {
    const { real, statuses, rate } = await flooded(server.url, [...addresses]);
    const mix = [...statuses.entries()]
      .sort()
      .map(([s, c]) => `${c}×${s}`)
      .join(', ');
    rows.push(
      `| ${name} | ${rate.toFixed(0)} | ${mix} | ${median(real).toFixed(0)} | ${max(real).toFixed(0)} |`,
    );
  }
  console.log(
    [
      `POST /token flood (${FLOOD_IN_FLIGHT} in flight, random names) and a real user's sign-in (${REAL_LOGINS} in a row, own address)`,
      '',
      '| flood | flood req/s | flood answers | real login median ms | real login max ms |',
      '|---|---|---|---|---|',
      ...rows,
    ].join('\n'),
  );
} finally {
  for (const agent of agents.values()) agent.destroy();
  await server.close();
  await runtime.stop();
}

import { Worker } from 'node:worker_threads';

/**
 * A bounded loopback HTTP load generator on its own thread (so it does not share the event
 * loop of the server it measures): `concurrency` keep-alive connections, each sending requests
 * back to back for `durationMs` after a warm-up. Hand-written because autocannon is not installed.
 */
export interface LoadOptions {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly body?: string;
  readonly headers?: Record<string, string>;
  readonly concurrency: number;
  readonly durationMs: number;
  readonly warmupMs: number;
}

export interface LoadResult {
  readonly requests: number;
  readonly failures: number;
  readonly statuses: Record<string, number>;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
}

// Plain JavaScript so the worker needs no TypeScript loader.
const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const http = require('node:http');
const o = workerData;
if (!/^http:\\/\\/(127\\.0\\.0\\.1|localhost)[:/]/.test(o.url)) throw new Error('loopback only');
const u = new URL(o.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: o.concurrency });
const headers = { ...(o.headers || {}) };
if (o.body) headers['content-length'] = Buffer.byteLength(o.body);
const lat = [];
const statuses = {};
let measuring = false, stopAt = 0, measureStart = 0;
function once() {
  return new Promise((resolve) => {
    const t = performance.now();
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: o.method, agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve([res.statusCode, performance.now() - t]));
    });
    req.on('error', () => resolve([0, performance.now() - t]));
    req.end(o.body);
  });
}
async function loop() {
  while (performance.now() < stopAt) {
    const [status, ms] = await once();
    if (measuring) { lat.push(ms); statuses[status] = (statuses[status] || 0) + 1; }
  }
}
(async () => {
  stopAt = performance.now() + o.warmupMs + o.durationMs;
  setTimeout(() => { measuring = true; measureStart = performance.now(); }, o.warmupMs);
  await Promise.all(Array.from({ length: o.concurrency }, loop));
  const elapsed = performance.now() - measureStart;
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] || 0;
  const failures = Object.entries(statuses).filter(([s]) => s !== '200').reduce((n, [, c]) => n + c, 0);
  agent.destroy();
  parentPort.postMessage({ requests: lat.length, failures, statuses, rps: lat.length / (elapsed / 1000), p50: q(0.5), p99: q(0.99) });
})();
`;

export function runLoad(options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { eval: true, workerData: options });
    worker.once('message', (result: LoadResult) => {
      resolve(result);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

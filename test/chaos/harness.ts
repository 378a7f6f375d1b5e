import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../../training/random.js';

/**
 * The chaos suite's tools: `npm start` as a real child process (so it can be killed with
 * SIGKILL and its memory read from /proc), bounded load loops on loopback, and percentiles.
 * Every loop here stops by count or by time.
 */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Server {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
}

/** `npm start` on `home` and a free port; resolves once it prints its URL. */
export function startServer(
  home: string,
  env: Record<string, string> = {},
  timeoutMs = 120_000,
): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], {
    cwd: ROOT,
    env: { ...process.env, MLOPS_HOME: home, PORT: '0', LOG_LEVEL: 'WARN', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`npm start did not come up in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /API\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1]!, child, output: () => output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited (${code ?? signal}) before serving:\n${output}`));
    });
  });
}

/** SIGKILL, and wait until the process is gone. */
export async function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await gone;
}

/** SIGTERM (a clean stop), SIGKILL after `graceMs`. */
export async function stop(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

/** Resident memory of a process, MB (Linux /proc). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

export interface LoadResult {
  readonly count: number;
  readonly statuses: Record<number, number>;
  readonly latenciesMs: number[];
  readonly seconds: number;
}

/**
 * `concurrency` sequential request loops, for `durationMs` or `maxRequests` in all, whichever
 * comes first. `body(i)` gives the i-th request's JSON.
 */
export async function load(
  url: string,
  options: {
    token: string;
    body: (i: number) => unknown;
    concurrency: number;
    durationMs: number;
    maxRequests?: number;
    path?: string;
  },
): Promise<LoadResult> {
  const statuses: Record<number, number> = {};
  const latenciesMs: number[] = [];
  const started = performance.now();
  const deadline = started + options.durationMs;
  const max = options.maxRequests ?? Number.POSITIVE_INFINITY;
  let issued = 0;
  const worker = async () => {
    while (performance.now() < deadline && issued < max) {
      const i = issued++;
      const t0 = performance.now();
      const res = await fetch(`${url}${options.path ?? '/predict'}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}` },
        body: JSON.stringify(options.body(i)),
      });
      await res.arrayBuffer();
      latenciesMs.push(performance.now() - t0);
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return { count: latenciesMs.length, statuses, latenciesMs, seconds: (performance.now() - started) / 1000 };
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** One figure line, collected into the suite's summary (and printed as it is measured). */
export function figure(name: string, value: string): void {
  process.stdout.write(`[chaos] ${name}: ${value}\n`);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The chaos runs are reproducible from their seed: the training code's own seeded PRNG. */
export const random = mulberry32;

/**
 * A user of `role` created as the CLI's operator would (through this process's attached
 * runtime), and its bearer token from the server's own POST /token.
 */
export async function signIn(
  url: string,
  role: 'user' | 'admin',
  username = `chaos-${role}`,
): Promise<string> {
  const { authService } = await import('../../core/services/index.js');
  const { OPERATOR } = await import('../../core/auth/service.js');
  const password = 'chaos-operator-passphrase';
  await authService()
    .register({ username, password, role }, OPERATOR)
    .catch((error: { code?: string }) => {
      if (error.code !== 'USER_EXISTS') throw error;
    });
  const res = await fetch(`${url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password }).toString(),
  });
  if (res.status !== 200) throw new Error(`token for ${username}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

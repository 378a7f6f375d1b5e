/**
 * `npm run simulate`: realistic traffic against the local server for a bounded time, so the
 * dashboards and alerts have something to show. Loopback only.
 *
 *   npm run simulate [-- --duration 120s --url http://127.0.0.1:8000 --rate 8 --seed 1]
 *
 * Phases (fractions of --duration): steady → burst → lull → slow → failing → recovery.
 * - steady/burst/lull: single rows and small batches drawn from builtin:iris, ~3% bad requests
 *   (422 missing feature, 400 malformed JSON, 401 bad token).
 * - slow: a login storm (POST /token hashes each password with scrypt, which saturates libuv's
 *   thread pool, so logins queue) plus 1,000-row batches: real server work, no artificial sleep.
 * - failing: a model version whose artifact does not exist is registered (through the registry,
 *   as a lost upload would leave it) and a share of /predict asks for it: the server really fails
 *   to load it and answers 503 MODEL_UNAVAILABLE; bad requests rise to ~10%.
 * - recovery: steady traffic; the broken model's production alias is removed.
 *
 * `for: 5m` alerts need the condition for 5 minutes: run --duration 30m to see the latency and
 * error-ratio alerts fire and resolve; the 5xx and model-load alerts fire in any run.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { RegistryService } from '../core/registry/service.js';
import { loadBuiltinDataset } from '../training/builtin-datasets.js';
import { rowsOf } from '../training/dataset.js';
import { mulberry32, type Rng } from '../training/random.js';

export const BROKEN_MODEL = 'simulator-broken';

export interface Phase {
  readonly name: 'steady' | 'burst' | 'lull' | 'slow' | 'failing' | 'recovery';
  /** Share of the run. */
  readonly share: number;
  /** Multiplier of --rate. */
  readonly rate: number;
  readonly badShare: number;
}

export const PHASES: readonly Phase[] = [
  { name: 'steady', share: 0.15, rate: 1, badShare: 0.03 },
  { name: 'burst', share: 0.05, rate: 4, badShare: 0.03 },
  { name: 'lull', share: 0.05, rate: 0.15, badShare: 0.03 },
  { name: 'slow', share: 0.3, rate: 1, badShare: 0.03 },
  { name: 'failing', share: 0.25, rate: 1, badShare: 0.1 },
  { name: 'recovery', share: 0.2, rate: 1, badShare: 0.03 },
];

/** Which phase a moment of the run falls in. */
export function phaseAt(elapsedMs: number, durationMs: number): Phase {
  let end = 0;
  for (const phase of PHASES) {
    end += phase.share * durationMs;
    if (elapsedMs < end) return phase;
  }
  return PHASES[PHASES.length - 1]!;
}

/** `90s`, `15m`, `1h` or plain seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new Error(`--duration must look like 120s, 15m or 1h, got "${text}"`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}

/** The simulator only ever targets this machine. */
export function assertLoopback(url: string): URL {
  const parsed = new URL(url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname)) {
    throw new Error(`--url must be a loopback address (127.0.0.1, localhost, [::1]); got ${parsed.hostname}`);
  }
  return parsed;
}

interface Stats {
  byStatus: Map<string, number>;
  latencies: number[];
}

class Simulator {
  private readonly stats = new Map<string, Stats>();
  private inflight = 0;
  private token = '';
  private readonly rows: number[][];

  constructor(
    private readonly base: string,
    private readonly rng: Rng,
    private readonly user = { username: 'simulator', password: 'simulated-traffic-1' },
  ) {
    this.rows = rowsOf(loadBuiltinDataset('iris'));
  }

  async login(): Promise<void> {
    await this.request('setup', 'POST', '/users', JSON.stringify(this.user), false);
    const res = await fetch(`${this.base}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(this.user).toString(),
    });
    if (!res.ok)
      throw new Error(`could not get a token for "${this.user.username}": ${res.status} ${await res.text()}`);
    this.token = ((await res.json()) as { access_token: string }).access_token;
  }

  get busy(): number {
    return this.inflight;
  }

  private row(): number[] {
    // Jitter the measurements a little so rows are realistic, not replays.
    const row = this.rows[Math.floor(this.rng() * this.rows.length)]!;
    return row.map((v) => Math.round(v * (0.97 + this.rng() * 0.06) * 100) / 100);
  }

  /** One request of the phase's mix. */
  fire(phase: Phase): void {
    const r = this.rng();
    if (r < phase.badShare) this.bad(phase);
    else if (phase.name === 'failing' && this.rng() < 0.3) {
      this.predict(phase, { model: BROKEN_MODEL, features: this.row() });
    } else if (r < phase.badShare + 0.08) {
      const n = 2 + Math.floor(this.rng() * 48);
      this.predict(phase, { instances: Array.from({ length: n }, () => this.row()) });
    } else if (r < phase.badShare + 0.11) void this.request(phase.name, 'GET', '/model-info');
    else if (r < phase.badShare + 0.12) void this.request(phase.name, 'GET', '/health', undefined, false);
    else this.predict(phase, { features: this.row() });
  }

  /** The slow phase's extra load: a login (scrypt) and, now and then, a 1,000-row batch. */
  slowWork(phase: Phase): void {
    void this.request(phase.name, 'POST', '/token', new URLSearchParams(this.user).toString(), false, {
      'content-type': 'application/x-www-form-urlencoded',
    });
    if (this.rng() < 0.1) this.predict(phase, { instances: Array.from({ length: 1000 }, () => this.row()) });
  }

  private bad(phase: Phase): void {
    const kind = Math.floor(this.rng() * 3);
    if (kind === 0)
      this.predict(phase, { features: this.row().slice(0, 3) }); // 422
    else if (kind === 1)
      void this.request(phase.name, 'POST', '/predict', '{"features": [5.1, 3.5,'); // 400
    else
      void this.request(phase.name, 'POST', '/predict', JSON.stringify({ features: this.row() }), false, {
        authorization: 'Bearer not-a-token',
      }); // 401
  }

  private predict(phase: Phase, body: unknown): void {
    void this.request(phase.name, 'POST', '/predict', JSON.stringify(body));
  }

  private async request(
    phase: string,
    method: string,
    path: string,
    body?: string,
    auth = true,
    headers: Record<string, string> = {},
  ): Promise<void> {
    this.inflight++;
    const started = performance.now();
    let status = 'network-error';
    try {
      const res = await fetch(`${this.base}${path}`, {
        method,
        headers: {
          'content-type': 'application/json',
          ...(auth ? { authorization: `Bearer ${this.token}` } : {}),
          ...headers,
        },
        ...(body !== undefined ? { body } : {}),
        signal: AbortSignal.timeout(30_000),
      });
      await res.arrayBuffer();
      status = String(res.status);
    } catch {
      // counted as network-error
    } finally {
      this.inflight--;
      const stats = this.statsFor(phase);
      stats.byStatus.set(status, (stats.byStatus.get(status) ?? 0) + 1);
      stats.latencies.push(performance.now() - started);
    }
  }

  private statsFor(phase: string): Stats {
    let stats = this.stats.get(phase);
    if (!stats) {
      stats = { byStatus: new Map(), latencies: [] };
      this.stats.set(phase, stats);
    }
    return stats;
  }

  summary(): string {
    const lines = ['phase      requests  p50 ms  p95 ms  statuses'];
    for (const [phase, stats] of this.stats) {
      if (phase === 'setup') continue;
      const sorted = [...stats.latencies].sort((a, b) => a - b);
      const q = (p: number) =>
        sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : 0;
      const statuses = [...stats.byStatus]
        .sort()
        .map(([s, n]) => `${s}:${n}`)
        .join(' ');
      lines.push(
        `${phase.padEnd(10)} ${String(sorted.length).padStart(8)}  ${q(0.5).toFixed(0).padStart(6)}  ${q(0.95).toFixed(0).padStart(6)}  ${statuses}`,
      );
    }
    return lines.join('\n');
  }
}

/**
 * Registers a version of BROKEN_MODEL whose artifact was never uploaded, through the registry of
 * the running local stage (attached via MLOPS_HOME/runtime.json). Returns undefined when no
 * local stage is attachable (then the failing phase has only client errors).
 */
async function breakModel(): Promise<{ registry: RegistryService; stop: () => Promise<void> } | undefined> {
  const { mlopsHome, startLocalRuntime } = await import('../local/runtime.js');
  if (!existsSync(join(mlopsHome(), 'runtime.json'))) return undefined;
  const runtime = await startLocalRuntime();
  if (runtime.owner) {
    await runtime.stop();
    return undefined;
  }
  const { registryService } = await import('../core/services/index.js');
  const registry = registryService();
  await registry.register(BROKEN_MODEL, {
    runId: `simulator-${Date.now()}`,
    artifactKey: `runs/${BROKEN_MODEL}/never-uploaded.onnx`,
    sha256: '0'.repeat(64),
    algorithm: 'logreg',
    metrics: { accuracy: 0.97 },
    params: {},
    featureNames: ['sepal length (cm)', 'sepal width (cm)', 'petal length (cm)', 'petal width (cm)'],
    classes: ['setosa', 'versicolor', 'virginica'],
    dataset: { source: 'builtin:iris', fingerprint: 'simulated', rows: 150 },
    codeVersion: 'simulator',
    trainedAt: new Date().toISOString(),
    description: 'Registered by npm run simulate: its artifact does not exist, so loading it fails (5xx).',
  });
  // Production regardless of any earlier simulator version, so /predict resolves to the broken one.
  const model = await registry.requireModel(BROKEN_MODEL);
  await registry.store.setAlias(model, 'production', model.latestVersion);
  return { registry, stop: () => runtime.stop() };
}

async function unbreakModel(registry: RegistryService): Promise<void> {
  const model = await registry.store.getModel(BROKEN_MODEL);
  if (model?.aliases['production'] !== undefined) await registry.store.removeAlias(model, 'production');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: `http://127.0.0.1:${process.env['PORT'] ?? '8000'}` },
      duration: { type: 'string', default: '120s' },
      rate: { type: 'string', default: '8' },
      seed: { type: 'string', default: '1' },
      'login-concurrency': { type: 'string', default: '48' },
    },
  });
  const base = assertLoopback(values.url!).origin;
  const durationMs = parseDuration(values.duration!);
  const rate = Number(values.rate);
  const loginConcurrency = Number(values['login-concurrency']);
  if (!(rate > 0)) throw new Error('--rate must be a positive number of requests per second');
  const sim = new Simulator(base, mulberry32(Number(values.seed)));
  await sim.login();
  console.log(
    `[simulate] ${base} for ${(durationMs / 1000).toFixed(0)} s at ~${rate} req/s (phases: ${PHASES.map((p) => p.name).join(' → ')})`,
  );
  if (durationMs < 20 * 60_000) {
    console.log('[simulate] alerts with `for: 5m` need a longer run to fire and resolve: try --duration 30m');
  }

  const started = Date.now();
  let phase = phaseAt(0, durationMs);
  let broken: Awaited<ReturnType<typeof breakModel>>;
  let lastReport = started;
  const tickMs = 100;
  const rng = mulberry32(Number(values.seed) + 1);
  while (Date.now() - started < durationMs) {
    const elapsed = Date.now() - started;
    const next = phaseAt(elapsed, durationMs);
    if (next !== phase) {
      if (phase.name === 'failing' && broken) await unbreakModel(broken.registry).catch(() => {});
      phase = next;
      console.log(`[simulate] ${(elapsed / 1000).toFixed(0)} s: ${phase.name}`);
      if (phase.name === 'failing') {
        broken = await breakModel().catch((error) => {
          console.warn(`[simulate] could not register the broken model: ${(error as Error).message}`);
          return undefined;
        });
        if (!broken)
          console.warn('[simulate] no local stage to attach to (MLOPS_HOME/runtime.json): no 5xx this run');
      }
    }
    // Poisson-ish arrivals with small random bursts inside every phase.
    const expected = (rate * phase.rate * tickMs) / 1000;
    const count = Math.floor(expected + rng()) + (rng() < 0.02 ? Math.ceil(rate) : 0);
    for (let i = 0; i < count && sim.busy < 400; i++) sim.fire(phase);
    if (phase.name === 'slow') while (sim.busy < loginConcurrency) sim.slowWork(phase);
    if (Date.now() - lastReport >= 10_000) {
      lastReport = Date.now();
      console.log(
        `[simulate] ${((Date.now() - started) / 1000).toFixed(0)} s, ${phase.name}, in flight ${sim.busy}`,
      );
    }
    await new Promise((r) => setTimeout(r, tickMs));
  }
  if (broken) {
    await unbreakModel(broken.registry).catch(() => {});
    await broken.stop();
  }
  while (sim.busy > 0) await new Promise((r) => setTimeout(r, 100));
  console.log(`[simulate] done\n${sim.summary()}`);
}

if (process.argv[1]?.endsWith('simulate.ts')) {
  main().catch((error) => {
    console.error(`[simulate] ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}

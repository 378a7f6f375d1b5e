import { execSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { PredictOneBody } from '../core/api/schemas.js';
import { validate } from '../core/api/validate.js';
import { ENV } from '../core/config/env.js';
import { predictionService, tokenIssuer, tokenVerifier, trainingDeps } from '../core/services/index.js';
import { trainAndRegister } from '../core/training/service.js';
import type { HttpEvent, HttpResult } from '../lambdas/shared/http.js';
import { BUNDLED_FILES, copyCommands, esbuildOptions, functionEntry } from '../lib/constructs/bundling.js';
import { startLocalRuntime } from '../local/runtime.js';
import { startLocalServer } from '../local/server.js';
import { apiEvent } from './api-events.js';
import { runLoad } from './api-load.js';
import { writeBenchBlock } from './doc-block.js';

/**
 * `npm run bench:api`: where the time of POST /predict goes, in process, over HTTP against a
 * bare node:http baseline, and from process start to the first prediction. Loopback only.
 * Options: --quick (shorter runs), --concurrency N, --duration S, --write (replace the figures
 * between the bench markers of docs/benchmarks.md).
 */
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const argNumber = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const CONCURRENCY = argNumber('--concurrency', 16);
const DURATION_MS = argNumber('--duration', quick ? 2 : 5) * 1000;
const ROW = [5.1, 3.5, 1.4, 0.2];

const out: string[] = [];
const report = (line = '') => {
  out.push(line);
  restoreStdout.write(`${line}\n`);
};
const restoreStdout = { write: process.stdout.write.bind(process.stdout) };

/** Request logs go to stdout; during measurement they are serialised as usual but not printed. */
function muteStdout<T>(fn: () => Promise<T>): Promise<T> {
  const original = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  return fn().finally(() => {
    process.stdout.write = original;
  });
}

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  return { p50: q(0.5), p99: q(0.99), n: sorted.length };
}

/** CPU time (process.cpuUsage) of each call, beside its wall time: on a shared, busy machine the wall-time tail is mostly time the OS gave to other processes. */
const cpuSamples: number[] = [];

async function time(iterations: number, warmup: number, fn: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  cpuSamples.length = 0;
  for (let i = 0; i < iterations; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
    const d = process.cpuUsage(c);
    cpuSamples.push((d.user + d.system) / 1000);
  }
  return samples;
}

const ms = (v: number) => `${v < 1 ? v.toFixed(3) : v.toFixed(2)} ms`;

async function main() {
  const runtime = await startLocalRuntime({ ephemeral: true });
  try {
    await muteStdout(() => trainAndRegister({ dataset: 'builtin:iris', modelName: 'iris' }, trainingDeps()));
    const { access_token: token } = await tokenIssuer().issue({ username: 'bench', role: 'user' }, 0);
    // Importing the handler runs its warm-up, which logs; the tables below are the output.
    const { handler } = (await muteStdout(() => import('../lambdas/predict/handler.js'))) as {
      handler: (e: HttpEvent) => Promise<HttpResult>;
    };

    report(`### In-process handler (POST /predict, API Gateway v2 event → result)`);
    report();
    const one = apiEvent('POST', '/predict', { body: { features: ROW }, token });
    const batch = apiEvent('POST', '/predict', {
      body: { instances: Array.from({ length: 1000 }, (_, i) => ROW.map((v) => v + (i % 7) * 0.1)) },
      token,
    });
    const check = await muteStdout(() => handler(one));
    if (check.statusCode !== 200) throw new Error(`predict failed: ${check.body}`);
    const n1 = quick ? 2000 : 10_000;
    const oneRow = stats(await muteStdout(() => time(n1, 500, () => handler(one))));
    const oneRowCpu = stats(cpuSamples);
    const manyRows = stats(await muteStdout(() => time(quick ? 50 : 300, 20, () => handler(batch))));
    const manyRowsCpu = stats(cpuSamples);

    // Where one row's time goes: each step alone, same warm process.
    const body = one.body!;
    const parts = {
      'token verify (jose RS256; cached after first use)': stats(
        await time(n1, 500, () => tokenVerifier().verify(token)),
      ),
      'JSON.parse + zod validate': stats(
        await time(n1, 500, async () => validate(PredictOneBody, JSON.parse(body))),
      ),
      'predict (matrix + ONNX run + probabilities)': stats(
        await time(n1, 500, () => predictionService().predict({ rows: [ROW], single: true })),
      ),
    };
    report('| Case | p50 | p99 | CPU-time p50 | CPU-time p99 | n |');
    report('|---|---|---|---|---|---|');
    report(
      `| 1 row, whole handler | ${ms(oneRow.p50)} | ${ms(oneRow.p99)} | ${ms(oneRowCpu.p50)} | ${ms(oneRowCpu.p99)} | ${oneRow.n} |`,
    );
    report(
      `| 1,000 rows, whole handler | ${ms(manyRows.p50)} | ${ms(manyRows.p99)} | ${ms(manyRowsCpu.p50)} | ${ms(manyRowsCpu.p99)} | ${manyRows.n} |`,
    );
    for (const [name, s] of Object.entries(parts)) {
      report(`| 1 row: ${name} | ${ms(s.p50)} | ${ms(s.p99)} | | | ${s.n} |`);
    }
    report();

    report(`### HTTP: POST /predict on the local server vs a bare node:http server`);
    report();
    report(
      `Loopback, ${CONCURRENCY} keep-alive connections from a load generator on its own thread, ` +
        `${DURATION_MS / 1000} s after a 1 s warm-up, same run.`,
    );
    report();
    const constant = JSON.stringify({
      prediction: 'setosa',
      probabilities: { setosa: 0.97, versicolor: 0.03, virginica: 0 },
      model_name: 'iris',
      model_version: 1,
      timestamp: new Date().toISOString(),
      request_id: '00000000-0000-0000-0000-000000000000',
    });
    const bare = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(constant),
        });
        res.end(constant);
      });
    });
    bare.keepAliveTimeout = 65_000;
    await new Promise<void>((r) => bare.listen(0, '127.0.0.1', () => r()));
    const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/predict`;
    const local = await startLocalServer({ port: 0 });
    const load = (url: string) =>
      runLoad({
        url,
        method: 'POST',
        body: JSON.stringify({ features: ROW }),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        concurrency: CONCURRENCY,
        durationMs: DURATION_MS,
        warmupMs: 1000,
      });
    // Alternating rounds, so a burst of load from elsewhere on the machine hits both sides.
    const rounds = quick ? 1 : 3;
    report('| Round | Server | req/s | p50 | p99 | non-200 | ratio local/bare |');
    report('|---|---|---|---|---|---|---|');
    const ratios: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      const bareResult = await load(bareUrl);
      const localResult = await muteStdout(() => load(`${local.url}/predict`));
      const ratio = localResult.rps / bareResult.rps;
      ratios.push(ratio);
      for (const [name, r] of [
        ['bare node:http, constant JSON', bareResult],
        ['local server → predict handler', localResult],
      ] as const) {
        const last = r === localResult ? `**${ratio.toFixed(2)}**` : '';
        report(
          `| ${round} | ${name} | ${Math.round(r.rps)} | ${ms(r.p50)} | ${ms(r.p99)} | ${r.failures} | ${last} |`,
        );
      }
    }
    await local.close();
    bare.close();
    report();
    report(`Ratio (local / bare throughput), median of ${rounds}: **${stats(ratios).p50.toFixed(2)}**`);
    report();

    report(
      `### Cold start: process start → first prediction (the predict function's deployment bundle, plain node)`,
    );
    report();
    const colds: ColdStart[] = [];
    for (let i = 0; i < (quick ? 2 : 5); i++) colds.push(await coldStart(runtime.env, token));
    const med = (pick: (c: ColdStart) => number) => stats(colds.map(pick)).p50;
    report('| Phase (median of ' + colds.length + ' fresh processes) | ms |');
    report('|---|---|');
    report(`| node bootstrap (to first line of the runner) | ${med((c) => c.bootMs).toFixed(1)} |`);
    report(
      `| import: load and evaluate the bundle (onnxruntime-web, AWS SDK, jose, zod, ...; starts the wasm read) | ${med((c) => c.importHandlerMs - c.warmUpMs).toFixed(1)} |`,
    );
    report(
      `| import: warm-up, awaited at top level (Lambda's INIT phase), of which: | ${med((c) => c.warmUpMs).toFixed(1)} |`,
    );
    report(
      `| &nbsp;&nbsp;ONNX runtime start left when the model load began: wasm compile + init | ${med((c) => c.runtimeMs).toFixed(1)} |`,
    );
    report(
      `| &nbsp;&nbsp;model fetch from S3 + SHA-256, after the registry lookup (concurrent with the runtime start) | ${med((c) => c.fetchMs).toFixed(1)} |`,
    );
    report(`| &nbsp;&nbsp;model session create + one scoring run | ${med((c) => c.sessionMs).toFixed(1)} |`);
    report(
      `| first request: token verify, validation, first inference, response | ${med((c) => c.firstMs).toFixed(1)} |`,
    );
    report(`| **total: process start → first prediction** | **${med((c) => c.totalMs).toFixed(1)}** |`);
    report(`| second request (warm) | ${med((c) => c.secondMs).toFixed(2)} |`);
    report(`| spawn → first prediction, seen by the parent | ${med((c) => c.wallMs).toFixed(1)} |`);
    report();
  } finally {
    await runtime.stop();
  }
}

interface ColdStart {
  bootMs: number;
  importHandlerMs: number;
  firstMs: number;
  secondMs: number;
  totalMs: number;
  fetchMs: number;
  runtimeMs: number;
  sessionMs: number;
  warmUpMs: number;
  wallMs: number;
}

let bundled: string | undefined;
/**
 * Bundles the predict handler exactly as the CDK construct does (lib/constructs/bundling.ts:
 * same esbuild options, wasm and loader copied beside it), outside the project so nothing
 * resolves from node_modules, plus a runner that times the phases.
 */
async function bundle(): Promise<string> {
  if (bundled) return bundled;
  const dir = mkdtempSync(join(tmpdir(), 'mlops-bench-predict-'));
  await build({
    ...esbuildOptions(resolve(functionEntry('predict')), dir),
    absWorkingDir: resolve('.'),
    logLevel: 'error',
  });
  for (const line of copyCommands(BUNDLED_FILES.predict ?? [], resolve('.'), dir)) execSync(line);
  writeFileSync(
    join(dir, 'runner.mjs'),
    `const t0 = performance.now();
const { handler } = await import('./index.mjs');
const t1 = performance.now();
const event = JSON.parse(process.env.BENCH_EVENT);
const first = await handler(event);
const t2 = performance.now();
const second = await handler({ ...event, requestContext: { ...event.requestContext, requestId: 'second' } });
const t3 = performance.now();
if (first.statusCode !== 200 || second.statusCode !== 200) throw new Error(first.body);
console.log('BENCH ' + JSON.stringify({ bootMs: t0, importHandlerMs: t1 - t0, firstMs: t2 - t1, secondMs: t3 - t2, totalMs: t2 }));
`,
  );
  bundled = join(dir, 'runner.mjs');
  return bundled;
}

async function coldStart(env: Record<string, string>, token: string): Promise<ColdStart> {
  const runner = await bundle();
  const started = performance.now();
  // BENCH_COLD_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the fresh processes.
  const nodeArgs = (process.env['BENCH_COLD_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, runner], {
    env: {
      ...process.env,
      ...env,
      [ENV.defaultModelName]: 'iris',
      BENCH_EVENT: JSON.stringify(apiEvent('POST', '/predict', { body: { features: ROW }, token })),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let text = '';
  let firstSeen = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    if (!firstSeen && text.includes('"status":200')) firstSeen = performance.now();
  });
  const code = await new Promise<number | null>((r) => child.on('close', r));
  if (code !== 0) throw new Error(`cold-start runner exited with ${code}: ${text}`);
  const lines = text.split('\n');
  const result = JSON.parse(lines.find((l) => l.startsWith('BENCH '))!.slice(6));
  const loaded = JSON.parse(lines.find((l) => l.includes('"model loaded"'))!);
  const warmUp = JSON.parse(lines.find((l) => l.includes('"message":"warm-up"'))!);
  if (warmUp.outcome !== 'done') throw new Error(`warm-up did not finish: ${JSON.stringify(warmUp)}`);
  return {
    ...result,
    warmUpMs: warmUp.warmUpMs,
    fetchMs: loaded.fetchMs,
    runtimeMs: loaded.runtimeMs,
    sessionMs: loaded.sessionMs,
    wallMs: (firstSeen || performance.now()) - started,
  };
}

main().then(
  () => {
    const load = loadavg().map((l) => l.toFixed(1));
    report(
      `(${new Date().toISOString()}, node ${process.version}, ${cpus().length} CPUs, load average ${load.join(' ')} at the end, \`npm run bench:api\`)`,
    );
    if (args.includes('--write')) writeBenchBlock('docs/benchmarks.md', out.join('\n'));
    process.exit(0);
  },
  (error) => {
    console.error(error);
    process.exit(1);
  },
);

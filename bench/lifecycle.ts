/**
 * Lifecycle benchmark: the whole pipeline (dataset → tracked runs → S3 artifacts → registry) against
 * the embedded emulators, as `mlops train` runs it. `npx tsx bench/lifecycle.ts` prints Markdown;
 * `--write` also writes docs/lifecycle-bench.md. Pure training speed per algorithm is bench/training.ts.
 * Peak memory runs in a child process (maxRSS is a process-wide high-water mark).
 */
import '../cli/quiet.js';
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NewModelVersion } from '../core/registry/types.js';
import { predictionService, registryService, trainingDeps } from '../core/services/index.js';
import { trainAndRegister } from '../core/training/service.js';
import { startLocalRuntime } from '../local/runtime.js';
import { loadBuiltinDataset, mulberry32, rowsOf } from '../training/index.js';

const DOC = fileURLToPath(new URL('../docs/lifecycle-bench.md', import.meta.url));
const MEMORY_ROWS = 50_000;
const MEMORY_FEATURES = 20;

function syntheticCsv(rows: number, features: number, seed: number): string {
  const rng = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const lines = [[...Array.from({ length: features }, (_, j) => `f${j}`), 'label'].join(',')];
  for (let i = 0; i < rows; i++) {
    const c = i % 3;
    lines.push(
      `${Array.from({ length: features }, (_, j) => (gauss() + (j % 3 === c ? 1 : 0)).toFixed(5)).join(',')},c${c}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const ms = (started: number) => performance.now() - started;
const fmt = (n: number, digits = 0) => n.toFixed(digits);

/** Child mode: one pipeline run on the synthetic 50k × 20 CSV, reporting memory. */
async function memoryChild(algorithm: string) {
  const runtime = await startLocalRuntime({ ephemeral: true });
  const dir = mkdtempSync(join(tmpdir(), 'mlops-bench-'));
  try {
    const path = join(dir, 'synthetic.csv');
    writeFileSync(path, syntheticCsv(MEMORY_ROWS, MEMORY_FEATURES, 1));
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    const started = performance.now();
    const outcome = await trainAndRegister(
      { dataset: path, target: 'label', modelName: 'synthetic', algorithm: algorithm as never },
      trainingDeps(),
    );
    process.send?.({
      algorithm,
      wallMs: ms(started),
      accuracy: outcome.version.metrics['accuracy'],
      baselineMb: baseline / 2 ** 20,
      peakMb: process.resourceUsage().maxRSS / 1024,
    });
  } finally {
    await runtime.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function measureMemory(algorithm: string): Promise<Record<string, number | string>> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--memory-child', algorithm], {
      execArgv: ['--import', 'tsx', '--expose-gc'],
      env: { ...process.env, LOG_LEVEL: 'WARN', POWERTOOLS_LOG_LEVEL: 'WARN' },
    });
    child.on('message', (m) => resolve(m as Record<string, number | string>));
    child.on('error', reject);
    child.on('exit', (code) => code !== 0 && reject(new Error(`memory child exited ${code}`)));
  });
}

const fakeVersion = (accuracy: number): NewModelVersion => ({
  runId: `bench-${Math.random().toString(36).slice(2)}`,
  artifactKey: 'runs/bench/model.onnx',
  sha256: '0'.repeat(64),
  algorithm: 'logreg',
  metrics: { accuracy },
  params: {},
  featureNames: ['a'],
  classes: ['x', 'y'],
  dataset: { source: 'bench', fingerprint: '0'.repeat(64), rows: 1 },
  codeVersion: 'bench',
  trainedAt: new Date().toISOString(),
});

async function main() {
  const lines: string[] = [];
  const out = (line = '') => {
    lines.push(line);
    console.log(line);
  };
  const runtime = await startLocalRuntime({ ephemeral: true });
  try {
    out('# Lifecycle benchmark');
    out();
    out(
      `\`npx tsx bench/lifecycle.ts --write\` on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ` +
        `load average ${loadavg()
          .map((l) => l.toFixed(1))
          .join(' ')} at start (the machine is shared: treat wall times as upper bounds). ` +
        'Everything runs through `trainAndRegister` against dynalite + s3rver on loopback: run records, trial child runs, ' +
        'four S3 artifacts and the registry writes are included. Pure training speed: docs/training.md.',
    );
    out();
    out('## One run per built-in dataset (seed 42, 80/20 stratified split)');
    out();
    out('| dataset | rows | algorithm | trials | test accuracy | macro F1 | wall time |');
    out('|---|---:|---|---:|---:|---:|---:|');
    for (const name of ['iris', 'wine', 'breast_cancer'] as const) {
      const rows = loadBuiltinDataset(name).rows;
      for (const plan of [
        { algorithm: 'logreg' as const, trials: 1 },
        { algorithm: 'auto' as const, trials: 8 },
      ]) {
        const started = performance.now();
        const outcome = await trainAndRegister(
          { dataset: `builtin:${name}`, modelName: name, ...plan },
          trainingDeps(),
        );
        out(
          `| ${name} | ${rows} | ${plan.trials > 1 ? `auto → ${outcome.version.algorithm}` : plan.algorithm} | ${plan.trials} | ` +
            `${fmt(outcome.version.metrics['accuracy']!, 4)} | ${fmt(outcome.version.metrics['macro_f1']!, 4)} | ${fmt(ms(started))} ms |`,
        );
      }
    }
    out();

    out('## 100-trial tracked search on breast_cancer');
    out();
    {
      const started = performance.now();
      const outcome = await trainAndRegister(
        { dataset: 'builtin:breast_cancer', modelName: 'bc-search', trials: 100, seed: 7 },
        trainingDeps(),
      );
      const wall = ms(started);
      const compute = outcome.trials.reduce((a, t) => a + (t.metrics['train_ms'] ?? 0), 0);
      const failed = outcome.trials.filter((t) => t.status === 'FAILED').length;
      out(
        `${fmt(wall / 1000, 1)} s wall for 100 trials (${failed} failed), each a tracked child run (2 conditional writes); ` +
          `fitting+ONNX export ${fmt(compute / 1000, 1)} s of it, so tracking and registration cost ` +
          `${fmt((wall - compute) / 100, 1)} ms per trial. Best: ${outcome.version.algorithm} ` +
          `accuracy ${fmt(outcome.version.metrics['accuracy']!, 4)}.`,
      );
    }
    out();

    out('## Registry under contention (dynalite)');
    out();
    {
      const n = 20;
      let started = performance.now();
      await Promise.all(
        Array.from({ length: n }, (_, i) =>
          registryService().register('contended', fakeVersion(0.5 + i / 100)),
        ),
      );
      const registerMs = ms(started);
      started = performance.now();
      await Promise.all(Array.from({ length: n }, (_, i) => registryService().promote('contended', i + 1)));
      const promoteMs = ms(started);
      const model = await registryService().requireModel('contended');
      out(
        `${n} parallel registrations: ${fmt(registerMs)} ms (versions 1–${model.latestVersion}, no duplicates); ` +
          `${n} parallel promotions: ${fmt(promoteMs)} ms, all applied (revision ${model.revision}).`,
      );
    }
    out();

    out('## Batch scoring (`mlops predict` path: PredictionService + ModelCache)');
    out();
    {
      const ds = loadBuiltinDataset('breast_cancer');
      const all = rowsOf(ds);
      const rows = Array.from({ length: 50_000 }, (_, i) => all[i % ds.rows]!);
      await predictionService().predict({ rows: rows.slice(0, 1), single: false, model: 'breast_cancer' }); // load
      const started = performance.now();
      for (let at = 0; at < rows.length; at += 5000) {
        await predictionService().predict({
          rows: rows.slice(at, at + 5000),
          single: false,
          model: 'breast_cancer',
        });
      }
      const wall = ms(started);
      out(
        `50,000 rows × ${ds.featureNames.length} features in ${fmt(wall)} ms: ${fmt(50_000 / (wall / 1000))} rows/s (chunks of 5,000).`,
      );
    }
    out();
  } finally {
    await runtime.stop();
  }

  out(
    `## Peak memory: ${MEMORY_ROWS.toLocaleString('en')} rows × ${MEMORY_FEATURES} features, whole pipeline`,
  );
  out();
  out(
    'Each in a fresh child process; its RSS includes the in-process emulators, which a Lambda does not carry.',
  );
  out();
  out('| algorithm | wall time | test accuracy | RSS before | peak RSS |');
  out('|---|---:|---:|---:|---:|');
  for (const algorithm of ['logreg', 'tree', 'forest', 'gbt']) {
    const r = await measureMemory(algorithm);
    out(
      `| ${algorithm} | ${fmt(Number(r['wallMs']) / 1000, 1)} s | ${fmt(Number(r['accuracy']), 4)} | ` +
        `${fmt(Number(r['baselineMb']))} MB | ${fmt(Number(r['peakMb']))} MB |`,
    );
  }
  if (process.argv.includes('--write')) writeFileSync(DOC, `${lines.join('\n')}\n`);
}

const childAt = process.argv.indexOf('--memory-child');
if (childAt >= 0) {
  memoryChild(process.argv[childAt + 1]!).then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
} else {
  main().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}

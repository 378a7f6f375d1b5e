/**
 * Training benchmarks: `npx tsx bench/training.ts` prints a Markdown report; `--write` also replaces the
 * block between the bench markers in docs/training.md.
 * Peak memory is measured per algorithm in a child process (maxRSS is a process-wide high-water mark).
 */
import { fork } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  ALGORITHMS,
  type Algorithm,
  loadBuiltinDataset,
  mulberry32,
  parseDataset,
  runSearch,
  trainModel,
} from '../training/index.js';
import { writeBenchBlock } from './doc-block.js';

const DOC = fileURLToPath(new URL('../docs/training.md', import.meta.url));
const SYNTH_ROWS = 50_000;
const SYNTH_FEATURES = 20;

function syntheticCsv(rows: number, features: number, seed: number): string {
  const rng = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const header = [...Array.from({ length: features }, (_, j) => `f${j}`), 'label'].join(',');
  const lines = [header];
  for (let i = 0; i < rows; i++) {
    const c = i % 3;
    const row = Array.from({ length: features }, (_, j) => (gauss() + (j % 3 === c ? 1 : 0)).toFixed(5));
    lines.push(`${row.join(',')},c${c}`);
  }
  return `${lines.join('\n')}\n`;
}

interface ChildReport {
  algorithm: Algorithm;
  parseMs: number;
  trainMs: number;
  accuracy: number;
  onnxBytes: number;
  maxRssMb: number;
  heapUsedMb: number;
}

function child(algorithm: Algorithm): void {
  const csv = syntheticCsv(SYNTH_ROWS, SYNTH_FEATURES, 7);
  let heapHigh = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const ds = parseDataset(csv, { target: 'label', name: 'synthetic' });
  const parseMs = performance.now() - t0;
  heapHigh = Math.max(heapHigh, process.memoryUsage().heapUsed);
  const r = trainModel(ds, { algorithm, seed: 42 });
  heapHigh = Math.max(heapHigh, process.memoryUsage().heapUsed);
  const report: ChildReport = {
    algorithm,
    parseMs,
    trainMs: r.durationMs,
    accuracy: r.metrics.accuracy,
    onnxBytes: r.onnx.length,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    heapUsedMb: heapHigh / 2 ** 20,
  };
  process.send?.(report);
}

function runChild(algorithm: Algorithm): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const proc = fork(fileURLToPath(import.meta.url), ['--child', algorithm], { execArgv: process.execArgv });
    proc.once('message', (m) => resolve(m as ChildReport));
    proc.once('exit', (code) => code !== 0 && reject(new Error(`child ${algorithm} exited with ${code}`)));
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number, d = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

async function main(): Promise<void> {
  const out: string[] = [];
  const load = loadavg().map((l) => l.toFixed(1));
  out.push(
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC with \`npx tsx bench/training.ts\` on ` +
      `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, Node ${process.version}; ` +
      `load average at start ${load.join(' / ')} (the machine is shared, so treat times as upper bounds).`,
    '',
    '**Built-in datasets** (default params, seed 42, 80/20 split; median of 3 runs of `trainModel`: fit + test',
    'evaluation + ONNX export; rows/s = training rows ÷ time):',
    '',
    '| dataset | algorithm | time (ms) | train rows/s | test accuracy | macro F1 | ONNX bytes |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const name of ['iris', 'wine', 'breast_cancer']) {
    const ds = loadBuiltinDataset(name);
    for (const algorithm of ALGORITHMS) {
      const runs = [0, 1, 2].map(() => trainModel(ds, { algorithm, seed: 42 }));
      const ms = median(runs.map((r) => r.durationMs));
      const r = runs[0]!;
      out.push(
        `| ${name} | ${algorithm} | ${fmt(ms, 1)} | ${fmt((r.split.train / ms) * 1000)} | ${fmt(r.metrics.accuracy, 4)} | ${fmt(r.metrics.macroF1, 4)} | ${fmt(r.onnx.length)} |`,
      );
    }
  }

  const bc = loadBuiltinDataset('breast_cancer');
  const perAlgorithm: Record<string, number> = {};
  const search = runSearch(bc, { algorithms: ALGORITHMS, trials: 100, seed: 42 }, (t) => {
    perAlgorithm[t.algorithm] = (perAlgorithm[t.algorithm] ?? 0) + t.durationMs;
  });
  out.push(
    '',
    `**Search**: 100 random trials over all four algorithms on breast_cancer (validation-split scoring, then the`,
    `best refitted): **${fmt(search.durationMs / 1000, 1)} s** in total ` +
      `(${Object.entries(perAlgorithm)
        .map(([a, ms]) => `${a} ${fmt(ms / 1000, 1)} s`)
        .join(', ')}); best ${search.best.algorithm} ` +
      `${JSON.stringify(search.best.params)}, test accuracy ${fmt(search.final.metrics.accuracy, 4)}.`,
    '',
    `**Synthetic ${fmt(SYNTH_ROWS)} × ${SYNTH_FEATURES}** (3 classes; one child process per algorithm; CSV parse`,
    'included in peak memory; heapUsed sampled after parse and after training):',
    '',
    '| algorithm | parse (ms) | train+eval+export (ms) | train rows/s | accuracy | peak RSS (MB) | heapUsed high-water (MB) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const algorithm of ALGORITHMS) {
    const r = await runChild(algorithm);
    out.push(
      `| ${algorithm} | ${fmt(r.parseMs)} | ${fmt(r.trainMs)} | ${fmt(((SYNTH_ROWS * 0.8) / r.trainMs) * 1000)} | ${fmt(r.accuracy, 4)} | ${fmt(r.maxRssMb)} | ${fmt(r.heapUsedMb)} |`,
    );
  }
  const report = out.join('\n');
  console.log(report);
  if (process.argv.includes('--write')) writeBenchBlock(DOC, report);
}

const childIndex = process.argv.indexOf('--child');
if (childIndex >= 0) child(process.argv[childIndex + 1] as Algorithm);
else await main();

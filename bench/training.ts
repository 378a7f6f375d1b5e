/**
 * Training benchmarks: `npm run bench:training` prints a Markdown report and (with --write) replaces the
 * block between the bench markers in docs/training.md. Ratios against scikit-learn are measured in the same
 * run, back to back, with Debian's /usr/bin/python3 + python3-sklearn (bench/sklearn_fit.py).
 *
 * Peak memory is measured in child processes (maxRSS is a process-wide high-water mark): the parser alone,
 * and the whole `mlops train` command on a million-row file.
 */
import { execFileSync, fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ALGORITHM_SPECS,
  ALGORITHMS,
  type Algorithm,
  evaluate,
  gather,
  loadBuiltinDataset,
  mulberry32,
  type Params,
  readDataset,
  runSearch,
  trainModel,
} from '../training/index.js';
import { writeBenchBlock } from './doc-block.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DOC = join(ROOT, 'docs/training.md');
const CLI = join(ROOT, 'cli/mlops.js');
const PYTHON = '/usr/bin/python3';
const SKLEARN = join(ROOT, 'bench/sklearn_fit.py');
const FEATURES = 20;

/** Three gaussian classes, each shifted on a third of the features; written as it is generated. */
async function writeSyntheticCsv(path: string, rows: number, seed: number, decimals = 6): Promise<number> {
  const rng = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const out = createWriteStream(path);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write(`${[...Array.from({ length: FEATURES }, (_, j) => `f${j}`), 'label'].join(',')}\n`);
  let block = '';
  for (let i = 0; i < rows; i++) {
    const c = i % 3;
    for (let j = 0; j < FEATURES; j++) block += `${(gauss() + (j % 3 === c ? 1 : 0)).toFixed(decimals)},`;
    block += `c${c}\n`;
    if (block.length > 1 << 20) {
      await write(block);
      block = '';
    }
  }
  await write(block);
  out.end();
  await once(out, 'finish');
  return statSync(path).size;
}

// ---- child processes -------------------------------------------------------------------------------

interface ParseReport {
  ms: number;
  cpuMs: number;
  rows: number;
  maxRssMb: number;
}

interface FitReport {
  fitWallS: number;
  fitCpuS: number;
  accuracy: number;
  maxRssMb: number;
}

async function childParse(file: string): Promise<ParseReport> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const ds = await readDataset(createReadStream(file, { highWaterMark: 1 << 20 }), { target: 'label' });
  const used = process.cpuUsage(cpu);
  return {
    ms: performance.now() - started,
    cpuMs: (used.user + used.system) / 1000,
    rows: ds.rows,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
}

/** Fits on every row of the train file and scores the test file: the same data scikit-learn gets. */
async function childFit(
  train: string,
  test: string,
  algorithm: Algorithm,
  params: Params,
): Promise<FitReport> {
  const read = (file: string) => readDataset(createReadStream(file), { target: 'label' });
  const [tr, te] = [await read(train), await read(test)];
  const spec = ALGORITHM_SPECS[algorithm];
  const index = Int32Array.from({ length: tr.rows }, (_, i) => i);
  const wall = performance.now();
  const cpu = process.cpuUsage();
  const model = spec.fit(
    { columns: tr.columns, y: tr.y, index },
    { classes: tr.classes, featureNames: tr.featureNames, seed: 42 },
    params,
  );
  const used = process.cpuUsage(cpu);
  const fitWallS = (performance.now() - wall) / 1000;
  const all = Int32Array.from({ length: te.rows }, (_, i) => i);
  const scores = model.score(te, all);
  const metrics = evaluate(gather(te.y, all), scores.labels, scores.proba, te.classes);
  return {
    fitWallS,
    fitCpuS: (used.user + used.system) / 1e6,
    accuracy: metrics.accuracy,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
}

function runChild<T>(args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const proc = fork(fileURLToPath(import.meta.url), ['--child', ...args], { execArgv: process.execArgv });
    proc.once('message', (m) => resolve(m as T));
    proc.once('exit', (code) => code !== 0 && reject(new Error(`child ${args[0]} exited with ${code}`)));
  });
}

// ---- other processes ---------------------------------------------------------------------------------

interface ProcessResult {
  wallMs: number;
  stdout: string;
  stderr: string;
  code: number;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const proc = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d) => {
      stdout += d;
    });
    proc.stderr.on('data', (d) => {
      stderr += d;
    });
    proc.once('error', reject);
    proc.once('close', (code) =>
      resolve({ wallMs: performance.now() - started, stdout, stderr, code: code ?? 1 }),
    );
  });
}

interface SklearnReport {
  fitWallS: number;
  fitCpuS: number;
  accuracy: number;
  version: string;
}

async function sklearn(train: string, test: string, model: string, params: object, threads?: number) {
  const env = { ...process.env };
  if (threads !== undefined) env['OMP_NUM_THREADS'] = String(threads);
  const r = await run(PYTHON, [SKLEARN, train, test, model, JSON.stringify(params)], env);
  if (r.code !== 0) throw new Error(`sklearn ${model} failed: ${r.stderr.trim().split('\n').pop()}`);
  return JSON.parse(r.stdout) as SklearnReport;
}

function hasSklearn(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import sklearn'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** `mlops train` as a user runs it, with its peak RSS reported by a preloaded exit hook. */
async function mlopsTrain(home: string, hook: string, args: string[]) {
  const r = await run(process.execPath, ['--import', hook, CLI, 'train', '--json', ...args], {
    ...process.env,
    MLOPS_HOME: home,
  });
  if (r.code !== 0) throw new Error(`mlops train failed: ${r.stderr.trim()}`);
  const rss = /maxrss (\d+)/.exec(r.stderr);
  const out = JSON.parse(r.stdout) as { version: { metrics: Record<string, number> } };
  return {
    wallMs: r.wallMs,
    maxRssMb: rss ? Number(rss[1]) / 1024 : Number.NaN,
    accuracy: out.version.metrics['accuracy']!,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number, d = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const verdict = (ok: boolean) => (ok ? 'yes' : '**no**');

// ---- the report -----------------------------------------------------------------------------------------

async function main(): Promise<void> {
  execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs'), '--if-stale'], { stdio: 'inherit' });
  const dir = mkdtempSync(join(tmpdir(), 'mlops-bench-training-'));
  const hook = join(dir, 'rss.mjs');
  // Preloaded into the processes measured: their peak RSS and CPU time, printed as they exit.
  writeFileSync(
    hook,
    "process.on('exit', () => { const c = process.cpuUsage(); process.stderr.write('\\nmaxrss ' + " +
      "process.resourceUsage().maxRSS + ' cpu ' + (c.user + c.system) + '\\n'); });\n",
  );
  const out: string[] = [];
  const say = (...lines: string[]) => {
    for (const line of lines) {
      out.push(line);
      console.log(line);
    }
  };
  try {
    const load = loadavg().map((l) => l.toFixed(1));
    say(
      `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC with \`npm run bench:training\` on ` +
        `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, Node ${process.version}; ` +
        `load average at start ${load.join(' / ')} (the machine is shared: compare ratios measured in one run, ` +
        'and treat absolute times as upper bounds).',
    );
    await builtinSection(say);
    await sklearnSection(say, dir);
    await millionSection(say, dir, hook);
    await cliSection(say, dir, hook);
    say(
      '',
      `Load average at the end ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' / ')}.`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (process.argv.includes('--write')) writeBenchBlock(DOC, out.join('\n'));
}

async function builtinSection(say: (...lines: string[]) => void) {
  say(
    '',
    '**Built-in datasets** (default params, seed 42, 80/20 split; median of 3 runs of `trainModel`: fit + test',
    'evaluation + ONNX export):',
    '',
    '| dataset | algorithm | time (ms) | test accuracy | macro F1 | ONNX bytes |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
  );
  for (const name of ['iris', 'wine', 'breast_cancer']) {
    const ds = loadBuiltinDataset(name);
    for (const algorithm of ALGORITHMS) {
      const runs = [0, 1, 2].map(() => trainModel(ds, { algorithm, seed: 42 }));
      const r = runs[0]!;
      say(
        `| ${name} | ${algorithm} | ${fmt(median(runs.map((x) => x.durationMs)), 1)} | ${fmt(r.metrics.accuracy, 4)} | ${fmt(r.metrics.macroF1, 4)} | ${fmt(r.onnx.length)} |`,
      );
    }
  }
  const perAlgorithm: Record<string, number> = {};
  const search = runSearch(
    loadBuiltinDataset('breast_cancer'),
    { algorithms: ALGORITHMS, trials: 100, seed: 42 },
    (t) => {
      perAlgorithm[t.algorithm] = (perAlgorithm[t.algorithm] ?? 0) + t.durationMs;
    },
  );
  say(
    '',
    `**Search**: 100 random trials over all four algorithms on breast_cancer (validation-split scoring, then the`,
    `best refitted): **${fmt(search.durationMs / 1000, 1)} s** in total ` +
      `(${Object.entries(perAlgorithm)
        .map(([a, ms]) => `${a} ${fmt(ms / 1000, 1)} s`)
        .join(
          ', ',
        )}); best ${search.best.algorithm}, test accuracy ${fmt(search.final.metrics.accuracy, 4)}.`,
  );
}

async function sklearnSection(say: (...lines: string[]) => void, dir: string) {
  const train = join(dir, 'train-40k.csv');
  const test = join(dir, 'test-10k.csv');
  await writeSyntheticCsv(train, 40_000, 7);
  await writeSyntheticCsv(test, 10_000, 8);
  if (!hasSklearn()) {
    say('', `**Against scikit-learn**: skipped, ${PYTHON} has no sklearn (apt-get install python3-sklearn).`);
    return;
  }
  // Same model on both sides: depth, rounds, bins, leaf size and regularisation matched.
  const cases: {
    label: string;
    algorithm: Algorithm;
    params: Params;
    model: string;
    skParams: object;
    target: number;
  }[] = [
    {
      label: 'histogram GBT (100 rounds, depth 3, 255 bins)',
      algorithm: 'gbt',
      params: {
        n_rounds: 100,
        max_depth: 3,
        learning_rate: 0.1,
        max_bins: 255,
        l2: 0,
        min_samples_leaf: 20,
        early_stopping: false,
      },
      model: 'hgb',
      skParams: {
        max_iter: 100,
        max_depth: 3,
        learning_rate: 0.1,
        max_bins: 255,
        l2_regularization: 0,
        min_samples_leaf: 20,
        early_stopping: false,
      },
      target: 2,
    },
    {
      label: 'random forest (100 trees, depth 12, sqrt features)',
      algorithm: 'forest',
      params: { n_trees: 100, max_depth: 12, max_features: 'sqrt' },
      model: 'forest',
      skParams: { n_estimators: 100, max_depth: 12, max_features: 'sqrt', random_state: 0 },
      target: 1,
    },
    {
      label: 'logistic regression (L-BFGS, C = 1, tol 1e-4)',
      algorithm: 'logreg',
      // l2 is scikit-learn's 1/C (training/algorithms/defaults.ts).
      params: { l2: 1, tol: 1e-4, max_iter: 100 },
      model: 'logreg',
      skParams: { C: 1, tol: 1e-4, max_iter: 100 },
      target: 2,
    },
  ];
  const rows: string[] = [];
  let version = '';
  for (const c of cases) {
    const ours = await runChild<FitReport>(['fit', train, test, c.algorithm, JSON.stringify(c.params)]);
    const one = await sklearn(train, test, c.model, c.skParams, 1);
    // HistGradientBoosting is the one that uses OpenMP threads; the others fit on one core anyway.
    const all = c.model === 'hgb' ? await sklearn(train, test, c.model, c.skParams) : undefined;
    version = one.version;
    const ratio = ours.fitCpuS / one.fitCpuS;
    rows.push(
      `| ${c.label} | ${fmt(ours.fitWallS, 2)} / ${fmt(ours.fitCpuS, 2)} | ${fmt(one.fitWallS, 2)} / ${fmt(one.fitCpuS, 2)} | ` +
        `**${fmt(ratio, 2)}×** (≤ ${c.target}×: ${verdict(ratio <= c.target)}) | ` +
        `${all ? `${fmt(all.fitWallS, 2)} (${fmt(ours.fitWallS / all.fitWallS, 2)}×)` : 'n/a'} | ` +
        `${fmt(ours.accuracy, 4)} / ${fmt(one.accuracy, 4)} |`,
    );
  }
  say(
    '',
    `**Against scikit-learn ${version}** (same 40,000-row train file and 10,000-row test file, 20 features, 3`,
    'classes; fit only, data already in memory on both sides; ours in its own process). Ratio = our fit CPU time ÷',
    "scikit-learn's with `OMP_NUM_THREADS=1` (both on one core; wall times beside it). The last time column is",
    "HistGradientBoosting's wall time with OpenMP on every core (our fit is single-threaded):",
    '',
    '| model | ours: wall / CPU (s) | sklearn 1 thread: wall / CPU (s) | ratio | sklearn all cores: wall (s) | accuracy ours / sklearn |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  );
}

async function millionSection(say: (...lines: string[]) => void, dir: string, hook: string) {
  const big = join(dir, 'synthetic-1m.csv');
  const bytes = await writeSyntheticCsv(big, 1_040_000, 11);
  // Median of three parses: one run on a busy machine says more about the neighbours than the parser.
  const parses: ParseReport[] = [];
  for (let i = 0; i < 3; i++) parses.push(await runChild<ParseReport>(['parse', big]));
  const parse = parses.sort((a, b) => a.ms - b.ms)[1]!;
  const home = mkdtempSync(join(dir, 'home-'));
  const lr = await mlopsTrain(home, hook, [
    '--data',
    big,
    '--target',
    'label',
    '--algorithm',
    'logreg',
    '--model-name',
    'big',
  ]);
  const gbt = await mlopsTrain(home, hook, [
    '--data',
    big,
    '--target',
    'label',
    '--algorithm',
    'gbt',
    '--model-name',
    'big',
  ]);
  const issue13 = join(dir, 'synthetic-250mb.csv');
  const bytes13 = await writeSyntheticCsv(issue13, 1_300_000, 13);
  const parse13 = await runChild<ParseReport>(['parse', issue13]);
  rmSync(big, { force: true });
  rmSync(issue13, { force: true });
  const mbps = (b: number, ms: number) => b / 1e6 / (ms / 1000);
  const peakOk = (mb: number) => verdict(mb <= 1200);
  say(
    '',
    `**A million rows**: ${fmt(parse.rows)} rows × ${FEATURES} features, ${fmt(bytes / 1e6)} MB of CSV.`,
    '',
    '| step | time (s) | throughput | peak RSS (MB) | ≤ 1,200 MB | accuracy |',
    '| --- | ---: | ---: | ---: | --- | ---: |',
    `| parse (stream → float32 columns, sha256; median of 3) | ${fmt(parse.ms / 1000, 1)} | **${fmt(mbps(bytes, parse.ms))} MB/s** (≥ 60: ${verdict(mbps(bytes, parse.ms) >= 60)}); ${fmt(mbps(bytes, parse.cpuMs))} MB/s of CPU time | ${fmt(parse.maxRssMb)} | ${peakOk(parse.maxRssMb)} | |`,
    `| \`mlops train --algorithm logreg\` (whole command) | ${fmt(lr.wallMs / 1000, 1)} | | ${fmt(lr.maxRssMb)} | ${peakOk(lr.maxRssMb)} | ${fmt(lr.accuracy, 4)} |`,
    `| \`mlops train --algorithm gbt\` (whole command) | ${fmt(gbt.wallMs / 1000, 1)} | | ${fmt(gbt.maxRssMb)} | ${peakOk(gbt.maxRssMb)} | ${fmt(gbt.accuracy, 4)} |`,
    `| parse a ${fmt(bytes13 / 1e6)} MB CSV (${fmt(parse13.rows)} rows; issue 13's 250 MB file peaked at 2.4 GB) | ${fmt(parse13.ms / 1000, 1)} | ${fmt(mbps(bytes13, parse13.ms))} MB/s | ${fmt(parse13.maxRssMb)} | ${peakOk(parse13.maxRssMb)} | |`,
  );
}

async function cliSection(say: (...lines: string[]) => void, dir: string, hook: string) {
  /** Median wall and CPU time (ms) of n runs; CPU from the exit hook (node) or the script's own report. */
  const times = async (n: number, cmd: string, args: string[], env?: NodeJS.ProcessEnv) => {
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < n; i++) {
      const node = cmd === process.execPath;
      const r = await run(cmd, node ? ['--import', hook, ...args] : args, env);
      if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.trim()}`);
      wall.push(r.wallMs);
      const used = node
        ? Number(/ cpu (\d+)/.exec(r.stderr)?.[1]) / 1000
        : (JSON.parse(r.stdout) as { cpuS: number }).cpuS * 1000;
      cpu.push(used);
    }
    return { wall: median(wall), cpu: median(cpu) };
  };
  const help = await times(11, process.execPath, [CLI, '--help']);
  const bare = await times(11, process.execPath, ['-e', '']);
  // A first training (fresh state: no production version to compare with) and a retraining (the new
  // version is compared with production on the test rows through onnxruntime, as the registry does).
  const first: { wall: number; cpu: number }[] = [];
  for (let i = 0; i < 5; i++) {
    const env = { ...process.env, MLOPS_HOME: mkdtempSync(join(dir, 'home-')) };
    first.push(await times(1, process.execPath, [CLI, 'train'], env));
  }
  const fresh = { wall: median(first.map((t) => t.wall)), cpu: median(first.map((t) => t.cpu)) };
  const env = { ...process.env, MLOPS_HOME: mkdtempSync(join(dir, 'home-')) };
  await run(process.execPath, [CLI, 'train'], env);
  const again = await times(5, process.execPath, [CLI, 'train'], env);
  const theirs = hasSklearn()
    ? await times(5, PYTHON, [SKLEARN, '--iris'])
    : { wall: Number.NaN, cpu: Number.NaN };
  const line = (label: string, t: { wall: number; cpu: number }) => {
    const ratio = t.wall / theirs.wall;
    return (
      `  - ${label}: **${fmt(t.wall)} ms** (${fmt(t.cpu)} ms CPU): **${fmt(ratio, 2)}×** the script ` +
      `(≤ 1.2×: ${verdict(ratio <= 1.2)}; CPU ${fmt(t.cpu / theirs.cpu, 2)}×)`
    );
  };
  say(
    '',
    '**The CLI** (compiled bundle; median of the whole process, wall time and, in brackets, CPU time):',
    '',
    `- \`mlops --help\`: **${fmt(help.wall)} ms** (${fmt(help.cpu)} ms CPU; ≤ 300 ms: ${verdict(help.wall <= 300)}); ` +
      `a bare \`node -e ''\` takes ${fmt(bare.wall)} ms (${fmt(bare.cpu)} ms CPU) here.`,
    `- \`mlops train\` on iris, the whole command (emulators started by the command, run tracked, artifacts ` +
      `written, version registered) against the scikit-learn script (import, load iris, split, fit logistic ` +
      `regression, score): ${fmt(theirs.wall)} ms (${fmt(theirs.cpu)} ms CPU):`,
    line('first training (no production version yet)', fresh),
    line('retraining (compared with production on the test rows through onnxruntime)', again),
  );
}

const childIndex = process.argv.indexOf('--child');
if (childIndex >= 0) {
  const [mode, ...args] = process.argv.slice(childIndex + 1);
  const report =
    mode === 'parse'
      ? await childParse(args[0]!)
      : await childFit(args[0]!, args[1]!, args[2] as Algorithm, JSON.parse(args[3]!) as Params);
  process.send?.(report);
} else await main();

/**
 * Evaluation bench: does the registered test metric tell the truth, and is the pick as good as
 * scikit-learn's? `npx tsx bench/evaluation.ts` prints a Markdown report; `--write` also replaces the
 * `bench:evaluation` block in docs/training.md.
 *
 * For each built-in dataset, scikit-learn (Debian's /usr/bin/python3) makes a stratified 75/25 split
 * (train_test_split, random_state=0) and scores its four reference models on the 25 %. The 75 % is
 * written to a CSV the platform has never seen; `trainAndRegister` runs the default 20-trial search on
 * it through the real path (local emulators, tracking, artifacts, registry), and the registered ONNX
 * artifact is scored on the 25 % through the serving runtime. Search wall time is compared, in the same
 * process and on the same candidates, with the per-trial work of the code before this change.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OnnxModel } from '../core/prediction/onnx-session.js';
import { artifactStore, trainingDeps } from '../core/services/index.js';
import { trainAndRegister } from '../core/training/service.js';
import { startLocalRuntime } from '../local/runtime.js';
import {
  ALGORITHMS,
  BUILTIN_DATASETS,
  type BuiltinDatasetName,
  builtinDatasetPath,
  type Dataset,
  parseDataset,
  runSearch,
  searchSpace,
  stratifiedSplit,
  trainModel,
} from '../training/index.js';
import { DEFAULT_SEARCH_TRIALS, DEFAULT_SEED } from '../training/run-defaults.js';
import { writeBenchBlock } from './doc-block.js';

const DOC = fileURLToPath(new URL('../docs/training.md', import.meta.url));
const REFERENCE = fileURLToPath(new URL('./sklearn_reference.py', import.meta.url));
const PYTHON = '/usr/bin/python3';
const NAMES: BuiltinDatasetName[] = ['iris', 'wine', 'breast_cancer'];
/** The gap to scikit-learn's best the issue allows, in held-out accuracy. */
const TOLERANCE = 0.01;
/**
 * The 20-trial search through the old code path (trainAndRegister at d473c9a, which scored trials on the
 * test split), measured before this change on this machine under load ~4.5, in ms: not comparable across
 * runs, kept for the record; the ratio below is measured in one run.
 */
const BEFORE_MS: Record<BuiltinDatasetName, number> = { iris: 616, wine: 594, breast_cancer: 964 };

interface Reference {
  sklearn: string;
  datasets: Record<string, { train: number[]; test: number[]; scores: Record<string, number> }>;
}

function reference(): Reference {
  const input = JSON.stringify({
    datasets: NAMES.map((name) => ({
      name,
      path: builtinDatasetPath(name),
      target: BUILTIN_DATASETS[name].target,
    })),
  });
  const result = spawnSync(PYTHON, [REFERENCE], { input, encoding: 'utf8', maxBuffer: 2 ** 26 });
  if (result.status !== 0) {
    throw new Error(
      `${PYTHON} ${REFERENCE} failed (needs python3-sklearn: apt-get install python3-sklearn): ${result.stderr}`,
    );
  }
  return JSON.parse(result.stdout) as Reference;
}

/** The per-trial work of the code before this change: each candidate fit on 80 %, scored on the test 20 %, exported. */
function oldSearch(ds: Dataset): void {
  const split = stratifiedSplit(ds.y, { testSize: 0.2, seed: DEFAULT_SEED });
  for (const c of searchSpace(ALGORITHMS, { trials: DEFAULT_SEARCH_TRIALS, seed: DEFAULT_SEED })) {
    trainModel(ds, { ...c, seed: DEFAULT_SEED, split });
  }
}

/** This change's search: trials fit on train, scored on validation rows; the pick refit and tested once. */
function newSearch(ds: Dataset): void {
  runSearch(ds, { algorithms: ALGORITHMS, trials: DEFAULT_SEARCH_TRIALS, seed: DEFAULT_SEED });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
function time(work: () => void, repeat = 5): number {
  work(); // warm-up: JIT, caches
  return median(
    Array.from({ length: repeat }, () => {
      const t0 = performance.now();
      work();
      return performance.now() - t0;
    }),
  );
}

async function heldOutAccuracy(bytes: Uint8Array, held: Dataset): Promise<number> {
  const F = held.featureNames.length;
  const model = await OnnxModel.load(bytes, F);
  try {
    const rows = new Float32Array(held.rows * F);
    held.X.forEach((row, i) => {
      rows.set(row, i * F);
    });
    const { labels } = await model.score(rows, held.rows);
    return labels.filter((label, i) => label === held.classes[held.y[i]!]).length / held.rows;
  } finally {
    await model.release();
  }
}

const f = (n: number, d = 3) => n.toFixed(d);
const ms = (n: number) => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  const load = loadavg().map((l) => l.toFixed(1));
  const ref = reference();
  const dir = mkdtempSync(join(tmpdir(), 'bench-evaluation-'));
  const runtime = await startLocalRuntime({ ephemeral: true });
  const quality: string[] = [];
  const speed: string[] = [];
  const failures: string[] = [];
  try {
    for (const name of NAMES) {
      const { train, test, scores } = ref.datasets[name]!;
      const target = BUILTIN_DATASETS[name].target;
      const [header, ...lines] = readFileSync(builtinDatasetPath(name), 'utf8').trimEnd().split(/\r?\n/);
      const trainCsv = `${[header, ...train.map((i) => lines[i])].join('\n')}\n`;
      const path = join(dir, `${name}-75.csv`);
      writeFileSync(path, trainCsv);
      const trainDs = parseDataset(trainCsv, { target, name });
      const held = parseDataset(`${[header, ...test.map((i) => lines[i])].join('\n')}\n`, { target, name });

      const oldMs = time(() => oldSearch(trainDs));
      const newMs = time(() => newSearch(trainDs));

      const request = { dataset: path, target, modelName: `bench-${name}`, trials: DEFAULT_SEARCH_TRIALS };
      let t0 = performance.now();
      const outcome = await trainAndRegister(request, trainingDeps());
      const fullMs = performance.now() - t0;
      t0 = performance.now();
      const again = await trainAndRegister(request, trainingDeps());
      const comparedMs = performance.now() - t0;

      const bytes = await artifactStore().get(outcome.version.artifactKey);
      const heldOut = await heldOutAccuracy(bytes, held);
      const registered = outcome.version.metrics['test_accuracy']!;
      const nTest = outcome.version.evaluation!.rows.test;
      const se = Math.sqrt((registered * (1 - registered)) / nTest + (heldOut * (1 - heldOut)) / held.rows);
      const [bestName, best] = Object.entries(scores).reduce((a, b) => (b[1] > a[1] ? b : a));
      const gap = best - heldOut;
      const ok = gap <= TOLERANCE + 1e-12;
      if (!ok) failures.push(`${name}: held-out ${f(heldOut)} is ${f(gap)} below scikit-learn's ${f(best)}`);
      quality.push(
        `| ${name} | ${trainDs.rows} / ${held.rows} | ${outcome.version.algorithm} | ${f(registered)} (${nTest}) | ` +
          `${f(heldOut)} (${held.rows}) | ${f(registered - heldOut, 3)} (2 SE ${f(2 * se, 3)}) | ` +
          `${f(best)} ${bestName} | ${f(gap, 3)} | ${ok ? 'within 0.01' : '**missed**'} |`,
      );
      speed.push(
        `| ${name} | ${ms(oldMs)} | ${ms(newMs)} | ${f(newMs / oldMs, 2)} | ${ms(fullMs)} (before: ${ms(BEFORE_MS[name])}) | ` +
          `${ms(comparedMs)}: ${again.decision.alias}, ${again.decision.rows} rows, won ${again.decision.candidateWins} lost ${again.decision.productionWins} |`,
      );
    }
  } finally {
    await runtime.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  const report = [
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC with \`npm run bench:evaluation\` ` +
      `(\`npx tsx bench/evaluation.ts --write\`) on ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, ` +
      `Node ${process.version}, scikit-learn ${ref.sklearn}; load average at start ${load.join(' / ')}.`,
    '',
    `**Honest metric, good pick.** scikit-learn's stratified 75/25 split (\`train_test_split(random_state=0,`,
    `stratify=y)\`); the platform trains the 75 % as a new CSV with the default ${DEFAULT_SEARCH_TRIALS}-trial search`,
    '(`mlops train --data <csv> --trials 20`: trials scored on a validation split of the training part, the pick',
    'refit on train + validation, tested once); the registered ONNX file is then scored on the 25 % it never saw.',
    'scikit-learn best: of LogisticRegression (StandardScaler pipeline), RandomForest(100), HistGradientBoosting',
    'and DecisionTree fit on the same 75 %.',
    '',
    '| dataset | rows (75 % / 25 %) | registered | registered test accuracy (rows) | held-out accuracy (rows) | difference (2 SE) | scikit-learn best | gap | target |',
    '| --- | ---: | --- | ---: | ---: | ---: | --- | ---: | --- |',
    ...quality,
    '',
    '**Search wall time**, same candidates, same process (median of 5 after a warm-up): the code before this',
    'change fit each trial on 80 % of the rows, scored it on the test 20 % and exported ONNX; now each trial fits',
    'on the training rows and is scored on the validation rows (no export), then the pick is refit and tested',
    'once. "Full run" is `trainAndRegister` with tracking, artifacts and registration (the figure before the',
    'change was measured in another session, under load ~4.5); "again" repeats it, now scoring production',
    'through ONNX on the same test rows (an identical model: a tie, so it stays challenger).',
    '',
    '| dataset | old path (ms) | new search (ms) | ratio | full run (ms) | again, with champion comparison (ms) |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
    ...speed,
  ].join('\n');
  console.log(report);
  if (process.argv.includes('--write')) writeBenchBlock(DOC, report, 'evaluation');
  if (failures.length > 0) {
    console.error(`quality target missed: ${failures.join('; ')}`);
    process.exitCode = 1;
  }
}

await main();

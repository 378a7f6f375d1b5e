import { algorithmSpec } from './algorithms/registry.js';
import type { Dataset } from './dataset.js';
import type { Metrics } from './evaluate.js';
import type { Algorithm, Params, ParamValue } from './model.js';
import { checkSeed, deriveSeed, mulberry32, type Rng } from './random.js';
import { gather, type SplitIndices, stratifiedKFold, stratifiedSplit } from './split.js';
import { type TrainResult, trainModel } from './train.js';

export type SearchStrategy = 'random' | 'grid';
/** What trials are ranked by; `log_loss` is accepted as an alias of `neg_log_loss` (both: lower loss wins). */
export type SearchMetric = 'accuracy' | 'macro_f1' | 'neg_log_loss' | 'log_loss';

type Dimension =
  | { kind: 'int'; min: number; max: number }
  | { kind: 'log'; min: number; max: number }
  | { kind: 'choice'; values: readonly ParamValue[] };

/** Random-search distributions and grid values per algorithm (sized so 100 trials stay well under a minute). */
export const PARAM_SPACES: Record<
  Algorithm,
  { random: Record<string, Dimension>; grid: Record<string, ParamValue[]> }
> = {
  logreg: {
    random: { l2: { kind: 'log', min: 1e-4, max: 1 } },
    grid: { l2: [1e-4, 1e-3, 1e-2, 1e-1, 1] },
  },
  tree: {
    random: {
      max_depth: { kind: 'int', min: 2, max: 12 },
      min_samples_leaf: { kind: 'int', min: 1, max: 10 },
    },
    grid: { max_depth: [3, 5, 8, 12], min_samples_leaf: [1, 3, 10] },
  },
  forest: {
    random: {
      n_trees: { kind: 'choice', values: [25, 50, 100] },
      max_depth: { kind: 'int', min: 4, max: 14 },
      min_samples_leaf: { kind: 'int', min: 1, max: 5 },
      max_features: { kind: 'choice', values: ['sqrt', 'log2', 0.5] },
    },
    grid: { n_trees: [50, 100], max_depth: [6, 12], max_features: ['sqrt', 0.5] },
  },
  gbt: {
    random: {
      n_rounds: { kind: 'choice', values: [25, 50, 100] },
      learning_rate: { kind: 'log', min: 0.03, max: 0.3 },
      max_depth: { kind: 'int', min: 2, max: 4 },
      subsample: { kind: 'choice', values: [0.7, 0.85, 1] },
      l2: { kind: 'log', min: 0.1, max: 10 },
    },
    grid: { n_rounds: [50, 100], learning_rate: [0.05, 0.1, 0.2], max_depth: [2, 3] },
  },
};

export interface Candidate {
  algorithm: Algorithm;
  params: Params;
}

export interface SearchSpaceOptions {
  strategy?: SearchStrategy;
  /** Random: number of candidates (default 20). Grid: cap on the full product (default: all of it). */
  trials?: number;
  seed?: number;
}

function sample(dim: Dimension, rng: Rng): ParamValue {
  switch (dim.kind) {
    case 'int':
      return dim.min + Math.floor(rng() * (dim.max - dim.min + 1));
    case 'log':
      return Number(
        Math.exp(Math.log(dim.min) + rng() * (Math.log(dim.max) - Math.log(dim.min))).toPrecision(3),
      );
    case 'choice':
      return dim.values[Math.floor(rng() * dim.values.length)]!;
  }
}

function* gridOf(grid: Record<string, ParamValue[]>): Generator<Params> {
  const names = Object.keys(grid);
  const sizes = names.map((n) => grid[n]!.length);
  const total = sizes.reduce((a, b) => a * b, 1);
  for (let i = 0; i < total; i++) {
    const params: Params = {};
    let rest = i;
    for (let k = names.length - 1; k >= 0; k--) {
      params[names[k]!] = grid[names[k]!]![rest % sizes[k]!]!;
      rest = Math.floor(rest / sizes[k]!);
    }
    yield params;
  }
}

/**
 * Candidates, round-robin over the algorithms. Random: each algorithm's first candidate is its defaults (so
 * a search never does worse than a plain run), the rest are seeded draws. Grid: the per-algorithm products.
 */
export function* searchSpace(
  algorithms: readonly Algorithm[],
  options: SearchSpaceOptions = {},
): Generator<Candidate> {
  if (algorithms.length === 0) throw new RangeError('algorithms must name at least 1 algorithm');
  for (const a of algorithms) algorithmSpec(a);
  const strategy = options.strategy ?? 'random';
  const seed = checkSeed(options.seed ?? 42);
  const trials = options.trials ?? (strategy === 'random' ? 20 : Number.POSITIVE_INFINITY);
  if (!(trials >= 1)) throw new RangeError(`trials must be ≥ 1, got ${trials}`);
  if (strategy === 'grid') {
    const grids = algorithms.map((a) => gridOf(PARAM_SPACES[a].grid));
    let emitted = 0;
    let live = grids.length;
    while (live > 0 && emitted < trials) {
      live = 0;
      for (let i = 0; i < grids.length && emitted < trials; i++) {
        const next = grids[i]!.next();
        if (next.done) continue;
        live++;
        emitted++;
        yield { algorithm: algorithms[i]!, params: next.value };
      }
    }
    return;
  }
  if (strategy !== 'random') throw new RangeError(`strategy must be 'random' or 'grid', got '${strategy}'`);
  const rng = mulberry32(deriveSeed(seed, 0x5ea7c4));
  for (let i = 0; i < trials; i++) {
    const algorithm = algorithms[i % algorithms.length]!;
    if (i < algorithms.length) {
      yield { algorithm, params: {} };
      continue;
    }
    const params: Params = {};
    for (const [name, dim] of Object.entries(PARAM_SPACES[algorithm].random)) params[name] = sample(dim, rng);
    yield { algorithm, params };
  }
}

export interface SearchOptions extends SearchSpaceOptions {
  algorithms: readonly Algorithm[];
  metric?: SearchMetric;
  testSize?: number;
  /** k-fold CV on the train split scores each trial; otherwise a seeded validation split of it (20%). */
  cv?: number;
}

export interface TrialReport {
  index: number;
  total: number;
  algorithm: Algorithm;
  /** Params as resolved by the model (defaults filled in). */
  params: Params;
  /** Higher is better for every metric (log loss is negated). */
  score: number;
  /** Metrics on the validation split (or the last CV fold). */
  metrics: Metrics;
  durationMs: number;
}

export interface SearchResult {
  metric: SearchMetric;
  trials: TrialReport[];
  best: TrialReport;
  /** Best candidate refitted on the whole train split and evaluated on the untouched test split. */
  final: TrainResult;
  durationMs: number;
}

export function scoreOf(metrics: Metrics, metric: SearchMetric): number {
  switch (metric) {
    case 'accuracy':
      return metrics.accuracy;
    case 'macro_f1':
      return metrics.macroF1;
    case 'neg_log_loss':
    case 'log_loss':
      return -metrics.logLoss;
    default:
      throw new RangeError(`metric must be accuracy, macro_f1 or neg_log_loss, got '${metric}'`);
  }
}

/** Map split indices that refer to the `within` subset back to dataset row indices. */
const remap = (s: SplitIndices, within: Int32Array): SplitIndices => ({
  train: s.train.map((i) => within[i]!),
  test: s.test.map((i) => within[i]!),
});

/**
 * Trains every candidate, scoring it without touching the test split, reports each trial through `onTrial`
 * (for run tracking / a progress bar), then refits the best on the full train split. Ties keep the earlier
 * trial. Pure apart from the callback.
 */
export function runSearch(
  dataset: Dataset,
  options: SearchOptions,
  onTrial: (trial: TrialReport) => void = () => {},
): SearchResult {
  const started = performance.now();
  const seed = checkSeed(options.seed ?? 42);
  const metric = options.metric ?? 'accuracy';
  const testSize = options.testSize ?? 0.2;
  const outer = stratifiedSplit(dataset.y, { testSize, seed });
  const trainY = gather(dataset.y, outer.train);
  const scoring: SplitIndices[] =
    options.cv !== undefined
      ? stratifiedKFold(trainY, { k: options.cv, seed }).map((f) => remap(f, outer.train))
      : [remap(stratifiedSplit(trainY, { testSize: 0.2, seed }), outer.train)];
  const candidates = [...searchSpace(options.algorithms, { ...options, seed })];
  const trials: TrialReport[] = [];
  let best: TrialReport | undefined;
  candidates.forEach((candidate, index) => {
    const t0 = performance.now();
    let total = 0;
    let last: TrainResult | undefined;
    for (const split of scoring) {
      last = trainModel(dataset, { ...candidate, seed, split });
      total += scoreOf(last.metrics, metric);
    }
    const report: TrialReport = {
      index,
      total: candidates.length,
      algorithm: candidate.algorithm,
      params: last!.model.params,
      score: total / scoring.length,
      metrics: last!.metrics,
      durationMs: performance.now() - t0,
    };
    trials.push(report);
    if (!best || report.score > best.score) best = report;
    onTrial(report);
  });
  const final = trainModel(dataset, { algorithm: best!.algorithm, params: best!.params, seed, split: outer });
  return { metric, trials, best: best!, final, durationMs: performance.now() - started };
}

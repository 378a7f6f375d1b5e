import { PARAM_DEFAULTS } from './algorithms/defaults.js';
import { algorithmSpec } from './algorithms/registry.js';
import type { Dataset } from './dataset.js';
import type { Metrics } from './evaluate.js';
import type { Algorithm, Params, ParamValue } from './model.js';
import { checkSeed, deriveSeed, mulberry32, type Rng } from './random.js';
import {
  DEFAULT_SEARCH_TRIALS,
  DEFAULT_SEED,
  DEFAULT_TEST_SIZE,
  DEFAULT_VALIDATION_SIZE,
} from './run-defaults.js';
import { type SplitIndices, stratifiedKFold, stratifiedSplit } from './split.js';
import { fitAndEvaluate, type TrainResult, trainModel } from './train.js';

export type SearchStrategy = 'random' | 'grid';
/** What trials are ranked by; `log_loss` is accepted as an alias of `neg_log_loss` (both: lower loss wins). */
export type SearchMetric = 'accuracy' | 'macro_f1' | 'neg_log_loss' | 'log_loss';

type Dimension =
  | { kind: 'int'; min: number; max: number }
  | { kind: 'log'; min: number; max: number }
  | { kind: 'choice'; values: readonly ParamValue[] };

/**
 * Random-search distributions and grid values per algorithm (sized so 100 trials stay well under a minute).
 * Every default (algorithms/defaults.ts) lies inside its random range, and the defaults are each
 * algorithm's first candidate in both strategies, so a search never picks worse than a plain run would
 * (on the scoring split).
 */
export const PARAM_SPACES: Record<
  Algorithm,
  { random: Record<string, Dimension>; grid: Record<string, ParamValue[]> }
> = {
  logreg: {
    // l2 = 1/C of scikit-learn: C from 0.01 to 100.
    random: { l2: { kind: 'log', min: 0.01, max: 100 } },
    grid: { l2: [0.01, 0.1, 1, 10, 100] },
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

/** True when every param of `params` is the algorithm's default: the candidate `{}` already covers it. */
const isDefault = (algorithm: Algorithm, params: Params) =>
  Object.entries(params).every(([name, value]) => PARAM_DEFAULTS[algorithm][name] === value);

/**
 * Candidates, round-robin over the algorithms; each algorithm's first candidate is its defaults (`{}`),
 * so a search never does worse on its scoring split than a plain run. Random: then seeded draws. Grid: then
 * the per-algorithm products (the point equal to the defaults, if any, is not repeated).
 */
export function* searchSpace(
  algorithms: readonly Algorithm[],
  options: SearchSpaceOptions = {},
): Generator<Candidate> {
  if (algorithms.length === 0) throw new RangeError('algorithms must name at least 1 algorithm');
  for (const a of algorithms) algorithmSpec(a);
  const strategy = options.strategy ?? 'random';
  const seed = checkSeed(options.seed ?? DEFAULT_SEED);
  const trials = options.trials ?? (strategy === 'random' ? DEFAULT_SEARCH_TRIALS : Number.POSITIVE_INFINITY);
  if (!(trials >= 1)) throw new RangeError(`trials must be ≥ 1, got ${trials}`);
  if (strategy === 'grid') {
    const grids = algorithms.map(function* (a): Generator<Params> {
      yield {};
      for (const params of gridOf(PARAM_SPACES[a].grid)) if (!isDefault(a, params)) yield params;
    });
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

/**
 * The rows of one run, decided up front: the test split (scored once, by the final model) and, inside the
 * rest, what search trials are scored on: one validation split, or k folds. Row indices into the dataset.
 */
export interface EvaluationSplits {
  /** `train` = everything but the test rows (what the chosen candidate is refit on). */
  readonly outer: SplitIndices;
  /** Trials fit on `train` and are scored on `test` of each; never a test row. */
  readonly scoring: readonly SplitIndices[];
  readonly kind: 'validation' | 'cv';
}

export interface EvaluationSplitOptions {
  testSize?: number;
  seed?: number;
  /** k-fold cross-validation on the training part; otherwise a validation split of it. */
  cv?: number;
  /** Share of the training part held out for validation (default 0.2). */
  validationSize?: number;
}

/** Map split indices that refer to the `within` subset back to dataset row indices. */
const remap = (s: SplitIndices, within: readonly number[]): SplitIndices => ({
  train: s.train.map((i) => within[i]!),
  test: s.test.map((i) => within[i]!),
});

/** Stratified test split, then a stratified validation split (or k folds) of the training part. */
export function evaluationSplits(
  y: readonly number[],
  options: EvaluationSplitOptions = {},
): EvaluationSplits {
  const seed = checkSeed(options.seed ?? DEFAULT_SEED);
  const outer = stratifiedSplit(y, { testSize: options.testSize ?? DEFAULT_TEST_SIZE, seed });
  const trainY = outer.train.map((i) => y[i]!);
  if (options.cv !== undefined) {
    const folds = stratifiedKFold(trainY, { k: options.cv, seed });
    return { outer, scoring: folds.map((f) => remap(f, outer.train)), kind: 'cv' };
  }
  const validation = stratifiedSplit(trainY, {
    testSize: options.validationSize ?? DEFAULT_VALIDATION_SIZE,
    seed: deriveSeed(seed, 0x7a1d),
  });
  return { outer, scoring: [remap(validation, outer.train)], kind: 'validation' };
}

/** Headline metrics of a candidate on its scoring split(s): the mean over folds under CV. */
export interface CandidateScore {
  /** Params as resolved by the model (defaults filled in). */
  params: Params;
  accuracy: number;
  macroF1: number;
  logLoss: number;
  /** Metrics of the last (or only) scoring split, per class included. */
  last: Metrics;
  durationMs: number;
}

/**
 * Fits the candidate on each scoring split's training rows and scores it on its held-out rows, without
 * exporting ONNX (trials only need the score). Throws what the trainer throws (bad params).
 */
export function scoreCandidate(
  dataset: Dataset,
  candidate: Candidate,
  scoring: readonly SplitIndices[],
  seed: number,
): CandidateScore {
  const started = performance.now();
  let accuracy = 0;
  let macroF1 = 0;
  let logLoss = 0;
  let last: Metrics | undefined;
  let params: Params = candidate.params;
  for (const split of scoring) {
    const fitted = fitAndEvaluate(dataset, { ...candidate, seed, split });
    last = fitted.metrics;
    params = fitted.model.params;
    accuracy += last.accuracy;
    macroF1 += last.macroF1;
    logLoss += last.logLoss;
  }
  const k = scoring.length;
  return {
    params,
    accuracy: accuracy / k,
    macroF1: macroF1 / k,
    logLoss: logLoss / k,
    last: last!,
    durationMs: performance.now() - started,
  };
}

export function scoreOf(
  metrics: Pick<Metrics, 'accuracy' | 'macroF1' | 'logLoss'>,
  metric: SearchMetric,
): number {
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

/**
 * Whether candidate `a` ranks above `b`: strictly the higher score. A tie keeps the earlier candidate,
 * as scikit-learn's searches do; each algorithm's defaults come first, so on a small validation split
 * where many candidates tie, the plain configuration is kept rather than the most confident one (a
 * log-loss tie-break would favour trees whose pure leaves score a loss of ~0 on the rows they get right).
 */
export function ranksAbove(
  a: Pick<CandidateScore, 'accuracy' | 'macroF1' | 'logLoss'>,
  b: Pick<CandidateScore, 'accuracy' | 'macroF1' | 'logLoss'>,
  metric: SearchMetric,
): boolean {
  return scoreOf(a, metric) > scoreOf(b, metric);
}

export interface SearchOptions extends SearchSpaceOptions, EvaluationSplitOptions {
  algorithms: readonly Algorithm[];
  metric?: SearchMetric;
}

export interface TrialReport {
  index: number;
  total: number;
  algorithm: Algorithm;
  /** Params as resolved by the model (defaults filled in). */
  params: Params;
  /** Higher is better for every metric (log loss is negated). */
  score: number;
  /** Mean metrics on the validation split (or over the CV folds). */
  validation: CandidateScore;
  durationMs: number;
}

export interface SearchResult {
  metric: SearchMetric;
  splits: EvaluationSplits;
  trials: TrialReport[];
  best: TrialReport;
  /** Best candidate refit on the whole training part (train + validation) and scored on the untouched test split. */
  final: TrainResult;
  durationMs: number;
}

/**
 * Scores every candidate without touching the test split, reports each trial through `onTrial` (for run
 * tracking / a progress bar), then refits the best on the whole training part (as scikit-learn's search
 * does with refit=True) and scores it once on the test split. Pure apart from the callback.
 */
export function runSearch(
  dataset: Dataset,
  options: SearchOptions,
  onTrial: (trial: TrialReport) => void = () => {},
): SearchResult {
  const started = performance.now();
  const seed = checkSeed(options.seed ?? DEFAULT_SEED);
  const metric = options.metric ?? 'accuracy';
  const splits = evaluationSplits(dataset.y, { ...options, seed });
  const candidates = [...searchSpace(options.algorithms, { ...options, seed })];
  const trials: TrialReport[] = [];
  let best: TrialReport | undefined;
  candidates.forEach((candidate, index) => {
    const validation = scoreCandidate(dataset, candidate, splits.scoring, seed);
    const report: TrialReport = {
      index,
      total: candidates.length,
      algorithm: candidate.algorithm,
      params: validation.params,
      score: scoreOf(validation, metric),
      validation,
      durationMs: validation.durationMs,
    };
    trials.push(report);
    if (!best || ranksAbove(report.validation, best.validation, metric)) best = report;
    onTrial(report);
  });
  const final = trainModel(dataset, {
    algorithm: best!.algorithm,
    params: best!.params,
    seed,
    split: splits.outer,
  });
  return { metric, splits, trials, best: best!, final, durationMs: performance.now() - started };
}

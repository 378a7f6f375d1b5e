import { algorithmSpec } from './algorithms/registry.js';
import type { Dataset } from './dataset.js';
import { evaluate, type Metrics } from './evaluate.js';
import type { Algorithm, Params, TrainedModel } from './model.js';
import { checkSeed } from './random.js';
import { DEFAULT_SEED, DEFAULT_TEST_SIZE } from './run-defaults.js';
import { gather, stratifiedSplit } from './split.js';

export interface TrainOptions {
  algorithm: Algorithm;
  seed?: number;
  testSize?: number;
  params?: Params;
  /** Reuse a precomputed split (e.g. during search) instead of deriving it from seed/testSize. */
  split?: { train: ArrayLike<number>; test: ArrayLike<number> };
}

export interface TrainResult {
  model: TrainedModel;
  onnx: Uint8Array;
  /** Metrics on the held-out test split. */
  metrics: Metrics;
  split: { train: number; test: number };
  durationMs: number;
}

const toIndex = (a: ArrayLike<number>) => (a instanceof Int32Array ? a : Int32Array.from(a));

type TrainingColumns = Pick<Dataset, 'columns' | 'rows' | 'y' | 'classes' | 'featureNames'>;

/** Fits on the split's train rows and evaluates on its test rows, without exporting. Pure: no I/O. */
export function fitAndEvaluate(
  dataset: TrainingColumns,
  options: {
    algorithm: Algorithm;
    params?: Params;
    seed: number;
    split: { train: ArrayLike<number>; test: ArrayLike<number> };
  },
): { model: TrainedModel; metrics: Metrics } {
  const test = toIndex(options.split.test);
  const model = algorithmSpec(options.algorithm).fit(
    { columns: dataset.columns, y: dataset.y, index: toIndex(options.split.train) },
    { classes: dataset.classes, featureNames: dataset.featureNames, seed: options.seed },
    options.params ?? {},
  );
  // model.score's labels, not argmax(proba): the same label rule as the exported graph.
  const scores = model.score(dataset, test);
  const metrics = evaluate(gather(dataset.y, test), scores.labels, scores.proba, dataset.classes);
  return { model, metrics };
}

/** Splits (stratified, seeded), fits on train, evaluates on test and exports ONNX. Pure: no I/O. */
export function trainModel(dataset: TrainingColumns, options: TrainOptions): TrainResult {
  const started = performance.now();
  const seed = checkSeed(options.seed ?? DEFAULT_SEED);
  const split =
    options.split ?? stratifiedSplit(dataset.y, { testSize: options.testSize ?? DEFAULT_TEST_SIZE, seed });
  const { model, metrics } = fitAndEvaluate(dataset, {
    algorithm: options.algorithm,
    ...(options.params ? { params: options.params } : {}),
    seed,
    split,
  });
  const onnx = model.toOnnx();
  return {
    model,
    onnx,
    metrics,
    split: { train: split.train.length, test: split.test.length },
    durationMs: performance.now() - started,
  };
}

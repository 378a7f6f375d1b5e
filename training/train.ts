import { algorithmSpec } from './algorithms/registry.js';
import { type Dataset, selectRows } from './dataset.js';
import { evaluate, type Metrics } from './evaluate.js';
import type { Algorithm, Params, TrainedModel } from './model.js';
import { checkSeed } from './random.js';
import { DEFAULT_SEED, DEFAULT_TEST_SIZE } from './run-defaults.js';
import { type SplitIndices, stratifiedSplit } from './split.js';

export interface TrainOptions {
  algorithm: Algorithm;
  seed?: number;
  testSize?: number;
  params?: Params;
  /** Reuse a precomputed split (e.g. during search) instead of deriving it from seed/testSize. */
  split?: SplitIndices;
}

export interface TrainResult {
  model: TrainedModel;
  onnx: Uint8Array;
  /** Metrics on the held-out test split. */
  metrics: Metrics;
  split: { train: number; test: number };
  durationMs: number;
}

/** Fits on the split's train rows and evaluates on its test rows, without exporting. Pure: no I/O. */
export function fitAndEvaluate(
  dataset: Dataset,
  options: { algorithm: Algorithm; params?: Params; seed: number; split: SplitIndices },
): { model: TrainedModel; metrics: Metrics } {
  const train = selectRows(dataset, options.split.train);
  const test = selectRows(dataset, options.split.test);
  const model = algorithmSpec(options.algorithm).fit(
    train.X,
    train.y,
    { classes: dataset.classes, featureNames: dataset.featureNames, seed: options.seed },
    options.params ?? {},
  );
  const proba = model.predictProba(test.X);
  // model.predict, not argmax(proba): it applies the same label rule as the exported graph.
  const metrics = evaluate(test.y, model.predict(test.X), proba, dataset.classes);
  return { model, metrics };
}

/** Splits (stratified, seeded), fits on train, evaluates on test and exports ONNX. Pure: no I/O. */
export function trainModel(dataset: Dataset, options: TrainOptions): TrainResult {
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

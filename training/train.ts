import { algorithmSpec } from './algorithms/registry.js';
import type { Dataset } from './dataset.js';
import { evaluate, type Metrics } from './evaluate.js';
import type { Algorithm, Params, TrainedModel } from './model.js';
import { checkSeed } from './random.js';
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

/** Splits (stratified, seeded), fits on train, evaluates on test and exports ONNX. Pure: no I/O. */
export function trainModel(
  dataset: Pick<Dataset, 'columns' | 'rows' | 'y' | 'classes' | 'featureNames'>,
  options: TrainOptions,
): TrainResult {
  const started = performance.now();
  const spec = algorithmSpec(options.algorithm);
  const seed = checkSeed(options.seed ?? 42);
  const split = options.split
    ? { train: toIndex(options.split.train), test: toIndex(options.split.test) }
    : stratifiedSplit(dataset.y, { testSize: options.testSize ?? 0.2, seed });
  const model = spec.fit(
    { columns: dataset.columns, y: dataset.y, index: split.train },
    { classes: dataset.classes, featureNames: dataset.featureNames, seed },
    options.params ?? {},
  );
  // model.score's labels, not argmax(proba): the same label rule as the exported graph.
  const scores = model.score(dataset, split.test);
  const metrics = evaluate(gather(dataset.y, split.test), scores.labels, scores.proba, dataset.classes);
  const onnx = model.toOnnx();
  return {
    model,
    onnx,
    metrics,
    split: { train: split.train.length, test: split.test.length },
    durationMs: performance.now() - started,
  };
}

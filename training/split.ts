import { DatasetError } from './errors.js';
import { checkSeed, mulberry32, shuffleInPlace } from './random.js';
import { DEFAULT_SEED, DEFAULT_TEST_SIZE } from './run-defaults.js';

export interface SplitIndices {
  train: number[];
  test: number[];
}

function indicesByClass(y: readonly number[], minPerClass: number, what: string): number[][] {
  const nClasses = y.reduce((m, c) => Math.max(m, c + 1), 0);
  const byClass: number[][] = Array.from({ length: nClasses }, () => []);
  y.forEach((c, i) => {
    byClass[c]!.push(i);
  });
  byClass.forEach((idx, c) => {
    if (idx.length < minPerClass) {
      throw new DatasetError(
        'TOO_FEW_ROWS',
        `class index ${c} has ${idx.length} row(s); ${what} needs at least ${minPerClass} per class`,
      );
    }
  });
  return byClass;
}

/** Seeded stratified split: every class appears in both train and test. Indices are returned sorted. */
export function stratifiedSplit(
  y: readonly number[],
  options: { testSize?: number; seed?: number } = {},
): SplitIndices {
  const testSize = options.testSize ?? DEFAULT_TEST_SIZE;
  const seed = checkSeed(options.seed ?? DEFAULT_SEED);
  if (typeof testSize !== 'number' || !(testSize > 0 && testSize < 1)) {
    throw new RangeError(`testSize must be in (0, 1), got ${testSize}`);
  }
  const rng = mulberry32(seed);
  const train: number[] = [];
  const test: number[] = [];
  for (const idx of indicesByClass(y, 2, 'a train/test split')) {
    shuffleInPlace(idx, rng);
    const nTest = Math.min(idx.length - 1, Math.max(1, Math.round(idx.length * testSize)));
    test.push(...idx.slice(0, nTest));
    train.push(...idx.slice(nTest));
  }
  return { train: train.sort((a, b) => a - b), test: test.sort((a, b) => a - b) };
}

/** Seeded stratified k-fold: each class is dealt round-robin over the folds after a shuffle. */
export function stratifiedKFold(
  y: readonly number[],
  options: { k?: number; seed?: number } = {},
): SplitIndices[] {
  const k = options.k ?? 5;
  const seed = checkSeed(options.seed ?? DEFAULT_SEED);
  if (!Number.isInteger(k)) throw new TypeError(`k must be an integer, got ${k}`);
  if (k < 2 || k > y.length) throw new RangeError(`k must be in [2, ${y.length}], got ${k}`);
  const rng = mulberry32(seed);
  const folds: number[][] = Array.from({ length: k }, () => []);
  let next = 0;
  for (const idx of indicesByClass(y, 2, 'k-fold')) {
    shuffleInPlace(idx, rng);
    for (const i of idx) {
      folds[next]!.push(i);
      next = (next + 1) % k;
    }
  }
  return folds.map((fold) => {
    const inFold = new Set(fold);
    return {
      train: y.map((_, i) => i).filter((i) => !inFold.has(i)),
      test: [...fold].sort((a, b) => a - b),
    };
  });
}

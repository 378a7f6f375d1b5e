import { DatasetError } from './errors.js';
import { checkSeed, mulberry32, shuffleRange } from './random.js';
import { DEFAULT_SEED, DEFAULT_TEST_SIZE } from './run-defaults.js';

/** Row indices, ascending. Typed arrays: a million-row split is two flat buffers, never spread or boxed. */
export interface SplitIndices {
  train: Int32Array;
  test: Int32Array;
}

/** Row indices grouped by class (ascending within each class) and where each class's group starts. */
function groupByClass(
  y: ArrayLike<number>,
  minPerClass: number,
  what: string,
): { grouped: Int32Array; starts: Int32Array } {
  const n = y.length;
  let nClasses = 0;
  for (let i = 0; i < n; i++) if (y[i]! + 1 > nClasses) nClasses = y[i]! + 1;
  const starts = new Int32Array(nClasses + 1);
  for (let i = 0; i < n; i++) starts[y[i]! + 1]! += 1;
  for (let c = 0; c < nClasses; c++) {
    const count = starts[c + 1]!;
    if (count < minPerClass) {
      throw new DatasetError(
        'TOO_FEW_ROWS',
        `class index ${c} has ${count} row(s); ${what} needs at least ${minPerClass} per class`,
      );
    }
    starts[c + 1] = starts[c]! + count;
  }
  const grouped = new Int32Array(n);
  const next = starts.slice(0, nClasses);
  for (let i = 0; i < n; i++) grouped[next[y[i]!]!++] = i;
  return { grouped, starts };
}

/** The indices i with mark[i] === value, ascending. */
function where(mark: Uint8Array | Int32Array, value: number, count: number): Int32Array {
  const out = new Int32Array(count);
  let k = 0;
  for (let i = 0; i < mark.length; i++) if (mark[i] === value) out[k++] = i;
  return out;
}

/** Seeded stratified split: every class appears in both train and test. Indices are returned sorted. */
export function stratifiedSplit(
  y: ArrayLike<number>,
  options: { testSize?: number; seed?: number } = {},
): SplitIndices {
  const testSize = options.testSize ?? DEFAULT_TEST_SIZE;
  const seed = checkSeed(options.seed ?? DEFAULT_SEED);
  if (typeof testSize !== 'number' || !(testSize > 0 && testSize < 1)) {
    throw new RangeError(`testSize must be in (0, 1), got ${testSize}`);
  }
  const rng = mulberry32(seed);
  const { grouped, starts } = groupByClass(y, 2, 'a train/test split');
  const isTest = new Uint8Array(y.length);
  let nTestTotal = 0;
  for (let c = 0; c + 1 < starts.length; c++) {
    const start = starts[c]!;
    const size = starts[c + 1]! - start;
    shuffleRange(grouped, start, start + size, rng);
    const nTest = Math.min(size - 1, Math.max(1, Math.round(size * testSize)));
    for (let k = 0; k < nTest; k++) isTest[grouped[start + k]!] = 1;
    nTestTotal += nTest;
  }
  return { train: where(isTest, 0, y.length - nTestTotal), test: where(isTest, 1, nTestTotal) };
}

/** Seeded stratified k-fold: each class is dealt round-robin over the folds after a shuffle. */
export function stratifiedKFold(
  y: ArrayLike<number>,
  options: { k?: number; seed?: number } = {},
): SplitIndices[] {
  const k = options.k ?? 5;
  const seed = checkSeed(options.seed ?? DEFAULT_SEED);
  if (!Number.isInteger(k)) throw new TypeError(`k must be an integer, got ${k}`);
  if (k < 2 || k > y.length) throw new RangeError(`k must be in [2, ${y.length}], got ${k}`);
  const rng = mulberry32(seed);
  const { grouped, starts } = groupByClass(y, 2, 'k-fold');
  const foldOf = new Int32Array(y.length);
  const sizes = new Int32Array(k);
  let next = 0;
  for (let c = 0; c + 1 < starts.length; c++) {
    shuffleRange(grouped, starts[c]!, starts[c + 1]!, rng);
    for (let p = starts[c]!; p < starts[c + 1]!; p++) {
      foldOf[grouped[p]!] = next;
      sizes[next]! += 1;
      next = (next + 1) % k;
    }
  }
  return Array.from(sizes, (size, fold) => {
    const test = where(foldOf, fold, size);
    const train = new Int32Array(y.length - size);
    let t = 0;
    for (let i = 0; i < y.length; i++) if (foldOf[i] !== fold) train[t++] = i;
    return { train, test };
  });
}

/** values[index[i]] for each i: labels (or any per-row value) of a subset of rows. */
export function gather(values: ArrayLike<number>, index: ArrayLike<number>): Int32Array {
  const out = new Int32Array(index.length);
  for (let i = 0; i < index.length; i++) out[i] = values[index[i]!]!;
  return out;
}

// Own CART instead of ml-cart: gradient boosting needs Newton-step (gradient/hessian) leaves, ONNX parity
// needs thresholds chosen exactly in float32, and one presorted builder then serves tree, forest and gbt.
import { type FitData, f32 } from '../model.js';
import { type Rng, randomInt } from '../random.js';

/** A tree as parallel arrays in preorder; node 0 is the root. */
export interface FlatTree {
  /** Split feature, -1 for a leaf. */
  feature: number[];
  /** float32 threshold: x <= threshold goes left (the ONNX BRANCH_LEQ rule). */
  threshold: number[];
  left: number[];
  right: number[];
  /** Leaf output vector ([] on internal nodes): class distribution, or a single Newton step. */
  value: number[][];
}

/** Float32 ascending order key of a float32 bit pattern (-0 keyed as +0: they compare equal). */
function sortKey(bits: number): number {
  if (bits === 0x80000000) return 0x80000000;
  return (bits & 0x80000000 ? ~bits : bits | 0x80000000) >>> 0;
}

/**
 * Row order of a float32 column, ascending, ties by row index: a stable LSD radix sort on the float bits
 * (two 16-bit passes), linear where a comparison sort of a million rows per feature is not.
 */
export function argsortFloat32(col: Float32Array): Int32Array {
  const n = col.length;
  const bits = new Uint32Array(col.buffer, col.byteOffset, n);
  const keys = new Uint32Array(n);
  for (let i = 0; i < n; i++) keys[i] = sortKey(bits[i]!);
  let order = new Int32Array(n);
  let next = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const counts = new Int32Array(65537);
  for (const shift of [0, 16]) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[((keys[i]! >>> shift) & 0xffff) + 1]! += 1;
    for (let b = 0; b < 65536; b++) counts[b + 1]! += counts[b]!;
    for (let p = 0; p < n; p++) {
      const i = order[p]!;
      next[counts[(keys[i]! >>> shift) & 0xffff]!++] = i;
    }
    [order, next] = [next, order];
  }
  return order;
}

/** The fitting rows' feature columns (float32, what ONNX sees), compacted, plus each column's sorted order. */
export class ColumnData {
  private constructor(
    readonly n: number,
    readonly F: number,
    readonly cols: Float32Array[],
    readonly order: Int32Array[],
  ) {}

  static from(data: FitData): ColumnData {
    const { index } = data;
    const n = index.length;
    const cols = data.columns.map((column) => {
      const col = new Float32Array(n);
      for (let i = 0; i < n; i++) col[i] = column[index[i]!]!;
      return col;
    });
    return new ColumnData(n, cols.length, cols, cols.map(argsortFloat32));
  }
}

export type TreeTarget =
  | { kind: 'class'; y: ArrayLike<number>; nClasses: number }
  | { kind: 'newton'; grad: Float64Array; hess: Float64Array; l2: number };

export interface GrowOptions {
  maxDepth: number;
  minSamplesSplit: number;
  minSamplesLeaf: number;
  /** Features tried per split (random subset when < F; rng required then). */
  maxFeatures: number;
  rng?: Rng;
}

const MIN_GAIN = 1e-12;

/** Grows one tree on the rows with weight > 0 (weights are bootstrap counts or 1). */
export function growTree(
  data: ColumnData,
  target: TreeTarget,
  weights: Float64Array,
  opts: GrowOptions,
): FlatTree {
  const { F, cols } = data;
  const D = target.kind === 'class' ? target.nClasses : 2;
  const stat = new Float64Array(data.n * D);
  for (let i = 0; i < data.n; i++) {
    const w = weights[i]!;
    if (w <= 0) continue;
    if (target.kind === 'class') stat[i * D + target.y[i]!] = w;
    else {
      stat[i * D] = w * target.grad[i]!;
      stat[i * D + 1] = w * target.hess[i]!;
    }
  }
  const l2 = target.kind === 'newton' ? target.l2 : 0;
  const score =
    target.kind === 'class'
      ? (s: Float64Array, w: number) => {
          let q = 0;
          for (let k = 0; k < D; k++) q += s[k]! * s[k]!;
          return w > 0 ? q / w : 0;
        }
      : (s: Float64Array) => (s[0]! * s[0]!) / (s[1]! + l2 + 1e-300);

  let m = 0;
  for (let i = 0; i < data.n; i++) if (weights[i]! > 0) m++;
  const order = data.order.map((o) => {
    if (m === data.n) return o.slice();
    const kept = new Int32Array(m);
    let k = 0;
    for (let p = 0; p < o.length; p++) if (weights[o[p]!]! > 0) kept[k++] = o[p]!;
    return kept;
  });
  const tmp = new Int32Array(m);
  const goesLeft = new Uint8Array(data.n);
  const features = Array.from({ length: F }, (_, f) => f);
  const tree: FlatTree = { feature: [], threshold: [], left: [], right: [], value: [] };
  const total = new Float64Array(D);
  const left = new Float64Array(D);
  const right = new Float64Array(D);

  const leafValue = (sums: Float64Array, w: number): number[] =>
    target.kind === 'class' ? Array.from(sums, (s) => s / w) : [-sums[0]! / (sums[1]! + l2 + 1e-300)];

  const build = (start: number, end: number, depth: number): number => {
    const id = tree.feature.length;
    tree.feature.push(-1);
    tree.threshold.push(0);
    tree.left.push(0);
    tree.right.push(0);
    tree.value.push([]);

    total.fill(0);
    let totalW = 0;
    const ord0 = order[0]!;
    for (let p = start; p < end; p++) {
      const i = ord0[p]!;
      totalW += weights[i]!;
      for (let k = 0; k < D; k++) total[k]! += stat[i * D + k]!;
    }
    const pure = target.kind === 'class' && total.some((s) => s === totalW);
    const makeLeaf = () => {
      tree.value[id] = leafValue(total, totalW);
      return id;
    };
    if (depth >= opts.maxDepth || totalW < opts.minSamplesSplit || pure || end - start < 2) return makeLeaf();

    const parentScore = score(total, totalW);
    let bestGain = MIN_GAIN;
    let bestFeature = -1;
    let bestPos = -1;
    let bestThreshold = 0;
    let nTry = F;
    if (opts.maxFeatures < F && opts.rng) {
      nTry = opts.maxFeatures;
      for (let a = 0; a < nTry; a++) {
        const b = a + randomInt(opts.rng, F - a);
        const t = features[a]!;
        features[a] = features[b]!;
        features[b] = t;
      }
    }
    for (let t = 0; t < nTry; t++) {
      const f = features[t]!;
      const col = cols[f]!;
      const ord = order[f]!;
      let next = col[ord[start]!]!;
      if (target.kind === 'newton') {
        // Same arithmetic as the generic loop below, specialised for the (gradient, hessian) pair.
        const hEps = l2 + 1e-300;
        const G = total[0]!;
        const H = total[1]!;
        let gl = 0;
        let hl = 0;
        let leftW = 0;
        for (let p = start; p < end - 1; p++) {
          const i = ord[p]!;
          leftW += weights[i]!;
          gl += stat[i * 2]!;
          hl += stat[i * 2 + 1]!;
          const x = next;
          next = col[ord[p + 1]!]!;
          if (x === next || leftW < opts.minSamplesLeaf || totalW - leftW < opts.minSamplesLeaf) continue;
          const gr = G - gl;
          const gain = (gl * gl) / (hl + hEps) + (gr * gr) / (H - hl + hEps) - parentScore;
          if (gain > bestGain) {
            bestGain = gain;
            bestFeature = f;
            bestPos = p;
            let thr = f32((x + next) / 2);
            if (thr >= next) thr = x;
            bestThreshold = thr;
          }
        }
        continue;
      }
      left.fill(0);
      let leftW = 0;
      for (let p = start; p < end - 1; p++) {
        const i = ord[p]!;
        leftW += weights[i]!;
        for (let k = 0; k < D; k++) left[k]! += stat[i * D + k]!;
        const x = next;
        next = col[ord[p + 1]!]!;
        if (x === next || leftW < opts.minSamplesLeaf || totalW - leftW < opts.minSamplesLeaf) continue;
        for (let k = 0; k < D; k++) right[k] = total[k]! - left[k]!;
        const gain = score(left, leftW) + score(right, totalW - leftW) - parentScore;
        if (gain > bestGain) {
          bestGain = gain;
          bestFeature = f;
          bestPos = p;
          let thr = f32((x + next) / 2);
          if (thr >= next) thr = x;
          bestThreshold = thr;
        }
      }
    }
    if (bestFeature < 0) return makeLeaf();

    const ordBest = order[bestFeature]!;
    for (let p = start; p < end; p++) goesLeft[ordBest[p]!] = p <= bestPos ? 1 : 0;
    const mid = bestPos + 1;
    // Leaf children only need their row set (feature 0's order), not every feature's sorted order.
    const nPartition = depth + 1 >= opts.maxDepth ? 1 : F;
    for (let f = 0; f < nPartition; f++) {
      const ord = order[f]!;
      let l = start;
      let r = 0;
      for (let p = start; p < end; p++) {
        const i = ord[p]!;
        if (goesLeft[i]) ord[l++] = i;
        else tmp[r++] = i;
      }
      ord.set(tmp.subarray(0, r), l);
    }
    tree.feature[id] = bestFeature;
    tree.threshold[id] = bestThreshold;
    tree.left[id] = build(start, mid, depth + 1);
    tree.right[id] = build(mid, end, depth + 1);
    return id;
  };

  build(0, m, 0);
  return tree;
}

export function treeDepth(tree: FlatTree, node = 0): number {
  if (tree.feature[node]! < 0) return 0;
  return 1 + Math.max(treeDepth(tree, tree.left[node]!), treeDepth(tree, tree.right[node]!));
}

export function isFlatTree(t: unknown): t is FlatTree {
  const x = t as FlatTree;
  return (
    typeof x === 'object' &&
    x !== null &&
    Array.isArray(x.feature) &&
    [x.threshold, x.left, x.right, x.value].every((a) => Array.isArray(a) && a.length === x.feature.length)
  );
}

import { f32 } from '../model.js';
import type { BinEdges } from './binning.js';
import type { FlatTree } from './cart.js';

export interface HistGrowOptions {
  maxDepth: number;
  minSamplesSplit: number;
  minSamplesLeaf: number;
  l2: number;
}

/** Smallest hessian sum a child may have (scikit-learn's min_hessian_to_split). */
const MIN_HESSIAN = 1e-3;
const MIN_GAIN = 1e-12;

/** A grown tree, plus the bin each split compares against (for walking binned rows). */
export interface HistTree {
  tree: FlatTree;
  /** Per node: split bin (rows with code <= bin go left); -1 on leaves. */
  bins: Int32Array;
}

/** Adds rows[start, end)'s gradient, hessian and count to their bins (hist zeroed first). */
function buildHistogram(
  hist: Float64Array,
  rows: Int32Array,
  start: number,
  end: number,
  grad: Float64Array,
  hess: Float64Array,
  codes: Uint8Array,
  F: number,
  offset3: Int32Array,
): void {
  hist.fill(0);
  // Row-wise: each row's gradient pair is read once and its F bins updated (consecutive updates hit
  // different features, so they do not wait on each other; feature-major loops measured slower).
  for (let p = start; p < end; p++) {
    const i = rows[p]!;
    const g = grad[i]!;
    const h = hess[i]!;
    const base = i * F;
    for (let f = 0; f < F; f++) {
      const b = offset3[f]! + codes[base + f]! * 3;
      hist[b]! += g;
      hist[b + 1]! += h;
      hist[b + 2]! += 1;
    }
  }
}

/**
 * Histograms of two or three trees grown on the same rows (one per class) in one pass: each row's codes are
 * read once, and its gradient pairs plus one count go to one wide bin of 5 or 7 values (unrolled: a loop
 * over the classes inside the bin loop measured slower than separate passes). Then split into [g, h, count]
 * histograms.
 */
function buildSharedHistograms(
  out: Float64Array[],
  wide: Float64Array,
  rows: Int32Array,
  m: number,
  grads: Float64Array[],
  hesss: Float64Array[],
  codes: Uint8Array,
  F: number,
  offsetW: Int32Array,
): void {
  const K = out.length;
  const W = 2 * K + 1;
  wide.fill(0);
  const g0 = grads[0]!;
  const h0 = hesss[0]!;
  const g1 = grads[1]!;
  const h1 = hesss[1]!;
  if (K === 3) {
    const g2 = grads[2]!;
    const h2 = hesss[2]!;
    for (let p = 0; p < m; p++) {
      const i = rows[p]!;
      const a0 = g0[i]!;
      const b0 = h0[i]!;
      const a1 = g1[i]!;
      const b1 = h1[i]!;
      const a2 = g2[i]!;
      const b2 = h2[i]!;
      const base = i * F;
      for (let f = 0; f < F; f++) {
        const b = offsetW[f]! + codes[base + f]! * 7;
        wide[b]! += a0;
        wide[b + 1]! += b0;
        wide[b + 2]! += a1;
        wide[b + 3]! += b1;
        wide[b + 4]! += a2;
        wide[b + 5]! += b2;
        wide[b + 6]! += 1;
      }
    }
  } else {
    for (let p = 0; p < m; p++) {
      const i = rows[p]!;
      const a0 = g0[i]!;
      const b0 = h0[i]!;
      const a1 = g1[i]!;
      const b1 = h1[i]!;
      const base = i * F;
      for (let f = 0; f < F; f++) {
        const b = offsetW[f]! + codes[base + f]! * 5;
        wide[b]! += a0;
        wide[b + 1]! += b0;
        wide[b + 2]! += a1;
        wide[b + 3]! += b1;
        wide[b + 4]! += 1;
      }
    }
  }
  const bins = wide.length / W;
  for (let k = 0; k < K; k++) {
    const hist = out[k]!;
    for (let b = 0; b < bins; b++) {
      hist[3 * b] = wide[b * W + 2 * k]!;
      hist[3 * b + 1] = wide[b * W + 2 * k + 1]!;
      hist[3 * b + 2] = wide[b * W + 2 * K]!;
    }
  }
}

/**
 * Newton-leaf regression trees on binned features (LightGBM-style): a node's split comes from per-feature
 * histograms of gradient, hessian and count over its bins; only the smaller child's histogram is built
 * from its rows, the larger one is the parent's minus it (the subtraction trick), and nodes that will be
 * leaves get none. Rows are kept partitioned in place, so each leaf is a contiguous range of `rows`.
 */
export class HistogramGrower {
  /** Row ids (into the codes) being fitted, partitioned by node while a tree grows. */
  readonly rows: Int32Array;
  private readonly tmp: Int32Array;
  /** Start of each feature's bins in a histogram, times 3 (gradient, hessian, count per bin). */
  private readonly offset3: Int32Array;
  private readonly nBins: Int32Array;
  private readonly size: number;
  private readonly pool: Float64Array[] = [];
  private wide: Float64Array | undefined;

  /** `codes` row-major (binRows) for n rows. */
  constructor(
    private readonly codes: Uint8Array,
    private readonly F: number,
    private readonly edges: BinEdges,
    n: number,
  ) {
    this.rows = new Int32Array(n);
    this.tmp = new Int32Array(n);
    this.nBins = Int32Array.from(edges.edges, (e) => e.length + 1);
    this.offset3 = new Int32Array(F);
    let total = 0;
    for (let f = 0; f < F; f++) {
      this.offset3[f] = total * 3;
      total += this.nBins[f]!;
    }
    this.size = total * 3;
  }

  /**
   * Root histograms over rows[0, m) for several trees grown on the same rows (one per class): one pass for
   * all of them. Pass each to grow(); grow() hands it back to the pool.
   */
  rootHistograms(m: number, grads: Float64Array[], hesss: Float64Array[]): Float64Array[] {
    const out = grads.map(() => this.take());
    const bins = this.size / 3;
    // Classes in groups of three (then two, or one alone) share a pass.
    for (let k = 0; k < grads.length; ) {
      const group = Math.min(3, grads.length - k);
      if (group === 1) {
        buildHistogram(out[k]!, this.rows, 0, m, grads[k]!, hesss[k]!, this.codes, this.F, this.offset3);
        k++;
        continue;
      }
      const W = 2 * group + 1;
      const offsetW = this.offset3.map((o) => (o / 3) * W);
      if (this.wide?.length !== bins * W) this.wide = new Float64Array(bins * W);
      buildSharedHistograms(
        out.slice(k, k + group),
        this.wide,
        this.rows,
        m,
        grads.slice(k, k + group),
        hesss.slice(k, k + group),
        this.codes,
        this.F,
        offsetW,
      );
      k += group;
    }
    return out;
  }

  /**
   * Grows one tree on rows[0, m) (fill `rows` first); leaves hold the Newton value −G/(H+λ). With `update`,
   * each fitted row's raw score moves by its leaf's float32(value × rate) as the tree grows (the rows of a
   * leaf are at hand then). `root` is the root histogram when already built (rootHistograms).
   */
  grow(
    m: number,
    grad: Float64Array,
    hess: Float64Array,
    opts: HistGrowOptions,
    update?: { raw: Float64Array; rate: number },
    root?: Float64Array,
  ): HistTree {
    const tree: FlatTree = { feature: [], threshold: [], left: [], right: [], value: [] };
    const bins: number[] = [];
    const F = this.F;
    const codes = this.codes;
    const rows = this.rows;
    const tmp = this.tmp;
    const offset3 = this.offset3;
    const nBins = this.nBins;
    const hEps = opts.l2 + 1e-300;
    const splits = (c: number, depth: number) => depth < opts.maxDepth && c >= opts.minSamplesSplit && c >= 2;

    const node = (
      hist: Float64Array | undefined,
      start: number,
      end: number,
      G: number,
      H: number,
      depth: number,
    ): number => {
      const id = tree.feature.length;
      tree.feature.push(-1);
      tree.threshold.push(0);
      tree.left.push(0);
      tree.right.push(0);
      tree.value.push([]);
      bins.push(-1);
      const count = end - start;
      const leaf = () => {
        const value = -G / (H + hEps);
        tree.value[id] = [value];
        if (update) addStep(update.raw, rows, start, end, f32(value * update.rate));
        return id;
      };
      if (!hist) return leaf();
      const best = bestSplit(hist, F, offset3, nBins, G, H, count, hEps, opts.minSamplesLeaf);
      if (best.feature < 0) return leaf();
      const feature = best.feature;
      const bin = best.bin;
      tree.feature[id] = feature;
      tree.threshold[id] = this.edges.edges[feature]![bin]!;
      bins[id] = bin;
      const leftCount = best.count;
      const rightCount = count - best.count;
      const leftSplits = splits(leftCount, depth + 1);
      const rightSplits = splits(rightCount, depth + 1);
      const G2 = G - best.G;
      const H2 = H - best.H;

      if (!leftSplits && !rightSplits) {
        // Both children are leaves: no partition needed, each row takes its side's step directly.
        const leftValue = -best.G / (best.H + hEps);
        const rightValue = -G2 / (H2 + hEps);
        tree.left[id] = id + 1;
        tree.right[id] = id + 2;
        for (const value of [leftValue, rightValue]) {
          tree.feature.push(-1);
          tree.threshold.push(0);
          tree.left.push(0);
          tree.right.push(0);
          tree.value.push([value]);
          bins.push(-1);
        }
        if (update) {
          const stepL = f32(leftValue * update.rate);
          const stepR = f32(rightValue * update.rate);
          stepBySplit(update.raw, rows, start, end, codes, F, feature, bin, stepL, stepR);
        }
        return id;
      }

      // Stable in-place partition of rows[start, end) on the split, without a branch per row.
      partition(rows, tmp, start, end, codes, F, feature, bin);
      const mid = start + best.count;
      let leftHist: Float64Array | undefined;
      let rightHist: Float64Array | undefined;
      let own: Float64Array | undefined;
      if (leftSplits || rightSplits) {
        // Build the smaller child's histogram; the larger one is the parent's minus it, in place.
        const leftSmaller = leftCount <= rightCount;
        own = this.take();
        if (leftSmaller) buildHistogram(own, rows, start, mid, grad, hess, codes, F, offset3);
        else buildHistogram(own, rows, mid, end, grad, hess, codes, F, offset3);
        if (leftSmaller ? rightSplits : leftSplits) subtract(hist, own);
        leftHist = leftSmaller ? own : hist;
        rightHist = leftSmaller ? hist : own;
      }
      tree.left[id] = node(leftSplits ? leftHist : undefined, start, mid, best.G, best.H, depth + 1);
      tree.right[id] = node(rightSplits ? rightHist : undefined, mid, end, G2, H2, depth + 1);
      if (own) this.pool.push(own);
      return id;
    };

    let G = 0;
    let H = 0;
    for (let p = 0; p < m; p++) {
      G += grad[rows[p]!]!;
      H += hess[rows[p]!]!;
    }
    let hist = root;
    if (!hist && splits(m, 0)) {
      hist = this.take();
      buildHistogram(hist, rows, 0, m, grad, hess, codes, F, offset3);
    }
    node(splits(m, 0) ? hist : undefined, 0, m, G, H, 0);
    if (hist) this.pool.push(hist);
    return { tree, bins: Int32Array.from(bins) };
  }

  private take(): Float64Array {
    return this.pool.pop() ?? new Float64Array(this.size);
  }
}

interface Split {
  feature: number;
  bin: number;
  /** Left child's gradient sum, hessian sum and row count. */
  G: number;
  H: number;
  count: number;
}

/** The best split of a node by Newton gain, or feature -1 when none gains (or all break a leaf limit). */
function bestSplit(
  hist: Float64Array,
  F: number,
  offset3: Int32Array,
  nBins: Int32Array,
  G: number,
  H: number,
  count: number,
  hEps: number,
  minLeaf: number,
): Split {
  const best: Split = { feature: -1, bin: -1, G: 0, H: 0, count: 0 };
  const parentScore = (G * G) / (H + hEps);
  let bestGain = MIN_GAIN;
  for (let f = 0; f < F; f++) {
    const b0 = offset3[f]!;
    const last = nBins[f]! - 1;
    let gl = 0;
    let hl = 0;
    let cl = 0;
    for (let b = 0; b < last; b++) {
      const at = b0 + b * 3;
      gl += hist[at]!;
      hl += hist[at + 1]!;
      cl += hist[at + 2]!;
      if (cl < minLeaf) continue;
      if (count - cl < minLeaf) break;
      const hr = H - hl;
      if (hl < MIN_HESSIAN || hr < MIN_HESSIAN) continue;
      const gr = G - gl;
      const gain = (gl * gl) / (hl + hEps) + (gr * gr) / (hr + hEps) - parentScore;
      if (gain > bestGain) {
        bestGain = gain;
        best.feature = f;
        best.bin = b;
        best.G = gl;
        best.H = hl;
        best.count = cl;
      }
    }
  }
  return best;
}

/** raw[i] += step for the rows of rows[start, end). */
function addStep(raw: Float64Array, rows: Int32Array, start: number, end: number, step: number): void {
  for (let p = start; p < end; p++) raw[rows[p]!]! += step;
}

/** a -= b, element-wise (a parent histogram becomes its larger child's). */
function subtract(a: Float64Array, b: Float64Array): void {
  for (let k = 0; k < a.length; k++) a[k]! -= b[k]!;
}

/** Stable in-place partition of rows[start, end) by code <= bin, without a branch per row. */
function partition(
  rows: Int32Array,
  tmp: Int32Array,
  start: number,
  end: number,
  codes: Uint8Array,
  F: number,
  feature: number,
  bin: number,
): void {
  let l = start;
  let r = 0;
  for (let p = start; p < end; p++) {
    const i = rows[p]!;
    const left = ((bin - codes[i * F + feature]!) >>> 31) ^ 1;
    rows[l] = i;
    tmp[r] = i;
    l += left;
    r += left ^ 1;
  }
  rows.set(tmp.subarray(0, r), l);
}

/** Adds each row's side of a split (stepL where code <= bin, else stepR) to its raw score. */
function stepBySplit(
  raw: Float64Array,
  rows: Int32Array,
  start: number,
  end: number,
  codes: Uint8Array,
  F: number,
  feature: number,
  bin: number,
  stepL: number,
  stepR: number,
): void {
  for (let p = start; p < end; p++) {
    const i = rows[p]!;
    raw[i]! += codes[i * F + feature]! <= bin ? stepL : stepR;
  }
}

/** Leaf value reached by binned row i (codes row-major, F features, as binRows makes them). */
export function binnedLeaf(t: HistTree, codes: Uint8Array, F: number, i: number): number {
  const { tree, bins } = t;
  let node = 0;
  while (tree.feature[node]! >= 0) {
    node = codes[i * F + tree.feature[node]!]! <= bins[node]! ? tree.left[node]! : tree.right[node]!;
  }
  return tree.value[node]![0]!;
}

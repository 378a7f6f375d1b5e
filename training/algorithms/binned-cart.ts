import { type Rng, randomInt } from '../random.js';
import type { BinEdges } from './binning.js';
import type { FlatTree, GrowOptions } from './cart.js';

const MIN_GAIN = 1e-12;

/**
 * A Gini classification tree on binned features (the random forest's): each node tries a random subset
 * of features, each from a class-count histogram over its bins, so a node costs rows × features tried
 * rather than the presorted builder's rows × all features. Thresholds are bin edges (float32), so the
 * exported graph splits every value as training did. With no more distinct values than bins, the edges
 * are the midpoints the exact builder would pick.
 */
export class BinnedTreeGrower {
  private readonly rows: Int32Array;
  private readonly tmp: Int32Array;
  private readonly nBins: Int32Array;
  private readonly hist: Float64Array;
  private readonly features: Int32Array;

  /** `codes` row-major [n × F] (binRows), `y` the class of each of the n rows. */
  constructor(
    private readonly codes: Uint8Array,
    private readonly F: number,
    private readonly edges: BinEdges,
    private readonly y: Int32Array,
    private readonly C: number,
  ) {
    const n = y.length;
    this.rows = new Int32Array(n);
    this.tmp = new Int32Array(n);
    this.nBins = Int32Array.from(edges.edges, (e) => e.length + 1);
    this.hist = new Float64Array(Math.max(...this.nBins) * C);
    this.features = Int32Array.from({ length: F }, (_, f) => f);
  }

  /** Grows one tree on the rows with weight > 0 (weights are bootstrap counts or 1). */
  grow(weights: Float64Array, opts: GrowOptions & { rng: Rng }): FlatTree {
    const { F, C, codes, y, rows, tmp, nBins, hist, features } = this;
    let m = 0;
    for (let i = 0; i < weights.length; i++) if (weights[i]! > 0) rows[m++] = i;
    const tree: FlatTree = { feature: [], threshold: [], left: [], right: [], value: [] };
    const total = new Float64Array(C);
    const left = new Float64Array(C);
    const nTry = Math.min(opts.maxFeatures, F);
    const score = (s: Float64Array, w: number, other?: Float64Array) => {
      let q = 0;
      for (let k = 0; k < C; k++) {
        const v = other ? other[k]! - s[k]! : s[k]!;
        q += v * v;
      }
      return w > 0 ? q / w : 0;
    };

    const build = (start: number, end: number, depth: number): number => {
      const id = tree.feature.length;
      tree.feature.push(-1);
      tree.threshold.push(0);
      tree.left.push(0);
      tree.right.push(0);
      tree.value.push([]);
      total.fill(0);
      let totalW = 0;
      for (let p = start; p < end; p++) {
        const i = rows[p]!;
        const w = weights[i]!;
        totalW += w;
        total[y[i]!]! += w;
      }
      let pure = false;
      for (let k = 0; k < C; k++) if (total[k] === totalW) pure = true;
      const makeLeaf = () => {
        tree.value[id] = Array.from(total, (s) => s / totalW);
        return id;
      };
      if (depth >= opts.maxDepth || totalW < opts.minSamplesSplit || pure || end - start < 2)
        return makeLeaf();

      const parentScore = score(total, totalW);
      let bestGain = MIN_GAIN;
      let bestFeature = -1;
      let bestBin = -1;
      for (let a = 0; a < nTry; a++) {
        if (nTry < F) {
          const b = a + randomInt(opts.rng, F - a);
          const t = features[a]!;
          features[a] = features[b]!;
          features[b] = t;
        }
        const f = features[a]!;
        const nb = nBins[f]!;
        hist.fill(0, 0, nb * C);
        for (let p = start; p < end; p++) {
          const i = rows[p]!;
          hist[codes[i * F + f]! * C + y[i]!]! += weights[i]!;
        }
        left.fill(0);
        let leftW = 0;
        for (let b = 0; b < nb - 1; b++) {
          let binW = 0;
          for (let k = 0; k < C; k++) {
            const v = hist[b * C + k]!;
            left[k]! += v;
            binW += v;
          }
          if (binW === 0) continue;
          leftW += binW;
          if (leftW < opts.minSamplesLeaf) continue;
          if (totalW - leftW < opts.minSamplesLeaf) break;
          const gain = score(left, leftW) + score(left, totalW - leftW, total) - parentScore;
          if (gain > bestGain) {
            bestGain = gain;
            bestFeature = f;
            bestBin = b;
          }
        }
      }
      if (bestFeature < 0) return makeLeaf();

      let l = start;
      let r = 0;
      for (let p = start; p < end; p++) {
        const i = rows[p]!;
        if (codes[i * F + bestFeature]! <= bestBin) rows[l++] = i;
        else tmp[r++] = i;
      }
      rows.set(tmp.subarray(0, r), l);
      tree.feature[id] = bestFeature;
      tree.threshold[id] = this.edges.edges[bestFeature]![bestBin]!;
      tree.left[id] = build(start, l, depth + 1);
      tree.right[id] = build(l, end, depth + 1);
      return id;
    };

    build(0, m, 0);
    return tree;
  }
}

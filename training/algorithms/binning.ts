import { f32 } from '../model.js';
import { deriveSeed, mulberry32, randomInt } from '../random.js';

/** Rows whose values the bin edges are computed from (scikit-learn's HistGradientBoosting uses 2e5 too). */
const EDGE_SAMPLE = 200_000;

/**
 * Per-feature bin edges, float32 and ascending: bin b of feature f holds the x with
 * edges[f][b-1] < x <= edges[f][b] (the last bin: x above the last edge). A split "bin <= b" is then
 * exactly the ONNX rule "float32(x) <= edges[f][b]", so binned training and the exported graph agree on
 * every value, seen or not.
 */
export interface BinEdges {
  readonly edges: Float64Array[];
}

/** An edge strictly between two float32 values a < b that is itself a float32 (the midpoint, or a). */
function between(a: number, b: number): number {
  const mid = f32((a + b) / 2);
  return mid >= b ? a : mid;
}

/**
 * Quantile edges (at most maxBins bins) from the values of the fitting rows: midpoints between distinct
 * values when there are few enough, else equal-frequency cut points, as LightGBM and scikit-learn do.
 */
export function fitBinEdges(
  columns: readonly Float32Array[],
  index: Int32Array,
  maxBins: number,
  seed: number,
): BinEdges {
  let sample = index;
  if (index.length > EDGE_SAMPLE) {
    // A seeded sample without replacement (partial Fisher–Yates), kept in row order.
    const rng = mulberry32(deriveSeed(seed, 0xb1e5));
    const pool = index.slice();
    for (let i = 0; i < EDGE_SAMPLE; i++) {
      const j = i + randomInt(rng, pool.length - i);
      const t = pool[i]!;
      pool[i] = pool[j]!;
      pool[j] = t;
    }
    sample = pool.subarray(0, EDGE_SAMPLE).sort();
  }
  const values = new Float64Array(sample.length);
  const edges = columns.map((column) => {
    for (let i = 0; i < sample.length; i++) values[i] = column[sample[i]!]!;
    // -0 before the sort: the distinct values below must not count -0 and +0 apart.
    for (let i = 0; i < values.length; i++) if (values[i] === 0) values[i] = 0;
    values.sort();
    const distinct: number[] = [];
    for (let i = 0; i < values.length; i++) {
      // -0 and +0 are one value to a float32 comparison.
      if (distinct.length === 0 || values[i]! !== distinct[distinct.length - 1]) distinct.push(values[i]!);
    }
    const cuts: number[] = [];
    if (distinct.length <= maxBins) {
      for (let i = 0; i + 1 < distinct.length; i++) cuts.push(between(distinct[i]!, distinct[i + 1]!));
    } else {
      const m = values.length;
      for (let b = 1; b < maxBins; b++) {
        const pos = (b * (m - 1)) / maxBins;
        const lo = values[Math.floor(pos)]!;
        const hi = values[Math.ceil(pos)]!;
        const cut = lo === hi ? lo : between(lo, hi);
        // The top value never becomes an edge: the last bin would be empty.
        if (cut < values[m - 1]! && (cuts.length === 0 || cut > cuts[cuts.length - 1]!)) cuts.push(cut);
      }
    }
    return Float64Array.from(cuts);
  });
  return { edges };
}

/** Bin of a value: the number of edges below it (binary search). */
export function binOf(edges: Float64Array, x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x > edges[mid]!) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Bin codes of the given rows, row-major [rows × features], one byte each (at most 256 bins). */
export function binRows(bins: BinEdges, columns: readonly Float32Array[], index: Int32Array): Uint8Array {
  const F = columns.length;
  const n = index.length;
  const codes = new Uint8Array(n * F);
  for (let f = 0; f < F; f++) {
    const column = columns[f]!;
    const edges = bins.edges[f]!;
    for (let i = 0; i < n; i++) codes[i * F + f] = binOf(edges, column[index[i]!]!);
  }
  return codes;
}

import { binOf, binRows, fitBinEdges } from '../../training/algorithms/binning.js';
import { HistogramGrower } from '../../training/algorithms/hist-tree.js';
import {
  type Algorithm,
  columnsOf,
  type Dataset,
  loadModel,
  mulberry32,
  rowsOf,
  trainModel,
} from '../../training/index.js';
import { runOnnx } from './onnx-helpers.js';

const f32 = Math.fround;
const bitsOf = new Float32Array(1);
const asInt = new Int32Array(bitsOf.buffer);
/** The float32 next to x towards +∞ (dir 1) or −∞ (dir -1). */
function nextFloat32(x: number, dir: 1 | -1): number {
  if (x === 0) return dir * 2 ** -149;
  bitsOf[0] = x;
  asInt[0]! += (x > 0 ? 1 : -1) * dir;
  return bitsOf[0]!;
}

/** Values that float32 rounding makes hard: dense runs of neighbouring floats, ±0, ties and big numbers. */
function awkwardColumn(n: number, seed: number): number[] {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const r = rng();
    if (r < 0.1) return rng() < 0.5 ? -0 : 0;
    if (r < 0.4) {
      let x = f32(0.1);
      for (let k = Math.floor(rng() * 40); k > 0; k--) x = nextFloat32(x, 1);
      return x;
    }
    if (r < 0.5) return f32(1e30 * (rng() - 0.5));
    return f32(rng() * 10 - 5);
  });
}

function syntheticDataset(n: number, F: number, seed: number, classes: number): Dataset {
  const cols = Array.from({ length: F }, (_, f) => awkwardColumn(n, seed + f));
  const X = Array.from({ length: n }, (_, i) => cols.map((c) => c[i]!));
  const rng = mulberry32(seed);
  const y = X.map((row) => {
    const s = row[0]! > 0.1 ? 1 : 0;
    return (s + (row[1]! > 0 ? 1 : 0) + (rng() < 0.15 ? 1 : 0)) % classes;
  });
  const { columns } = columnsOf(X, F);
  const names = Array.from({ length: F }, (_, f) => `f${f}`);
  return {
    name: 'awkward',
    featureNames: names,
    target: 'label',
    classes: Array.from({ length: classes }, (_, c) => `c${c}`),
    columns: [...columns],
    y: Int32Array.from(y),
    rows: n,
    fingerprint: '',
    schema: names.map((name) => ({ name, type: 'number' as const })),
    bytes: 0,
  };
}

describe('bin edges', () => {
  const columns = [Float32Array.from(awkwardColumn(5000, 3)), Float32Array.from(awkwardColumn(5000, 4))];
  const index = Int32Array.from({ length: 5000 }, (_, i) => i);

  it.each([255, 16])(
    'are float32, ascending, and bin <= b exactly when x <= edge b in float32 (%i bins)',
    (maxBins) => {
      const { edges } = fitBinEdges(columns, index, maxBins, 1);
      const codes = binRows({ edges }, columns, index);
      const mismatches: string[] = [];
      edges.forEach((e, f) => {
        expect(e.length).toBeLessThan(maxBins);
        e.forEach((edge, b) => {
          if (f32(edge) !== edge) mismatches.push(`edge ${f}/${b} ${edge} is not a float32`);
          if (b > 0 && !(edge > e[b - 1]!)) mismatches.push(`edges ${f}/${b} not ascending`);
        });
        const probes = [
          ...columns[f]!,
          ...[...e].flatMap((edge) => [edge, nextFloat32(edge, 1), nextFloat32(edge, -1)]),
        ];
        for (const x of probes) {
          const bin = binOf(e, x);
          for (let b = 0; b < e.length; b++) {
            if (bin <= b !== x <= e[b]!) mismatches.push(`feature ${f}: x=${x} bin ${bin} vs edge ${b}`);
          }
        }
        for (let i = 0; i < 5000; i++) {
          if (codes[i * 2 + f] !== binOf(e, columns[f]![i]!)) mismatches.push(`code of row ${i}`);
        }
      });
      expect(mismatches.slice(0, 5)).toEqual([]);
    },
  );

  it('give every distinct value its own bin when there are few enough (exact splits)', () => {
    const col = Float32Array.from([3, 1, 2, 2, -0, 0, 1, 3, 5]);
    const { edges } = fitBinEdges(
      [col],
      Int32Array.from({ length: col.length }, (_, i) => i),
      255,
      1,
    );
    expect([...edges[0]!]).toEqual([0.5, 1.5, 2.5, 4]);
  });
});

describe('histogram tree growing', () => {
  it('picks, at every node, the best split a brute-force scan of its rows finds (subtraction trick included)', () => {
    const n = 3000;
    const F = 4;
    const rng = mulberry32(5);
    const columns = Array.from({ length: F }, () => Float32Array.from({ length: n }, () => f32(rng() * 100)));
    const index = Int32Array.from({ length: n }, (_, i) => i);
    const bins = fitBinEdges(columns, index, 32, 1);
    const codes = binRows(bins, columns, index);
    const grad = Float64Array.from({ length: n }, (_, i) => Math.sin(columns[0]![i]! / 9) + rng() - 0.5);
    const hess = Float64Array.from({ length: n }, () => 0.5 + rng());
    const grower = new HistogramGrower(codes, F, bins, n);
    grower.rows.set(index);
    const opts = { maxDepth: 4, minSamplesSplit: 2, minSamplesLeaf: 5, l2: 1 };
    const { tree, bins: splitBins } = grower.grow(n, grad, hess, opts);

    const gainOf = (rows: number[], f: number, b: number) => {
      let G = 0;
      let H = 0;
      let gl = 0;
      let hl = 0;
      let cl = 0;
      for (const i of rows) {
        G += grad[i]!;
        H += hess[i]!;
        if (codes[i * F + f]! <= b) {
          gl += grad[i]!;
          hl += hess[i]!;
          cl++;
        }
      }
      if (cl < opts.minSamplesLeaf || rows.length - cl < opts.minSamplesLeaf) return -Infinity;
      return gl ** 2 / (hl + 1) + (G - gl) ** 2 / (H - hl + 1) - G ** 2 / (H + 1);
    };
    const check = (node: number, rows: number[]): number => {
      const f = tree.feature[node]!;
      if (f < 0) return 0;
      let best = -Infinity;
      for (let g = 0; g < F; g++)
        for (let b = 0; b < bins.edges[g]!.length; b++) best = Math.max(best, gainOf(rows, g, b));
      expect(gainOf(rows, f, splitBins[node]!)).toBeCloseTo(best, 9);
      const left = rows.filter((i) => codes[i * F + f]! <= splitBins[node]!);
      const right = rows.filter((i) => codes[i * F + f]! > splitBins[node]!);
      return 1 + check(tree.left[node]!, left) + check(tree.right[node]!, right);
    };
    expect(check(0, [...index])).toBeGreaterThan(7);
  });
});

describe.each<[Algorithm, Record<string, number | boolean>]>([
  ['gbt', { max_bins: 16, early_stopping: true, n_rounds: 40 }],
  ['gbt', { max_bins: 255, early_stopping: false, n_rounds: 20, subsample: 0.7 }],
  ['forest', { n_trees: 10 }],
])('%s on binned float32-awkward data (%j)', (algorithm, params) => {
  it.each([2, 3])(
    'matches onnxruntime on training rows and on values one float32 step from every threshold (%i classes)',
    async (classes) => {
      const ds = syntheticDataset(1200, 3, 17 + classes, classes);
      const { model, onnx } = trainModel(ds, { algorithm, seed: 3, params });
      const json = model.toJSON() as { state: { trees: { feature: number[]; threshold: number[] }[] } };
      const probes = rowsOf(ds).slice(0, 300);
      for (const tree of json.state.trees.slice(0, 5)) {
        tree.feature.forEach((f, node) => {
          if (f < 0) return;
          const t = tree.threshold[node]!;
          for (const x of [t, nextFloat32(t, 1), nextFloat32(t, -1)])
            probes.push([0, 1, 2].map((g) => (g === f ? x : 0.1)));
        });
      }
      const expected = model.score(columnsOf(probes, 3));
      const got = await runOnnx(onnx, probes);
      expect(got.labels).toEqual(Array.from(expected.labels, (c) => ds.classes[c]));
      let worst = 0;
      got.probabilities.forEach((row, i) => {
        row.forEach((p, c) => {
          worst = Math.max(worst, Math.abs(p - expected.proba[i * classes + c]!));
        });
      });
      expect(worst).toBeLessThanOrEqual(1e-6);
      expect(loadModel(JSON.parse(JSON.stringify(model.toJSON()))).toOnnx()).toEqual(onnx);
    },
  );
});

describe('gbt early stopping', () => {
  const ds = syntheticDataset(3000, 3, 41, 3);

  it('stops on the validation loss and keeps the rounds up to its best', () => {
    const { model } = trainModel(ds, {
      algorithm: 'gbt',
      seed: 1,
      params: { n_rounds: 400, learning_rate: 0.3, early_stopping: true },
    });
    const state = model.toJSON().state as { rounds: number; trees: unknown[] };
    expect(state.rounds).toBeGreaterThan(0);
    expect(state.rounds).toBeLessThan(400);
    expect(state.trees).toHaveLength(state.rounds * 3);
    expect(model.params['n_rounds']).toBe(400);
  });

  it("'auto' is off at this size and false keeps every round", () => {
    for (const early_stopping of ['auto', false] as const) {
      const { model } = trainModel(ds, {
        algorithm: 'gbt',
        seed: 1,
        params: { n_rounds: 30, early_stopping },
      });
      expect((model.toJSON().state as { rounds: number }).rounds).toBe(30);
    }
  });

  it('rejects a bad early_stopping value', () => {
    expect(() => trainModel(ds, { algorithm: 'gbt', params: { early_stopping: 'yes' } })).toThrow(TypeError);
    expect(() => trainModel(ds, { algorithm: 'gbt', params: { max_bins: 256 } })).toThrow(RangeError);
  });
});

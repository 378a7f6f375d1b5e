import type { FeatureColumns } from '../dataset.js';
import { ModelFormatError } from '../errors.js';
import {
  ColumnarModel,
  checkColumns,
  f32,
  type ModelJson,
  type Params,
  type Scores,
  type TrainedModel,
} from '../model.js';
import { type TreeEnsembleSpec, treeEnsembleOnnx } from '../onnx/classifier-graphs.js';
import { type FlatTree, isFlatTree } from './cart.js';

// The exported graph (onnx/classifier-graphs.ts) sums per-class leaf votes over trees in float32, adds
// base_values, takes the label as the first class with the highest score and the probabilities as the
// votes (tree, forest) or their softmax (gbt). Every leaf votes for every class, two classes included:
// a boosted two-class log-odds score s votes [-s/2, +s/2], whose softmax is [1 - σ(s), σ(s)]. The
// in-memory predictions below follow the same float32 arithmetic.

/** Leaf contributions of one tree to the ensemble: weights[classId] for every leaf node. */
interface LeafWeights {
  tree: FlatTree;
  /** Class id the tree's single output goes to (boosting); undefined = the leaf value is a class vector. */
  classId?: number;
  /** Multiplier applied to the leaf value before rounding to float32. */
  scale: number;
}

/** A boosted tree of a two-class model holds log-odds: it votes for class 1 and against class 0. */
const isBinaryScore = (lw: LeafWeights, nOut: number) => lw.classId !== undefined && nOut === 2;

function leafWeightVector(lw: LeafWeights, leaf: number[], nOut: number): [number, number][] {
  if (isBinaryScore(lw, nOut)) {
    // Halving is exact in float32, so the class-1 score is exactly half the log-odds sum.
    const half = f32(f32(leaf[0]! * lw.scale) / 2);
    return [
      [0, -half],
      [1, half],
    ];
  }
  if (lw.classId !== undefined) return [[lw.classId, f32(leaf[0]! * lw.scale)]];
  return Array.from({ length: nOut }, (_, k) => [k, f32(leaf[k]! * lw.scale)]);
}

/** Base values as the graph carries them: a two-class log-odds prior is split as [-b/2, +b/2]. */
function graphBaseValues(layout: EnsembleLayout): number[] | undefined {
  const base = layout.baseValues;
  if (!base) return undefined;
  if (layout.mode === 'boost' && layout.nClasses === 2 && base.length === 1) {
    const half = f32(f32(base[0]!) / 2);
    return [-half, half];
  }
  return base.map(f32);
}

export interface EnsembleLayout {
  trees: LeafWeights[];
  nClasses: number;
  /** 'average' = probability votes (tree/forest), 'boost' = additive scores through softmax. */
  mode: 'average' | 'boost';
  /** One per class, or one log-odds prior for a two-class boosted model. */
  baseValues?: number[];
}

/** A layout compiled for scoring: per tree, typed node arrays and each leaf's (slot, weight) pairs. */
interface CompiledTree {
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  /** Per node: first index into slots/weights, and count (leaves only). */
  from: Int32Array;
  count: Int32Array;
  slots: Int32Array;
  weights: Float64Array;
}

function compileTree(lw: LeafWeights, nClasses: number): CompiledTree {
  const { tree } = lw;
  const n = tree.feature.length;
  const from = new Int32Array(n);
  const count = new Int32Array(n);
  const slots: number[] = [];
  const weights: number[] = [];
  for (let id = 0; id < n; id++) {
    if (tree.feature[id]! >= 0) continue;
    from[id] = slots.length;
    for (const [k, w] of leafWeightVector(lw, tree.value[id]!, nClasses)) {
      slots.push(k);
      weights.push(w);
    }
    count[id] = slots.length - from[id]!;
  }
  return {
    feature: Int32Array.from(tree.feature),
    threshold: Float64Array.from(tree.threshold),
    left: Int32Array.from(tree.left),
    right: Int32Array.from(tree.right),
    from,
    count,
    slots: Int32Array.from(slots),
    weights: Float64Array.from(weights),
  };
}

const compiled = new WeakMap<EnsembleLayout, CompiledTree[]>();

/**
 * Probabilities and labels for rows of float32 columns, computed the way the exported graph computes them:
 * x <= threshold in float32, leaf votes summed over trees in float32, base values added, the label the
 * first class with the highest score, the probabilities the votes or their softmax.
 */
export function ensembleScore(
  layout: EnsembleLayout,
  data: FeatureColumns,
  index?: ArrayLike<number>,
): Scores {
  const C = layout.nClasses;
  let trees = compiled.get(layout);
  if (!trees) {
    trees = layout.trees.map((lw) => compileTree(lw, C));
    compiled.set(layout, trees);
  }
  const cols = data.columns;
  const n = index ? index.length : data.rows;
  const proba = new Float32Array(n * C);
  const labels = new Int32Array(n);
  const scores = new Float64Array(C);
  const exps = new Float64Array(C);
  const base = graphBaseValues(layout);
  for (let i = 0; i < n; i++) {
    const r = index ? index[i]! : i;
    scores.fill(0);
    for (const t of trees) {
      let node = 0;
      while (t.feature[node]! >= 0) {
        node = cols[t.feature[node]!]![r]! <= t.threshold[node]! ? t.left[node]! : t.right[node]!;
      }
      const end = t.from[node]! + t.count[node]!;
      for (let p = t.from[node]!; p < end; p++) {
        const slot = t.slots[p]!;
        scores[slot] = f32(scores[slot]! + t.weights[p]!);
      }
    }
    if (base) for (let k = 0; k < base.length; k++) scores[k] = f32(scores[k]! + base[k]!);
    const out = i * C;
    let label = 0;
    for (let k = 1; k < C; k++) if (scores[k]! > scores[label]!) label = k;
    labels[i] = label;
    if (layout.mode === 'average') {
      for (let k = 0; k < C; k++) proba[out + k] = scores[k]!;
      continue;
    }
    const max = scores[label]!;
    let sum = 0;
    for (let k = 0; k < C; k++) {
      exps[k] = Math.exp(scores[k]! - max);
      sum += exps[k]!;
    }
    for (let k = 0; k < C; k++) proba[out + k] = f32(exps[k]! / sum);
  }
  return { proba, labels };
}

export function ensembleOnnx(
  layout: EnsembleLayout,
  info: { algorithm: string; featureNames: readonly string[]; classes: readonly string[] },
): Uint8Array {
  const C = layout.nClasses;
  const nodes: TreeEnsembleSpec['nodes'] = {
    treeIds: [],
    nodeIds: [],
    featureIds: [],
    values: [],
    modes: [],
    trueNodeIds: [],
    falseNodeIds: [],
  };
  const leaves: TreeEnsembleSpec['leaves'] = { treeIds: [], nodeIds: [], classIds: [], weights: [] };
  layout.trees.forEach((lw, t) => {
    const { tree } = lw;
    tree.feature.forEach((feature, id) => {
      const leaf = feature < 0;
      nodes.treeIds.push(t);
      nodes.nodeIds.push(id);
      nodes.featureIds.push(leaf ? 0 : feature);
      nodes.values.push(leaf ? 0 : tree.threshold[id]!);
      nodes.modes.push(leaf ? 'LEAF' : 'BRANCH_LEQ');
      nodes.trueNodeIds.push(leaf ? 0 : tree.left[id]!);
      nodes.falseNodeIds.push(leaf ? 0 : tree.right[id]!);
      if (!leaf) return;
      for (const [k, w] of leafWeightVector(lw, tree.value[id]!, C)) {
        leaves.treeIds.push(t);
        leaves.nodeIds.push(id);
        leaves.classIds.push(k);
        leaves.weights.push(w);
      }
    });
  });
  return treeEnsembleOnnx({
    ...info,
    nodes,
    leaves,
    ...(layout.baseValues ? { baseValues: graphBaseValues(layout)! } : {}),
    probabilities: layout.mode === 'average' ? 'votes' : 'softmax',
  });
}

export function checkTreesJson(json: ModelJson, name: string, version: number): void {
  if (json?.name !== name || json.version !== version) {
    throw new ModelFormatError(`expected ${name} v${version}, got ${json?.name} v${json?.version}`);
  }
  const trees = (json.state as { trees?: unknown })?.trees;
  if (!Array.isArray(trees) || !trees.every(isFlatTree)) {
    throw new ModelFormatError(`${name} state must hold an array of flat trees`);
  }
}

/** What tree, forest and gbt share once trained: inference and ONNX export from one EnsembleLayout. */
export abstract class TreeEnsembleModel extends ColumnarModel implements TrainedModel {
  abstract readonly algorithm: 'tree' | 'forest' | 'gbt';
  protected abstract readonly layout: EnsembleLayout;

  constructor(
    readonly classes: string[],
    readonly featureNames: string[],
    readonly params: Params,
  ) {
    super();
  }

  score(data: FeatureColumns, index?: ArrayLike<number>): Scores {
    checkColumns(data, this.featureNames.length);
    return ensembleScore(this.layout, data, index);
  }

  toOnnx(): Uint8Array {
    return ensembleOnnx(this.layout, {
      algorithm: this.algorithm,
      featureNames: this.featureNames,
      classes: this.classes,
    });
  }

  abstract toJSON(): ModelJson;
}

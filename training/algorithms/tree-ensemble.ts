import { ModelFormatError } from '../errors.js';
import { argmax, checkMatrix, f32, type ModelJson, type Params, type TrainedModel } from '../model.js';
import { type TreeEnsembleSpec, treeEnsembleOnnx } from '../onnx/classifier-graphs.js';
import { type FlatTree, isFlatTree, leafOf } from './cart.js';

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

/** Row probabilities and label index computed the way the exported graph computes them. */
export function ensemblePredict(
  layout: EnsembleLayout,
  row: readonly number[],
): { proba: number[]; label: number } {
  const C = layout.nClasses;
  const scores = new Array<number>(C).fill(0);
  for (const lw of layout.trees) {
    for (const [k, w] of leafWeightVector(lw, leafOf(lw.tree, row), C)) scores[k] = f32(scores[k]! + w);
  }
  graphBaseValues(layout)?.forEach((b, k) => {
    scores[k] = f32(scores[k]! + b);
  });
  const label = argmax(scores);
  if (layout.mode === 'average') return { proba: scores, label };
  const max = scores[label]!;
  const exps = scores.map((s) => Math.exp(s - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return { proba: exps.map((e) => f32(e / sum)), label };
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
export abstract class TreeEnsembleModel implements TrainedModel {
  abstract readonly algorithm: 'tree' | 'forest' | 'gbt';
  protected abstract readonly layout: EnsembleLayout;

  constructor(
    readonly classes: string[],
    readonly featureNames: string[],
    readonly params: Params,
  ) {}

  predictProba(X: number[][]): number[][] {
    checkMatrix(X, this.featureNames.length);
    return X.map((row) => ensemblePredict(this.layout, row).proba);
  }

  predict(X: number[][]): number[] {
    checkMatrix(X, this.featureNames.length);
    return X.map((row) => ensemblePredict(this.layout, row).label);
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

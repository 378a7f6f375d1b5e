import { ModelFormatError } from '../errors.js';
import { argmax, checkMatrix, f32, type ModelJson, type Params, type TrainedModel } from '../model.js';
import { type TreeEnsembleSpec, treeEnsembleOnnx } from '../onnx/classifier-graphs.js';
import { type FlatTree, isFlatTree, leafOf } from './cart.js';

// How onnxruntime's TreeEnsembleClassifier behaves (verified by the parity tests): per-class leaf weights are
// summed over trees in float32; base_values are added; then post_transform. With two classes and weights on a
// single class id it runs its binary path: label = score > 0.5 (NONE) or score > 0 (LOGISTIC); probabilities
// come out as [1 - σ, σ] under LOGISTIC but as [0, p] under NONE, so the averaged binary graph appends
// Slice/Sub/Concat to give [1 - p, p]. The in-memory predictions below follow the same arithmetic.

/** Leaf contributions of one tree to the ensemble: weights[classId] for every leaf node. */
interface LeafWeights {
  tree: FlatTree;
  /** Class id the tree's single output goes to (boosting); undefined = the leaf value is a class vector. */
  classId?: number;
  /** Multiplier applied to the leaf value before rounding to float32. */
  scale: number;
}

function leafWeightVector(
  lw: LeafWeights,
  leaf: number[],
  nOut: number,
  binary: boolean,
): [number, number][] {
  if (lw.classId !== undefined) return [[binary ? 0 : lw.classId, f32(leaf[0]! * lw.scale)]];
  if (binary) return [[1, f32(leaf[1]! * lw.scale)]];
  return Array.from({ length: nOut }, (_, k) => [k, f32(leaf[k]! * lw.scale)]);
}

export interface EnsembleLayout {
  trees: LeafWeights[];
  nClasses: number;
  /** 'average' = probability votes (tree/forest), 'boost' = additive scores through softmax/logistic. */
  mode: 'average' | 'boost';
  baseValues?: number[];
}

/** Row probabilities and label index computed the way onnxruntime computes them for the exported graph. */
export function ensemblePredict(
  layout: EnsembleLayout,
  row: readonly number[],
): { proba: number[]; label: number } {
  const C = layout.nClasses;
  const binary = C === 2;
  const scores = new Array<number>(binary ? 1 : C).fill(0);
  for (const lw of layout.trees) {
    for (const [k, w] of leafWeightVector(lw, leafOf(lw.tree, row), C, binary)) {
      const slot = binary ? 0 : k;
      scores[slot] = f32(scores[slot]! + w);
    }
  }
  layout.baseValues?.forEach((b, k) => {
    scores[k] = f32(scores[k]! + f32(b));
  });
  if (binary) {
    const s = scores[0]!;
    if (layout.mode === 'average') return { proba: [f32(1 - s), s], label: s > 0.5 ? 1 : 0 };
    const p = f32(1 / (1 + Math.exp(-s)));
    return { proba: [f32(1 - p), p], label: s > 0 ? 1 : 0 };
  }
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
  const binary = C === 2;
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
      for (const [k, w] of leafWeightVector(lw, tree.value[id]!, C, binary)) {
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
    ...(layout.baseValues ? { baseValues: layout.baseValues.map(f32) } : {}),
    postTransform: layout.mode === 'average' ? 'NONE' : binary ? 'LOGISTIC' : 'SOFTMAX',
    binaryComplement: binary && layout.mode === 'average',
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

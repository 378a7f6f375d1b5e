import {
  checkKnownParams,
  checkMatrix,
  type FitContext,
  f32,
  type ModelJson,
  numberParam,
  type Params,
} from '../model.js';
import { checkSeed, deriveSeed, mulberry32 } from '../random.js';
import { ColumnData, type FlatTree, growTree, leafOf } from './cart.js';
import { GBT_DEFAULTS, PARAM_SPECS } from './defaults.js';
import { checkTreesJson, type EnsembleLayout, TreeEnsembleModel } from './tree-ensemble.js';
import { treeShapeParams, treeShapeRecord } from './tree-params.js';

export const GBT_VERSION = 1;

interface GbtState {
  trees: FlatTree[];
  /** Output (class id, or 0 for the single binary score) of each tree. */
  classIds: number[];
  baseValues: number[];
  learningRate: number;
}

/**
 * Gradient-boosted trees with Newton leaves (−G/(H+l2)): one tree per class per round under softmax, or a
 * single log-odds tree per round under the logistic loss for two classes.
 */
export class GradientBoostedTrees extends TreeEnsembleModel {
  readonly algorithm = 'gbt' as const;
  protected readonly layout: EnsembleLayout;

  private constructor(
    classes: string[],
    featureNames: string[],
    params: Params,
    private readonly state: GbtState,
  ) {
    super(classes, featureNames, params);
    const trees = state.trees.map((tree, i) => ({
      tree,
      classId: state.classIds[i]!,
      scale: state.learningRate,
    }));
    this.layout = { trees, nClasses: classes.length, mode: 'boost', baseValues: state.baseValues };
  }

  static train(X: number[][], y: number[], ctx: FitContext, params: Params = {}): GradientBoostedTrees {
    checkKnownParams(params, Object.keys(GBT_DEFAULTS), 'gbt');
    const F = ctx.featureNames.length;
    checkMatrix(X, F);
    const shape = treeShapeParams(params, PARAM_SPECS.gbt);
    const nRounds = numberParam(params, 'n_rounds', PARAM_SPECS.gbt.n_rounds);
    const learningRate = numberParam(params, 'learning_rate', PARAM_SPECS.gbt.learning_rate);
    const l2 = numberParam(params, 'l2', PARAM_SPECS.gbt.l2);
    const subsample = numberParam(params, 'subsample', PARAM_SPECS.gbt.subsample);
    const seed = checkSeed(ctx.seed);
    const n = X.length;
    const C = ctx.classes.length;
    const K = C === 2 ? 1 : C;
    const data = ColumnData.from(X, F);

    const counts = new Array<number>(C).fill(0);
    for (const c of y) counts[c]! += 1;
    const baseValues =
      K === 1
        ? [f32(Math.log(counts[1]! / counts[0]!))]
        : counts.map((c) => f32(Math.log(Math.max(c, 1) / n)));
    // Raw scores per row and output, updated with the float32 leaf steps that the ONNX graph will use.
    const raw = Array.from({ length: K }, (_, k) => new Float64Array(n).fill(baseValues[k]!));
    const grad = new Float64Array(n);
    const hess = new Float64Array(n);
    const state: GbtState = { trees: [], classIds: [], baseValues, learningRate };
    const prob = Array.from({ length: K }, () => new Float64Array(n));

    for (let round = 0; round < nRounds; round++) {
      for (let i = 0; i < n; i++) {
        if (K === 1) prob[0]![i] = 1 / (1 + Math.exp(-raw[0]![i]!));
        else {
          let max = -Infinity;
          for (let k = 0; k < K; k++) max = Math.max(max, raw[k]![i]!);
          let sum = 0;
          for (let k = 0; k < K; k++) sum += prob[k]![i] = Math.exp(raw[k]![i]! - max);
          for (let k = 0; k < K; k++) prob[k]![i]! /= sum;
        }
      }
      const weights = new Float64Array(n).fill(1);
      if (subsample < 1) {
        const rng = mulberry32(deriveSeed(seed, round));
        for (let i = 0; i < n; i++) weights[i] = rng() < subsample ? 1 : 0;
      }
      for (let k = 0; k < K; k++) {
        const target = K === 1 ? 1 : k;
        for (let i = 0; i < n; i++) {
          const p = prob[k]![i]!;
          grad[i] = p - (y[i] === target ? 1 : 0);
          hess[i] = Math.max(p * (1 - p), 1e-16);
        }
        const tree = growTree(data, { kind: 'newton', grad, hess, l2 }, weights, {
          ...shape,
          maxFeatures: F,
        });
        state.trees.push(tree);
        state.classIds.push(k);
        for (let i = 0; i < n; i++) raw[k]![i]! += f32(leafOf(tree, X[i]!)[0]! * learningRate);
      }
    }
    return new GradientBoostedTrees(
      [...ctx.classes],
      [...ctx.featureNames],
      { n_rounds: nRounds, learning_rate: learningRate, ...treeShapeRecord(shape), l2, subsample },
      state,
    );
  }

  static load(json: ModelJson): GradientBoostedTrees {
    checkTreesJson(json, 'gbt', GBT_VERSION);
    return new GradientBoostedTrees(json.classes, json.featureNames, json.params, json.state as GbtState);
  }

  toJSON(): ModelJson {
    return {
      name: 'gbt',
      version: GBT_VERSION,
      classes: [...this.classes],
      featureNames: [...this.featureNames],
      params: { ...this.params },
      state: structuredClone(this.state),
    };
  }
}

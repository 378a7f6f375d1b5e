import {
  checkFitData,
  checkKnownParams,
  type FitContext,
  type FitData,
  f32,
  type ModelJson,
  numberParam,
  type Params,
} from '../model.js';
import { checkSeed, deriveSeed, mulberry32 } from '../random.js';
import { gather, stratifiedSplit } from '../split.js';
import { binRows, fitBinEdges } from './binning.js';
import type { FlatTree } from './cart.js';
import { GBT_DEFAULTS, PARAM_SPECS, paramProblem } from './defaults.js';
import { binnedLeaf, HistogramGrower, type HistTree } from './hist-tree.js';
import { checkTreesJson, type EnsembleLayout, TreeEnsembleModel } from './tree-ensemble.js';
import { treeShapeParams, treeShapeRecord } from './tree-params.js';

export const GBT_VERSION = 1;

interface GbtState {
  trees: FlatTree[];
  /** Output (class id, or 0 for the single binary score) of each tree. */
  classIds: number[];
  baseValues: number[];
  learningRate: number;
  /** Boosting rounds kept (fewer than n_rounds when early stopping ended the fit). */
  rounds?: number;
}

/** `early_stopping: 'auto'` turns it on above this many fitting rows (as scikit-learn does). */
export const AUTO_EARLY_ROWS = 10_000;
/** Validation loss must improve by more than this to count (scikit-learn's default tol). */
const EARLY_TOL = 1e-7;

function resolveParams(params: Params) {
  const specs = PARAM_SPECS.gbt;
  const shape = treeShapeParams(params, specs);
  const nRounds = numberParam(params, 'n_rounds', specs.n_rounds);
  const learningRate = numberParam(params, 'learning_rate', specs.learning_rate);
  const l2 = numberParam(params, 'l2', specs.l2);
  const subsample = numberParam(params, 'subsample', specs.subsample);
  const maxBins = numberParam(params, 'max_bins', specs.max_bins);
  const earlyStopping = params['early_stopping'] ?? specs.early_stopping.default;
  const problem = paramProblem('early_stopping', specs.early_stopping, earlyStopping);
  if (problem) throw new TypeError(problem);
  const validationFraction = numberParam(params, 'validation_fraction', specs.validation_fraction);
  const nIterNoChange = numberParam(params, 'n_iter_no_change', specs.n_iter_no_change);
  return {
    nRounds,
    learningRate,
    subsample,
    maxBins,
    earlyStopping,
    validationFraction,
    nIterNoChange,
    shape: { ...shape, l2 },
    record: {
      n_rounds: nRounds,
      learning_rate: learningRate,
      ...treeShapeRecord(shape),
      l2,
      subsample,
      max_bins: maxBins,
      early_stopping: earlyStopping,
      validation_fraction: validationFraction,
      n_iter_no_change: nIterNoChange,
    } satisfies Params,
  };
}

/** Gradient and hessian of the log loss for every row and output, from the raw scores (logistic or softmax). */
function gradients(raw: Float64Array[], y: Int32Array, grad: Float64Array[], hess: Float64Array[]): void {
  const K = raw.length;
  const n = y.length;
  if (K === 1) {
    const r = raw[0]!;
    const g = grad[0]!;
    const h = hess[0]!;
    for (let i = 0; i < n; i++) {
      const p = 1 / (1 + Math.exp(-r[i]!));
      g[i] = p - (y[i] === 1 ? 1 : 0);
      h[i] = Math.max(p * (1 - p), 1e-16);
    }
    return;
  }
  const e = new Float64Array(K);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let k = 0; k < K; k++) max = Math.max(max, raw[k]![i]!);
    let sum = 0;
    for (let k = 0; k < K; k++) sum += e[k] = Math.exp(raw[k]![i]! - max);
    const yi = y[i]!;
    for (let k = 0; k < K; k++) {
      const p = e[k]! / sum;
      grad[k]![i] = p - (yi === k ? 1 : 0);
      hess[k]![i] = Math.max(p * (1 - p), 1e-16);
    }
  }
}

/** Mean log loss of raw scores against labels. */
function validationLoss(raw: Float64Array[], y: Int32Array): number {
  const K = raw.length;
  const n = y.length;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    if (K === 1) {
      const s = raw[0]![i]!;
      // log(1 + e^-s) for class 1, log(1 + e^s) for class 0, computed without overflow.
      const z = y[i] === 1 ? -s : s;
      loss += z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
      continue;
    }
    let max = -Infinity;
    for (let k = 0; k < K; k++) max = Math.max(max, raw[k]![i]!);
    let sum = 0;
    for (let k = 0; k < K; k++) sum += Math.exp(raw[k]![i]! - max);
    loss += Math.log(sum) + max - raw[y[i]!]![i]!;
  }
  return loss / n;
}

/**
 * Histogram gradient boosting: features binned once into at most max_bins quantile bins, trees grown on
 * per-node gradient/hessian histograms (hist-tree.ts) with Newton leaves −G/(H+l2); one tree per class per
 * round under softmax, or a single log-odds tree per round under the logistic loss for two classes;
 * optional early stopping on a stratified validation split of the fitting rows.
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

  static train(fit: FitData, ctx: FitContext, params: Params = {}): GradientBoostedTrees {
    checkKnownParams(params, Object.keys(GBT_DEFAULTS), 'gbt');
    const F = ctx.featureNames.length;
    checkFitData(fit, F);
    const p = resolveParams(params);
    const seed = checkSeed(ctx.seed);
    const C = ctx.classes.length;
    const K = C === 2 ? 1 : C;

    let trainIndex = fit.index;
    let validIndex: Int32Array | undefined;
    const early =
      p.earlyStopping === true || (p.earlyStopping === 'auto' && fit.index.length > AUTO_EARLY_ROWS);
    if (early) {
      const held = stratifiedSplit(gather(fit.y, fit.index), {
        testSize: p.validationFraction,
        seed: deriveSeed(seed, 0xe57),
      });
      trainIndex = gather(fit.index, held.train);
      validIndex = gather(fit.index, held.test);
    }
    const n = trainIndex.length;
    const edges = fitBinEdges(fit.columns, trainIndex, p.maxBins, seed);
    const codes = binRows(edges, fit.columns, trainIndex);
    const y = gather(fit.y, trainIndex);

    const counts = new Array<number>(C).fill(0);
    for (let i = 0; i < n; i++) counts[y[i]!]! += 1;
    const baseValues =
      K === 1
        ? [f32(Math.log(Math.max(counts[1]!, 1) / Math.max(counts[0]!, 1)))]
        : counts.map((c) => f32(Math.log(Math.max(c, 1) / n)));
    // Raw scores per row and output, updated with the float32 leaf steps that the ONNX graph will use.
    const raw = Array.from({ length: K }, (_, k) => new Float64Array(n).fill(baseValues[k]!));
    const grad = Array.from({ length: K }, () => new Float64Array(n));
    const hess = Array.from({ length: K }, () => new Float64Array(n));
    const grower = new HistogramGrower(codes, F, edges, n);
    const trees: HistTree[] = [];

    const valid = validIndex && {
      codes: binRows(edges, fit.columns, validIndex),
      y: gather(fit.y, validIndex),
      raw: Array.from({ length: K }, (_, k) => new Float64Array(validIndex.length).fill(baseValues[k]!)),
    };
    let bestLoss = Number.POSITIVE_INFINITY;
    let bestRounds = 0;
    let rounds = 0;

    for (let round = 0; round < p.nRounds; round++) {
      gradients(raw, y, grad, hess);
      let m = n;
      const rows = grower.rows;
      if (p.subsample < 1) {
        const rng = mulberry32(deriveSeed(seed, round));
        m = 0;
        for (let i = 0; i < n; i++) if (rng() < p.subsample) rows[m++] = i;
      }
      if (m === n) for (let i = 0; i < n; i++) rows[i] = i;
      // The K trees of a round share their rows: their root histograms come from one pass.
      const roots = grower.rootHistograms(m, grad, hess);
      for (let k = 0; k < K; k++) {
        if (m === n && k > 0) for (let i = 0; i < n; i++) rows[i] = i;
        const rk = raw[k]!;
        const update = m === n ? { raw: rk, rate: p.learningRate } : undefined;
        const grown = grower.grow(m, grad[k]!, hess[k]!, p.shape, update, roots[k]);
        // Rows left out by subsampling still move: walk the tree for every row.
        if (m < n) for (let i = 0; i < n; i++) rk[i]! += f32(binnedLeaf(grown, codes, F, i) * p.learningRate);
        if (valid) {
          const vk = valid.raw[k]!;
          for (let i = 0; i < vk.length; i++) {
            vk[i]! += f32(binnedLeaf(grown, valid.codes, F, i) * p.learningRate);
          }
        }
        trees.push(grown);
      }
      rounds = round + 1;
      if (valid) {
        const loss = validationLoss(valid.raw, valid.y);
        if (loss < bestLoss - EARLY_TOL) {
          bestLoss = loss;
          bestRounds = rounds;
        } else if (rounds - bestRounds >= p.nIterNoChange) break;
      }
    }
    // Early stopping keeps the rounds up to the best validation loss.
    const kept = valid ? bestRounds : rounds;
    const state: GbtState = {
      trees: trees.slice(0, kept * K).map((t) => t.tree),
      classIds: Array.from({ length: kept * K }, (_, i) => i % K),
      baseValues,
      learningRate: p.learningRate,
      rounds: kept,
    };
    return new GradientBoostedTrees([...ctx.classes], [...ctx.featureNames], p.record, state);
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

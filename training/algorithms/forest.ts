import {
  checkFitData,
  checkKnownParams,
  type FitContext,
  type FitData,
  type ModelJson,
  numberParam,
  type Params,
} from '../model.js';
import { checkSeed, deriveSeed, mulberry32, randomInt } from '../random.js';
import { gather } from '../split.js';
import { BinnedTreeGrower } from './binned-cart.js';
import { binRows, fitBinEdges } from './binning.js';
import type { FlatTree } from './cart.js';
import { FOREST_DEFAULTS, PARAM_SPECS, paramProblem } from './defaults.js';
import { checkTreesJson, type EnsembleLayout, TreeEnsembleModel } from './tree-ensemble.js';
import { resolveMaxFeatures, treeShapeParams, treeShapeRecord } from './tree-params.js';

export const FOREST_VERSION = 1;
/** Bins per feature: splits are exact up to 255 distinct values, quantile cut points above. */
const MAX_BINS = 255;

/**
 * Random forest: seeded bootstrap per tree + random feature subset per split, trees grown on features
 * binned once (binned-cart.ts); leaf distributions averaged.
 */
export class RandomForest extends TreeEnsembleModel {
  readonly algorithm = 'forest' as const;
  protected readonly layout: EnsembleLayout;

  private constructor(
    classes: string[],
    featureNames: string[],
    params: Params,
    private readonly trees: FlatTree[],
  ) {
    super(classes, featureNames, params);
    this.layout = {
      trees: trees.map((tree) => ({ tree, scale: 1 / trees.length })),
      nClasses: classes.length,
      mode: 'average',
    };
  }

  static train(fit: FitData, ctx: FitContext, params: Params = {}): RandomForest {
    checkKnownParams(params, Object.keys(FOREST_DEFAULTS), 'forest');
    const F = ctx.featureNames.length;
    checkFitData(fit, F);
    const shape = treeShapeParams(params, PARAM_SPECS.forest);
    const nTrees = numberParam(params, 'n_trees', PARAM_SPECS.forest.n_trees);
    const maxFeaturesParam = params['max_features'] ?? FOREST_DEFAULTS.max_features;
    const maxFeatures = resolveMaxFeatures(maxFeaturesParam, F);
    const bootstrap = params['bootstrap'] ?? FOREST_DEFAULTS.bootstrap;
    const problem = paramProblem('bootstrap', PARAM_SPECS.forest.bootstrap, bootstrap);
    if (problem) throw new TypeError(problem);
    const seed = checkSeed(ctx.seed);
    const n = fit.index.length;
    const edges = fitBinEdges(fit.columns, fit.index, MAX_BINS, seed);
    const grower = new BinnedTreeGrower(
      binRows(edges, fit.columns, fit.index),
      F,
      edges,
      gather(fit.y, fit.index),
      ctx.classes.length,
    );
    const trees: FlatTree[] = [];
    const weights = new Float64Array(n);
    for (let t = 0; t < nTrees; t++) {
      const rng = mulberry32(deriveSeed(seed, t));
      if (bootstrap) {
        weights.fill(0);
        for (let i = 0; i < n; i++) weights[randomInt(rng, n)]! += 1;
      } else weights.fill(1);
      trees.push(grower.grow(weights, { ...shape, maxFeatures, rng }));
    }
    return new RandomForest(
      [...ctx.classes],
      [...ctx.featureNames],
      { n_trees: nTrees, ...treeShapeRecord(shape), max_features: maxFeaturesParam, bootstrap },
      trees,
    );
  }

  static load(json: ModelJson): RandomForest {
    checkTreesJson(json, 'forest', FOREST_VERSION);
    return new RandomForest(
      json.classes,
      json.featureNames,
      json.params,
      (json.state as { trees: FlatTree[] }).trees,
    );
  }

  toJSON(): ModelJson {
    return {
      name: 'forest',
      version: FOREST_VERSION,
      classes: [...this.classes],
      featureNames: [...this.featureNames],
      params: { ...this.params },
      state: { trees: structuredClone(this.trees) },
    };
  }
}

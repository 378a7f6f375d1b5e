import {
  checkKnownParams,
  checkMatrix,
  type FitContext,
  type ModelJson,
  numberParam,
  type Params,
} from '../model.js';
import { checkSeed, deriveSeed, mulberry32, randomInt } from '../random.js';
import { ColumnData, type FlatTree, growTree } from './cart.js';
import { FOREST_DEFAULTS, PARAM_SPECS, paramProblem } from './defaults.js';
import { checkTreesJson, type EnsembleLayout, TreeEnsembleModel } from './tree-ensemble.js';
import { resolveMaxFeatures, treeShapeParams, treeShapeRecord } from './tree-params.js';

export const FOREST_VERSION = 1;

/** Random forest: seeded bootstrap per tree + random feature subset per split; leaf distributions averaged. */
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

  static train(X: number[][], y: number[], ctx: FitContext, params: Params = {}): RandomForest {
    checkKnownParams(params, Object.keys(FOREST_DEFAULTS), 'forest');
    const F = ctx.featureNames.length;
    checkMatrix(X, F);
    const shape = treeShapeParams(params, PARAM_SPECS.forest);
    const nTrees = numberParam(params, 'n_trees', PARAM_SPECS.forest.n_trees);
    const maxFeaturesParam = params['max_features'] ?? FOREST_DEFAULTS.max_features;
    const maxFeatures = resolveMaxFeatures(maxFeaturesParam, F);
    const bootstrap = params['bootstrap'] ?? FOREST_DEFAULTS.bootstrap;
    const problem = paramProblem('bootstrap', PARAM_SPECS.forest.bootstrap, bootstrap);
    if (problem) throw new TypeError(problem);
    const seed = checkSeed(ctx.seed);
    const data = ColumnData.from(X, F);
    const n = X.length;
    const trees: FlatTree[] = [];
    for (let t = 0; t < nTrees; t++) {
      const rng = mulberry32(deriveSeed(seed, t));
      const weights = new Float64Array(n);
      if (bootstrap) for (let i = 0; i < n; i++) weights[randomInt(rng, n)]! += 1;
      else weights.fill(1);
      trees.push(
        growTree(data, { kind: 'class', y, nClasses: ctx.classes.length }, weights, {
          ...shape,
          maxFeatures,
          rng,
        }),
      );
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

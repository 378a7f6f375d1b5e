import { checkKnownParams, checkMatrix, type FitContext, type ModelJson, type Params } from '../model.js';
import { ColumnData, type FlatTree, growTree } from './cart.js';
import { PARAM_SPECS, TREE_DEFAULTS } from './defaults.js';
import { checkTreesJson, type EnsembleLayout, TreeEnsembleModel } from './tree-ensemble.js';
import { treeShapeParams, treeShapeRecord } from './tree-params.js';

export const TREE_VERSION = 1;

/** Single CART classification tree (Gini); leaves hold class distributions. */
export class DecisionTree extends TreeEnsembleModel {
  readonly algorithm = 'tree' as const;
  protected readonly layout: EnsembleLayout;

  private constructor(
    classes: string[],
    featureNames: string[],
    params: Params,
    private readonly tree: FlatTree,
  ) {
    super(classes, featureNames, params);
    this.layout = { trees: [{ tree, scale: 1 }], nClasses: classes.length, mode: 'average' };
  }

  static train(X: number[][], y: number[], ctx: FitContext, params: Params = {}): DecisionTree {
    checkKnownParams(params, Object.keys(TREE_DEFAULTS), 'tree');
    const p = treeShapeParams(params, PARAM_SPECS.tree);
    checkMatrix(X, ctx.featureNames.length);
    const data = ColumnData.from(X, ctx.featureNames.length);
    const tree = growTree(
      data,
      { kind: 'class', y, nClasses: ctx.classes.length },
      new Float64Array(X.length).fill(1),
      { ...p, maxFeatures: data.F },
    );
    return new DecisionTree([...ctx.classes], [...ctx.featureNames], treeShapeRecord(p), tree);
  }

  static load(json: ModelJson): DecisionTree {
    checkTreesJson(json, 'tree', TREE_VERSION);
    const [tree] = (json.state as { trees: FlatTree[] }).trees;
    return new DecisionTree(json.classes, json.featureNames, json.params, tree!);
  }

  toJSON(): ModelJson {
    return {
      name: 'tree',
      version: TREE_VERSION,
      classes: [...this.classes],
      featureNames: [...this.featureNames],
      params: { ...this.params },
      state: { trees: [structuredClone(this.tree)] },
    };
  }
}

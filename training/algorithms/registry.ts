import { ModelFormatError } from '../errors.js';
import type { Algorithm, FitContext, FitData, ModelJson, Params, TrainedModel } from '../model.js';
import { FOREST_DEFAULTS, GBT_DEFAULTS, LOGREG_DEFAULTS, TREE_DEFAULTS } from './defaults.js';
import { RandomForest } from './forest.js';
import { GradientBoostedTrees } from './gbt.js';
import { LogisticRegression } from './logreg.js';
import { DecisionTree } from './tree.js';

export interface AlgorithmSpec {
  defaults: Params;
  fit(data: FitData, ctx: FitContext, params: Params): TrainedModel;
  load(json: ModelJson): TrainedModel;
}

export const ALGORITHM_SPECS: Record<Algorithm, AlgorithmSpec> = {
  logreg: { defaults: LOGREG_DEFAULTS, fit: LogisticRegression.train, load: LogisticRegression.load },
  tree: { defaults: TREE_DEFAULTS, fit: DecisionTree.train, load: DecisionTree.load },
  forest: { defaults: FOREST_DEFAULTS, fit: RandomForest.train, load: RandomForest.load },
  gbt: { defaults: GBT_DEFAULTS, fit: GradientBoostedTrees.train, load: GradientBoostedTrees.load },
};

export function algorithmSpec(algorithm: string): AlgorithmSpec {
  const spec = Object.hasOwn(ALGORITHM_SPECS, algorithm)
    ? ALGORITHM_SPECS[algorithm as Algorithm]
    : undefined;
  if (!spec) {
    throw new RangeError(
      `algorithm must be one of ${Object.keys(ALGORITHM_SPECS).join(', ')}, got '${algorithm}'`,
    );
  }
  return spec;
}

/** Restores a model from its toJSON() form, checking the name/version tag. */
export function loadModel(json: ModelJson): TrainedModel {
  if (typeof json !== 'object' || json === null || typeof json.name !== 'string') {
    throw new ModelFormatError('model JSON must be an object with a name tag');
  }
  return algorithmSpec(json.name).load(json);
}

import { numberParam, type Params } from '../model.js';
import { type NumberSpec, PARAM_SPECS, paramProblem } from './defaults.js';

export interface TreeShapeParams {
  maxDepth: number;
  minSamplesSplit: number;
  minSamplesLeaf: number;
}

/** The specs of the tree-shape params every tree algorithm takes, by their API names. */
export interface TreeShapeSpecs {
  readonly max_depth: NumberSpec;
  readonly min_samples_split: NumberSpec;
  readonly min_samples_leaf: NumberSpec;
}

export function treeShapeParams(params: Params, specs: TreeShapeSpecs): TreeShapeParams {
  return {
    maxDepth: numberParam(params, 'max_depth', specs.max_depth),
    minSamplesSplit: numberParam(params, 'min_samples_split', specs.min_samples_split),
    minSamplesLeaf: numberParam(params, 'min_samples_leaf', specs.min_samples_leaf),
  };
}

/** 'sqrt' | 'log2' | 'all' or a fraction in (0, 1] → number of features tried per split. */
export function resolveMaxFeatures(value: Params[string] | undefined, F: number): number {
  if (value === undefined || value === 'all') return F;
  if (value === 'sqrt') return Math.max(1, Math.floor(Math.sqrt(F)));
  if (value === 'log2') return Math.max(1, Math.floor(Math.log2(F)));
  const problem = paramProblem('max_features', PARAM_SPECS.forest.max_features, value);
  if (problem) throw new RangeError(problem);
  return Math.max(1, Math.round((value as number) * F));
}

/** The resolved tree shape as recorded params (API names). */
export function treeShapeRecord(shape: TreeShapeParams): Params {
  return {
    max_depth: shape.maxDepth,
    min_samples_split: shape.minSamplesSplit,
    min_samples_leaf: shape.minSamplesLeaf,
  };
}

import { numberParam, type Params } from '../model.js';

export interface TreeShapeParams {
  maxDepth: number;
  minSamplesSplit: number;
  minSamplesLeaf: number;
}

/** The tree-shape params every tree algorithm takes, by their API names. */
export interface TreeShapeDefaults {
  readonly max_depth: number;
  readonly min_samples_split: number;
  readonly min_samples_leaf: number;
}

export function treeShapeParams(params: Params, defaults: TreeShapeDefaults): TreeShapeParams {
  return {
    maxDepth: numberParam(params, 'max_depth', defaults.max_depth, { min: 1, max: 64, integer: true }),
    minSamplesSplit: numberParam(params, 'min_samples_split', defaults.min_samples_split, {
      min: 2,
      max: 1e9,
      integer: true,
    }),
    minSamplesLeaf: numberParam(params, 'min_samples_leaf', defaults.min_samples_leaf, {
      min: 1,
      max: 1e9,
      integer: true,
    }),
  };
}

/** 'sqrt' | 'log2' | 'all' or a fraction in (0, 1] → number of features tried per split. */
export function resolveMaxFeatures(value: Params[string] | undefined, F: number): number {
  if (value === undefined || value === 'all') return F;
  if (value === 'sqrt') return Math.max(1, Math.floor(Math.sqrt(F)));
  if (value === 'log2') return Math.max(1, Math.floor(Math.log2(F)));
  if (typeof value === 'number' && value > 0 && value <= 1) return Math.max(1, Math.round(value * F));
  throw new RangeError(
    `param max_features must be 'sqrt', 'log2', 'all' or a fraction in (0, 1], got ${String(value)}`,
  );
}

/** The resolved tree shape as recorded params (API names). */
export function treeShapeRecord(shape: TreeShapeParams): Params {
  return {
    max_depth: shape.maxDepth,
    min_samples_split: shape.minSamplesSplit,
    min_samples_leaf: shape.minSamplesLeaf,
  };
}

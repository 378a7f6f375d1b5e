import { numberParam, type Params } from '../model.js';

export interface TreeShapeParams {
  maxDepth: number;
  minSamplesSplit: number;
  minSamplesLeaf: number;
}

export function treeShapeParams(params: Params, defaults: TreeShapeParams): TreeShapeParams {
  return {
    maxDepth: numberParam(params, 'maxDepth', defaults.maxDepth, { min: 1, max: 64, integer: true }),
    minSamplesSplit: numberParam(params, 'minSamplesSplit', defaults.minSamplesSplit, {
      min: 2,
      max: 1e9,
      integer: true,
    }),
    minSamplesLeaf: numberParam(params, 'minSamplesLeaf', defaults.minSamplesLeaf, {
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
    `param maxFeatures must be 'sqrt', 'log2', 'all' or a fraction in (0, 1], got ${String(value)}`,
  );
}

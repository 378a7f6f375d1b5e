import type { Algorithm, Params } from '../model.js';

/**
 * Each algorithm's hyperparameters and their defaults, apart from the algorithms themselves so
 * that the admin API can check a training request's params (and answer 422) without bundling
 * the trainers. Names are snake_case, like the rest of the API and scikit-learn's; the code
 * reads them into camelCase fields.
 */
export const LOGREG_DEFAULTS = { l2: 0.01, max_iter: 200, tol: 1e-6 } as const;
export const TREE_DEFAULTS = { max_depth: 10, min_samples_split: 2, min_samples_leaf: 1 } as const;
export const FOREST_DEFAULTS = {
  n_trees: 100,
  max_depth: 12,
  min_samples_split: 2,
  min_samples_leaf: 1,
  max_features: 'sqrt',
  bootstrap: true,
} as const;
export const GBT_DEFAULTS = {
  n_rounds: 100,
  learning_rate: 0.1,
  max_depth: 3,
  min_samples_split: 2,
  min_samples_leaf: 1,
  l2: 1,
  subsample: 1,
  max_bins: 255,
  early_stopping: 'auto',
  validation_fraction: 0.1,
  n_iter_no_change: 10,
} as const;

export const PARAM_DEFAULTS: Readonly<Record<Algorithm, Readonly<Params>>> = {
  logreg: LOGREG_DEFAULTS,
  tree: TREE_DEFAULTS,
  forest: FOREST_DEFAULTS,
  gbt: GBT_DEFAULTS,
};

/**
 * The params that some algorithm about to be trained does not take, one problem per name (an
 * `auto` search gives its params to every algorithm, so each must apply to all of them).
 */
export function unknownParams(
  algorithms: readonly Algorithm[],
  params: Readonly<Params>,
): { param: string; message: string }[] {
  return Object.keys(params).flatMap((param) => {
    const without = algorithms.filter((a) => !Object.hasOwn(PARAM_DEFAULTS[a], param));
    if (without.length === 0) return [];
    const [first] = without;
    const known = Object.keys(PARAM_DEFAULTS[first!]).join(', ');
    const scope =
      algorithms.length > 1
        ? ` (with algorithm auto, every param must apply to ${algorithms.join(', ')})`
        : '';
    return [{ param, message: `${first} has no param "${param}"; its params are ${known}${scope}` }];
  });
}

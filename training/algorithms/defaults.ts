import type { Algorithm, Params, ParamValue } from '../model.js';

/**
 * Each algorithm's hyperparameters: default and accepted range, defined once. The trainers read
 * their params through these specs, and the admin API checks a training request against the same
 * specs (answering 422 before a run is queued) without bundling the trainers. Names are
 * snake_case, like the rest of the API and scikit-learn's; the code reads them into camelCase.
 */
export interface NumberSpec {
  readonly kind: 'number';
  readonly default: number;
  readonly min: number;
  readonly max: number;
  readonly integer?: boolean;
}
export interface BooleanSpec {
  readonly kind: 'boolean';
  readonly default: boolean;
}
/** `'sqrt'`, `'log2'`, `'all'` or a fraction of the features in (0, 1]. */
export interface FeatureShareSpec {
  readonly kind: 'feature_share';
  readonly default: 'sqrt' | 'log2' | 'all' | number;
}
export type ParamSpec = NumberSpec | BooleanSpec | FeatureShareSpec;

const int = (value: number, min: number, max: number): NumberSpec => ({
  kind: 'number',
  default: value,
  min,
  max,
  integer: true,
});
const real = (value: number, min: number, max: number): NumberSpec => ({
  kind: 'number',
  default: value,
  min,
  max,
});

const TREE_SHAPE = {
  min_samples_split: int(2, 2, 1e9),
  min_samples_leaf: int(1, 1, 1e9),
} as const;

export const PARAM_SPECS = {
  logreg: {
    // Weight penalty l2/2·‖W‖² on the summed (not averaged) log loss: l2 = 1/C of scikit-learn, so
    // the default 1 regularises as scikit-learn's LogisticRegression() does, whatever the row count.
    l2: real(1, 0, 1e6),
    max_iter: int(200, 1, 100_000),
    tol: real(1e-6, 0, 1),
  },
  tree: { max_depth: int(10, 1, 64), ...TREE_SHAPE },
  forest: {
    n_trees: int(100, 1, 5000),
    max_depth: int(12, 1, 64),
    ...TREE_SHAPE,
    max_features: { kind: 'feature_share', default: 'sqrt' },
    bootstrap: { kind: 'boolean', default: true },
  },
  gbt: {
    n_rounds: int(100, 1, 5000),
    learning_rate: real(0.1, 1e-4, 1),
    max_depth: int(3, 1, 64),
    ...TREE_SHAPE,
    l2: real(1, 0, 1e4),
    subsample: real(1, 0.1, 1),
  },
} as const satisfies Record<Algorithm, Record<string, ParamSpec>>;

type Defaults<S> = { readonly [K in keyof S]: S[K] extends { default: infer D } ? D : never };
const defaultsOf = <S extends Record<string, ParamSpec>>(specs: S): Defaults<S> =>
  Object.fromEntries(Object.entries(specs).map(([name, spec]) => [name, spec.default])) as Defaults<S>;

export const LOGREG_DEFAULTS = defaultsOf(PARAM_SPECS.logreg);
export const TREE_DEFAULTS = defaultsOf(PARAM_SPECS.tree);
export const FOREST_DEFAULTS = defaultsOf(PARAM_SPECS.forest);
export const GBT_DEFAULTS = defaultsOf(PARAM_SPECS.gbt);

export const PARAM_DEFAULTS: Readonly<Record<Algorithm, Readonly<Params>>> = {
  logreg: LOGREG_DEFAULTS,
  tree: TREE_DEFAULTS,
  forest: FOREST_DEFAULTS,
  gbt: GBT_DEFAULTS,
};

/** Why `value` is not acceptable for `spec` (naming the param and its limits), or undefined. */
export function paramProblem(name: string, spec: ParamSpec, value: ParamValue): string | undefined {
  switch (spec.kind) {
    case 'number': {
      const what = spec.integer ? 'an integer' : 'a number';
      const range = `[${spec.min}, ${spec.max}]`;
      if (typeof value !== 'number' || Number.isNaN(value))
        return `param ${name} must be ${what} in ${range}, got ${JSON.stringify(value)}`;
      if (spec.integer && !Number.isInteger(value)) return `param ${name} must be an integer, got ${value}`;
      if (value < spec.min || value > spec.max) return `param ${name} must be in ${range}, got ${value}`;
      return undefined;
    }
    case 'boolean':
      return typeof value === 'boolean'
        ? undefined
        : `param ${name} must be true or false, got ${JSON.stringify(value)}`;
    case 'feature_share':
      if (value === 'sqrt' || value === 'log2' || value === 'all') return undefined;
      if (typeof value === 'number' && value > 0 && value <= 1) return undefined;
      return `param ${name} must be 'sqrt', 'log2', 'all' or a fraction in (0, 1], got ${JSON.stringify(value)}`;
  }
}

export interface ParamIssue {
  readonly param: string;
  readonly message: string;
}

/**
 * Every problem with `params` for the algorithms about to be trained, one per param: a name some
 * algorithm does not take (an `auto` search gives its params to every algorithm, so each must apply
 * to all of them), or a value outside the param's type or range.
 */
export function paramIssues(algorithms: readonly Algorithm[], params: Readonly<Params>): ParamIssue[] {
  return Object.entries(params).flatMap(([param, value]): ParamIssue[] => {
    const without = algorithms.filter((a) => !Object.hasOwn(PARAM_SPECS[a], param));
    if (without.length > 0) {
      const [first] = without;
      const known = Object.keys(PARAM_SPECS[first!]).join(', ');
      const scope =
        algorithms.length > 1
          ? ` (with algorithm auto, every param must apply to ${algorithms.join(', ')})`
          : '';
      return [{ param, message: `${first} has no param "${param}"; its params are ${known}${scope}` }];
    }
    for (const algorithm of algorithms) {
      const spec = (PARAM_SPECS[algorithm] as Record<string, ParamSpec>)[param]!;
      const problem = paramProblem(param, spec, value);
      if (problem) return [{ param, message: algorithms.length > 1 ? `${algorithm}: ${problem}` : problem }];
    }
    return [];
  });
}

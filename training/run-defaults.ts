/** Defaults of a training run, defined once: the training core, the platform and its API read these. */

/** Seed of the split, the search and every random step of the algorithms. */
export const DEFAULT_SEED = 42;
/** Share of the rows held out as the test split, scored once by the final model. */
export const DEFAULT_TEST_SIZE = 0.2;
/** Share of the training part held out to score search trials (when they are not cross-validated). */
export const DEFAULT_VALIDATION_SIZE = 0.2;
/** Candidates of a random search when none is asked for. */
export const DEFAULT_SEARCH_TRIALS = 20;
/** The most trials one run may have. */
export const MAX_TRIALS = 500;
/** Folds of cross-validation a run may ask for. */
export const CV_FOLDS = { min: 2, max: 20 } as const;

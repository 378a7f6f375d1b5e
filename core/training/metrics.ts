import type { RankMetric } from '../registry/policy.js';
import type { Metrics } from '../registry/types.js';

/** The three headline metrics of a scoring, as the training core computes them. */
export interface Headline {
  readonly accuracy: number;
  readonly macroF1: number;
  readonly logLoss: number;
}

/** Where a metric was measured: search trials on validation rows or CV folds, the final model on the test split. */
export type MetricScope = 'validation' | 'cv' | 'test';

/** `{ validation_accuracy, validation_macro_f1, validation_log_loss }` and the like. */
export function scoped(scope: MetricScope, m: Headline): Metrics {
  return {
    [`${scope}_accuracy`]: m.accuracy,
    [`${scope}_macro_f1`]: m.macroF1,
    [`${scope}_log_loss`]: m.logLoss,
  };
}

/**
 * The metrics a finished run and its version record: `test_*`, repeated unprefixed as the headline
 * (what the promotion policy, dashboards and alerts read), plus how the chosen candidate scored in the
 * search (`validation_*` or `cv_*`).
 */
export function recordedMetrics(
  test: Headline,
  selection?: { scope: MetricScope; metrics: Headline },
): Metrics {
  return {
    accuracy: test.accuracy,
    macro_f1: test.macroF1,
    log_loss: test.logLoss,
    ...scoped('test', test),
    ...(selection ? scoped(selection.scope, selection.metrics) : {}),
  };
}

/** The value of `metric` in a scoring (log loss as is: lower is better). */
export function metricValue(m: Headline, metric: RankMetric): number {
  return metric === 'log_loss' ? m.logLoss : metric === 'macro_f1' ? m.macroF1 : m.accuracy;
}

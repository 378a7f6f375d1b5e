import type { PromotionDecision } from '../core/registry/policy.js';
import type { EvaluationRecord, Metrics } from '../core/registry/types.js';
import type { ClassMetrics } from '../core/tracking/store.js';
import { table } from './format.js';

const fmt = (n: number | undefined) => (n === undefined ? '-' : n.toFixed(4));

/** `test (30 rows) accuracy 0.9667  macro_f1 …` then the selection scores: which number is which. */
export function metricLines(metrics: Metrics, evaluation: EvaluationRecord | undefined): string[] {
  const of = (scope: string) =>
    ['accuracy', 'macro_f1', 'log_loss']
      .map((m) => (metrics[`${scope}_${m}`] === undefined ? '' : `${m} ${fmt(metrics[`${scope}_${m}`])}`))
      .filter(Boolean)
      .join('  ');
  const test =
    of('test') ||
    of('') ||
    ['accuracy', 'macro_f1', 'log_loss'].map((m) => `${m} ${fmt(metrics[m])}`).join('  ');
  const rows = evaluation?.rows;
  const lines = [
    `test       ${test}${rows ? `  (${rows.test} rows, scored once${evaluation.refit === 'all' ? ', before the refit on all rows' : ''})` : ''}`,
  ];
  if (of('validation'))
    lines.push(
      `validation ${of('validation')}  (${rows?.validation ?? '?'} rows of the training part: picked the trial)`,
    );
  if (of('cv'))
    lines.push(`cv         ${of('cv')}  (mean of ${evaluation?.cvFolds ?? '?'} folds of the training part)`);
  if (evaluation) {
    lines.push(
      `refit      ${evaluation.refit} (${evaluation.refitRows} rows)${evaluation.refit === 'all' ? ': the registered model has seen the test rows' : ''}`,
    );
  }
  return lines;
}

/** The promotion decision record, one fact per line. */
export function decisionLines(decision: PromotionDecision | undefined): string[] {
  if (!decision) return [];
  const lines = [`decision   ${decision.alias}: ${decision.reason}`];
  const rule = decision.rule;
  if (rule) {
    lines.push(
      `rule       ${rule.metric}${rule.minimum !== undefined ? ` ≥ ${rule.minimum}` : ''}, margin ${rule.margin}, ${rule.test} at ${rule.significance}`,
    );
  }
  if (decision.rows !== undefined && decision.production) {
    lines.push(
      `compared   on ${decision.rows} test rows: candidate ${fmt(decision.candidate?.value)} vs production v${decision.production.version} ${fmt(decision.production.value)}` +
        (decision.candidateWins !== undefined
          ? `; rows won ${decision.candidateWins}, lost ${decision.productionWins}${decision.pValue !== undefined ? `, p = ${decision.pValue.toPrecision(3)}` : ''}`
          : ''),
    );
  }
  return lines;
}

export function classMetricsTable(classMetrics: readonly ClassMetrics[] | undefined): string | undefined {
  if (!classMetrics?.length) return undefined;
  return table(
    ['class', 'precision', 'recall', 'f1', 'support'],
    classMetrics.map((c) => [c.class, c.precision, c.recall, c.f1, c.support]),
  );
}

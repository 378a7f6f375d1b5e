import {
  algorithmSpec,
  type Candidate,
  type CandidateScore,
  type Dataset,
  type EvaluationSplits,
  ranksAbove,
  selectRows,
  type TrainedModel,
  type TrainResult,
  trainModel,
} from '../../training/index.js';
import type { RankMetric } from '../registry/policy.js';
import type { EvaluationRecord } from '../registry/types.js';
import type { ResolvedRequest } from './request.js';
import type { TrialSummary } from './trials.js';

const SEARCH_METRIC = { accuracy: 'accuracy', macro_f1: 'macro_f1', log_loss: 'neg_log_loss' } as const;

/**
 * The trial a search keeps: the best score on the validation rows (or CV folds); on a tie the earlier
 * trial, as scikit-learn's searches do (each algorithm's defaults come first).
 */
export function pickBest(
  scored: readonly { trial: TrialSummary; score?: CandidateScore }[],
  metric: RankMetric,
): { trial: TrialSummary; score: CandidateScore } | undefined {
  let best: { trial: TrialSummary; score: CandidateScore } | undefined;
  for (const { trial, score } of scored) {
    if (!score) continue;
    if (!best || ranksAbove(score, best.score, SEARCH_METRIC[metric])) best = { trial, score };
  }
  return best;
}

/** The model a run registers, how it was measured, and the rows behind its test metrics. */
export interface FinalModel {
  /** The chosen configuration fit on train + validation, scored once on the test split. */
  readonly tested: TrainResult;
  /** What is exported and served: `tested`, or the same configuration refit on every row. */
  readonly artifact: { readonly model: TrainedModel; readonly onnx: Uint8Array };
  /** Rows the artifact was fit on (its drift baseline). */
  readonly fitRows: readonly number[];
  readonly evaluation: EvaluationRecord;
}

/**
 * Refit (scikit-learn's refit=True): the chosen candidate is fit on everything but the test rows and
 * scored on them once. With `refit: 'all'`, one more fit on every row becomes the artifact; the test
 * metrics then describe the model before that refit, and the evaluation record says so.
 */
export function fitFinal(
  dataset: Dataset,
  candidate: Candidate,
  splits: EvaluationSplits,
  request: ResolvedRequest,
): FinalModel {
  const { outer } = splits;
  const tested = trainModel(dataset, { ...candidate, seed: request.seed, split: outer });
  const validationRows = splits.kind === 'validation' ? splits.scoring[0]!.test.length : undefined;
  const selection = request.searching ? splits.kind : request.cv ? 'cv' : 'none';
  const common = {
    selection,
    ...(selection === 'validation' ? { validationSize: request.validationSize } : {}),
    ...(request.cv ? { cvFolds: request.cv } : {}),
    testSize: request.testSize,
    seed: request.seed,
    rows: {
      train:
        selection === 'validation' && validationRows !== undefined
          ? outer.train.length - validationRows
          : outer.train.length,
      ...(selection === 'validation' && validationRows !== undefined ? { validation: validationRows } : {}),
      test: outer.test.length,
    },
  } as const;
  if (request.refit === 'all') {
    const all = dataset.y.map((_, i) => i);
    const rows = selectRows(dataset, all);
    const model = algorithmSpec(candidate.algorithm).fit(
      rows.X,
      rows.y,
      { classes: dataset.classes, featureNames: dataset.featureNames, seed: request.seed },
      tested.model.params,
    );
    return {
      tested,
      artifact: { model, onnx: model.toOnnx() },
      fitRows: all,
      evaluation: {
        ...common,
        refit: 'all',
        refitRows: all.length,
        testMetricsOf:
          'the model fit on train + validation, before the refit on all rows (the registered model has seen the test rows)',
      },
    };
  }
  return {
    tested,
    artifact: { model: tested.model, onnx: tested.onnx },
    fitRows: outer.train,
    evaluation: {
      ...common,
      refit: 'train+validation',
      refitRows: outer.train.length,
      testMetricsOf: 'the registered model, fit on train + validation and scored once on the test split',
    },
  };
}

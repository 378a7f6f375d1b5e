import {
  type Algorithm,
  type Candidate,
  type CandidateScore,
  type Dataset,
  type EvaluationSplits,
  scoreCandidate,
} from '../../training/index.js';
import { AppError } from '../errors.js';
import type { RankMetric } from '../registry/policy.js';
import type { Metrics, Params } from '../registry/types.js';
import type { DatasetInfo, Run, RunStore } from '../tracking/store.js';
import { metricValue, scoped } from './metrics.js';

export interface TrialSummary {
  readonly index: number;
  readonly runId: string;
  readonly algorithm: Algorithm;
  readonly params: Params;
  readonly status: 'FINISHED' | 'FAILED';
  /** `validation_*` (or `cv_*`: means over the folds) and `train_ms`; trials never see the test split. */
  readonly metrics: Metrics;
  /** The value trials are compared on (log loss: as is, lower wins). */
  readonly score?: number;
  readonly durationMs: number;
  readonly error?: string;
}

export interface TrialContext {
  readonly dataset: Dataset;
  readonly splits: EvaluationSplits;
  readonly seed: number;
  readonly metric: RankMetric;
  /** The search run: each trial is a child run of it. */
  readonly parent: Run;
  readonly runs: RunStore;
  readonly codeVersion: string;
  readonly datasetInfo: DatasetInfo;
}

/**
 * One candidate of a search, tracked as a child run: fit on the training rows of each scoring split,
 * scored on its validation rows (or folds). A param the trainer refuses fails this trial only.
 */
export async function runTrial(
  index: number,
  candidate: Candidate,
  ctx: TrialContext,
): Promise<{ trial: TrialSummary; score?: CandidateScore }> {
  const started = performance.now();
  const child = await ctx.runs.start({
    runId: `${ctx.parent.runId}-t${String(index).padStart(3, '0')}`,
    experiment: ctx.parent.experiment,
    parentRunId: ctx.parent.runId,
    ...(ctx.parent.modelName ? { modelName: ctx.parent.modelName } : {}),
    startedAt: new Date().toISOString(),
    algorithm: candidate.algorithm,
    params: { ...candidate.params, seed: ctx.seed },
    rankMetric: ctx.metric,
    dataset: ctx.datasetInfo,
    codeVersion: ctx.codeVersion,
  });
  const base = { index, runId: child.runId, algorithm: candidate.algorithm };
  try {
    const score = scoreCandidate(ctx.dataset, candidate, ctx.splits.scoring, ctx.seed);
    const metrics: Metrics = {
      ...scoped(ctx.splits.kind, score),
      train_ms: Math.round(score.durationMs),
    };
    const trial: TrialSummary = {
      ...base,
      params: score.params,
      status: 'FINISHED',
      metrics,
      score: metricValue(score, ctx.metric),
      durationMs: performance.now() - started,
    };
    await ctx.runs.finish(child, { status: 'FINISHED', metrics, params: score.params });
    return { trial, score };
  } catch (error) {
    if (error instanceof AppError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    await ctx.runs.finish(child, { status: 'FAILED', error: message });
    return {
      trial: {
        ...base,
        params: candidate.params,
        status: 'FAILED',
        metrics: {},
        durationMs: performance.now() - started,
        error: message,
      },
    };
  }
}

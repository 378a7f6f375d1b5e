import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  type Candidate,
  type CandidateScore,
  type Dataset,
  DatasetError,
  evaluationSplits,
  scoreCandidate,
} from '../../training/index.js';
import type { ArtifactStore } from '../artifacts/store.js';
import { loadDataset } from '../datasets/load.js';
import { resolveDatasetLocation } from '../datasets/location.js';
import { assertDatasetFits } from '../datasets/memory-estimate.js';
import { AppError, isAppError } from '../errors.js';
import { observeTraining } from '../metrics/training.js';
import type { PromotionDecision, PromotionPolicy } from '../registry/policy.js';
import type { RegistryService } from '../registry/service.js';
import { CHALLENGER, type ModelVersion } from '../registry/types.js';
import type { DatasetInfo, Run, RunStore } from '../tracking/store.js';
import { recordedMetrics } from './metrics.js';
import { minimumRowsPerClass, planCandidates } from './plan.js';
import { registerFinal } from './registration.js';
import { type ResolvedRequest, resolveRequest, runRecord, type TrainRequest } from './request.js';
import { fitFinal, pickBest } from './selection.js';
import { runTrial, type TrialSummary } from './trials.js';

export type { TrainRequest } from './request.js';
export type { TrialSummary } from './trials.js';

export interface TrainHooks {
  /** Called once the dataset is parsed and the trial plan is known. */
  onPlan?(plan: { runId: string; trials: number; dataset: DatasetInfo }): void;
  onTrial?(trial: TrialSummary, best: TrialSummary | undefined): void;
}

/** A run that registered a version (production or challenger, as decided). */
export interface RegisteredOutcome {
  readonly kind: 'registered';
  readonly run: Run;
  readonly version: ModelVersion;
  readonly decision: PromotionDecision;
  readonly trials: readonly TrialSummary[];
}

/** A retraining check that found the data byte-identical to production's: no new version. */
export interface SkippedOutcome {
  readonly kind: 'skipped';
  readonly run: Run;
  readonly reason: string;
  readonly production: ModelVersion;
}

export type TrainOutcome = RegisteredOutcome | SkippedOutcome;

export interface TrainingDeps {
  readonly registry: RegistryService;
  readonly runs: RunStore;
  readonly artifacts: ArtifactStore;
  readonly s3: () => S3Client;
  readonly codeVersion: string;
  /** Promotion policy when the request names none (from PROMOTION_* env). */
  readonly policy?: PromotionPolicy;
  /**
   * Memory the process may use (a Lambda function's size): a dataset whose estimated parsing peak
   * exceeds it is refused before a byte of it is read. Unset: no guard (local runs).
   */
  readonly memoryLimitBytes?: number;
}

/**
 * Dataset → run RUNNING → [search trials on validation rows] → refit → one test scoring → artifacts
 * → registry version, decided against production on the same rows → run FINISHED. Or, when asked to
 * skip unchanged data and production was trained on these very bytes, run SKIPPED.
 */
export function trainAndRegister(
  request: TrainRequest & { readonly skipUnchanged?: false },
  deps: TrainingDeps,
  hooks?: TrainHooks,
): Promise<RegisteredOutcome>;
export function trainAndRegister(
  request: TrainRequest,
  deps: TrainingDeps,
  hooks?: TrainHooks,
): Promise<TrainOutcome>;
export function trainAndRegister(
  request: TrainRequest,
  deps: TrainingDeps,
  hooks: TrainHooks = {},
): Promise<TrainOutcome> {
  return observeTraining(request.modelName, () => train(request, deps, hooks));
}

async function train(request: TrainRequest, deps: TrainingDeps, hooks: TrainHooks): Promise<TrainOutcome> {
  let run: Run | undefined;
  if (request.runId) {
    // Queued by the admin API: take it over (once) before the slow part, so failures land on it.
    run = await deps.runs.claim(request.runId);
    if (!run) throw new AppError('CONFLICT', `run ${request.runId} is not waiting to be trained`);
  }
  let resolved: ResolvedRequest;
  let candidates: Candidate[];
  let dataset: Dataset;
  let datasetInfo: DatasetInfo;
  let validated = false;
  try {
    resolved = resolveRequest({
      ...request,
      ...(request.policy || !deps.policy ? {} : { policy: deps.policy }),
    });
    candidates = planCandidates(resolved);
    validated = true;
    const where = await resolveDatasetLocation(request.dataset, deps.s3, request.fallbackDataset);
    if (deps.memoryLimitBytes !== undefined) {
      await assertDatasetFits(where.source, deps.memoryLimitBytes, deps.s3);
    }
    dataset = await loadDataset(
      {
        source: where.source,
        ...(request.target ? { target: request.target } : {}),
        ...(request.features ? { features: request.features } : {}),
        minRowsPerClass: minimumRowsPerClass(resolved),
      },
      deps.s3,
    );
    datasetInfo = {
      source: where.source,
      fingerprint: dataset.fingerprint,
      rows: dataset.rows,
      target: dataset.target,
      features: dataset.featureNames,
      ...(where.location ? { location: where.location } : {}),
      ...(where.picked ? { picked: where.picked } : {}),
    };
  } catch (error) {
    // A valid request that failed on its data (missing, too large, unparseable) and has no run
    // record yet — a scheduled run — gets one, so the failure is tracked like any other. An invalid
    // request is the caller's mistake, answered before any run exists.
    const failed =
      run ??
      (!validated
        ? undefined
        : await deps.runs
            .start({
              runId: randomUUID(),
              experiment: request.experiment ?? request.modelName,
              modelName: request.modelName,
              startedAt: new Date().toISOString(),
              params: {},
              codeVersion: deps.codeVersion,
            })
            .catch(() => undefined));
    if (failed) await deps.runs.finish(failed, { status: 'FAILED', error: messageOf(error) }).catch(() => {});
    throw error;
  }
  run ??= await deps.runs.start({
    ...runRecord(resolved, { runId: randomUUID(), codeVersion: deps.codeVersion }),
    dataset: datasetInfo,
  });
  const parent = run;
  hooks.onPlan?.({ runId: parent.runId, trials: candidates.length, dataset: datasetInfo });

  try {
    if (resolved.skipUnchanged) {
      const skipped = await skipIfUnchanged(resolved, deps, parent, datasetInfo);
      if (skipped) return skipped;
    }
    const splits = evaluationSplits(dataset.y, {
      testSize: resolved.testSize,
      seed: resolved.seed,
      validationSize: resolved.validationSize,
      ...(resolved.cv ? { cv: resolved.cv } : {}),
    });
    const trials: TrialSummary[] = [];
    let chosen: { trial?: TrialSummary; score?: CandidateScore; candidate: Candidate };
    if (resolved.searching) {
      const scored: { trial: TrialSummary; score?: CandidateScore }[] = [];
      for (const [index, candidate] of candidates.entries()) {
        const result = await runTrial(index, candidate, {
          dataset,
          splits,
          seed: resolved.seed,
          metric: resolved.metric,
          parent,
          runs: deps.runs,
          codeVersion: deps.codeVersion,
          datasetInfo,
        });
        scored.push(result);
        trials.push(result.trial);
        hooks.onTrial?.(result.trial, pickBest(scored, resolved.metric)?.trial);
      }
      const best = pickBest(scored, resolved.metric);
      if (!best) {
        const first = trials.find((t) => t.error)?.error ?? 'no trial produced a model';
        throw new AppError('VALIDATION_FAILED', `all ${trials.length} trials failed; the first: ${first}`);
      }
      chosen = { ...best, candidate: { algorithm: best.trial.algorithm, params: best.score.params } };
    } else {
      chosen = { candidate: candidates[0]! };
    }
    const final = asInputError(() => fitFinal(dataset, chosen.candidate, splits, resolved));
    const selection = chosen.score
      ? { scope: splits.kind, metrics: chosen.score }
      : resolved.cv
        ? {
            scope: 'cv' as const,
            // A plain run's CV score is information only: nothing is selected with it.
            metrics: asInputError(() =>
              scoreCandidate(dataset, chosen.candidate, splits.scoring, resolved.seed),
            ),
          }
        : undefined;
    const metrics = {
      ...recordedMetrics(final.tested.metrics, selection),
      train_ms: Math.round(final.tested.durationMs),
    };
    const registered = await registerFinal(resolved, deps, {
      run: parent,
      dataset,
      datasetInfo,
      splits,
      final,
      metrics,
      trials,
      ...(chosen.trial ? { best: chosen.trial } : {}),
    });
    return { kind: 'registered', ...registered, trials };
  } catch (error) {
    await deps.runs.finish(parent, { status: 'FAILED', error: messageOf(error) }).catch(() => {});
    throw error;
  }
}

/**
 * When production — or the challenger, a run on this data that did not beat it — was trained on
 * byte-identical data, the run ends SKIPPED: there is nothing new to learn, and no version is added
 * (a daily schedule would otherwise register the same challenger every day).
 */
async function skipIfUnchanged(
  request: ResolvedRequest,
  deps: TrainingDeps,
  run: Run,
  dataset: DatasetInfo,
): Promise<SkippedOutcome | undefined> {
  const absent = (error: unknown) => {
    if (isAppError(error) && (error.code === 'NO_MODEL' || error.code === 'NOT_FOUND')) return undefined;
    throw error;
  };
  const production = await deps.registry.resolve(request.modelName).catch(absent);
  if (!production) return undefined;
  const challenger = await deps.registry.resolve(request.modelName, { alias: CHALLENGER }).catch(absent);
  const same = [production, challenger].find((v) => v?.dataset.fingerprint === dataset.fingerprint);
  if (!same) return undefined;
  const which = same === production ? 'production' : 'challenger';
  const reason =
    `data unchanged: ${dataset.source} is byte-identical (sha256 ${dataset.fingerprint.slice(0, 12)}…) ` +
    `to what ${which} v${same.version} was trained on`;
  const finished = await deps.runs.finish(run, { status: 'SKIPPED', reason, dataset });
  return { kind: 'skipped', run: finished, reason, production };
}

/**
 * Trainer errors (a param or data shape the algorithm refuses) are the caller's input: a 422 naming
 * the problem, recorded on the run.
 */
function asInputError<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof RangeError || error instanceof TypeError || error instanceof DatasetError) {
      throw new AppError('VALIDATION_FAILED', error.message, { cause: error });
    }
    throw error;
  }
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

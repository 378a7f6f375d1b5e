import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  ALGORITHM_SPECS,
  type Algorithm,
  baselineStats,
  type Candidate,
  confusionMatrixSvg,
  type Dataset,
  modelCard,
  type Params,
  type SearchStrategy,
  type SplitIndices,
  searchSpace,
  stratifiedKFold,
  stratifiedSplit,
  type TrainResult,
  trainModel,
} from '../../training/index.js';
import { ArtifactStore } from '../artifacts/store.js';
import { loadDataset } from '../datasets/load.js';
import { AppError } from '../errors.js';
import { observeTraining } from '../metrics/training.js';
import {
  better,
  type PromotionDecision,
  type PromotionPolicy,
  promotionPolicyFromEnv,
  type RankMetric,
} from '../registry/policy.js';
import type { RegistryService } from '../registry/service.js';
import type { Metrics, ModelVersion } from '../registry/types.js';
import type { DatasetInfo, Run, RunStore } from '../tracking/store.js';
import { algorithmsOf, checkParams } from './params-check.js';

export interface TrainRequest {
  /** `builtin:<name>`, `s3://bucket/key` or a local path. */
  readonly dataset: string;
  /** Target column; defaults to the built-in dataset's. */
  readonly target?: string;
  readonly features?: readonly string[];
  readonly modelName: string;
  /** `auto` searches every available algorithm. */
  readonly algorithm?: Algorithm | 'auto';
  /** More than one: a search whose every trial is a child run; the best is registered. */
  readonly trials?: number;
  /** Random draws (default) or the grid, capped at `trials` (training/search.ts spaces). */
  readonly search?: SearchStrategy;
  /** What the search ranks trials by (and the run is ranked by in its experiment). */
  readonly metric?: RankMetric;
  /** K-fold cross-validation on the training part to score trials (K+1 fits per trial). */
  readonly cv?: number;
  readonly seed?: number;
  readonly testSize?: number;
  readonly params?: Params;
  readonly experiment?: string;
  readonly policy?: PromotionPolicy;
  /** A run id chosen by the caller (the admin API returns it before training starts). */
  readonly runId?: string;
  readonly description?: string;
  readonly tags?: Readonly<Record<string, string>>;
}

export interface TrialSummary {
  readonly index: number;
  readonly runId: string;
  readonly algorithm: Algorithm;
  readonly params: Params;
  readonly status: 'FINISHED' | 'FAILED';
  readonly metrics: Metrics;
  /** The value trials are compared on (CV mean when cv is set, else the test metric). */
  readonly score?: number;
  readonly durationMs: number;
  readonly error?: string;
}

export interface TrainHooks {
  /** Called once the dataset is parsed and the trial plan is known. */
  onPlan?(plan: { runId: string; trials: number; dataset: DatasetInfo }): void;
  onTrial?(trial: TrialSummary, best: TrialSummary | undefined): void;
}

export interface TrainOutcome {
  readonly run: Run;
  readonly version: ModelVersion;
  readonly decision: PromotionDecision;
  readonly trials: readonly TrialSummary[];
}

export interface TrainingDeps {
  readonly registry: RegistryService;
  readonly runs: RunStore;
  readonly artifacts: ArtifactStore;
  readonly s3: () => S3Client;
  readonly codeVersion: string;
  /** Promotion policy when the request names none (from PROMOTION_* env). */
  readonly policy?: PromotionPolicy;
}

/** The registry keeps the headline metrics as flat numbers; the full report is in the model card. */
export function headlineMetrics(metrics: TrainResult['metrics']): Metrics {
  return { accuracy: metrics.accuracy, macro_f1: metrics.macroF1, log_loss: metrics.logLoss };
}

export const MAX_TRIALS = 500;

/**
 * Dataset → run RUNNING → trial(s) → artifacts to S3 → run FINISHED → registry version → policy
 * alias. Artifacts are in S3 before any registry entry names them, so a crash at any step never
 * leaves a version pointing at nothing (at worst an orphaned object under runs/<runId>/).
 */
export function trainAndRegister(
  request: TrainRequest,
  deps: TrainingDeps,
  hooks: TrainHooks = {},
): Promise<TrainOutcome> {
  return observeTraining(request.modelName, () => trainAndRegisterRun(request, deps, hooks));
}

async function trainAndRegisterRun(
  request: TrainRequest,
  deps: TrainingDeps,
  hooks: TrainHooks,
): Promise<TrainOutcome> {
  const metric = request.metric ?? 'accuracy';
  const seed = request.seed ?? 42;
  const testSize = request.testSize ?? 0.2;
  let run: Run | undefined;
  if (request.runId) {
    // Queued by the admin API: take it over (once) before the slow part, so failures land on it.
    run = await deps.runs.claim(request.runId);
    if (!run) throw new AppError('CONFLICT', `run ${request.runId} is not waiting to be trained`);
  }
  let dataset: Dataset;
  let plan: Candidate[];
  try {
    plan = planCandidates(request, seed);
    dataset = await loadDataset(
      {
        source: request.dataset,
        ...(request.target ? { target: request.target } : {}),
        ...(request.features ? { features: request.features } : {}),
        minRowsPerClass: request.cv ? 3 : 2,
      },
      deps.s3,
    );
  } catch (error) {
    if (run) await deps.runs.finish(run, { status: 'FAILED', error: messageOf(error) }).catch(() => {});
    throw error;
  }
  const datasetInfo: DatasetInfo = {
    source: request.dataset,
    fingerprint: dataset.fingerprint,
    rows: dataset.rows,
    target: dataset.target,
    features: dataset.featureNames,
  };
  run ??= await deps.runs.start({
    runId: randomUUID(),
    experiment: request.experiment ?? request.modelName,
    modelName: request.modelName,
    startedAt: new Date().toISOString(),
    ...(plan.length === 1 ? { algorithm: plan[0]!.algorithm } : {}),
    params: { ...(plan.length === 1 ? plan[0]!.params : {}), seed, test_size: testSize },
    rankMetric: metric,
    dataset: datasetInfo,
    codeVersion: deps.codeVersion,
    ...(plan.length > 1 ? { trials: plan.length } : {}),
  });
  const parent = run;
  hooks.onPlan?.({ runId: parent.runId, trials: plan.length, dataset: datasetInfo });

  try {
    const split = stratifiedSplit(dataset.y, { testSize, seed });
    const folds = request.cv ? cvFolds(dataset, split, request.cv, seed) : undefined;
    const trials: TrialSummary[] = [];
    let best: { trial: TrialSummary; result: TrainResult } | undefined;
    for (const [index, candidate] of plan.entries()) {
      const { trial, result } = await runTrial(index, candidate, {
        dataset,
        split,
        folds,
        seed,
        metric,
        parent: plan.length > 1 ? parent : undefined,
        deps,
        datasetInfo,
      });
      trials.push(trial);
      if (result && trial.score !== undefined && (!best || beats(metric, trial, best.trial))) {
        best = { trial, result };
      }
      hooks.onTrial?.(trial, best?.trial);
    }
    if (!best) {
      const first = trials.find((t) => t.error)?.error ?? 'no trial produced a model';
      throw new AppError(
        'VALIDATION_FAILED',
        plan.length > 1 ? `all ${plan.length} trials failed; the first: ${first}` : first,
      );
    }
    return await registerBest(request, deps, { parent, best, trials, dataset, datasetInfo, metric });
  } catch (error) {
    await deps.runs.finish(parent, { status: 'FAILED', error: messageOf(error) }).catch(() => {});
    throw error;
  }
}

function planCandidates(request: TrainRequest, seed: number): Candidate[] {
  const trials = request.trials ?? 1;
  if (!Number.isInteger(trials) || trials < 1 || trials > MAX_TRIALS) {
    throw new AppError(
      'VALIDATION_FAILED',
      `trials must be an integer from 1 to ${MAX_TRIALS}, got ${trials}`,
      {
        details: [{ field: 'trials', message: `1–${MAX_TRIALS}` }],
      },
    );
  }
  const available = Object.keys(ALGORITHM_SPECS) as Algorithm[];
  const algorithm = request.algorithm ?? (trials > 1 ? 'auto' : 'logreg');
  if (algorithm !== 'auto' && !available.includes(algorithm)) {
    throw new AppError(
      'VALIDATION_FAILED',
      `algorithm "${algorithm}" is not available; choose one of ${[...available, 'auto'].join(', ')}`,
      { details: [{ field: 'algorithm', message: `one of ${[...available, 'auto'].join(', ')}` }] },
    );
  }
  checkParams(request);
  if (trials === 1 && algorithm !== 'auto') return [{ algorithm, params: request.params ?? {} }];
  const algorithms = algorithmsOf(request);
  const count = algorithm === 'auto' ? Math.max(trials, algorithms.length) : trials;
  // Explicit params pin those values in every trial; the search varies the rest.
  const strategy = request.search ?? 'random';
  return [...searchSpace(algorithms, { strategy, trials: count, seed })].map((c) =>
    request.params ? { algorithm: c.algorithm, params: { ...c.params, ...request.params } } : c,
  );
}

/** Folds over the training part only, as indices into the whole dataset; the test split stays unseen. */
function cvFolds(dataset: Dataset, split: SplitIndices, k: number, seed: number): SplitIndices[] {
  const trainY = split.train.map((i) => dataset.y[i]!);
  return stratifiedKFold(trainY, { k, seed }).map((fold) => ({
    train: fold.train.map((i) => split.train[i]!),
    test: fold.test.map((i) => split.train[i]!),
  }));
}

interface TrialContext {
  readonly dataset: Dataset;
  readonly split: SplitIndices;
  readonly folds: SplitIndices[] | undefined;
  readonly seed: number;
  readonly metric: RankMetric;
  /** Set for a search: each trial is then a child run of it. */
  readonly parent: Run | undefined;
  readonly deps: TrainingDeps;
  readonly datasetInfo: DatasetInfo;
}

async function runTrial(
  index: number,
  candidate: Candidate,
  ctx: TrialContext,
): Promise<{ trial: TrialSummary; result?: TrainResult }> {
  const started = performance.now();
  const child = ctx.parent
    ? await ctx.deps.runs.start({
        runId: `${ctx.parent.runId}-t${String(index).padStart(3, '0')}`,
        experiment: ctx.parent.experiment,
        parentRunId: ctx.parent.runId,
        ...(ctx.parent.modelName ? { modelName: ctx.parent.modelName } : {}),
        startedAt: new Date().toISOString(),
        algorithm: candidate.algorithm,
        params: { ...candidate.params, seed: ctx.seed },
        rankMetric: ctx.metric,
        dataset: ctx.datasetInfo,
        codeVersion: ctx.deps.codeVersion,
      })
    : undefined;
  const base = { index, runId: child?.runId ?? ctx.parent?.runId ?? '', algorithm: candidate.algorithm };
  try {
    const options = { algorithm: candidate.algorithm, seed: ctx.seed, params: candidate.params };
    let cvScore: number | undefined;
    if (ctx.folds) {
      const scores = ctx.folds.map(
        (fold) => headlineMetrics(trainModel(ctx.dataset, { ...options, split: fold }).metrics)[ctx.metric]!,
      );
      cvScore = scores.reduce((a, b) => a + b, 0) / scores.length;
    }
    const result = trainModel(ctx.dataset, { ...options, split: ctx.split });
    const metrics: Metrics = {
      ...headlineMetrics(result.metrics),
      ...(cvScore !== undefined ? { [`cv_${ctx.metric}`]: cvScore } : {}),
      train_ms: Math.round(result.durationMs),
    };
    const trial: TrialSummary = {
      ...base,
      params: result.model.params,
      status: 'FINISHED',
      metrics,
      score: cvScore ?? metrics[ctx.metric]!,
      durationMs: performance.now() - started,
    };
    if (child)
      await ctx.deps.runs.finish(child, { status: 'FINISHED', metrics, params: result.model.params });
    return { trial, result };
  } catch (error) {
    if (error instanceof AppError) throw error;
    const message = messageOf(error);
    if (child) await ctx.deps.runs.finish(child, { status: 'FAILED', error: message });
    // A bad parameter is the caller's input; anything else is a bug we still report per trial.
    const trial: TrialSummary = {
      ...base,
      params: candidate.params,
      status: 'FAILED',
      metrics: {},
      durationMs: performance.now() - started,
      error: message,
    };
    return { trial };
  }
}

async function registerBest(
  request: TrainRequest,
  deps: TrainingDeps,
  state: {
    parent: Run;
    best: { trial: TrialSummary; result: TrainResult };
    trials: TrialSummary[];
    dataset: Dataset;
    datasetInfo: DatasetInfo;
    metric: RankMetric;
  },
): Promise<TrainOutcome> {
  const { parent, best, dataset, datasetInfo, trials } = state;
  const { result } = best;
  const runId = parent.runId;
  const trainedAt = new Date().toISOString();
  const put = (name: string, body: Uint8Array | string, type: string) =>
    deps.artifacts.put(ArtifactStore.runKey(runId, name), body, type);

  const model = await put('model.onnx', result.onnx, 'application/octet-stream');
  const trainRows = stratifiedSplit(dataset.y, {
    testSize: request.testSize ?? 0.2,
    seed: request.seed ?? 42,
  }).train;
  const baseline = await put(
    'baseline.json',
    JSON.stringify(
      baselineStats(
        trainRows.map((i) => dataset.X[i]!),
        dataset.featureNames,
        trainRows.map((i) => dataset.y[i]!),
        dataset.classes,
      ),
    ),
    'application/json',
  );
  const picture = await put(
    'confusion-matrix.svg',
    confusionMatrixSvg(result.metrics.confusionMatrix, dataset.classes),
    'image/svg+xml',
  );
  const metrics = { ...best.trial.metrics };
  const card = await put(
    'model-card.json',
    JSON.stringify(
      {
        ...modelCard({
          model: result.model,
          metrics: result.metrics,
          dataset,
          split: result.split,
          seed: request.seed ?? 42,
          testSize: request.testSize ?? 0.2,
          codeVersion: deps.codeVersion,
          trainedAt,
          durationMs: result.durationMs,
        }),
        name: request.modelName,
        runId,
        ...(trials.length > 1 ? { bestTrialRunId: best.trial.runId, trials: trials.length } : {}),
        rankMetric: state.metric,
        ...(request.cv ? { cv: { folds: request.cv, [state.metric]: metrics[`cv_${state.metric}`] } } : {}),
        source: datasetInfo.source,
        artifact: { key: model.key, sha256: model.sha256, bytes: model.bytes },
      },
      null,
      2,
    ),
    'application/json',
  );
  const artifacts = {
    model: model.key,
    card: card.key,
    confusionMatrix: picture.key,
    baseline: baseline.key,
  };
  // Out of the lifecycle expiry before any registry entry names the files.
  await deps.artifacts.markRegistered(Object.values(artifacts));
  // Registered before the run is marked FINISHED, so a poller never sees a finished run without its version.
  const policy = request.policy ?? deps.policy ?? promotionPolicyFromEnv();
  const { version, decision } = await deps.registry.register(
    request.modelName,
    {
      runId,
      artifactKey: model.key,
      sha256: model.sha256,
      algorithm: best.trial.algorithm,
      metrics,
      params: result.model.params,
      featureNames: dataset.featureNames,
      classes: dataset.classes,
      dataset: { source: datasetInfo.source, fingerprint: datasetInfo.fingerprint, rows: datasetInfo.rows },
      codeVersion: deps.codeVersion,
      trainedAt,
      ...(request.description ? { description: request.description } : {}),
      ...(request.tags ? { tags: { ...request.tags } } : {}),
    },
    policy,
  );
  const finished = await deps.runs.finish(parent, {
    status: 'FINISHED',
    metrics,
    artifacts,
    params: { ...result.model.params, seed: request.seed ?? 42, test_size: request.testSize ?? 0.2 },
    algorithm: best.trial.algorithm,
    dataset: datasetInfo,
    ...(trials.length > 1 ? { bestTrialRunId: best.trial.runId, trials: trials.length } : {}),
    modelVersion: version.version,
    alias: decision.alias,
  });
  return {
    run: finished,
    version,
    decision,
    trials,
  };
}

/** Better score wins; on a tie (common for accuracy on small test sets) the lower log loss does. */
function beats(metric: RankMetric, a: TrialSummary, b: TrialSummary): boolean {
  if (better(metric, a.score!, b.score!)) return true;
  if (a.score !== b.score || metric === 'log_loss') return false;
  return (
    (a.metrics['log_loss'] ?? Number.POSITIVE_INFINITY) < (b.metrics['log_loss'] ?? Number.POSITIVE_INFINITY)
  );
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

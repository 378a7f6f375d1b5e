import { paramIssues } from '../../training/algorithms/defaults.js';
import { ALGORITHMS, type Algorithm, type Params } from '../../training/model.js';
import {
  CV_FOLDS,
  DEFAULT_SEED,
  DEFAULT_TEST_SIZE,
  DEFAULT_VALIDATION_SIZE,
  MAX_TRIALS,
} from '../../training/run-defaults.js';
import type { SearchStrategy } from '../../training/search.js';
import type { TrainEvent } from '../api/admin-schemas.js';
import { optionalEnv } from '../config/env.js';
import { AppError, type ErrorDetail } from '../errors.js';
import { type PromotionPolicy, promotionPolicyFromEnv, type RankMetric } from '../registry/policy.js';
import type { NewRun } from '../tracking/store.js';

/**
 * A training request, as the CLI, the admin API (through the train event) and the schedule give it.
 * This module only validates and fills defaults, without the trainers, so the admin function can
 * refuse a bad request (422) before it queues a run.
 */
export interface TrainRequest {
  /**
   * `builtin:<name>`, `s3://bucket/key`, a local path, or a location that grows: `s3://bucket/prefix/`
   * or a local directory, read as its newest object (the one trained on is recorded on the run).
   */
  readonly dataset: string;
  /** Trained on instead when `dataset` is a location with nothing in it yet (the schedule's default). */
  readonly fallbackDataset?: string;
  /** Target column; defaults to the built-in dataset's. */
  readonly target?: string;
  readonly features?: readonly string[];
  readonly modelName: string;
  /** `auto` searches every available algorithm. */
  readonly algorithm?: Algorithm | 'auto';
  /** More than one: a search whose every trial is a child run; the best is refit and registered. */
  readonly trials?: number;
  /** Random draws (default) or the grid, capped at `trials` (training/search.ts spaces). */
  readonly search?: SearchStrategy;
  /** What the search ranks trials by (and the run is ranked by in its experiment). */
  readonly metric?: RankMetric;
  /** Score trials by k-fold cross-validation on the training part instead of a validation split. */
  readonly cv?: number;
  /** Share of the training part held out to score trials (default 0.2). */
  readonly validationSize?: number;
  /**
   * What the registered artifact is fit on after selection: `train+validation` (default; the test
   * split stays unseen) or `all` rows, in which case the test metrics describe the model before it.
   */
  readonly refit?: Refit;
  readonly seed?: number;
  readonly testSize?: number;
  readonly params?: Params;
  readonly experiment?: string;
  readonly policy?: PromotionPolicy;
  /** End the run as SKIPPED (no new version) when production or the challenger was trained on these very bytes. */
  readonly skipUnchanged?: boolean;
  /** A run id chosen by the caller (the admin API returns it before training starts). */
  readonly runId?: string;
  readonly description?: string;
  readonly tags?: Readonly<Record<string, string>>;
}

export const REFITS = ['train+validation', 'all'] as const;
export type Refit = (typeof REFITS)[number];

/** A request with every default filled in, defined here once. */
export interface ResolvedRequest extends TrainRequest {
  readonly algorithm: Algorithm | 'auto';
  readonly trials: number;
  readonly metric: RankMetric;
  readonly seed: number;
  readonly testSize: number;
  readonly validationSize: number;
  readonly refit: Refit;
  /** Whether candidates are compared (a search): more than one trial, or every algorithm. */
  readonly searching: boolean;
  readonly algorithms: readonly Algorithm[];
}

/** Which algorithms a request trains: the one named, every one for `auto`, logreg by default. */
export function algorithmsOf(request: Pick<TrainRequest, 'algorithm' | 'trials'>): Algorithm[] {
  const algorithm = request.algorithm ?? ((request.trials ?? 1) > 1 ? 'auto' : 'logreg');
  return algorithm === 'auto' ? [...ALGORITHMS] : [algorithm];
}

/**
 * Checks a request and fills its defaults; throws one VALIDATION_FAILED (422) naming every bad field:
 * trials, algorithm, cv, sizes, refit, and each param against its spec (name, type and range), so a
 * run that could only fail is never queued.
 */
export function resolveRequest(request: TrainRequest): ResolvedRequest {
  const problems: ErrorDetail[] = [];
  const trials = request.trials ?? 1;
  if (!Number.isInteger(trials) || trials < 1 || trials > MAX_TRIALS) {
    problems.push({ field: 'trials', message: `must be an integer from 1 to ${MAX_TRIALS}, got ${trials}` });
  }
  const algorithm = request.algorithm ?? (trials > 1 ? 'auto' : 'logreg');
  const known = [...ALGORITHMS, 'auto'];
  if (!known.includes(algorithm)) {
    problems.push({ field: 'algorithm', message: `"${algorithm}" is not one of ${known.join(', ')}` });
  }
  if (request.cv !== undefined) {
    const { min, max } = CV_FOLDS;
    if (!Number.isInteger(request.cv) || request.cv < min || request.cv > max) {
      problems.push({ field: 'cv', message: `must be an integer from ${min} to ${max}, got ${request.cv}` });
    }
  }
  for (const [field, value] of [
    ['testSize', request.testSize],
    ['validationSize', request.validationSize],
  ] as const) {
    if (value !== undefined && !(value > 0 && value < 1)) {
      problems.push({ field, message: `must be in (0, 1), got ${value}` });
    }
  }
  if (request.refit !== undefined && !REFITS.includes(request.refit)) {
    problems.push({ field: 'refit', message: `must be one of ${REFITS.join(', ')}, got ${request.refit}` });
  }
  const algorithms = known.includes(algorithm) ? algorithmsOf({ algorithm, trials }) : [];
  for (const issue of paramIssues(algorithms, request.params ?? {})) {
    problems.push({ field: `params.${issue.param}`, message: issue.message });
  }
  if (problems.length > 0) {
    const [first] = problems;
    const what = first!.field?.startsWith('params.') ? 'invalid params' : `invalid ${first!.field}`;
    throw new AppError('VALIDATION_FAILED', `${what}: ${first!.message}`, { details: problems });
  }
  return {
    ...request,
    algorithm,
    trials,
    metric: request.metric ?? 'accuracy',
    seed: request.seed ?? DEFAULT_SEED,
    testSize: request.testSize ?? DEFAULT_TEST_SIZE,
    validationSize: request.validationSize ?? DEFAULT_VALIDATION_SIZE,
    refit: request.refit ?? 'train+validation',
    searching: trials > 1 || algorithm === 'auto',
    algorithms,
  };
}

/** How many trials a request runs (an `auto` search tries each algorithm's defaults at least). */
export function trialCount(request: ResolvedRequest): number {
  return request.algorithm === 'auto' ? Math.max(request.trials, request.algorithms.length) : request.trials;
}

/**
 * The RUNNING run record of a request, the same whether the admin API queues it or the trainer starts
 * it: a single fit names its algorithm and params; a search names its trial count.
 */
export function runRecord(
  request: ResolvedRequest,
  fields: { runId: string; codeVersion: string; startedAt?: string },
): NewRun {
  const single = !request.searching;
  return {
    runId: fields.runId,
    experiment: request.experiment ?? request.modelName,
    modelName: request.modelName,
    startedAt: fields.startedAt ?? new Date().toISOString(),
    ...(single ? { algorithm: request.algorithm as Algorithm } : {}),
    params: {
      ...(single ? (request.params ?? {}) : {}),
      seed: request.seed,
      test_size: request.testSize,
      ...(request.searching ? { validation: request.cv ? `cv${request.cv}` : request.validationSize } : {}),
      refit: request.refit,
    },
    rankMetric: request.metric,
    codeVersion: fields.codeVersion,
    ...(request.searching ? { trials: trialCount(request) } : {}),
  };
}

/** What a request names when it names no dataset and DEFAULT_DATASET is unset. */
export const FALLBACK_DATASET = 'builtin:iris';

/**
 * The train function's event (from the schedule, the admin API's queue or a direct invocation) as a
 * request: DEFAULT_DATASET / DEFAULT_TARGET / the default model name fill what it leaves out, and
 * PROMOTION_* settings the policy, the event's `promotion` overriding them.
 */
export function requestFromEvent(event: TrainEvent, defaultModel: string): TrainRequest {
  const dataset = event.dataset ?? optionalEnv('defaultDataset') ?? FALLBACK_DATASET;
  // The configured default target belongs to the configured default dataset only.
  const target = event.target ?? (event.dataset ? undefined : optionalEnv('defaultTarget'));
  const { promotion, dataset: _d, target: _t, modelName, ...rest } = event;
  return {
    ...rest,
    dataset,
    ...(target ? { target } : {}),
    modelName: modelName ?? defaultModel,
    policy: promotionPolicyFromEnv(promotion ?? {}),
  };
}

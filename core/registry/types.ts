import type { PromotionDecision } from './policy.js';

export type Metrics = Readonly<Record<string, number>>;
export type Params = Readonly<Record<string, string | number | boolean>>;

/** The reserved aliases; any other alias name is a user alias. */
export const PRODUCTION = 'production';
export const CHALLENGER = 'challenger';

export interface ModelVersion {
  readonly name: string;
  readonly version: number;
  readonly runId: string;
  readonly artifactKey: string;
  readonly sha256: string;
  readonly algorithm: string;
  readonly metrics: Metrics;
  readonly params: Params;
  readonly featureNames: readonly string[];
  readonly classes: readonly string[];
  readonly dataset: { readonly source: string; readonly fingerprint: string; readonly rows: number };
  readonly codeVersion: string;
  readonly trainedAt: string;
  readonly createdAt: string;
  readonly description?: string;
  readonly tags?: Readonly<Record<string, string>>;
  /** How `metrics` were measured (versions registered by training). */
  readonly evaluation?: EvaluationRecord;
  /** The automatic promotion decision made when the version was registered. */
  readonly decision?: PromotionDecision;
}

/**
 * What a run's (and its version's) metrics mean: `validation_*` / `cv_*` scored the search trials on the
 * training part; `test_*` (and the unprefixed headline metrics, the same numbers) come from one scoring
 * of the final model on the test split, which selection never saw.
 */
export interface EvaluationRecord {
  /** How candidates were compared: a validation split of the training part, k folds of it, or no search. */
  readonly selection: 'validation' | 'cv' | 'none';
  readonly validationSize?: number;
  readonly cvFolds?: number;
  readonly testSize: number;
  readonly seed: number;
  /** Rows of each part: trials fit on `train`, are scored on `validation` (or folds of train+validation). */
  readonly rows: { readonly train: number; readonly validation?: number; readonly test: number };
  /**
   * Rows the registered artifact was fit on: `train+validation` (the chosen configuration refit on
   * everything but the test rows) or `all` (refit once more on every row, after the test scoring).
   */
  readonly refit: 'train+validation' | 'all';
  readonly refitRows: number;
  /** Which model `test_*` describe (with refit `all`: the train+validation model, before that refit). */
  readonly testMetricsOf: string;
}

export interface RegisteredModel {
  readonly name: string;
  readonly latestVersion: number;
  /** alias → version, as in MLflow ≥ 2.9. */
  readonly aliases: Readonly<Record<string, number>>;
  /** Earlier production versions, most recent last: what rollback returns to. */
  readonly productionHistory: readonly number[];
  /** Bumped by every alias change; alias updates are conditional on it. */
  readonly revision: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly description?: string;
  readonly tags?: Readonly<Record<string, string>>;
  /** When the last version number was reserved (a missing record younger than this is still being written). */
  readonly lastReservedAt?: string;
  /** Reserved numbers without a record: a failed write (recorded as it failed) or retired by cleanup. */
  readonly reservations?: Readonly<
    Record<string, { status: 'failed' | 'retired'; reason: string; at: string }>
  >;
}

/**
 * A version number reserved (by the model's counter) with no version record: `pending` while it
 * may still be written, `failed` when the write failed, `abandoned` when the process stopped
 * between reserving and writing, `retired` once cleaned up (the number is never reused).
 */
export interface IncompleteVersion {
  readonly version: number;
  readonly status: 'pending' | 'failed' | 'abandoned' | 'retired';
  readonly reason: string;
  readonly at?: string;
}

export type NewModelVersion = Omit<ModelVersion, 'version' | 'createdAt' | 'name'>;

import type { PromotionDecision } from '../registry/policy.js';
import { aliasesOf } from '../registry/service.js';
import type {
  EvaluationRecord,
  IncompleteVersion,
  ModelVersion,
  RegisteredModel,
} from '../registry/types.js';
import type { Experiment, Run } from '../tracking/store.js';
import type {
  DecisionOut,
  ExperimentOut,
  IncompleteVersionOut,
  ModelOut,
  RunOut,
  TrainBody,
  TrainEvent,
  VersionOut,
} from './admin-schemas.js';
import type * as z from './zod.js';

/**
 * The admin API's boundary, in one place: core records (camelCase, as stored and used inside)
 * to the snake_case bodies of core/api/admin-schemas.ts, and the `POST /train` body to the train
 * function's event. Each mapper names every field of its schema (`Exhaustive`; the return type
 * checks the values), so a field added to a schema does not compile until it is mapped, optional
 * ones included. Keys inside maps are data and pass through as they are (params, metrics, tags,
 * aliases), except artifact names, which are the code's own (`confusionMatrix` → `confusion_matrix`).
 */
type Exhaustive<T> = Record<keyof T, unknown>;

export function runBody(run: Run): z.infer<typeof RunOut> {
  return {
    run_id: run.runId,
    experiment: run.experiment,
    status: run.status,
    started_at: run.startedAt,
    ended_at: run.endedAt,
    duration_ms: run.durationMs,
    parent_run_id: run.parentRunId,
    model_name: run.modelName,
    algorithm: run.algorithm,
    params: { ...run.params },
    metrics: { ...run.metrics },
    rank_metric: run.rankMetric,
    dataset: run.dataset && {
      source: run.dataset.source,
      fingerprint: run.dataset.fingerprint,
      rows: run.dataset.rows,
      target: run.dataset.target,
      features: run.dataset.features && [...run.dataset.features],
      location: run.dataset.location,
      picked: run.dataset.picked,
    },
    artifacts: Object.fromEntries(Object.entries(run.artifacts).map(([name, key]) => [snakeCase(name), key])),
    code_version: run.codeVersion,
    error: run.error,
    model_version: run.modelVersion,
    alias: run.alias,
    reason: run.reason,
    evaluation: run.evaluation && evaluationBody(run.evaluation),
    class_metrics: run.classMetrics?.map((m) => ({ ...m })),
    trials: run.trials,
    best_trial_run_id: run.bestTrialRunId,
    lease_expires_at: run.status === 'RUNNING' ? run.leaseExpiresAt : undefined,
    heartbeat_at: run.status === 'RUNNING' ? run.heartbeatAt : undefined,
  } satisfies Exhaustive<z.infer<typeof RunOut>>;
}

export function incompleteBody(entry: IncompleteVersion): z.infer<typeof IncompleteVersionOut> {
  return {
    version: entry.version,
    status: entry.status,
    reason: entry.reason,
    at: entry.at,
  } satisfies Exhaustive<z.infer<typeof IncompleteVersionOut>>;
}

export function experimentBody(experiment: Experiment): z.infer<typeof ExperimentOut> {
  return {
    name: experiment.name,
    created_at: experiment.createdAt,
    last_run_at: experiment.lastRunAt,
    run_count: experiment.runCount,
  } satisfies Exhaustive<z.infer<typeof ExperimentOut>>;
}

export function modelBody(model: RegisteredModel): z.infer<typeof ModelOut> {
  return {
    name: model.name,
    latest_version: model.latestVersion,
    aliases: { ...model.aliases },
    production_history: [...model.productionHistory],
    revision: model.revision,
    created_at: model.createdAt,
    updated_at: model.updatedAt,
    description: model.description,
    tags: model.tags && { ...model.tags },
  } satisfies Exhaustive<z.infer<typeof ModelOut>>;
}

/** A version of `model`, with the aliases of `model` that point at it. */
export function versionBody(model: RegisteredModel, version: ModelVersion): z.infer<typeof VersionOut> {
  return {
    name: version.name,
    version: version.version,
    aliases: aliasesOf(model, version.version),
    run_id: version.runId,
    artifact_key: version.artifactKey,
    sha256: version.sha256,
    algorithm: version.algorithm,
    metrics: { ...version.metrics },
    params: { ...version.params },
    feature_names: [...version.featureNames],
    classes: [...version.classes],
    dataset: {
      source: version.dataset.source,
      fingerprint: version.dataset.fingerprint,
      rows: version.dataset.rows,
    },
    code_version: version.codeVersion,
    trained_at: version.trainedAt,
    created_at: version.createdAt,
    description: version.description,
    tags: version.tags && { ...version.tags },
    evaluation: version.evaluation && evaluationBody(version.evaluation),
    decision: version.decision && decisionBody(version.decision),
  } satisfies Exhaustive<z.infer<typeof VersionOut>>;
}

function evaluationBody(e: EvaluationRecord) {
  return {
    selection: e.selection,
    validation_size: e.validationSize,
    cv_folds: e.cvFolds,
    test_size: e.testSize,
    seed: e.seed,
    rows: { ...e.rows },
    refit: e.refit,
    refit_rows: e.refitRows,
    test_metrics_of: e.testMetricsOf,
  };
}

export function decisionBody(d: PromotionDecision): z.infer<typeof DecisionOut> {
  return {
    alias: d.alias,
    reason: d.reason,
    rule: d.rule && { ...d.rule },
    candidate: d.candidate && { ...d.candidate },
    production: d.production && { ...d.production },
    rows: d.rows,
    candidate_wins: d.candidateWins,
    production_wins: d.productionWins,
    p_value: d.pValue,
    schema_diff: d.schemaDiff && {
      ...(d.schemaDiff.features
        ? {
            features: {
              added: [...d.schemaDiff.features.added],
              removed: [...d.schemaDiff.features.removed],
              reordered: d.schemaDiff.features.reordered,
            },
          }
        : {}),
      ...(d.schemaDiff.classes
        ? { classes: { added: [...d.schemaDiff.classes.added], removed: [...d.schemaDiff.classes.removed] } }
        : {}),
    },
    decided_at: d.decidedAt,
  } satisfies Exhaustive<z.infer<typeof DecisionOut>>;
}

const snakeCase = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** `POST /train`'s body as the train function's event (the run id is added when the run is queued). */
export function trainEvent(body: TrainBody): TrainEvent {
  const { model_name, test_size, validation_size, skip_unchanged, ...rest } = body;
  return {
    ...rest,
    ...(model_name !== undefined ? { modelName: model_name } : {}),
    ...(test_size !== undefined ? { testSize: test_size } : {}),
    ...(validation_size !== undefined ? { validationSize: validation_size } : {}),
    ...(skip_unchanged !== undefined ? { skipUnchanged: skip_unchanged } : {}),
  };
}

import { ALGORITHMS } from '../../training/model.js';
import { CV_FOLDS, MAX_TRIALS } from '../../training/run-defaults.js';
import { MAX_DESCRIPTION_LENGTH, TAG_LIMITS } from '../registry/limits.js';
import { MODEL_NAME_PATTERN, MODEL_NAME_RULE } from '../registry/names.js';
import { RANK_METRICS } from '../registry/policy.js';
import type { RouteContractMap } from './contract.js';
import * as z from './zod.js';

/**
 * Admin routes' request and response schemas: lambdas/admin validates with these objects and
 * the OpenAPI generator documents them (see RouteContract in ./contract.ts). Like the rest of
 * the HTTP API (and MLflow's REST API), names are snake_case; the core records they carry are
 * camelCase and are mapped at the boundary, in ./admin-bodies.ts.
 */
export const ModelName = z.string().check(z.regex(MODEL_NAME_PATTERN, MODEL_NAME_RULE));
export const AliasName = z
  .string()
  .check(z.regex(/^[A-Za-z][A-Za-z0-9_-]{0,31}$/, 'a letter, then up to 31 letters, digits, "_" or "-"'));
const ParamValue = z.union([z.string(), z.number(), z.boolean()]);
/** Tags as the registry keeps them (core/registry/limits.ts): a bounded number of short strings. */
const Tags = z
  .record(
    z.string().check(z.minLength(1), z.maxLength(TAG_LIMITS.maxKeyLength)),
    z.string().check(z.maxLength(TAG_LIMITS.maxValueLength)),
  )
  .check(
    z.refine((tags) => Object.keys(tags).length <= TAG_LIMITS.maxTags, {
      message: `at most ${TAG_LIMITS.maxTags} tags`,
    }),
  );
const Description = z.string().check(z.maxLength(MAX_DESCRIPTION_LENGTH));

/** What a training run is given, in both spellings below: the fields named in one word. */
const trainFields = {
  dataset: z.string().check(
    z.regex(
      /^(builtin:[a-z_]+|s3:\/\/[^/]+\/.+)$/,
      'must be builtin:<name>, s3://bucket/key or s3://bucket/prefix/',
    ),
    z.meta({
      description:
        'builtin:iris|wine|breast_cancer, an s3:// URL the train function can read, or an s3://bucket/prefix/ (trailing slash) whose newest object is trained on',
    }),
  ),
  target: z
    .optional(z.string().check(z.minLength(1)))
    .check(z.meta({ description: 'label column; built-in datasets have one' })),
  features: z.optional(z.array(z.string().check(z.minLength(1))).check(z.minLength(1))),
  algorithm: z.optional(z.enum([...ALGORITHMS, 'auto'])),
  trials: z.optional(z.int().check(z.gte(1), z.lte(MAX_TRIALS))),
  search: z
    .optional(z.enum(['random', 'grid']))
    .check(z.meta({ description: 'how trials are drawn (default random)' })),
  metric: z.optional(z.enum(RANK_METRICS)),
  cv: z
    .optional(z.int().check(z.gte(CV_FOLDS.min), z.lte(CV_FOLDS.max)))
    .check(z.meta({ description: 'score search trials by k-fold CV on the training part' })),
  refit: z.optional(z.enum(['train+validation', 'all'])).check(
    z.meta({
      description:
        'what the registered model is fit on after selection: train+validation (default; test metrics describe it) or all rows (test metrics describe the model before that refit)',
    }),
  ),
  seed: z.optional(z.int().check(z.nonnegative())),
  params: z.optional(z.record(z.string(), ParamValue)),
  experiment: z.optional(ModelName),
  description: z.optional(Description),
  tags: z.optional(Tags),
  promotion: z.optional(
    z.strictObject({
      metric: z.optional(z.enum(RANK_METRICS)),
      minimum: z.optional(z.number()),
      margin: z.optional(z.number().check(z.gte(0))),
      significance: z.optional(z.number().check(z.gt(0), z.lte(1))).check(
        z.meta({
          description: "McNemar's test level the candidate must reach over production (default 0.05)",
        }),
      ),
    }),
  ),
};
const Share = z.number().check(z.gt(0), z.lt(1));

/** `POST /train`. */
export const TrainBody = z.strictObject({
  ...trainFields,
  model_name: z.optional(ModelName),
  test_size: z.optional(Share),
  validation_size: z
    .optional(Share)
    .check(z.meta({ description: 'share of the training part that scores search trials (default 0.2)' })),
  skip_unchanged: z.optional(z.boolean()).check(
    z.meta({
      description:
        'end the run as SKIPPED, with no new version, when the data is byte-identical to what production (or the challenger) was trained on',
    }),
  ),
});
export type TrainBody = z.infer<typeof TrainBody>;

/**
 * The train function's payload (EventBridge Scheduler, the admin API's launcher, or the CLI):
 * a Lambda event rather than part of the HTTP API, so camelCase like the code that builds it.
 */
export const TrainEvent = z.strictObject({
  ...trainFields,
  dataset: z.optional(z.string().check(z.minLength(1))),
  fallbackDataset: z.optional(z.string().check(z.minLength(1))),
  modelName: z.optional(ModelName),
  testSize: z.optional(Share),
  validationSize: z.optional(Share),
  skipUnchanged: z.optional(z.boolean()),
  runId: z.optional(z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/))),
});
export type TrainEvent = z.infer<typeof TrainEvent>;

export const TrainAccepted = z.object({
  run_id: z.string(),
  status: z.literal('RUNNING'),
  model_name: z.string(),
  links: z.object({ run: z.string() }),
  request_id: z.string(),
});

const Metrics = z.record(z.string(), z.number());
const Params = z.record(z.string(), ParamValue);
const DatasetInfo = z.object({
  source: z.string().check(z.meta({ description: 'the object trained on' })),
  fingerprint: z.string(),
  rows: z.int(),
  target: z.optional(z.string()),
  features: z.optional(z.array(z.string())),
  location: z
    .optional(z.string())
    .check(z.meta({ description: 'the S3 prefix (or directory) the source was picked from' })),
  picked: z.optional(z.enum(['newest', 'fallback'])),
});

const Evaluation = z
  .object({
    selection: z.enum(['validation', 'cv', 'none']),
    validation_size: z.optional(z.number()),
    cv_folds: z.optional(z.int()),
    test_size: z.number(),
    seed: z.int(),
    rows: z.object({ train: z.int(), validation: z.optional(z.int()), test: z.int() }),
    refit: z.enum(['train+validation', 'all']),
    refit_rows: z.int(),
    test_metrics_of: z.string(),
  })
  .check(
    z.meta({
      description:
        'what the metrics mean: validation_*/cv_* scored the search trials on the training part; test_* (and the unprefixed headline metrics) one scoring of the final model on the test split',
    }),
  );

const ClassMetricsOut = z.object({
  class: z.string(),
  precision: z.number(),
  recall: z.number(),
  f1: z.number(),
  support: z.int(),
});

const SchemaDiffOut = z.object({
  features: z.optional(
    z.object({ added: z.array(z.string()), removed: z.array(z.string()), reordered: z.boolean() }),
  ),
  classes: z.optional(z.object({ added: z.array(z.string()), removed: z.array(z.string()) })),
});

export const DecisionOut = z
  .object({
    alias: z.enum(['production', 'challenger']),
    reason: z.string(),
    rule: z.optional(
      z.object({
        metric: z.string(),
        minimum: z.optional(z.number()),
        margin: z.number(),
        significance: z.number(),
        test: z.string(),
      }),
    ),
    candidate: z.optional(z.object({ value: z.optional(z.number()) })),
    production: z.optional(z.object({ version: z.int(), value: z.optional(z.number()) })),
    rows: z.optional(z.int()),
    candidate_wins: z.optional(z.int()),
    production_wins: z.optional(z.int()),
    p_value: z.optional(z.number()),
    schema_diff: z.optional(SchemaDiffOut),
    decided_at: z.optional(z.string()),
  })
  .check(
    z.meta({
      description:
        'the automatic promotion decision made at registration: both models scored on the same test rows, the rule, the outcome and why',
    }),
  );

export const RunOut = z.object({
  run_id: z.string(),
  experiment: z.string(),
  status: z.enum(['RUNNING', 'FINISHED', 'FAILED', 'SKIPPED', 'ABANDONED']).check(
    z.meta({
      description:
        'SKIPPED: a retraining check found the data unchanged (no new version); ABANDONED: the process running it stopped before it ended (its lease expired)',
    }),
  ),
  started_at: z.string(),
  ended_at: z.optional(z.string()),
  duration_ms: z.optional(z.number()),
  parent_run_id: z.optional(z.string()).check(z.meta({ description: 'set on the trials of a search' })),
  model_name: z.optional(z.string()),
  algorithm: z.optional(z.string()),
  params: Params,
  metrics: Metrics,
  rank_metric: z.optional(z.string()),
  dataset: z.optional(DatasetInfo),
  artifacts: z.record(z.string(), z.string()).check(
    z.meta({
      description: 'artifact (model, card, confusion_matrix, baseline) → its key in the artifact bucket',
    }),
  ),
  code_version: z.string(),
  error: z.optional(z.string()),
  model_version: z.optional(z.int()),
  alias: z.optional(z.string()),
  reason: z
    .optional(z.string())
    .check(z.meta({ description: 'why the run ended so: the promotion decision, or why it was SKIPPED' })),
  evaluation: z.optional(Evaluation),
  class_metrics: z
    .optional(z.array(ClassMetricsOut))
    .check(z.meta({ description: 'per-class precision, recall, F1 and support on the test split' })),
  trials: z.optional(z.int()),
  best_trial_run_id: z.optional(z.string()),
  lease_expires_at: z
    .optional(z.string())
    .check(z.meta({ description: 'RUNNING runs: marked ABANDONED if not renewed by then' })),
  heartbeat_at: z.optional(z.string()),
});

export const RunsQuery = z.strictObject({
  experiment: z
    .optional(ModelName)
    .check(z.meta({ description: 'default: the most recently active experiment' })),
  status: z.optional(z.enum(['RUNNING', 'running'])).check(
    z.meta({
      description: 'RUNNING: every running top-level run, of any experiment, soonest lease expiry first',
    }),
  ),
  limit: z.optional(z.coerce.number().check(z.int(), z.gte(1), z.lte(200))),
});
export const RunList = z.object({
  experiment: z.optional(z.string()).check(z.meta({ description: 'absent when listing by status' })),
  runs: z.array(RunOut),
  request_id: z.string(),
});
/** `POST /runs/reap`: what the reaper marked ABANDONED. */
export const ReapAnswer = z.object({ abandoned: z.array(RunOut), request_id: z.string() });
export const RunDetail = z.object({
  run: RunOut,
  trials: z.optional(z.array(RunOut)).check(z.meta({ description: 'child runs of a hyperparameter search' })),
  request_id: z.string(),
});

export const ExperimentOut = z.object({
  name: z.string(),
  created_at: z.string(),
  last_run_at: z.string(),
  run_count: z.int(),
});
export const ExperimentList = z.object({ experiments: z.array(ExperimentOut), request_id: z.string() });

export const ModelOut = z.object({
  name: z.string(),
  latest_version: z.int(),
  aliases: z.record(z.string(), z.int()).check(z.meta({ description: 'alias → version' })),
  production_history: z
    .array(z.int())
    .check(
      z.meta({ description: 'earlier production versions, most recent last (what rollback returns to)' }),
    ),
  revision: z.int(),
  created_at: z.string(),
  updated_at: z.string(),
  description: z.optional(z.string()),
  tags: z.optional(z.record(z.string(), z.string())),
});
export const ModelList = z.object({ models: z.array(ModelOut), request_id: z.string() });
export const ModelAnswer = z.object({
  model: ModelOut,
  warnings: z
    .optional(z.array(z.string()))
    .check(z.meta({ description: 'set when a forced promotion changed the schema clients must send' })),
  request_id: z.string(),
});

export const VersionOut = z.object({
  name: z.string(),
  version: z.int(),
  aliases: z.array(z.string()),
  run_id: z.string(),
  artifact_key: z.string(),
  sha256: z.string(),
  algorithm: z.string(),
  metrics: Metrics,
  params: Params,
  feature_names: z.array(z.string()),
  classes: z.array(z.string()),
  dataset: z.object({ source: z.string(), fingerprint: z.string(), rows: z.int() }),
  code_version: z.string(),
  trained_at: z.string(),
  created_at: z.string(),
  description: z.optional(z.string()),
  tags: z.optional(z.record(z.string(), z.string())),
  evaluation: z.optional(Evaluation),
  decision: z.optional(DecisionOut),
});
/** A version number that was reserved but whose record was never written (see docs/data-model.md). */
export const IncompleteVersionOut = z.object({
  version: z.int(),
  status: z.enum(['pending', 'failed', 'abandoned', 'retired']).check(
    z.meta({
      description:
        'pending: reserved moments ago; failed: the write failed; abandoned: the process stopped before writing it; retired: cleaned up, the number stays unused',
    }),
  ),
  reason: z.string(),
  at: z.optional(z.string()),
});
export const VersionList = z.object({
  model: ModelOut,
  versions: z.array(VersionOut),
  incomplete_versions: z
    .array(IncompleteVersionOut)
    .check(z.meta({ description: 'reserved numbers with no version record, oldest first' })),
  request_id: z.string(),
});
/** `POST /models/{name}/versions/cleanup`. */
export const VersionCleanup = z.object({
  retired: z.array(IncompleteVersionOut),
  incomplete_versions: z.array(IncompleteVersionOut),
  request_id: z.string(),
});
export const VersionsQuery = z.strictObject({
  limit: z.optional(z.coerce.number().check(z.int(), z.gte(1), z.lte(500))),
});
export const ModelPath = z.object({ name: ModelName });
export const RunPath = z.object({ id: z.string() });

const Force = z.optional(z.boolean()).check(
  z.meta({
    description:
      "required to make production a version whose features or classes differ from production's (its clients will get 422)",
  }),
);
export const PromoteBody = z.strictObject({ version: z.int().check(z.positive()), force: Force });
export const AliasBody = z.strictObject({
  alias: AliasName.check(
    z.meta({
      description: 'production, challenger, any user alias, or a stage name (Production, Staging)',
    }),
  ),
  version: z.optional(z.int().check(z.positive())).check(z.meta({ description: 'omit to remove the alias' })),
  force: Force,
});
export const MetadataBody = z
  .strictObject({
    version: z
      .optional(z.int().check(z.positive()))
      .check(z.meta({ description: 'omit to describe/tag the model itself' })),
    description: z.optional(Description),
    tags: z
      .optional(Tags)
      .check(z.meta({ description: 'merged into the existing tags; an empty value removes that tag' })),
  })
  .check(
    z.refine((b) => b.description !== undefined || b.tags !== undefined, {
      message: 'give a description or tags',
    }),
  );

const notFound = 'Unknown model or version';
export const ADMIN_ROUTE_SCHEMAS: RouteContractMap = {
  'POST /train': {
    body: TrainBody,
    example: { dataset: 'builtin:wine', model_name: 'wine', trials: 10, seed: 7, test_size: 0.25 },
    responses: { 202: { description: 'Training started; poll the run', schema: TrainAccepted } },
  },
  'GET /runs': {
    query: RunsQuery,
    responses: { 200: { description: 'Top-level runs of an experiment, newest first', schema: RunList } },
  },
  'POST /runs/reap': {
    responses: {
      200: {
        description: 'Runs whose lease had expired, now ABANDONED (the scheduled reaper does the same)',
        schema: ReapAnswer,
      },
    },
  },
  'GET /runs/{id}': {
    path: RunPath,
    responses: {
      200: { description: 'One run, with its trials if it was a search', schema: RunDetail },
      404: 'Unknown run',
    },
  },
  'GET /experiments': {
    responses: { 200: { description: 'Experiments, most recently active first', schema: ExperimentList } },
  },
  'GET /models': {
    responses: { 200: { description: 'Registered models with their aliases', schema: ModelList } },
  },
  'GET /models/{name}/versions': {
    path: ModelPath,
    query: VersionsQuery,
    responses: { 200: { description: 'Versions, newest first', schema: VersionList }, 404: 'Unknown model' },
  },
  'POST /models/{name}/versions/cleanup': {
    path: ModelPath,
    responses: {
      200: {
        description: 'Failed and abandoned version reservations retired (pending ones are left alone)',
        schema: VersionCleanup,
      },
      404: 'Unknown model',
    },
  },
  'POST /models/{name}/promote': {
    path: ModelPath,
    body: PromoteBody,
    example: { version: 2 },
    responses: {
      200: { description: 'The model with its new aliases', schema: ModelAnswer },
      404: notFound,
      409: "Too many concurrent alias changes, or (SCHEMA_MISMATCH) the version's schema differs from production's and force is not set",
    },
  },
  'POST /models/{name}/rollback': {
    path: ModelPath,
    responses: {
      200: { description: 'Production points at the previous production version', schema: ModelAnswer },
      404: 'Unknown model',
      409: 'No earlier production version',
    },
  },
  'POST /models/{name}/aliases': {
    path: ModelPath,
    body: AliasBody,
    example: { alias: 'champion-2025', version: 3 },
    responses: {
      200: { description: 'The model with its new aliases', schema: ModelAnswer },
      404: notFound,
      409: "Moving production to a version whose schema differs from production's, without force",
    },
  },
  'POST /models/{name}/metadata': {
    path: ModelPath,
    body: MetadataBody,
    example: { version: 3, description: 'retrained on March data', tags: { owner: 'risk-team' } },
    responses: { 200: { description: 'The model after the change', schema: ModelAnswer }, 404: notFound },
  },
};

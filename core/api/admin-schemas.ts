import { z } from 'zod';
import { RANK_METRICS } from '../registry/policy.js';
import type { RouteContractMap } from './contract.js';

/**
 * Admin routes' request and response schemas: lambdas/admin validates with these objects and
 * the OpenAPI generator documents them (see RouteContract in ./contract.ts).
 */
export const ModelName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'use 1–64 letters, digits, ".", "_" or "-"');
export const AliasName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_-]{0,31}$/, 'a letter, then up to 31 letters, digits, "_" or "-"');
const ParamValue = z.union([z.string(), z.number(), z.boolean()]);

/** What a training run needs; the train function's event is this plus the run id. */
export const TrainBody = z.strictObject({
  dataset: z
    .string()
    .regex(/^(builtin:[a-z_]+|s3:\/\/[^/]+\/.+)$/, 'must be builtin:<name> or s3://bucket/key')
    .meta({ description: 'builtin:iris|wine|breast_cancer, or an s3:// URL the train function can read' }),
  target: z.string().min(1).optional().meta({ description: 'label column; built-in datasets have one' }),
  features: z.array(z.string().min(1)).min(1).optional(),
  modelName: ModelName.optional(),
  algorithm: z.enum(['logreg', 'tree', 'forest', 'gbt', 'auto']).optional(),
  trials: z.number().int().min(1).max(500).optional(),
  search: z
    .enum(['random', 'grid'])
    .optional()
    .meta({ description: 'how trials are drawn (default random)' }),
  metric: z.enum(RANK_METRICS).optional(),
  cv: z.number().int().min(2).max(20).optional(),
  seed: z.number().int().nonnegative().optional(),
  testSize: z.number().gt(0).lt(1).optional(),
  params: z.record(z.string(), ParamValue).optional(),
  experiment: ModelName.optional(),
  description: z.string().max(1000).optional(),
  tags: z.record(z.string().max(128), z.string().max(256)).optional(),
  promotion: z
    .strictObject({
      metric: z.enum(RANK_METRICS).optional(),
      minimum: z.number().optional(),
      margin: z.number().min(0).optional(),
    })
    .optional(),
});
export type TrainBody = z.infer<typeof TrainBody>;

/** The train function's payload (EventBridge Scheduler, the admin API, or the CLI). */
export const TrainEvent = TrainBody.extend({
  dataset: z.string().min(1).optional(),
  runId: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/)
    .optional(),
});
export type TrainEvent = z.infer<typeof TrainEvent>;

export const TrainAccepted = z.object({
  runId: z.string(),
  status: z.literal('RUNNING'),
  modelName: z.string(),
  links: z.object({ run: z.string() }),
  request_id: z.string(),
});

const Metrics = z.record(z.string(), z.number());
const Params = z.record(z.string(), ParamValue);
const DatasetInfo = z.object({
  source: z.string(),
  fingerprint: z.string(),
  rows: z.number().int(),
  target: z.string().optional(),
  features: z.array(z.string()).optional(),
});

export const RunOut = z.object({
  runId: z.string(),
  experiment: z.string(),
  status: z.enum(['RUNNING', 'FINISHED', 'FAILED']),
  startedAt: z.string(),
  endedAt: z.string().optional(),
  durationMs: z.number().optional(),
  parentRunId: z.string().optional(),
  modelName: z.string().optional(),
  algorithm: z.string().optional(),
  params: Params,
  metrics: Metrics,
  rankMetric: z.string().optional(),
  dataset: DatasetInfo.optional(),
  artifacts: z.record(z.string(), z.string()),
  codeVersion: z.string(),
  error: z.string().optional(),
  modelVersion: z.number().int().optional(),
  alias: z.string().optional(),
  trials: z.number().int().optional(),
  bestTrialRunId: z.string().optional(),
});

export const RunsQuery = z.strictObject({
  experiment: ModelName.optional().meta({ description: 'default: the most recently active experiment' }),
  limit: z.coerce.number().int().min(1).max(200).optional(),
});
export const RunList = z.object({ experiment: z.string(), runs: z.array(RunOut), request_id: z.string() });
export const RunDetail = z.object({
  run: RunOut,
  trials: z.array(RunOut).optional().meta({ description: 'child runs of a hyperparameter search' }),
  request_id: z.string(),
});

export const ExperimentList = z.object({
  experiments: z.array(
    z.object({ name: z.string(), createdAt: z.string(), lastRunAt: z.string(), runCount: z.number().int() }),
  ),
  request_id: z.string(),
});

export const ModelOut = z.object({
  name: z.string(),
  latestVersion: z.number().int(),
  aliases: z.record(z.string(), z.number().int()),
  productionHistory: z.array(z.number().int()),
  revision: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  description: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
});
export const ModelList = z.object({ models: z.array(ModelOut), request_id: z.string() });
export const ModelAnswer = z.object({ model: ModelOut, request_id: z.string() });

export const VersionOut = z.object({
  name: z.string(),
  version: z.number().int(),
  aliases: z.array(z.string()),
  runId: z.string(),
  artifactKey: z.string(),
  sha256: z.string(),
  algorithm: z.string(),
  metrics: Metrics,
  params: Params,
  featureNames: z.array(z.string()),
  classes: z.array(z.string()),
  dataset: z.object({ source: z.string(), fingerprint: z.string(), rows: z.number().int() }),
  codeVersion: z.string(),
  trainedAt: z.string(),
  createdAt: z.string(),
  description: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
});
export const VersionList = z.object({
  model: ModelOut,
  versions: z.array(VersionOut),
  request_id: z.string(),
});
export const VersionsQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).optional() });
export const ModelPath = z.object({ name: ModelName });
export const RunPath = z.object({ id: z.string() });

export const PromoteBody = z.strictObject({ version: z.number().int().positive() });
export const AliasBody = z.strictObject({
  alias: AliasName.meta({
    description: 'production, challenger, any user alias, or a stage name (Production, Staging)',
  }),
  version: z.number().int().positive().optional().meta({ description: 'omit to remove the alias' }),
});
export const MetadataBody = z
  .strictObject({
    version: z
      .number()
      .int()
      .positive()
      .optional()
      .meta({ description: 'omit to describe/tag the model itself' }),
    description: z.string().max(1000).optional(),
    tags: z
      .record(z.string().min(1).max(128), z.string().max(256))
      .optional()
      .meta({ description: 'merged into the existing tags; an empty value removes that tag' }),
  })
  .refine((b) => b.description !== undefined || b.tags !== undefined, {
    message: 'give a description or tags',
  });

const notFound = 'Unknown model or version';
export const ADMIN_ROUTE_SCHEMAS: RouteContractMap = {
  'POST /train': {
    body: TrainBody,
    example: { dataset: 'builtin:wine', modelName: 'wine', trials: 10, seed: 7 },
    responses: { 202: { description: 'Training started; poll the run', schema: TrainAccepted } },
  },
  'GET /runs': {
    query: RunsQuery,
    responses: { 200: { description: 'Top-level runs of an experiment, newest first', schema: RunList } },
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
  'POST /models/{name}/promote': {
    path: ModelPath,
    body: PromoteBody,
    example: { version: 2 },
    responses: {
      200: { description: 'The model with its new aliases', schema: ModelAnswer },
      404: notFound,
      409: 'Too many concurrent alias changes',
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
    responses: { 200: { description: 'The model with its new aliases', schema: ModelAnswer }, 404: notFound },
  },
  'POST /models/{name}/metadata': {
    path: ModelPath,
    body: MetadataBody,
    example: { version: 3, description: 'retrained on March data', tags: { owner: 'risk-team' } },
    responses: { 200: { description: 'The model after the change', schema: ModelAnswer }, 404: notFound },
  },
};

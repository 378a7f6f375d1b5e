import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import {
  AliasBody,
  MetadataBody,
  ModelPath,
  PromoteBody,
  RunPath,
  RunsQuery,
  TrainBody,
  VersionsQuery,
} from '../../core/api/admin-schemas.js';
import type { ModelVersion, RegisteredModel } from '../../core/registry/types.js';
import { registryService, runStore, settings } from '../../core/services.js';
import { requirePrincipal } from '../shared/auth.js';
import { type HttpEvent, httpHandler, json, parseJson, type RouteHandler, validate } from '../shared/http.js';
import { trainingLauncher } from './launcher.js';

/** Every admin route needs an admin token; the check wraps each one so none can forget it. */
const admin =
  (route: RouteHandler): RouteHandler =>
  async (event, ctx) => {
    await requirePrincipal(event, 'admin');
    return route(event, ctx);
  };

const path = <T extends z.ZodType>(schema: T, event: HttpEvent): z.infer<T> =>
  validate(schema, event.pathParameters ?? {}, 'path');
const query = <T extends z.ZodType>(schema: T, event: HttpEvent): z.infer<T> =>
  validate(schema, event.queryStringParameters ?? {}, 'query');

function withAliases(model: RegisteredModel, version: ModelVersion) {
  const aliases = Object.entries(model.aliases)
    .filter(([, v]) => v === version.version)
    .map(([alias]) => alias)
    .sort();
  return { ...version, aliases };
}

export const handler = httpHandler({
  'POST /train': admin(async (event) => {
    const body = validate(TrainBody, parseJson(event), 'training request');
    const modelName = body.modelName ?? settings.defaultModel;
    const runId = randomUUID();
    // The run exists (RUNNING) before the 202, so GET /runs/{id} works at once; the worker claims it.
    await runStore().start({
      runId,
      experiment: body.experiment ?? modelName,
      modelName,
      startedAt: new Date().toISOString(),
      ...(body.algorithm && body.algorithm !== 'auto' && !body.trials ? { algorithm: body.algorithm } : {}),
      params: { ...(body.params ?? {}), seed: body.seed ?? 42, test_size: body.testSize ?? 0.2 },
      rankMetric: body.metric ?? 'accuracy',
      codeVersion: settings.codeVersion,
      ...(body.trials && body.trials > 1 ? { trials: body.trials } : {}),
    });
    await trainingLauncher().launch({ ...body, modelName, runId });
    return json(
      202,
      { runId, status: 'RUNNING', modelName, links: { run: `/runs/${runId}` } },
      { location: `/runs/${runId}` },
    );
  }),

  'GET /runs': admin(async (event) => {
    const q = query(RunsQuery, event);
    const experiment = q.experiment ?? (await runStore().latestExperiment()) ?? settings.defaultModel;
    const runs = await runStore().listByExperiment(experiment, q.limit ?? 50);
    return json(200, { experiment, runs });
  }),

  'GET /runs/{id}': admin(async (event) => {
    const { id } = path(RunPath, event);
    const run = await runStore().require(id);
    const trials = run.trials ? await runStore().listTrials(run.runId) : undefined;
    return json(200, { run, ...(trials ? { trials } : {}) });
  }),

  'GET /experiments': admin(async () => json(200, { experiments: await runStore().listExperiments() })),

  'GET /models': admin(async () => json(200, { models: await registryService().listModels() })),

  'GET /models/{name}/versions': admin(async (event) => {
    const { name } = path(ModelPath, event);
    const q = query(VersionsQuery, event);
    const model = await registryService().requireModel(name);
    const versions = await registryService().listVersions(name, q.limit ?? 100);
    return json(200, {
      model,
      versions: versions.map((v) => withAliases(model, v)),
    });
  }),

  'POST /models/{name}/promote': admin(async (event) => {
    const { name } = path(ModelPath, event);
    const body = validate(PromoteBody, parseJson(event));
    const model = await registryService().promote(name, body.version);
    return json(200, { model });
  }),

  'POST /models/{name}/rollback': admin(async (event) => {
    const { name } = path(ModelPath, event);
    const model = await registryService().rollback(name);
    return json(200, { model });
  }),

  'POST /models/{name}/aliases': admin(async (event) => {
    const { name } = path(ModelPath, event);
    const body = validate(AliasBody, parseJson(event));
    const model =
      body.version === undefined
        ? await registryService().removeAlias(name, body.alias)
        : await registryService().setAlias(name, body.alias, body.version);
    return json(200, { model });
  }),

  'POST /models/{name}/metadata': admin(async (event) => {
    const { name } = path(ModelPath, event);
    const body = validate(MetadataBody, parseJson(event));
    await registryService().requireModel(name);
    await registryService().updateMetadata(name, {
      ...(body.version !== undefined ? { version: body.version } : {}),
      ...(body.description !== undefined ? { description: body.description } : {}),
      ...(body.tags ? { tags: body.tags } : {}),
    });
    const model = await registryService().requireModel(name);
    return json(200, { model });
  }),
});

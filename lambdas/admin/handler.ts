import {
  experimentBody,
  incompleteBody,
  modelBody,
  runBody,
  trainEvent,
  versionBody,
} from '../../core/api/admin-bodies.js';
import {
  AliasBody,
  type ExperimentList,
  MetadataBody,
  type ModelAnswer,
  type ModelList,
  ModelPath,
  PromoteBody,
  type ReapAnswer,
  type RunDetail,
  type RunList,
  RunPath,
  RunsQuery,
  type TrainAccepted,
  TrainBody,
  type VersionCleanup,
  type VersionList,
  VersionsQuery,
} from '../../core/api/admin-schemas.js';
import {
  ArtifactPath,
  type DatasetList,
  DatasetsQuery,
  UploadBody,
  type UploadTicketOut,
} from '../../core/api/data-schemas.js';
import type * as z from '../../core/api/zod.js';
import { artifactResponse, readArtifact } from '../../core/artifacts/download.js';
import { presigningS3Client } from '../../core/aws/clients.js';
import { UPLOAD_LIMITS } from '../../core/datasets/uploads.js';
import { AppError } from '../../core/errors.js';
import type { AliasChange } from '../../core/registry/service.js';
import { datasetUploads } from '../../core/services/datasets.js';
import { settings } from '../../core/services/lazy.js';
import { artifactStore, registryService, runStore } from '../../core/services/storage.js';
import { queueTrainingRun } from '../../core/training/queue.js';
import { requirePrincipal } from '../shared/auth.js';
import {
  type HttpEvent,
  httpHandler,
  json,
  parseJson,
  type ResponseBody,
  type RouteHandler,
  validate,
} from '../shared/http.js';
import { trainingLauncher } from './launcher.js';

/** Every admin route needs an admin token; the check wraps each one so none can forget it. */
const admin =
  (route: RouteHandler): RouteHandler =>
  async (event, ctx) => {
    await requirePrincipal(event, 'admin');
    return route(event, ctx);
  };

const path = <T extends z.ZodMiniType>(schema: T, event: HttpEvent): z.infer<T> =>
  validate(schema, event.pathParameters ?? {}, 'path');
const query = <T extends z.ZodMiniType>(schema: T, event: HttpEvent): z.infer<T> =>
  validate(schema, event.queryStringParameters ?? {}, 'query');

/** The answer of every route that changes a model: the model, as it is now (and any warning). */
const modelAnswer = ({ model, warnings }: AliasChange) =>
  json(200, {
    model: modelBody(model),
    ...(warnings.length > 0 ? { warnings: [...warnings] } : {}),
  } satisfies ResponseBody<typeof ModelAnswer>);

/** Bodies are snake_case (core/api/admin-schemas.ts); records are mapped in core/api/admin-bodies.ts. */
export const handler = httpHandler({
  'POST /train': admin(async (event) => {
    const body = validate(TrainBody, parseJson(event), 'training request');
    // An uploaded file is read and parsed now, so a bad one is a 422 rather than a FAILED run.
    await datasetUploads().validate(body.dataset, body.target, body.features);
    const { runId, modelName } = await queueTrainingRun(trainEvent(body), {
      runs: runStore(),
      launcher: trainingLauncher(),
      codeVersion: settings.codeVersion,
      defaultModel: settings.defaultModel,
    });
    return json(
      202,
      {
        run_id: runId,
        status: 'RUNNING',
        model_name: modelName,
        links: { run: `/runs/${runId}` },
      } satisfies ResponseBody<typeof TrainAccepted>,
      { location: `/runs/${runId}` },
    );
  }),

  'GET /runs': admin(async (event) => {
    const q = query(RunsQuery, event);
    if (q.status !== undefined) {
      const running = await runStore().listRunning(q.limit ?? 50);
      return json(200, { runs: running.map(runBody) } satisfies ResponseBody<typeof RunList>);
    }
    const experiment = q.experiment ?? (await runStore().latestExperiment()) ?? settings.defaultModel;
    const runs = await runStore().listByExperiment(experiment, q.limit ?? 50);
    return json(200, { experiment, runs: runs.map(runBody) } satisfies ResponseBody<typeof RunList>);
  }),

  'POST /runs/reap': admin(async () => {
    const abandoned = await runStore().reap();
    return json(200, { abandoned: abandoned.map(runBody) } satisfies ResponseBody<typeof ReapAnswer>);
  }),

  'GET /runs/{id}': admin(async (event) => {
    const { id } = path(RunPath, event);
    const run = await runStore().require(id);
    const trials = run.trials ? await runStore().listTrials(run.runId) : undefined;
    return json(200, {
      run: runBody(run),
      ...(trials ? { trials: trials.map(runBody) } : {}),
    } satisfies ResponseBody<typeof RunDetail>);
  }),

  'GET /experiments': admin(async () => {
    const experiments = (await runStore().listExperiments()).map(experimentBody);
    return json(200, { experiments } satisfies ResponseBody<typeof ExperimentList>);
  }),

  'GET /models': admin(async () => {
    const models = await registryService().listModels();
    return json(200, { models: models.map(modelBody) } satisfies ResponseBody<typeof ModelList>);
  }),

  'GET /models/{name}/versions': admin(async (event) => {
    const { name } = path(ModelPath, event);
    const q = query(VersionsQuery, event);
    const model = await registryService().requireModel(name);
    const [versions, incomplete] = await Promise.all([
      registryService().listVersions(name, q.limit ?? 100),
      registryService().store.incompleteVersions(model),
    ]);
    return json(200, {
      model: modelBody(model),
      versions: versions.map((v) => versionBody(model, v)),
      incomplete_versions: incomplete.map(incompleteBody),
    } satisfies ResponseBody<typeof VersionList>);
  }),

  'POST /models/{name}/versions/cleanup': admin(async (event) => {
    const { name } = path(ModelPath, event);
    const retired = await registryService().retireIncompleteVersions(name);
    const incomplete = await registryService().incompleteVersions(name);
    return json(200, {
      retired: retired.map(incompleteBody),
      incomplete_versions: incomplete.map(incompleteBody),
    } satisfies ResponseBody<typeof VersionCleanup>);
  }),

  'POST /models/{name}/promote': admin(async (event) => {
    const { name } = path(ModelPath, event);
    const body = validate(PromoteBody, parseJson(event));
    return modelAnswer(await registryService().promote(name, body.version, { force: body.force ?? false }));
  }),

  'POST /models/{name}/rollback': admin(async (event) => {
    const { name } = path(ModelPath, event);
    return modelAnswer({ model: await registryService().rollback(name), warnings: [] });
  }),

  'POST /models/{name}/aliases': admin(async (event) => {
    const { name } = path(ModelPath, event);
    const body = validate(AliasBody, parseJson(event));
    return modelAnswer(
      body.version === undefined
        ? { model: await registryService().removeAlias(name, body.alias), warnings: [] }
        : await registryService().setAlias(name, body.alias, body.version, { force: body.force ?? false }),
    );
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
    return modelAnswer({ model: await registryService().requireModel(name), warnings: [] });
  }),

  'GET /runs/{id}/artifacts/{name}': async (event) => {
    const principal = await requirePrincipal(event);
    const { id, name } = path(ArtifactPath, event);
    const run = await runStore().require(id);
    const artifact = artifactResponse(run.artifacts, name);
    if (artifact.adminOnly && principal.role !== 'admin') {
      throw new AppError('FORBIDDEN', `${name} needs the admin role; the model card and matrix do not`);
    }
    const read = await readArtifact(presigningS3Client(), artifactStore().bucket, artifact.key);
    if ('location' in read) {
      return { statusCode: 303, headers: { location: read.location, 'cache-control': 'no-store' } };
    }
    return {
      statusCode: 200,
      headers: { ...artifact.headers },
      body: Buffer.from(read.bytes).toString('base64'),
      isBase64Encoded: true,
    };
  },

  'POST /datasets': admin(async (event) => {
    const body = validate(UploadBody, parseJson(event), 'upload request');
    const ticket = await datasetUploads().ticket({
      filename: body.filename,
      bytes: body.bytes,
      contentType: body.content_type,
    });
    return json(201, {
      dataset: ticket.dataset,
      upload: {
        url: ticket.url,
        method: ticket.method,
        headers: ticket.headers,
        expires_in: ticket.expiresIn,
      },
      max_bytes: UPLOAD_LIMITS.maxBytes,
    } satisfies ResponseBody<typeof UploadTicketOut>);
  }),

  'GET /datasets': admin(async (event) => {
    const q = query(DatasetsQuery, event);
    const datasets = await datasetUploads().list(q.limit ?? 100);
    return json(200, {
      datasets: datasets.map((d) => ({
        dataset: d.dataset,
        name: d.name,
        bytes: d.bytes,
        uploaded_at: d.uploadedAt,
      })),
      max_bytes: UPLOAD_LIMITS.maxBytes,
    } satisfies ResponseBody<typeof DatasetList>);
  }),
});

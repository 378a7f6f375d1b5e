import type { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { ExperimentList, ModelList, RunDetail, RunList, VersionList } from '../../core/api/admin-schemas.js';
import type * as z from '../../core/api/zod.js';
import { s3Client } from '../../core/aws/clients.js';
import { ENV } from '../../core/config/env.js';
import { ARTIFACT_BUCKET } from '../../core/config/tables.js';
import { LambdaTrainingLauncher } from '../../core/training/launcher.js';
import { handler as trainHandler } from '../../lambdas/train/handler.js';
import {
  type ApiResponse,
  adminToken,
  type LocalApi,
  startLocalApi,
  userToken,
} from '../helpers/local-api.js';

let api: LocalApi;
let admin: string;
let user: string;

beforeAll(async () => {
  api = await startLocalApi({ env: { [ENV.modelRefreshSeconds]: '0' } });
  admin = await adminToken(api);
  user = await userToken(api, 'alice', 'through-the-looking-glass');
});
afterAll(async () => {
  await api.stop();
});

async function waitForRun(runId: string, timeoutMs = 45_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await api.call('GET', `/runs/${runId}`, { token: admin });
    expect(res.status).toBe(200);
    if (res.body.run.status !== 'RUNNING') return res.body;
    if (Date.now() > deadline) throw new Error(`run ${runId} still RUNNING`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('admin API', () => {
  it('needs a token, and the admin role', async () => {
    expect((await api.call('GET', '/models')).status).toBe(401);
    const forbidden = await api.call('GET', '/models', { token: user });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe('FORBIDDEN');
    expect(
      (await api.call('POST', '/train', { token: user, json: { dataset: 'builtin:iris' } })).status,
    ).toBe(403);
  });

  it('rejects bad training requests with a 422 naming the field', async () => {
    const local = await api.call('POST', '/train', { token: admin, json: { dataset: '/etc/passwd' } });
    expect(local.status).toBe(422);
    expect(local.body.error.details[0].field).toBe('dataset');
    const trials = await api.call('POST', '/train', {
      token: admin,
      json: { dataset: 'builtin:iris', trials: 0 },
    });
    expect(trials.status).toBe(422);
    expect(trials.body.error.message).toMatch(/trials/);
    const unknown = await api.call('POST', '/train', {
      token: admin,
      json: { dataset: 'builtin:iris', lr: 1 },
    });
    expect(unknown.status).toBe(422);
  });

  it('rejects a param the algorithm does not take with a 422 naming it and the known ones, before any run exists', async () => {
    const before = (await api.call('GET', '/runs?experiment=typo', { token: admin })).body.runs;
    expect(before).toEqual([]);
    const typo = await api.call('POST', '/train', {
      token: admin,
      json: { dataset: 'builtin:iris', model_name: 'typo', algorithm: 'tree', params: { maxDepth: 3 } },
    });
    expect(typo.status).toBe(422);
    expect(typo.body.error.details).toEqual([
      {
        field: 'params.maxDepth',
        message:
          'tree has no param "maxDepth"; its params are max_depth, min_samples_split, min_samples_leaf',
      },
    ]);
    // An auto search gives its params to every algorithm: a tree-only param cannot apply to logreg.
    const auto = await api.call('POST', '/train', {
      token: admin,
      json: { dataset: 'builtin:iris', model_name: 'typo', trials: 4, params: { max_depth: 3 } },
    });
    expect(auto.status).toBe(422);
    expect(auto.body.error.details[0].field).toBe('params.max_depth');
    expect(auto.body.error.message).toMatch(/logreg has no param "max_depth".*with algorithm auto/);
    // Values out of their range are refused the same way (they used to be accepted, then fail the run).
    const depth = await api.call('POST', '/train', {
      token: admin,
      json: { dataset: 'builtin:iris', model_name: 'typo', algorithm: 'tree', params: { max_depth: 1000 } },
    });
    expect(depth.status).toBe(422);
    expect(depth.body.error.details).toEqual([
      { field: 'params.max_depth', message: 'param max_depth must be in [1, 64], got 1000' },
    ]);
    const l2 = await api.call('POST', '/train', {
      token: admin,
      json: { dataset: 'builtin:iris', model_name: 'typo', params: { l2: -1 } },
    });
    expect(l2.status).toBe(422);
    expect(l2.body.error.message).toBe('invalid params: param l2 must be in [0, 1000000], got -1');
    expect((await api.call('GET', '/runs?experiment=typo', { token: admin })).body.runs).toEqual(before);
  });

  it('POST /train answers 202 with a run id at once; the run trains in the background and registers', async () => {
    const res = await api.call('POST', '/train', {
      token: admin,
      json: { dataset: 'builtin:iris', model_name: 'iris', seed: 1 },
    });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      run_id: expect.any(String),
      status: 'RUNNING',
      model_name: 'iris',
      links: { run: `/runs/${res.body.run_id}` },
      request_id: res.headers.get('x-request-id'),
    });
    expect(res.headers.get('location')).toBe(`/runs/${res.body.run_id}`);
    const done = await waitForRun(res.body.run_id);
    expect(done.run).toMatchObject({
      run_id: res.body.run_id,
      status: 'FINISHED',
      model_name: 'iris',
      model_version: 1,
      alias: 'production',
    });
    expect(done.run.metrics.accuracy).toBeGreaterThan(0.9);
    // Lambda retries asynchronous invocations: a retry finds the run claimed and trains nothing.
    const retry = await trainHandler({
      dataset: 'builtin:iris',
      modelName: 'iris',
      runId: res.body.run_id,
    } as unknown);
    expect(retry).toMatchObject({
      runId: res.body.run_id,
      status: 'FAILED',
      error: expect.stringMatching(/not waiting/),
    });
    const after = await api.call('GET', `/runs/${res.body.run_id}`, { token: admin });
    expect(after.body.run).toEqual(done.run);
  });

  it('a search run lists its trials; each is a finished child run', async () => {
    const res = await api.call('POST', '/train', {
      token: admin,
      json: {
        dataset: 'builtin:iris',
        model_name: 'iris',
        trials: 4,
        seed: 2,
        metric: 'macro_f1',
        test_size: 0.3,
      },
    });
    expect(res.status).toBe(202);
    const done = await waitForRun(res.body.run_id);
    expect(done.run).toMatchObject({ status: 'FINISHED', rank_metric: 'macro_f1', trials: 4 });
    expect(done.run.params.test_size).toBe(0.3);
    expect(done.trials).toHaveLength(4);
    for (const trial of done.trials) expect(trial.parent_run_id).toBe(res.body.run_id);
    expect(done.trials.map((t: { run_id: string }) => t.run_id)).toContain(done.run.best_trial_run_id);
    expect(done.run.model_version).toBe(2);
  });

  it('a dataset that cannot be read fails the run, with the reason on it', async () => {
    // A missing upload (the bucket's datasets/) is refused before any run exists: test/api/data-routes.test.ts.
    const res = await api.call('POST', '/train', {
      token: admin,
      json: { dataset: 's3://other-bucket/datasets/missing.csv', target: 'y', model_name: 'ghost' },
    });
    expect(res.status).toBe(202);
    const done = await waitForRun(res.body.run_id);
    expect(done.run.status).toBe('FAILED');
    expect(done.run.error).toMatch(/does not exist/);
  });

  it('a column that turns non-numeric deep in an S3 file fails the run, naming line and column', async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `${i % 5},${i % 2 ? 'a' : 'b'}`);
    lines[17_000] = 'n/a,b';
    await s3Client().send(
      new PutObjectCommand({
        Bucket: ARTIFACT_BUCKET.localName,
        Key: 'incoming/late-bad.csv', // not an upload: checked by the trainer, not before queueing
        Body: `x,y\n${lines.join('\n')}\n`,
      }),
    );
    const res = await api.call('POST', '/train', {
      token: admin,
      json: {
        dataset: `s3://${ARTIFACT_BUCKET.localName}/incoming/late-bad.csv`,
        target: 'y',
        model_name: 'late',
      },
    });
    expect(res.status).toBe(202);
    const done = await waitForRun(res.body.run_id);
    expect(done.run.status).toBe('FAILED');
    expect(done.run.error).toBe(
      `dataset s3://${ARTIFACT_BUCKET.localName}/incoming/late-bad.csv: line 17002, column 'x': 'n/a' is not a number`,
    );
    const models = await api.call('GET', '/models', { token: admin });
    expect(JSON.stringify(models.body)).not.toContain('"late"');
  });

  it('lists runs, experiments, models and versions', async () => {
    const runs = await api.call('GET', '/runs?experiment=iris&limit=10', { token: admin });
    expect(runs.status).toBe(200);
    expect(runs.body.runs).toHaveLength(2);
    expect(runs.body.runs[0].started_at >= runs.body.runs[1].started_at).toBe(true);
    const experiments = await api.call('GET', '/experiments', { token: admin });
    expect(experiments.body.experiments.map((e: { name: string }) => e.name)).toEqual(
      expect.arrayContaining(['iris', 'ghost']),
    );
    const models = await api.call('GET', '/models', { token: admin });
    expect(models.body.models.map((m: { name: string }) => m.name)).toEqual(['iris']);
    const versions = await api.call('GET', '/models/iris/versions', { token: admin });
    expect(versions.body.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    const aliases = versions.body.versions.flatMap((v: { aliases: string[] }) => v.aliases);
    expect(aliases.filter((a: string) => a === 'production')).toHaveLength(1);
    expect((await api.call('GET', '/models/nope/versions', { token: admin })).status).toBe(404);
    expect((await api.call('GET', '/runs/does-not-exist', { token: admin })).status).toBe(404);
    expect((await api.call('GET', '/runs?limit=0', { token: admin })).status).toBe(422);
  });

  it('promote and rollback change what /predict serves', async () => {
    const served = async () =>
      (await api.call('POST', '/predict', { token: user, json: { features: [5.1, 3.5, 1.4, 0.2] } })).body
        .model_version;
    const before = await served();
    const other = before === 1 ? 2 : 1;
    const promoted = await api.call('POST', '/models/iris/promote', {
      token: admin,
      json: { version: other },
    });
    expect(promoted.status).toBe(200);
    expect(promoted.body.model.aliases.production).toBe(other);
    expect(await served()).toBe(other);
    const rolled = await api.call('POST', '/models/iris/rollback', { token: admin });
    expect(rolled.body.model.aliases.production).toBe(before);
    expect(await served()).toBe(before);
    expect(
      (await api.call('POST', '/models/iris/promote', { token: admin, json: { version: 9 } })).status,
    ).toBe(404);
    expect(
      (await api.call('POST', '/models/iris/promote', { token: admin, json: { version: 'x' } })).status,
    ).toBe(422);
  });

  it('sets and removes user aliases, and describes and tags models', async () => {
    const set = await api.call('POST', '/models/iris/aliases', {
      token: admin,
      json: { alias: 'Staging', version: 2 },
    });
    expect(set.body.model.aliases.challenger).toBe(2);
    await api.call('POST', '/models/iris/aliases', { token: admin, json: { alias: 'shadow', version: 1 } });
    const removed = await api.call('POST', '/models/iris/aliases', {
      token: admin,
      json: { alias: 'shadow' },
    });
    expect(removed.body.model.aliases.shadow).toBeUndefined();
    const meta = await api.call('POST', '/models/iris/metadata', {
      token: admin,
      json: { description: 'the flowers', tags: { owner: 'ds' } },
    });
    expect(meta.body.model).toMatchObject({ description: 'the flowers', tags: { owner: 'ds' } });
    expect((await api.call('POST', '/models/iris/metadata', { token: admin, json: {} })).status).toBe(422);
  });

  it('answers in snake_case all the way down, as its schemas say, and refuses camelCase fields', async () => {
    const runs = await api.call('GET', '/runs?experiment=iris', { token: admin });
    const search = await api.call('GET', `/runs/${runs.body.runs[0].run_id}`, { token: admin });
    const answers: [z.ZodMiniType, ApiResponse][] = [
      [RunList, runs],
      [RunDetail, search],
      [ExperimentList, await api.call('GET', '/experiments', { token: admin })],
      [ModelList, await api.call('GET', '/models', { token: admin })],
      [VersionList, await api.call('GET', '/models/iris/versions', { token: admin })],
    ];
    expect(search.body.trials.length).toBeGreaterThan(0);
    for (const [schema, res] of answers) {
      expect(res.status).toBe(200);
      const parsed = schema.safeParse(res.body);
      expect(parsed.error?.issues ?? []).toEqual([]);
      expect(notSnakeCase(res.body)).toEqual([]);
    }
    // Core records' fields reach the answers under their snake_case names.
    expect(search.body.run).toMatchObject({
      started_at: expect.any(String),
      ended_at: expect.any(String),
      duration_ms: expect.any(Number),
      code_version: expect.any(String),
      dataset: { source: 'builtin:iris', fingerprint: expect.any(String), rows: 150 },
    });
    const version = answers[4]![1].body.versions[0];
    expect(version).toMatchObject({
      run_id: expect.any(String),
      artifact_key: expect.stringMatching(/model\.onnx$/),
      feature_names: expect.arrayContaining(['sepal length (cm)']),
      trained_at: expect.any(String),
      created_at: expect.any(String),
    });
    expect(answers[3]![1].body.models[0]).toMatchObject({
      latest_version: 2,
      production_history: expect.any(Array),
    });
    expect(Object.keys(search.body.run.artifacts).sort()).toEqual([
      'baseline',
      'card',
      'confusion_matrix',
      'model',
    ]);

    const camel = await api.call('POST', '/train', {
      token: admin,
      json: { dataset: 'builtin:iris', modelName: 'iris' },
    });
    expect(camel.status).toBe(422);
    expect(camel.body.error.message).toContain('modelName');
  });

  it('versions carry their evaluation and promotion decision; runs their per-class metrics', async () => {
    const versions = await api.call('GET', '/models/iris/versions', { token: admin });
    const v2 = versions.body.versions.find((v: { version: number }) => v.version === 2);
    expect(v2.evaluation).toMatchObject({
      selection: 'validation',
      refit: 'train+validation',
      rows: { test: 45 },
    });
    expect(v2.decision).toMatchObject({
      alias: expect.stringMatching(/production|challenger/),
      reason: expect.any(String),
      rule: { metric: 'accuracy', margin: 0, significance: 0.05 },
      production: { version: 1, value: expect.any(Number) },
      rows: 45,
      candidate_wins: expect.any(Number),
      production_wins: expect.any(Number),
    });
    const run = await api.call('GET', `/runs/${v2.run_id}`, { token: admin });
    expect(run.body.run.class_metrics.map((c: { class: string }) => c.class)).toEqual([
      'setosa',
      'versicolor',
      'virginica',
    ]);
    expect(run.body.run.metrics.test_accuracy).toBe(v2.metrics.accuracy);
  });

  it('another dataset under the same name stays challenger; promoting it needs force and warns', async () => {
    const before = (await api.call('GET', '/models', { token: admin })).body.models[0].aliases.production;
    const res = await api.call('POST', '/train', {
      token: admin,
      json: { dataset: 'builtin:wine', model_name: 'iris' },
    });
    const done = await waitForRun(res.body.run_id);
    expect(done.run).toMatchObject({ status: 'FINISHED', alias: 'challenger' });
    expect(done.run.reason).toMatch(/^schema differs from production v\d: features \+alcohol/);
    const version = done.run.model_version;
    const refused = await api.call('POST', '/models/iris/promote', { token: admin, json: { version } });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('SCHEMA_MISMATCH');
    const forced = await api.call('POST', '/models/iris/promote', {
      token: admin,
      json: { version, force: true },
    });
    expect(forced.status).toBe(200);
    expect(forced.body.model.aliases.production).toBe(version);
    expect(forced.body.warnings).toEqual([expect.stringMatching(/clients built for v\d will get 422/)]);
    const back = await api.call('POST', '/models/iris/rollback', { token: admin });
    expect(back.body.model.aliases.production).toBe(before);
  });

  it('skip_unchanged: a retrain on the bytes production was trained on ends SKIPPED, with no new version', async () => {
    const latest = (await api.call('GET', '/models', { token: admin })).body.models[0].latest_version;
    const res = await api.call('POST', '/train', {
      token: admin,
      json: { dataset: 'builtin:iris', model_name: 'iris', skip_unchanged: true },
    });
    const done = await waitForRun(res.body.run_id);
    expect(done.run.status).toBe('SKIPPED');
    expect(done.run.reason).toMatch(/^data unchanged: builtin:iris is byte-identical/);
    expect(done.run.model_version).toBeUndefined();
    expect((await api.call('GET', '/models', { token: admin })).body.models[0].latest_version).toBe(latest);
  });
});

/**
 * Object keys that are not snake_case, by path. The keys of data maps (hyperparameters, metric
 * and tag names, aliases) are the caller's or the algorithm's names, not the API's, and are skipped.
 */
function notSnakeCase(value: unknown, path = '$'): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => notSnakeCase(v, `${path}[${i}]`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, v]) => [
    ...(/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/.test(key) ? [] : [`${path}.${key}`]),
    ...(['params', 'metrics', 'tags', 'aliases'].includes(key) ? [] : notSnakeCase(v, `${path}.${key}`)),
  ]);
}

describe('LambdaTrainingLauncher', () => {
  it('invokes the train function asynchronously with the run id in the payload', async () => {
    const sent: InvokeCommand[] = [];
    const client = {
      send: async (command: InvokeCommand) => {
        sent.push(command);
        return { StatusCode: 202 };
      },
    } as unknown as LambdaClient;
    await new LambdaTrainingLauncher(client, 'mlops-dev-train').launch({
      dataset: 'builtin:iris',
      runId: 'r1',
    });
    expect(sent[0]!.input.InvocationType).toBe('Event');
    expect(sent[0]!.input.FunctionName).toBe('mlops-dev-train');
    expect(JSON.parse(new TextDecoder().decode(sent[0]!.input.Payload as Uint8Array))).toEqual({
      dataset: 'builtin:iris',
      runId: 'r1',
    });
  });
});

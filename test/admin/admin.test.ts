import type { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { ENV } from '../../core/config/env.js';
import { tokenService } from '../../core/services.js';
import { LambdaTrainingLauncher } from '../../core/training/launcher.js';
import { handler as trainHandler } from '../../lambdas/train/handler.js';
import { type LocalApi, startLocalApi } from '../helpers/local-api.js';

let api: LocalApi;
let admin: string;
let user: string;

beforeAll(async () => {
  api = await startLocalApi({ env: { [ENV.modelRefreshSeconds]: '0' } });
  admin = (await tokenService().issue({ username: 'root', role: 'admin' })).access_token;
  user = (await tokenService().issue({ username: 'alice', role: 'user' })).access_token;
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

  it('POST /train answers 202 with a run id at once; the run trains in the background and registers', async () => {
    const res = await api.call('POST', '/train', {
      token: admin,
      json: { dataset: 'builtin:iris', modelName: 'iris', seed: 1 },
    });
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toBe(`/runs/${res.body.runId}`);
    const done = await waitForRun(res.body.runId);
    expect(done.run).toMatchObject({
      status: 'FINISHED',
      modelName: 'iris',
      modelVersion: 1,
      alias: 'production',
    });
    expect(done.run.metrics.accuracy).toBeGreaterThan(0.9);
    // Lambda retries asynchronous invocations: a retry finds the run claimed and trains nothing.
    const retry = await trainHandler({
      dataset: 'builtin:iris',
      modelName: 'iris',
      runId: res.body.runId,
    } as unknown);
    expect(retry).toMatchObject({
      runId: res.body.runId,
      status: 'FAILED',
      error: expect.stringMatching(/not waiting/),
    });
    const after = await api.call('GET', `/runs/${res.body.runId}`, { token: admin });
    expect(after.body.run).toEqual(done.run);
  });

  it('a search run lists its trials; each is a finished child run', async () => {
    const res = await api.call('POST', '/train', {
      token: admin,
      json: { dataset: 'builtin:iris', modelName: 'iris', trials: 4, seed: 2, metric: 'macro_f1' },
    });
    expect(res.status).toBe(202);
    const done = await waitForRun(res.body.runId);
    expect(done.run.status).toBe('FINISHED');
    expect(done.trials).toHaveLength(4);
    for (const trial of done.trials) expect(trial.parentRunId).toBe(res.body.runId);
    expect(done.run.modelVersion).toBe(2);
  });

  it('a dataset that cannot be read fails the run, with the reason on it', async () => {
    const res = await api.call('POST', '/train', {
      token: admin,
      json: { dataset: 's3://mlops-artifacts/datasets/missing.csv', target: 'y', modelName: 'ghost' },
    });
    expect(res.status).toBe(202);
    const done = await waitForRun(res.body.runId);
    expect(done.run.status).toBe('FAILED');
    expect(done.run.error).toMatch(/does not exist/);
  });

  it('lists runs, experiments, models and versions', async () => {
    const runs = await api.call('GET', '/runs?experiment=iris&limit=10', { token: admin });
    expect(runs.status).toBe(200);
    expect(runs.body.runs).toHaveLength(2);
    expect(runs.body.runs[0].startedAt >= runs.body.runs[1].startedAt).toBe(true);
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
});

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

import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../core/aws/clients.js';
import { requireEnv } from '../../core/config/env.js';
import { RESERVATION_GRACE_MS } from '../../core/registry/store.js';
import { registryService } from '../../core/services/index.js';
import { RunStore } from '../../core/tracking/store.js';
import { trainIris } from '../api/fixtures.js';
import { faulty, throttling } from '../helpers/faults.js';
import { adminToken, type LocalApi, startLocalApi } from '../helpers/local-api.js';

/**
 * Runs that end (leases, heartbeat, reaper) and version numbers that are never silent gaps,
 * against the emulators; DynamoDB faults the emulator cannot produce (a write failing after the
 * number was reserved, throttling) come from aws-sdk-client-mock on the same client.
 */
let api: LocalApi;
let admin: string;

beforeAll(async () => {
  api = await startLocalApi();
  await trainIris();
  admin = await adminToken(api);
}, 120_000);
afterAll(() => api?.stop());

const store = (options: ConstructorParameters<typeof RunStore>[2] = {}) =>
  new RunStore(documentClient(), requireEnv('runsTable'), options);
const newRun = (runId: string, extra: Record<string, unknown> = {}) => ({
  runId,
  experiment: 'leases',
  startedAt: new Date().toISOString(),
  params: {},
  codeVersion: 'test',
  ...extra,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const isVersionWrite = (c: unknown) =>
  c instanceof PutCommand && String(c.input.Item?.['sk']).startsWith('VERSION#');

test('a heartbeat keeps a run past its lease; once it stops, the reaper marks it and its trials ABANDONED', async () => {
  const runs = store({ leaseMs: 400, heartbeatMs: 100 });
  const alive = await runs.start(newRun('lease-alive', { trials: 2 }));
  const trial = await runs.start(newRun('lease-alive-t000', { parentRunId: alive.runId }));
  await sleep(900); // more than two leases: only the heartbeat keeps it
  const reaper = store({ leaseMs: 400 });
  expect(await reaper.reap()).toEqual([]);
  expect((await runs.require(alive.runId)).heartbeatAt).toBeDefined();

  runs.leases.release(alive.runId); // the process "dies": no more heartbeats
  await sleep(600);
  const abandoned = await reaper.reap();
  expect(abandoned.map((r) => r.runId)).toEqual([alive.runId]);
  expect(await runs.require(alive.runId)).toMatchObject({
    status: 'ABANDONED',
    error: expect.stringMatching(/lease expired/),
    endedAt: expect.any(String),
  });
  expect((await runs.require(trial.runId)).status).toBe('ABANDONED');
  // The dead process cannot finish it afterwards.
  await expect(runs.finish(alive, { status: 'FAILED', error: 'late' })).rejects.toMatchObject({
    code: 'CONFLICT',
  });
  expect(await reaper.listRunning()).toEqual([]);
});

test('the admin API lists running runs with their lease and reaps on demand', async () => {
  const runs = store({ leaseMs: 300, reapOnStart: false });
  await runs.start(newRun('lease-admin'), { queued: true });
  const running = await api.call('GET', '/runs?status=RUNNING', { token: admin });
  expect(running.status).toBe(200);
  expect(running.body.runs).toEqual([
    expect.objectContaining({
      run_id: 'lease-admin',
      status: 'RUNNING',
      lease_expires_at: expect.any(String),
    }),
  ]);
  await sleep(500);
  const reaped = await api.call('POST', '/runs/reap', { token: admin });
  expect(reaped.status).toBe(200);
  expect(reaped.body.abandoned).toEqual([
    expect.objectContaining({ run_id: 'lease-admin', status: 'ABANDONED' }),
  ]);
});

test('a throttled lease renewal is retried on the next beat, not given up', async () => {
  const runs = store({ leaseMs: 60_000, heartbeatMs: 60_000 });
  await runs.start(newRun('lease-throttled'), {});
  const fault = faulty(documentClient(), (c) => c instanceof UpdateCommand, throttling);
  try {
    await runs.leases.beat();
    expect(fault.calls()).toBe(1);
    expect(runs.leases.holds('lease-throttled')).toBe(true);
  } finally {
    fault.restore();
  }
  await runs.leases.beat();
  expect((await runs.require('lease-throttled')).heartbeatAt).toBeDefined();
  runs.leases.release('lease-throttled');
});

describe('reserved version numbers', () => {
  const copy = async () => {
    const { name: _n, version: _v, createdAt: _c, ...data } = await registryService().resolve('iris');
    return data;
  };

  test('a write that fails after the number was reserved is recorded as failed, shown, and retired by cleanup', async () => {
    const data = await copy();
    // The version item's write fails after its number was reserved.
    const fault = faulty(documentClient(), isVersionWrite, () => new Error('boom'));
    try {
      await expect(registryService().store.createVersion('iris', data)).rejects.toThrow('boom');
    } finally {
      fault.restore();
    }
    const versions = await api.call('GET', '/models/iris/versions', { token: admin });
    const model = versions.body.model;
    expect(versions.body.incomplete_versions).toEqual([
      {
        version: model.latest_version,
        status: 'failed',
        reason: expect.stringContaining('boom'),
        at: expect.any(String),
      },
    ]);
    const cleaned = await api.call('POST', '/models/iris/versions/cleanup', { token: admin });
    expect(cleaned.status).toBe(200);
    expect(cleaned.body.retired).toEqual([
      expect.objectContaining({ version: model.latest_version, status: 'retired' }),
    ]);
    expect(cleaned.body.incomplete_versions).toEqual([
      expect.objectContaining({ version: model.latest_version, status: 'retired' }),
    ]);
  });

  test('a number reserved by a process that stopped before writing is pending, then abandoned', async () => {
    const data = await copy();
    // The process "dies" after reserving: neither the record nor its failure gets written.
    const fault = faulty(
      documentClient(),
      (c) =>
        isVersionWrite(c) ||
        (c instanceof UpdateCommand && c.input.UpdateExpression === 'SET reservations.#v = :info'),
      () => new Error('killed'),
    );
    try {
      await expect(registryService().store.createVersion('iris', data)).rejects.toThrow('killed');
    } finally {
      fault.restore();
    }
    const model = await registryService().requireModel('iris');
    const now = Date.now();
    const [pending] = (await registryService().store.incompleteVersions(model, now)).filter(
      (v) => v.version === model.latestVersion,
    );
    expect(pending).toMatchObject({ status: 'pending' });
    const later = await registryService().store.incompleteVersions(model, now + RESERVATION_GRACE_MS + 1);
    expect(later.find((v) => v.version === model.latestVersion)).toMatchObject({
      status: 'abandoned',
      reason: expect.stringMatching(/never written/),
    });
  });
});

import { jest } from '@jest/globals';
import { documentClient } from '../../core/aws/clients.js';
import { ENV } from '../../core/config/env.js';
import { registryService } from '../../core/services/index.js';
import { type LocalApi, startLocalApi, userToken } from '../helpers/local-api.js';
import { trainIris } from './fixtures.js';

/**
 * GET /model-info answers from the model cache: the aliases come from the registry read the
 * cache made when it last refreshed, so a call makes no registry read of its own, and a
 * promotion shows once the cache refreshes (MODEL_REFRESH_SECONDS).
 */
const REFRESH_SECONDS = 2;

let api: LocalApi;
let token: string;

beforeAll(async () => {
  api = await startLocalApi({ env: { [ENV.modelRefreshSeconds]: String(REFRESH_SECONDS) } });
  await trainIris('iris', { seed: 1 });
  await trainIris('iris', { seed: 2 });
  token = await userToken(api);
}, 120_000);

afterAll(async () => {
  jest.restoreAllMocks();
  await api?.stop();
});

/** Every DynamoDB call on the registry table, whoever makes it. */
function countRegistryCalls() {
  const table = process.env[ENV.registryTable];
  const client = documentClient();
  const send = jest.spyOn(client, 'send');
  return {
    count: () =>
      send.mock.calls.filter(
        ([command]) => (command as { input?: { TableName?: string } }).input?.TableName === table,
      ).length,
    restore: () => send.mockRestore(),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('GET /model-info makes no registry read of its own', async () => {
  // Warm: the cache holds production and one pinned version, both freshly checked.
  const served = await api.call('GET', '/model-info', { token });
  expect(served.status).toBe(200);
  const pinnedPath = `/model-info?version=${served.body.version}`;
  expect((await api.call('GET', pinnedPath, { token })).status).toBe(200);

  const calls = countRegistryCalls();
  try {
    const started = performance.now();
    for (let i = 0; i < 5; i++) {
      const info = await api.call('GET', '/model-info', { token });
      expect(info.body.aliases).toContain('production');
      expect((await api.call('GET', pinnedPath, { token })).body.aliases).toContain('production');
    }
    // Only meaningful inside one refresh interval (after it the cache may read, legitimately).
    expect(performance.now() - started).toBeLessThan(REFRESH_SECONDS * 1000);
    expect(calls.count()).toBe(0);
  } finally {
    calls.restore();
  }
});

test('after a promotion the aliases move once the cache refreshes, pinned versions too', async () => {
  const model = await registryService().requireModel('iris');
  const serving = model.aliases['production']!;
  const other = serving === 1 ? 2 : 1;
  const info = async (path: string) =>
    (await api.call('GET', path, { token })).body as { version: number; aliases: string[] };
  /** Polls until `done`, for at most a refresh interval plus a model load (generous: shared CI). */
  const until = async (path: string, done: (body: { version: number; aliases: string[] }) => boolean) => {
    const deadline = performance.now() + REFRESH_SECONDS * 1000 + 10_000;
    let body = await info(path);
    while (!done(body) && performance.now() < deadline) {
      await sleep(50);
      body = await info(path);
    }
    return body;
  };
  expect((await info(`/model-info?version=${other}`)).aliases).not.toContain('production');
  expect((await info(`/model-info?version=${serving}`)).aliases).toContain('production');

  await registryService().promote('iris', other);
  try {
    const served = await until('/model-info', (b) => b.version === other);
    expect(served).toMatchObject({ version: other, aliases: expect.arrayContaining(['production']) });
    const promoted = await until(`/model-info?version=${other}`, (b) => b.aliases.includes('production'));
    expect(promoted.aliases).toContain('production');
    const previous = await until(`/model-info?version=${serving}`, (b) => !b.aliases.includes('production'));
    expect(previous.aliases).not.toContain('production');
  } finally {
    await registryService().promote('iris', serving);
  }
});

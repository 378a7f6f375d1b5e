import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalRuntime } from '../../local/runtime.js';
import { startLocalServer } from '../../local/server.js';

/** `npm start`, Ctrl-C, `npm start` again: users, runs and models survive under MLOPS_HOME. */
describe('state under MLOPS_HOME survives a restart', () => {
  const home = mkdtempSync(join(tmpdir(), 'mlops-home-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  async function session<T>(work: (url: string) => Promise<T>): Promise<T> {
    const runtime = await startLocalRuntime({ home });
    const server = await startLocalServer({ port: 0 });
    try {
      return await work(server.url);
    } finally {
      await server.close();
      await runtime.stop();
    }
  }

  const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  test('a user and a model created in one session serve in the next', async () => {
    await session(async (url) => {
      expect((await post(`${url}/users`, { username: 'dana', password: 'persist-me-please' })).status).toBe(
        201,
      );
      const { handler: train } = await import('../../lambdas/train/handler.js');
      await train({ dataset: 'builtin:iris', modelName: 'iris' });
    });

    await session(async (url) => {
      const token = await post(`${url}/token`, { username: 'dana', password: 'persist-me-please' });
      expect(token.status).toBe(200);
      const { access_token } = (await token.json()) as { access_token: string };
      const res = await post(
        `${url}/predict`,
        { features: [6.3, 3.3, 6.0, 2.5] },
        { authorization: `Bearer ${access_token}` },
      );
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ prediction: 'virginica', model_version: 1 });
    });
  });
});

describe('the runtime file that lets a second process attach', () => {
  test('is written while the emulators run and removed on a clean stop', async () => {
    const { existsSync } = await import('node:fs');
    const home = mkdtempSync(join(tmpdir(), 'mlops-home-'));
    try {
      const runtime = await startLocalRuntime({ home });
      expect(existsSync(join(home, 'runtime.json'))).toBe(true);
      await runtime.stop();
      expect(existsSync(join(home, 'runtime.json'))).toBe(false);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { handler as train } from '../../lambdas/train/handler.js';
import { runSmoke } from '../../scripts/smoke-steps.js';
import { type LocalApi, startLocalApi } from '../helpers/local-api.js';

const run = promisify(execFile);

describe('npm run smoke against the local server', () => {
  let api: LocalApi;
  beforeAll(async () => {
    api = await startLocalApi();
  });
  afterAll(async () => {
    await api.stop();
  });

  test('every step fails visibly while no model is in production', async () => {
    const results = await runSmoke({
      url: api.url,
      username: 'smoky',
      password: 'smoke-password',
      features: [5.1, 3.5, 1.4, 0.2],
    });
    const byStep = Object.fromEntries(results.map((r) => [r.step, r]));
    expect(byStep['health']?.ok).toBe(false);
    expect(byStep['token']?.ok).toBe(true);
    expect(byStep['predict']?.ok).toBe(false);
    expect(byStep['predict']?.detail).toMatch(/^503/);
  });

  test('the CLI passes every step once a model is trained', async () => {
    await train({ dataset: 'builtin:iris', modelName: 'iris' });
    const { stdout } = await run('npx', ['tsx', 'scripts/smoke.ts', '--url', api.url], { timeout: 60_000 });
    expect(stdout).toMatch(/PASS {2}health/);
    expect(stdout).toMatch(/PASS {2}predict +200 setosa from iris v1/);
    expect(stdout).toMatch(/PASS {2}model-info/);
    expect(stdout).toMatch(/smoke: all steps passed/);
  });
});

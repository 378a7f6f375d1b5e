import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * `npm start` as a user runs it: the compiled bundle (scripts/build.mjs run start), on a free port,
 * trained through the admin API — which runs the training in a worker thread started from the
 * bundle — then stopped with SIGTERM.
 */
describe('npm start from the compiled bundle', () => {
  const home = mkdtempSync(join(tmpdir(), 'mlops-compiled-'));
  const env = { ...process.env, MLOPS_HOME: home, PORT: '0', LOG_LEVEL: 'WARN' };
  let server: ChildProcess;
  let url: string;

  beforeAll(async () => {
    server = spawn(process.execPath, [resolve('scripts/build.mjs'), 'run', 'start'], { env });
    let out = '';
    url = await new Promise<string>((done, fail) => {
      server.stdout!.on('data', (chunk) => {
        out += chunk;
        const found = /API\s+(http:\/\/[\d.:]+)/.exec(out);
        if (found) done(found[1]!);
      });
      server.once('exit', (code) => fail(new Error(`npm start exited (${code}): ${out}`)));
    });
  }, 120_000);
  afterAll(async () => {
    if (server.exitCode === null) {
      server.kill('SIGTERM');
      await once(server, 'exit');
    }
    rmSync(home, { recursive: true, force: true });
  });

  const cli = (args: string[]) =>
    new Promise<void>((done, fail) => {
      execFile(process.execPath, [resolve('cli/mlops.js'), ...args], { env }, (error, _out, stderr) =>
        error ? fail(new Error(stderr)) : done(),
      );
    });

  test('serves, trains a queued run in its worker thread, and stops on SIGTERM', async () => {
    expect((await fetch(`${url}/health`)).status).toBe(200);
    const password = 'compiled-Bundle-7f3k2q';
    await cli(['create-admin', '--username', 'root', '--password', password]);
    const token = await fetch(`${url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: 'root', password }),
    });
    expect(token.status).toBe(200);
    const auth = {
      authorization: `Bearer ${((await token.json()) as { access_token: string }).access_token}`,
    };
    const queued = await fetch(`${url}/train`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ dataset: 'builtin:wine', model_name: 'wine', algorithm: 'gbt' }),
    });
    expect(queued.status).toBe(202);
    const { run_id } = (await queued.json()) as { run_id: string };
    let run: { status: string; error?: string; model_version?: number } = { status: 'RUNNING' };
    const deadline = Date.now() + 90_000;
    while (run.status === 'RUNNING' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      run = ((await (await fetch(`${url}/runs/${run_id}`, { headers: auth })).json()) as { run: typeof run })
        .run;
    }
    expect(run).toMatchObject({ status: 'FINISHED', model_version: 1 });
    server.kill('SIGTERM');
    const [code] = await once(server, 'exit');
    expect(code).toBe(0);
  }, 150_000);
});

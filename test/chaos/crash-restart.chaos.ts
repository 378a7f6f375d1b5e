import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { s3Client } from '../../core/aws/clients.js';
import { ARTIFACT_BUCKET } from '../../core/config/tables.js';
import { runStore } from '../../core/services/index.js';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime.js';
import { figure, kill9, ROOT, random, signIn, sleep, startServer, stop } from './harness.js';

/**
 * `kill -9` at random moments, then `npm start` again, N times each: during API-started training
 * (in its worker thread) and during artifact writes and user creation. Every restart must come
 * up, and after it no run is left RUNNING.
 */
const ROUNDS = 4;
const rand = random(12);
let home: string;

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'mlops-chaos-'));
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** This test process, attached to the running server's emulators (as the CLI attaches). */
async function attach(): Promise<LocalRuntime> {
  return startLocalRuntime({ home, report: () => {} });
}

test('kill -9 during API-started training, N times: each restart comes up and ends every run', async () => {
  const launched: string[] = [];
  let abandonedSeen = 0;
  for (let round = 0; round <= ROUNDS; round++) {
    const started = performance.now();
    const server = await startServer(home);
    const restartSeconds = (performance.now() - started) / 1000;
    const runtime = await attach();
    try {
      // Start-up ended every run the killed server left behind.
      expect(await runStore().listRunning()).toEqual([]);
      for (const runId of launched) {
        const run = await runStore().require(runId);
        expect({ runId, ended: run.status !== 'RUNNING' }).toEqual({ runId, ended: true });
        if (run.status === 'ABANDONED') {
          abandonedSeen++;
          expect(run.error).toMatch(/abandoned/);
        }
      }
      launched.length = 0;
      if (round === ROUNDS) break;

      const admin = await signIn(server.url, 'admin');
      const res = await fetch(`${server.url}/train`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
        body: JSON.stringify({ dataset: 'builtin:wine', model_name: 'wine', trials: 40, algorithm: 'auto' }),
      });
      expect(res.status).toBe(202);
      launched.push(((await res.json()) as { run_id: string }).run_id);
      await sleep(300 + rand() * 2500);
      figure(`training kill ${round + 1}/${ROUNDS}`, `restart took ${restartSeconds.toFixed(1)} s`);
    } finally {
      await kill9(server.child);
      await runtime.stop();
    }
  }
  figure('runs found ABANDONED after a kill', String(abandonedSeen));
  expect(abandonedSeen).toBeGreaterThan(0);
});

/** Runs the writer fixture until it has written `warmup` objects, then kills it at a random moment. */
async function killWriterMidWrite(): Promise<{ interrupted: boolean }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/chaos/fixtures/writer.ts', home], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'ERROR' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const deadline = performance.now() + 60_000;
  while (!/done 1\n/.test(out) && performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`writer exited early:\n${out}`);
    await sleep(20);
  }
  await sleep(rand() * 400);
  await kill9(child);
  const last = out.trim().split('\n').at(-1) ?? '';
  return { interrupted: last.startsWith('put ') };
}

test('kill -9 during artifact writes and user creation, N times: npm start still starts, state repaired', async () => {
  let interrupted = 0;
  let quarantined = 0;
  for (let round = 0; round < ROUNDS + 1; round++) {
    const kill = await killWriterMidWrite();
    if (kill.interrupted) interrupted++;
    const server = await startServer(home);
    quarantined += (server.output().match(/half-written/g) ?? []).length;
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBeLessThan(500);
    const runtime = await attach();
    try {
      // The bucket lists (a half-written object would make this, and HeadBucket, answer 500).
      const listed = await s3Client().send(new ListObjectsV2Command({ Bucket: ARTIFACT_BUCKET.localName }));
      expect(listed.$metadata.httpStatusCode).toBe(200);
    } finally {
      await runtime.stop();
      await stop(server.child);
    }
  }
  const moved = readdirSync(join(home), { withFileTypes: true }).some((e) => e.name === 'quarantine');
  figure('writer kills that landed mid-write', `${interrupted}/${ROUNDS + 1}`);
  figure(
    'half-written S3 objects quarantined at start-up',
    `${quarantined}${moved ? ` (in ${home}/quarantine)` : ''}`,
  );
  expect(interrupted).toBeGreaterThan(0);
});

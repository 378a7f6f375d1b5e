import {
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { ArtifactStore } from '../../core/artifacts/store.js';
import { s3Client } from '../../core/aws/clients.js';
import { ARTIFACT_BUCKET } from '../../core/config/tables.js';
import { artifactStore, runStore } from '../../core/services/index.js';
import { EMULATOR_CREDENTIALS, startEmulators } from '../../local/emulators.js';
import { ensureBucket } from '../../local/provision.js';
import { startLocalRuntime } from '../../local/runtime.js';

/**
 * What a `kill -9` leaves under MLOPS_HOME, made on purpose (the chaos suite makes it by
 * killing): the next start repairs it, says so, and comes up.
 */
const objectFile = (home: string, key: string) =>
  join(home, 's3', ARTIFACT_BUCKET.localName, `${key}._S3rver_object`);

describe('start-up after a crash', () => {
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'mlops-crash-'));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  /** A first session that writes `keys` and leaves a run RUNNING, then "crashes" (runtime.json stays). */
  async function crashedSession(keys: string[]): Promise<string> {
    const runtime = await startLocalRuntime({ home, report: () => {} });
    for (const key of keys) await artifactStore().put(key, `body of ${key}`, 'text/plain');
    const run = await runStore().start({
      runId: 'left-running',
      experiment: 'iris',
      startedAt: new Date().toISOString(),
      params: {},
      codeVersion: 'test',
    });
    runStore().leases.release(run.runId);
    const file = join(home, 'runtime.json');
    const saved = (await import('node:fs')).readFileSync(file, 'utf8');
    await runtime.stop();
    // As a SIGKILL leaves it: the runtime file of a process that is gone.
    writeFileSync(file, saved.replace(/"pid":\d+/, '"pid":2147483646'));
    return run.runId;
  }

  test('half-written objects are quarantined with a message, the bucket serves, and the run is ABANDONED', async () => {
    const keys = ['runs/a/model.onnx', 'runs/b/model.onnx', 'runs/c/model.onnx', 'runs/d/model.onnx'];
    const runId = await crashedSession(keys);
    truncateSync(objectFile(home, keys[0]!).replace('_object', '_metadata.json'), 0); // metadata never written
    unlinkSync(`${objectFile(home, keys[1]!)}.md5`); // killed before the digest
    writeFileSync(objectFile(home, keys[2]!), 'body of runs/c/mod'); // killed mid-body

    const messages: string[] = [];
    const runtime = await startLocalRuntime({ home, report: (m) => messages.push(m) });
    try {
      expect(messages.filter((m) => m.includes('half-written')).sort()).toEqual([
        expect.stringContaining('runs/a/model.onnx was half-written (metadata file is empty or damaged)'),
        expect.stringContaining('runs/b/model.onnx was half-written (no digest file'),
        expect.stringContaining('runs/c/model.onnx was half-written (body does not match its digest'),
      ]);
      expect(messages.some((m) => m.includes('marked ABANDONED') && m.includes(runId))).toBe(true);
      const listed = await s3Client().send(new ListObjectsV2Command({ Bucket: ARTIFACT_BUCKET.localName }));
      expect((listed.Contents ?? []).map((o) => o.Key)).toEqual(['runs/d/model.onnx']);
      expect(new TextDecoder().decode(await artifactStore().get(keys[3]!))).toBe('body of runs/d/model.onnx');
      const run = await runStore().require(runId);
      expect(run).toMatchObject({ status: 'ABANDONED', error: expect.stringMatching(/still RUNNING/) });
      expect(existsSync(join(home, 'quarantine'))).toBe(true);
    } finally {
      await runtime.stop();
    }
  });

  test('the state folder is 0700 and the runtime file 0600', async () => {
    const fresh = join(home, 'state');
    const runtime = await startLocalRuntime({ home: fresh, report: () => {} });
    try {
      expect(statSync(fresh).mode & 0o777).toBe(0o700);
      expect(statSync(join(fresh, 'runtime.json')).mode & 0o777).toBe(0o600);
      for (const dir of ['s3', 'dynamodb']) expect(statSync(join(fresh, dir)).mode & 0o077).toBe(0);
    } finally {
      await runtime.stop();
    }
  });

  test('a broken emulator is reported as such, not taken for a missing bucket', async () => {
    const runtime = await startLocalRuntime({ home, report: () => {} });
    const key = ArtifactStore.runKey('x', 'model.onnx');
    await artifactStore().put(key, 'x', 'text/plain');
    await runtime.stop();
    truncateSync(objectFile(home, key).replace('_object', '_metadata.json'), 0);
    // The emulator on the damaged state, without the start-up repair: HeadBucket answers 500.
    const emulators = await startEmulators({ s3Directory: join(home, 's3') });
    const client = new S3Client({
      endpoint: emulators.s3Endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: EMULATOR_CREDENTIALS,
    });
    try {
      await expect(ensureBucket(client, ARTIFACT_BUCKET.localName)).rejects.toThrow(
        /could not check bucket "mlops-artifacts" \(HeadBucket answered 500\).*not missing/,
      );
      await ensureBucket(client, 'a-missing-bucket'); // a 404 is missing: created
      expect(readdirSync(join(home, 's3'))).toContain('a-missing-bucket');
    } finally {
      client.destroy();
      await emulators.stop();
    }
  });
});

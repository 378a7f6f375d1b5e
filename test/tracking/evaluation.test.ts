import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { s3Client } from '../../core/aws/clients.js';
import { AppError } from '../../core/errors.js';
import { platformMetrics } from '../../core/metrics/index.js';
import { artifactStore, registryService, runStore, trainingDeps } from '../../core/services/index.js';
import { trainAndRegister } from '../../core/training/service.js';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime.js';
import { builtinDatasetPath } from '../../training/index.js';

let runtime: LocalRuntime;
let dir: string;
beforeAll(async () => {
  runtime = await startLocalRuntime({ ephemeral: true });
  dir = mkdtempSync(join(tmpdir(), 'mlops-eval-'));
});
afterAll(async () => {
  await runtime.stop();
  rmSync(dir, { recursive: true, force: true });
});

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error as AppError,
  );

const iris = readFileSync(builtinDatasetPath('iris'));
/** The iris CSV without its last `drop` rows: other bytes, same schema. */
const irisWithout = (drop: number) => {
  const lines = iris.toString().trimEnd().split('\n');
  return `${lines.slice(0, lines.length - drop).join('\n')}\n`;
};

describe('champion vs challenger through ONNX on the same rows', () => {
  it('a clearly better model replaces a weak production one; the record has both scores on the same rows', async () => {
    const weak = await trainAndRegister(
      { dataset: 'builtin:iris', modelName: 'duel', algorithm: 'tree', params: { max_depth: 1 }, seed: 3 },
      trainingDeps(),
    );
    expect(weak.decision.alias).toBe('production');
    const strong = await trainAndRegister(
      { dataset: 'builtin:iris', modelName: 'duel', algorithm: 'logreg', seed: 3 },
      trainingDeps(),
    );
    expect(strong.decision).toMatchObject({
      alias: 'production',
      rows: 30,
      candidate: { value: strong.version.metrics['test_accuracy'] },
      production: { version: weak.version.version, value: weak.version.metrics['test_accuracy'] },
      rule: { metric: 'accuracy', significance: 0.05, test: expect.stringMatching(/McNemar/) },
    });
    expect(strong.decision.candidateWins).toBeGreaterThan(strong.decision.productionWins!);
    expect(strong.decision.pValue).toBeLessThan(0.05);
    expect((await registryService().resolve('duel')).version).toBe(strong.version.version);
    expect(strong.run.reason).toBe(strong.decision.reason);
  });

  it('training another dataset under an existing model name never replaces production', async () => {
    const first = await trainAndRegister(
      { dataset: 'builtin:iris', modelName: 'gate', seed: 1 },
      trainingDeps(),
    );
    const other = await trainAndRegister(
      { dataset: 'builtin:wine', modelName: 'gate', seed: 1 },
      trainingDeps(),
    );
    expect(other.decision.alias).toBe('challenger');
    expect(other.decision.reason).toMatch(
      /^schema differs from production v1: features \+alcohol .*; classes /,
    );
    expect(other.decision.schemaDiff?.classes?.removed).toEqual(['setosa', 'versicolor', 'virginica']);
    expect((await registryService().resolve('gate')).version).toBe(first.version.version);
  });

  it('a test split too small to decide stays challenger and says so', async () => {
    const rows = ['a,b,label'];
    for (let i = 0; i < 6; i++) rows.push(`${i},${i % 3},x`, `${i + 10},${i % 2},y`);
    const path = join(dir, 'tiny.csv');
    writeFileSync(path, `${rows.join('\n')}\n`);
    await trainAndRegister({ dataset: path, target: 'label', modelName: 'tiny', seed: 1 }, trainingDeps());
    const second = await trainAndRegister(
      { dataset: path, target: 'label', modelName: 'tiny', seed: 2 },
      trainingDeps(),
    );
    expect(second.decision.alias).toBe('challenger');
    expect(second.decision.reason).toMatch(
      /the test split \(2 rows\) is too small to decide: .* needs at least 4 rows/,
    );
  });
});

describe('refit', () => {
  it('refit all: the artifact is fit on every row, the test metrics are labelled as from before it', async () => {
    const base = { dataset: 'builtin:iris', modelName: 'refit', trials: 4, seed: 4 } as const;
    const held = await trainAndRegister(base, trainingDeps());
    const all = await trainAndRegister({ ...base, refit: 'all' }, trainingDeps());
    expect(held.version.evaluation).toMatchObject({ refit: 'train+validation', refitRows: 120 });
    expect(all.version.evaluation).toMatchObject({
      refit: 'all',
      refitRows: 150,
      testMetricsOf: expect.stringMatching(/before the refit on all rows/),
    });
    // Same selection and test scoring, another artifact.
    expect(all.version.metrics['test_accuracy']).toBe(held.version.metrics['test_accuracy']);
    expect(all.version.sha256).not.toBe(held.version.sha256);
    const card = JSON.parse(Buffer.from(await artifactStore().get(all.run.artifacts['card']!)).toString());
    expect(card.evaluation.refit).toBe('all');
  });
});

describe('retraining on new data, not the same data', () => {
  const bucket = () => artifactStore().bucket;
  const put = (key: string, body: string | Uint8Array) =>
    s3Client().send(new PutObjectCommand({ Bucket: bucket(), Key: key, Body: body }));

  it('trains the newest object under a prefix, then skips when production already has those bytes', async () => {
    const prefix = `s3://${bucket()}/datasets/grow/`;
    await put('datasets/grow/2024-01-01.csv', irisWithout(10));
    const first = await trainAndRegister(
      { dataset: prefix, target: 'species', modelName: 'grow', skipUnchanged: true },
      trainingDeps(),
    );
    if (first.kind !== 'registered') throw new Error('expected a version');
    expect(first.run.dataset).toMatchObject({
      source: `s3://${bucket()}/datasets/grow/2024-01-01.csv`,
      location: prefix,
      picked: 'newest',
      rows: 140,
    });
    const again = await trainAndRegister(
      { dataset: prefix, target: 'species', modelName: 'grow', skipUnchanged: true },
      trainingDeps(),
    );
    expect(again.kind).toBe('skipped');
    expect(again.run.status).toBe('SKIPPED');
    expect(again.run.reason).toMatch(/^data unchanged: .* byte-identical .* production v1/);
    expect((await runStore().require(again.run.runId)).status).toBe('SKIPPED');
    expect((await registryService().requireModel('grow')).latestVersion).toBe(1);
    // A skipped check is a healthy one: the freshness alert reads when the last one ended.
    const text = await platformMetrics().text();
    expect(text).toMatch(/mlops_training_runs_total\{model="grow",status="SKIPPED"\} 1/);
    expect(text).toMatch(/mlops_training_last_success_timestamp_seconds\{model="grow"\} \d+/);

    await put('datasets/grow/2024-02-01.csv', irisWithout(0));
    const grown = await trainAndRegister(
      { dataset: prefix, target: 'species', modelName: 'grow', skipUnchanged: true },
      trainingDeps(),
    );
    expect(grown.kind).toBe('registered');
    expect(grown.run.dataset).toMatchObject({
      source: `s3://${bucket()}/datasets/grow/2024-02-01.csv`,
      rows: 150,
    });
  });

  it('an empty prefix is a clear 404, or the fallback dataset when one is given', async () => {
    const prefix = `s3://${bucket()}/datasets/nothing-yet/`;
    const error = await failure(
      trainAndRegister({ dataset: prefix, target: 'species', modelName: 'empty' }, trainingDeps()),
    );
    expect(error).toBeInstanceOf(AppError);
    expect(error.status).toBe(404);
    expect(error.message).toBe(
      `dataset location ${prefix} is empty: put a CSV there (the newest one is trained on)`,
    );
    const fallback = await trainAndRegister(
      { dataset: prefix, fallbackDataset: 'builtin:iris', modelName: 'empty' },
      trainingDeps(),
    );
    expect(fallback.run.dataset).toMatchObject({
      source: 'builtin:iris',
      location: prefix,
      picked: 'fallback',
    });
    const missing = await failure(
      trainAndRegister(
        { dataset: 's3://no-such-bucket-here/data/', target: 'y', modelName: 'empty' },
        trainingDeps(),
      ),
    );
    expect(missing.status).toBe(404);
    expect(missing.message).toMatch(/no such bucket/);
  });

  it('a local directory is read as its newest CSV', async () => {
    const folder = join(dir, 'drops');
    mkdirSync(folder);
    writeFileSync(join(folder, 'old.csv'), irisWithout(20));
    writeFileSync(join(folder, 'new.csv'), irisWithout(5));
    utimesSync(join(folder, 'old.csv'), new Date(2020, 0, 1), new Date(2020, 0, 1));
    const outcome = await trainAndRegister(
      { dataset: folder, target: 'species', modelName: 'drops' },
      trainingDeps(),
    );
    expect(outcome.run.dataset).toMatchObject({
      source: join(folder, 'new.csv'),
      location: folder,
      rows: 145,
    });
  });
});

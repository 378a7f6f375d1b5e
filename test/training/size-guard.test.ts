import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  assertDatasetFits,
  BASELINE_BYTES,
  estimatePeakBytes,
  largestCsvBytes,
  PEAK_BYTES_PER_CSV_BYTE,
} from '../../core/datasets/memory-estimate.js';
import { runStore } from '../../core/services/index.js';
import { handler as trainHandler } from '../../lambdas/train/handler.js';
import { type LocalApi, startLocalApi } from '../helpers/local-api.js';

const MB = 1024 * 1024;
const noS3 = () => {
  throw new Error('S3 must not be called for a local file or a built-in dataset');
};

describe('dataset size estimate', () => {
  test('is the measured factor times the CSV plus the baseline, and its inverse', () => {
    expect(estimatePeakBytes(250 * MB)).toBe(BASELINE_BYTES + 250 * MB * PEAK_BYTES_PER_CSV_BYTE);
    // The reviewed case: a 250 MB CSV does not fit the 2,048 MB train function.
    expect(estimatePeakBytes(250 * MB)).toBeGreaterThan(2048 * MB);
    const largest = largestCsvBytes(2048 * MB);
    expect(estimatePeakBytes(largest)).toBeLessThanOrEqual(2048 * MB);
    expect(estimatePeakBytes(largest + PEAK_BYTES_PER_CSV_BYTE)).toBeGreaterThan(2048 * MB);
  });

  test('refuses a file above the limit with a message naming the limit and the way out; built-ins pass', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'size-guard-'));
    try {
      const file = join(dir, 'big.csv');
      writeFileSync(file, Buffer.alloc(2 * MB, 'a'));
      const memory = estimatePeakBytes(MB); // fits 1 MB of CSV, not 2
      const refusal = assertDatasetFits(file, memory, noS3 as never);
      await expect(refusal).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status: 413 });
      await expect(refusal).rejects.toThrow(
        /2 MB.*more than the \d+ MB this training function has.*not available yet/,
      );
      await expect(
        assertDatasetFits(file, estimatePeakBytes(3 * MB), noS3 as never),
      ).resolves.toBeUndefined();
      await expect(assertDatasetFits('builtin:iris', 1, noS3 as never)).resolves.toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('train function size guard (emulators)', () => {
  let api: LocalApi;
  let dir: string;
  const saved = process.env['AWS_LAMBDA_FUNCTION_MEMORY_SIZE'];
  beforeAll(async () => {
    api = await startLocalApi();
    dir = mkdtempSync(join(tmpdir(), 'size-guard-'));
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env['AWS_LAMBDA_FUNCTION_MEMORY_SIZE'];
    else process.env['AWS_LAMBDA_FUNCTION_MEMORY_SIZE'] = saved;
    rmSync(dir, { recursive: true, force: true });
    await api.stop();
  });

  test('a scheduled run on a dataset too big for the function is refused before parsing and recorded FAILED', async () => {
    // Not a CSV at all: had it been parsed, the error would be a parse error, not the size refusal.
    const file = join(dir, 'huge.csv');
    writeFileSync(file, Buffer.alloc(4 * MB, 0));
    // A function whose memory fits the baseline and 1 MB of CSV.
    process.env['AWS_LAMBDA_FUNCTION_MEMORY_SIZE'] = String(Math.floor(estimatePeakBytes(MB) / MB));
    const experiment = `size-guard-${Date.now()}`;
    await expect(
      trainHandler({ dataset: file, target: 'label', modelName: 'guarded', experiment } as unknown),
    ).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    const runs = await runStore().listByExperiment(experiment);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'FAILED', error: expect.stringMatching(/MB of CSV/) });
  }, 60_000);
});

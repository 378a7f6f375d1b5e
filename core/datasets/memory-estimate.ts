import { stat } from 'node:fs/promises';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { AppError } from '../errors.js';

/**
 * Peak memory of parsing a training CSV, per byte of CSV: measured with `npm run bench:dataset-memory`
 * (numeric CSV, 10 features; docs/training.md "Dataset size limit"). Parsing builds one JS string of
 * the file, then an array of row arrays of boxed numbers: about twelve times the file at its peak.
 * The streaming columnar parser (issue 14) lowers this; re-measure and change it here.
 */
export const PEAK_BYTES_PER_CSV_BYTE = 12;

/** The process itself before any data (runtime, bundle, SDK clients): measured intercept, rounded up. */
export const BASELINE_BYTES = 128 * 1024 * 1024;

const MB = 1024 * 1024;

/**
 * Estimated peak memory of training on a CSV of `csvBytes`.
 *
 * @example
 * estimatePeakBytes(250 * 1024 * 1024); // ~2.6 GB: more than a 2,048 MB function has
 */
export function estimatePeakBytes(csvBytes: number): number {
  return BASELINE_BYTES + csvBytes * PEAK_BYTES_PER_CSV_BYTE;
}

/** The largest CSV that fits a memory size, by the same estimate. */
export function largestCsvBytes(memoryBytes: number): number {
  return Math.max(0, Math.floor((memoryBytes - BASELINE_BYTES) / PEAK_BYTES_PER_CSV_BYTE));
}

/**
 * Refuses, before any byte of it is read, a dataset whose estimated parsing peak exceeds the
 * memory available: Lambda would kill the function (out of memory) after minutes of work. The
 * message names the limit and what to do. Sizes come from S3 HeadObject or the file system;
 * `builtin:` datasets ship with the code and always fit.
 *
 * @example
 * await assertDatasetFits('s3://bucket/datasets/big.csv', 2048 * MB, s3);
 */
export async function assertDatasetFits(
  source: string,
  memoryBytes: number,
  s3: () => S3Client,
): Promise<void> {
  const bytes = await datasetBytes(source, s3);
  if (bytes === undefined) return;
  const peak = estimatePeakBytes(bytes);
  if (peak <= memoryBytes) return;
  throw new AppError(
    'PAYLOAD_TOO_LARGE',
    `dataset ${source} is ${(bytes / MB).toFixed(0)} MB: parsing it needs about ${(peak / MB).toFixed(0)} MB, ` +
      `more than the ${(memoryBytes / MB).toFixed(0)} MB this training function has (the limit is about ` +
      `${(largestCsvBytes(memoryBytes) / MB).toFixed(0)} MB of CSV). Train on a sample or fewer columns; ` +
      'training larger datasets off Lambda (Fargate) is not available yet.',
    {
      details: [
        {
          field: 'dataset',
          message: `estimated ${(peak / MB).toFixed(0)} MB > ${(memoryBytes / MB).toFixed(0)} MB`,
        },
      ],
    },
  );
}

/** The size of a dataset without reading it; undefined for built-ins (shipped with the code) and unknown sources. */
async function datasetBytes(source: string, s3: () => S3Client): Promise<number | undefined> {
  if (source.startsWith('builtin:')) return undefined;
  const s3Match = /^s3:\/\/([^/]+)\/(.+)$/.exec(source);
  if (s3Match) {
    try {
      const head = await s3().send(new HeadObjectCommand({ Bucket: s3Match[1], Key: s3Match[2] }));
      return head.ContentLength;
    } catch {
      // Missing or unreadable: the loader reports that with its own message.
      return undefined;
    }
  }
  try {
    return (await stat(source)).size;
  } catch {
    return undefined;
  }
}

/** The memory a Lambda function was given (MB in AWS_LAMBDA_FUNCTION_MEMORY_SIZE); undefined elsewhere. */
export function lambdaMemoryBytes(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const mb = Number(env['AWS_LAMBDA_FUNCTION_MEMORY_SIZE']);
  return Number.isFinite(mb) && mb > 0 ? mb * MB : undefined;
}

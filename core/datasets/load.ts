import type { S3Client } from '@aws-sdk/client-s3';
import { type Dataset, DatasetError, type DatasetLimits, readDataset } from '../../training/index.js';
import { AppError } from '../errors.js';
import { datasetLimitsFromEnv } from './limits.js';
import { openDatasetSource } from './source.js';

export { datasetLimitsFromEnv };

export interface DatasetRequest {
  /** `builtin:<name>`, `s3://bucket/key` or a local path (plain or gzip CSV). */
  readonly source: string;
  /** Target column; built-in datasets have a default. */
  readonly target?: string;
  readonly features?: readonly string[];
  /** Rows each class needs: 2 for a train/test split, K for K-fold CV on the training part. */
  readonly minRowsPerClass?: number;
}

/**
 * Streams and parses a training CSV, turning every data problem into one VALIDATION_FAILED
 * (or NOT_FOUND) error whose message names the source and the line/column or limit at fault.
 */
export async function loadDataset(
  request: DatasetRequest,
  s3: () => S3Client,
  limits: DatasetLimits = datasetLimitsFromEnv(),
): Promise<Dataset> {
  const data = openDatasetSource(request.source, s3, limits);
  const target = request.target ?? data.defaultTarget;
  if (!target) {
    throw new AppError('VALIDATION_FAILED', `dataset ${request.source}: name the target column (--target)`, {
      details: [{ field: 'target', message: 'is required for a dataset that is not built in' }],
    });
  }
  let dataset: Dataset;
  try {
    dataset = await readDataset(data.chunks, {
      target,
      name: data.name,
      limits,
      ...(request.features ? { features: [...request.features] } : {}),
    });
  } catch (error) {
    if (error instanceof DatasetError) {
      throw new AppError('VALIDATION_FAILED', `dataset ${request.source}: ${error.message}`, {
        cause: error,
        details: [{ field: error.column ?? 'dataset', message: `${error.code}: ${error.message}` }],
      });
    }
    throw error;
  }
  assertEnoughRows(dataset, request.source, request.minRowsPerClass ?? 2);
  return dataset;
}

/** Checked here, not in the split, so the message can name the class label rather than its index. */
function assertEnoughRows(dataset: Dataset, source: string, minimum: number): void {
  const counts = new Array<number>(dataset.classes.length).fill(0);
  for (const c of dataset.y) counts[c] = (counts[c] ?? 0) + 1;
  const short = counts.findIndex((n) => n < minimum);
  if (short >= 0) {
    throw new AppError(
      'VALIDATION_FAILED',
      `dataset ${source}: too few rows for the split: class '${dataset.classes[short]}' has ${counts[short]} row(s), ` +
        `needs at least ${minimum} (${dataset.rows} rows in total)`,
      { details: [{ field: dataset.target, message: 'TOO_FEW_ROWS' }] },
    );
  }
}

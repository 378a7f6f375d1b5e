import { type Stats, statSync } from 'node:fs';
import { datasetLimitsFromEnv } from '../core/datasets/limits.js';
import { formatBytes, formatCount } from '../training/limits.js';
import { UsageError } from './errors.js';

/**
 * The largest local CSV `mlops train` reads: the dataset byte limit (training/limits.ts, or
 * DATASET_MAX_BYTES), the one the loader applies to every source.
 */
export const maxDatasetBytes = (env: NodeJS.ProcessEnv = process.env) => datasetLimitsFromEnv(env).maxBytes;

/**
 * Checks a local `--data` path before anything reads it: it must be a regular file (not a
 * device such as /dev/zero, a FIFO or a directory, which would be read forever or not at all)
 * of at most maxDatasetBytes() unless `sizeLimit` is false (scoring streams any size). `builtin:` and `s3://` sources are not local files. With
 * `directories`, a directory is a location whose newest regular CSV file is used
 * (core/datasets/location.ts picks only regular files).
 */
export function checkDataFile(
  source: string,
  flag = '--data',
  options: { directories?: boolean; sizeLimit?: boolean } = {},
): void {
  if (source.startsWith('builtin:') || source.startsWith('s3://')) return;
  let stats: Stats;
  try {
    stats = statSync(source);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // A missing file is the dataset reader's NOT_FOUND, as for any source.
    if (code === 'ENOENT') return;
    throw new UsageError(`${flag} ${source}: cannot read it (${code})`);
  }
  if (options.directories && stats.isDirectory()) return;
  if (!stats.isFile()) {
    throw new UsageError(`${flag} ${source}: not a regular file (${kindOf(stats)}); give a CSV file`);
  }
  const limit = maxDatasetBytes();
  if (options.sizeLimit !== false && stats.size > limit) {
    throw new UsageError(
      `${flag} ${source}: ${formatBytes(stats.size)} (${formatCount(stats.size)} bytes) is over the ` +
        `${formatBytes(limit)} limit for a dataset (DATASET_MAX_BYTES)`,
    );
  }
}

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isFIFO()) return 'a named pipe';
  if (stats.isSocket()) return 'a socket';
  return 'not a file';
}

import { type Stats, statSync } from 'node:fs';
import { UsageError } from './errors.js';

/**
 * The largest local CSV the CLI reads. Training holds the parsed table in memory (several times
 * the file's size) in one process; past this, train on a machine sized for it, or sample first.
 */
export const MAX_DATASET_BYTES = 512 * 1024 * 1024;

/**
 * Checks a local `--data` path before anything reads it: it must be a regular file (not a
 * device such as /dev/zero, a FIFO or a directory, which would be read forever or not at all)
 * of at most MAX_DATASET_BYTES. `builtin:` and `s3://` sources are not local files. With
 * `directories`, a directory is a location whose newest regular CSV file is used
 * (core/datasets/location.ts picks only regular files).
 */
export function checkDataFile(
  source: string,
  flag = '--data',
  options: { directories?: boolean } = {},
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
  if (stats.size > MAX_DATASET_BYTES) {
    throw new UsageError(
      `${flag} ${source}: ${mb(stats.size)} MB is over the ${mb(MAX_DATASET_BYTES)} MB limit for a local file`,
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

const mb = (bytes: number) => Math.round(bytes / 2 ** 20);

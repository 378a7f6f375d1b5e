import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  BUILTIN_DATASETS,
  type DatasetLimits,
  formatBytes,
  isBuiltinDatasetName,
  readBuiltinDataset,
} from '../../training/index.js';
import { AppError } from '../errors.js';

/**
 * Where data comes from: `builtin:<name>` (shipped CSVs), `s3://bucket/key`, or a local path, as a
 * stream of bytes (plain or gzip CSV; the reader tells them apart). Nothing is opened until the chunks
 * are first read, and a stored size above the byte limit is refused before any byte is read.
 */
export interface DatasetSource {
  readonly source: string;
  readonly name: string;
  readonly defaultTarget?: string;
  readonly chunks: AsyncIterable<Uint8Array>;
}

const READ_CHUNK = 1 << 20;

export function openDatasetSource(
  source: string,
  s3: () => S3Client,
  limits: Pick<DatasetLimits, 'maxBytes'>,
): DatasetSource {
  const builtin = source.startsWith('builtin:') ? source.slice('builtin:'.length) : undefined;
  if (builtin !== undefined) {
    if (!isBuiltinDatasetName(builtin)) {
      throw new AppError(
        'VALIDATION_FAILED',
        `unknown built-in dataset "${builtin}"; choose one of ${Object.keys(BUILTIN_DATASETS).join(', ')}`,
        { details: [{ field: 'dataset', message: 'unknown built-in dataset' }] },
      );
    }
    const data = readBuiltinDataset(builtin);
    return { source, name: builtin, defaultTarget: data.target, chunks: once(data.csv) };
  }
  const s3Match = /^s3:\/\/([^/]+)\/(.+)$/.exec(source);
  if (s3Match) {
    const [, bucket, key] = s3Match as unknown as [string, string, string];
    return { source, name: baseName(key), chunks: s3Chunks(source, bucket, key, s3, limits.maxBytes) };
  }
  if (source.startsWith('s3://')) {
    throw new AppError('VALIDATION_FAILED', `dataset "${source}" is not of the form s3://bucket/key`);
  }
  return { source, name: baseName(source), chunks: fileChunks(source, limits.maxBytes) };
}

function tooLarge(source: string, bytes: number, maxBytes: number): AppError {
  return new AppError(
    'VALIDATION_FAILED',
    `dataset ${source}: the file is ${formatBytes(bytes)}, above the ${formatBytes(maxBytes)} limit for a dataset`,
    { details: [{ field: 'dataset', message: 'TOO_LARGE' }] },
  );
}

async function* s3Chunks(
  source: string,
  bucket: string,
  key: string,
  s3: () => S3Client,
  maxBytes: number,
): AsyncGenerator<Uint8Array> {
  let body: Readable;
  try {
    const out = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    body = out.Body as Readable;
    if (out.ContentLength !== undefined && out.ContentLength > maxBytes) {
      body.destroy();
      throw tooLarge(source, out.ContentLength, maxBytes);
    }
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'NoSuchKey' || name === 'NoSuchBucket' || name === 'NotFound') {
      throw new AppError('NOT_FOUND', `dataset ${source} does not exist`);
    }
    throw error;
  }
  try {
    yield* body;
  } finally {
    body.destroy();
  }
}

async function* fileChunks(path: string, maxBytes: number): AsyncGenerator<Uint8Array> {
  let size: number;
  try {
    const info = await stat(path);
    if (info.isDirectory()) {
      throw new AppError('VALIDATION_FAILED', `dataset ${path} is a directory, not a CSV file`);
    }
    // A device or pipe (/dev/zero, a FIFO) has no size to check and may never end.
    if (!info.isFile()) throw new AppError('VALIDATION_FAILED', `dataset ${path} is not a regular file`);
    size = info.size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new AppError('NOT_FOUND', `dataset file ${path} does not exist`);
    }
    throw error;
  }
  if (size > maxBytes) throw tooLarge(path, size, maxBytes);
  const stream = createReadStream(path, { highWaterMark: READ_CHUNK });
  try {
    yield* stream;
  } finally {
    stream.destroy();
  }
}

const baseName = (path: string) => (path.split('/').pop() ?? path).replace(/\.csv(\.gz)?$/i, '');

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

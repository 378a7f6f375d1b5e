import { readFile } from 'node:fs/promises';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { BUILTIN_DATASETS, isBuiltinDatasetName, readBuiltinDataset } from '../../training/index.js';
import { AppError } from '../errors.js';

/**
 * Where training data comes from: `builtin:<name>` (shipped CSVs), `s3://bucket/key`, or a local
 * path. Returns the raw bytes (fingerprinted by the parser) and, for built-ins, the target column.
 */
export interface DatasetBytes {
  readonly source: string;
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly defaultTarget?: string;
}

export async function readDatasetSource(source: string, s3: () => S3Client): Promise<DatasetBytes> {
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
    return { source, name: builtin, bytes: data.csv, defaultTarget: data.target };
  }
  const s3Match = /^s3:\/\/([^/]+)\/(.+)$/.exec(source);
  if (s3Match) {
    const [, bucket, key] = s3Match as unknown as [string, string, string];
    try {
      const out = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return { source, name: baseName(key), bytes: await out.Body!.transformToByteArray() };
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'NoSuchKey' || name === 'NoSuchBucket' || name === 'NotFound') {
        throw new AppError('NOT_FOUND', `dataset ${source} does not exist`);
      }
      throw error;
    }
  }
  if (source.startsWith('s3://')) {
    throw new AppError('VALIDATION_FAILED', `dataset "${source}" is not of the form s3://bucket/key`);
  }
  try {
    return { source, name: baseName(source), bytes: await readFile(source) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new AppError('NOT_FOUND', `dataset file ${source} does not exist`);
    if (code === 'EISDIR')
      throw new AppError('VALIDATION_FAILED', `dataset ${source} is a directory, not a CSV file`);
    throw error;
  }
}

const baseName = (path: string) => (path.split('/').pop() ?? path).replace(/\.csv$/i, '');

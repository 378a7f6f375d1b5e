import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { AppError } from '../errors.js';

/**
 * A dataset location that grows (new files land beside the old ones) resolved to the one object a run
 * trains on: its newest. `s3://bucket/prefix/` (trailing slash) lists the prefix; a local directory
 * lists its `.csv` files. Anything else is already one object and is returned as it is.
 */
export interface ResolvedLocation {
  /** The object to read: `s3://bucket/key`, a file path, or the source as given. */
  readonly source: string;
  /** The location it was picked from, when `source` was a prefix or directory. */
  readonly location?: string;
  /** `newest`: the newest object there; `fallback`: the location was empty, the fallback was used. */
  readonly picked?: 'newest' | 'fallback';
}

interface Candidate {
  readonly name: string;
  readonly modified: number;
}

/** Newest by modification time; the lexically greatest name breaks ties (dated names sort in time order). */
const newest = (items: readonly Candidate[]) =>
  items.reduce((a, b) => (b.modified > a.modified || (b.modified === a.modified && b.name > a.name) ? b : a));

export async function resolveDatasetLocation(
  source: string,
  s3: () => S3Client,
  fallback?: string,
): Promise<ResolvedLocation> {
  const prefix = /^s3:\/\/([^/]+)\/(.*\/)?$/.exec(source);
  const items = prefix ? await listS3(source, prefix[1]!, prefix[2] ?? '', s3) : await listDirectory(source);
  if (items === undefined) return { source };
  if (items.length === 0) {
    if (fallback) return { source: fallback, location: source, picked: 'fallback' };
    throw new AppError(
      'NOT_FOUND',
      `dataset location ${source} is empty: put a CSV there (the newest one is trained on)`,
      { details: [{ field: 'dataset', message: 'no object under this location' }] },
    );
  }
  const pick = newest(items).name;
  return {
    source: prefix ? `s3://${prefix[1]}/${pick}` : join(source, pick),
    location: source,
    picked: 'newest',
  };
}

async function listS3(source: string, bucket: string, prefix: string, s3: () => S3Client) {
  const items: Candidate[] = [];
  try {
    for await (const page of paginateListObjectsV2({ client: s3() }, { Bucket: bucket, Prefix: prefix })) {
      for (const object of page.Contents ?? []) {
        // "Folder" markers and empty objects are not datasets.
        if (!object.Key || object.Key.endsWith('/') || !object.Size) continue;
        items.push({ name: object.Key, modified: object.LastModified?.getTime() ?? 0 });
      }
    }
  } catch (error) {
    const name = (error as { name?: string }).name ?? 'Error';
    if (name === 'NoSuchBucket')
      throw new AppError('NOT_FOUND', `dataset location ${source}: no such bucket`);
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (name === 'AccessDenied' || status === 403) {
      throw new AppError(
        'VALIDATION_FAILED',
        `dataset location ${source} cannot be listed (access denied): the train function reads only under the artifact bucket's datasets/ prefix`,
        { details: [{ field: 'dataset', message: 'not readable' }] },
      );
    }
    throw error;
  }
  return items;
}

/** The `.csv` files of a local directory, or undefined when `source` is not a directory. */
async function listDirectory(source: string): Promise<Candidate[] | undefined> {
  if (source.startsWith('builtin:') || source.startsWith('s3://')) return undefined;
  const info = await stat(source).catch(() => undefined);
  if (!info?.isDirectory()) return undefined;
  const names = (await readdir(source)).filter((n) => n.toLowerCase().endsWith('.csv'));
  const items = await Promise.all(
    names.map(async (name) => {
      const file = await stat(join(source, name));
      return file.isFile() && file.size > 0 ? { name, modified: file.mtimeMs } : undefined;
    }),
  );
  return items.filter((i): i is Candidate => i !== undefined);
}

import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/**
 * s3rver keeps each object as three files: `<key>._S3rver_object` (the bytes), then
 * `<key>._S3rver_object.md5` and `<key>._S3rver_metadata.json`, written one after the other
 * without a rename. A process killed in between leaves an object s3rver cannot read (an empty
 * metadata file makes every listing of the bucket, and HeadBucket, answer 500). This pass runs
 * before s3rver starts: every object whose three files do not agree is moved, whole, out of the
 * store into `quarantine`, so the emulator starts on consistent state and nothing is deleted.
 */
const OBJECT = '._S3rver_object';
const MD5 = '._S3rver_object.md5';
const METADATA = '._S3rver_metadata.json';

export interface QuarantinedObject {
  /** Bucket and key, as `bucket/key`. */
  readonly object: string;
  readonly reason: string;
  /** Where its files went. */
  readonly movedTo: string;
}

export interface RepairOptions {
  /** Also recompute every object's MD5 (after an unclean shutdown: a partial body has the old or no digest). */
  readonly verifyContent: boolean;
}

export async function repairS3Store(
  root: string,
  quarantine: string,
  options: RepairOptions,
): Promise<QuarantinedObject[]> {
  if (!existsSync(root)) return [];
  const found: QuarantinedObject[] = [];
  const objects = new Set<string>();
  const strays: string[] = [];
  for (const file of walk(root)) {
    if (file.endsWith(OBJECT)) objects.add(file.slice(0, -OBJECT.length));
    else if (file.endsWith(MD5)) strays.push(file.slice(0, -MD5.length));
    else if (file.endsWith(METADATA)) strays.push(file.slice(0, -METADATA.length));
  }
  for (const base of objects) {
    const reason = await problemOf(base, options);
    if (reason) found.push(moveAside(root, quarantine, base, reason));
  }
  // Digest or metadata files whose object file is gone (killed before the body was created).
  for (const base of new Set(strays)) {
    if (!objects.has(base)) {
      found.push(moveAside(root, quarantine, base, 'metadata without an object body'));
    }
  }
  return found;
}

async function problemOf(base: string, options: RepairOptions): Promise<string | undefined> {
  const md5File = `${base}${MD5}`;
  const metadataFile = `${base}${METADATA}`;
  if (!existsSync(md5File)) return 'no digest file (killed while writing the body)';
  if (!existsSync(metadataFile)) return 'no metadata file (killed before it was written)';
  const digest = readFileSync(md5File, 'utf8');
  if (!/^[0-9a-f]{32}$/.test(digest)) return 'digest file is empty or damaged';
  try {
    const metadata: unknown = JSON.parse(readFileSync(metadataFile, 'utf8'));
    if (typeof metadata !== 'object' || metadata === null) return 'metadata file is not a JSON object';
  } catch {
    return 'metadata file is empty or damaged';
  }
  if (options.verifyContent && (await md5Of(`${base}${OBJECT}`)) !== digest) {
    return 'body does not match its digest (killed while writing it)';
  }
  return undefined;
}

function moveAside(root: string, quarantine: string, base: string, reason: string): QuarantinedObject {
  const rel = relative(root, base);
  const target = join(quarantine, rel);
  mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
  for (const suffix of [OBJECT, MD5, METADATA]) {
    if (existsSync(`${base}${suffix}`)) renameSync(`${base}${suffix}`, `${target}${suffix}`);
  }
  return { object: rel, reason, movedTo: dirname(target) };
}

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}

function md5Of(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('md5');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

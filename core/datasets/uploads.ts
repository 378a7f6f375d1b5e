import { randomUUID } from 'node:crypto';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { parseDataset } from '../../training/dataset.js';
import { DatasetError } from '../../training/errors.js';
import { ARTIFACT_BUCKET } from '../config/tables.js';
import { AppError } from '../errors.js';

/**
 * Training data uploaded by users: `datasets/<id>/<file>.csv` in the artifact bucket, written by
 * the client straight to S3 with a presigned PUT (the API never carries the bytes), listed, and
 * validated (size, type, parse) before a training run is accepted on it.
 */
export const UPLOAD_LIMITS = {
  /** The train function holds the parsed file in memory; 20 MB of CSV is ~1.5M numbers a column-set. */
  maxBytes: 20 * 1024 * 1024,
  /** Content types a browser or curl gives a CSV file; the object is always stored as text/csv. */
  contentTypes: ['text/csv', 'application/csv', 'application/vnd.ms-excel'] as const,
  storedType: 'text/csv',
  urlSeconds: 900,
} as const;

export interface UploadRequest {
  readonly filename: string;
  readonly bytes: number;
  readonly contentType: string;
}

export interface UploadTicket {
  /** What `POST /train` takes as `dataset`. */
  readonly dataset: string;
  readonly key: string;
  readonly url: string;
  readonly method: 'PUT';
  /** Headers the PUT must send (they are signed). */
  readonly headers: Record<string, string>;
  readonly expiresIn: number;
}

export interface UploadedDataset {
  readonly dataset: string;
  readonly key: string;
  readonly name: string;
  readonly bytes: number;
  readonly uploadedAt: string;
}

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

export class DatasetUploads {
  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
  ) {}

  /** `s3://bucket/datasets/...` of this bucket, or undefined for any other source. */
  keyOf(source: string): string | undefined {
    const prefix = `s3://${this.bucket}/${ARTIFACT_BUCKET.datasetPrefix}`;
    return source.startsWith(prefix) ? source.slice(`s3://${this.bucket}/`.length) : undefined;
  }

  /** A presigned PUT for one CSV file; the size and type are checked here and signed into the URL. */
  async ticket(request: UploadRequest): Promise<UploadTicket> {
    checkUpload(request);
    const key = `${ARTIFACT_BUCKET.datasetPrefix}${randomUUID()}/${safeFileName(request.filename)}`;
    const url = await getSignedUrl(
      this.client,
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        ContentType: UPLOAD_LIMITS.storedType,
        ContentLength: request.bytes,
      }),
      {
        expiresIn: UPLOAD_LIMITS.urlSeconds,
        // S3 refuses a PUT whose length or type differs from the signed ones.
        signableHeaders: new Set(['content-type', 'content-length']),
      },
    );
    return {
      dataset: `s3://${this.bucket}/${key}`,
      key,
      url,
      method: 'PUT',
      headers: { 'content-type': UPLOAD_LIMITS.storedType },
      expiresIn: UPLOAD_LIMITS.urlSeconds,
    };
  }

  /** Uploaded datasets, newest first. */
  async list(limit = 100): Promise<UploadedDataset[]> {
    const found: UploadedDataset[] = [];
    let token: string | undefined;
    do {
      const out = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: ARTIFACT_BUCKET.datasetPrefix,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const object of out.Contents ?? []) {
        if (!object.Key?.toLowerCase().endsWith('.csv')) continue;
        found.push({
          dataset: `s3://${this.bucket}/${object.Key}`,
          key: object.Key,
          name: object.Key.split('/').pop()!,
          bytes: object.Size ?? 0,
          uploadedAt: (object.LastModified ?? new Date(0)).toISOString(),
        });
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token && found.length < 10_000);
    return found.sort((a, b) => b.uploadedAt.localeCompare(a.uploadedAt)).slice(0, limit);
  }

  /** Writes a file directly (the CLI, which holds credentials): the same checks as a ticket. */
  async put(filename: string, body: Uint8Array): Promise<UploadedDataset> {
    checkUpload({ filename, bytes: body.byteLength, contentType: UPLOAD_LIMITS.storedType });
    checkParses(body, filename);
    const key = `${ARTIFACT_BUCKET.datasetPrefix}${randomUUID()}/${safeFileName(filename)}`;
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: UPLOAD_LIMITS.storedType,
      }),
    );
    return {
      dataset: `s3://${this.bucket}/${key}`,
      key,
      name: key.split('/').pop()!,
      bytes: body.byteLength,
      uploadedAt: new Date().toISOString(),
    };
  }

  /**
   * Before a run is accepted on an uploaded file: it exists, is within the size limit, and parses
   * as a dataset with this target and these features (the parser's line/column message otherwise).
   */
  async validate(source: string, target: string | undefined, features?: readonly string[]): Promise<void> {
    const key = this.keyOf(source);
    if (!key) return;
    const fail = (message: string, field = 'dataset') =>
      new AppError('VALIDATION_FAILED', `dataset ${source}: ${message}`, { details: [{ field, message }] });
    let size: number;
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      size = head.ContentLength ?? 0;
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'NotFound' || name === 'NoSuchKey') {
        throw new AppError('NOT_FOUND', `dataset ${source} does not exist (upload it first: POST /datasets)`);
      }
      throw error;
    }
    if (size > UPLOAD_LIMITS.maxBytes) {
      throw fail(`is ${size} bytes; uploads are limited to ${UPLOAD_LIMITS.maxBytes} bytes`);
    }
    if (!target) throw fail('name the target column', 'target');
    const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    const bytes = await out.Body!.transformToByteArray();
    checkParses(bytes, source, { target, ...(features ? { features: [...features] } : {}) });
  }
}

function checkUpload(request: UploadRequest): void {
  const problems: { field: string; message: string }[] = [];
  if (!/\.csv$/i.test(request.filename)) problems.push({ field: 'filename', message: 'must end in .csv' });
  const type = request.contentType.split(';')[0]!.trim().toLowerCase();
  if (!(UPLOAD_LIMITS.contentTypes as readonly string[]).includes(type)) {
    problems.push({ field: 'content_type', message: `must be text/csv, got "${request.contentType}"` });
  }
  if (request.bytes > UPLOAD_LIMITS.maxBytes) {
    problems.push({
      field: 'bytes',
      message: `${request.bytes} bytes is over the ${UPLOAD_LIMITS.maxBytes}-byte upload limit`,
    });
  }
  if (request.bytes < 1) problems.push({ field: 'bytes', message: 'the file is empty' });
  if (problems.length === 0) return;
  const code = problems.some((p) => p.field !== 'bytes')
    ? 'UNSUPPORTED_MEDIA_TYPE'
    : request.bytes > UPLOAD_LIMITS.maxBytes
      ? 'PAYLOAD_TOO_LARGE'
      : 'VALIDATION_FAILED';
  const summary = problems.map((p) => `${p.field} ${p.message}`).join('; ');
  throw new AppError(code, `upload refused: ${summary}`, { details: problems });
}

/** Parses the whole file; with no target given, the header and row shape only (last column as target). */
function checkParses(
  bytes: Uint8Array,
  source: string,
  options?: { target: string; features?: string[] },
): void {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    const target = options?.target ?? lastHeaderColumn(text);
    parseDataset(text, {
      target,
      name: source,
      ...(options?.features ? { features: options.features } : {}),
    });
  } catch (error) {
    if (error instanceof DatasetError) {
      throw new AppError('VALIDATION_FAILED', `dataset ${source}: ${error.message}`, {
        details: [{ field: error.column ?? 'dataset', message: `${error.code}: ${error.message}` }],
      });
    }
    if (error instanceof TypeError) {
      throw new AppError('VALIDATION_FAILED', `dataset ${source}: not UTF-8 text (is it a CSV file?)`, {
        details: [{ field: 'dataset', message: 'not UTF-8 text' }],
      });
    }
    throw error;
  }
}

function lastHeaderColumn(text: string): string {
  const header = text.slice(0, text.search(/\r?\n|$/));
  return header.split(',').pop()!.trim().replace(/^"|"$/g, '') || 'target';
}

/** The file's own name, reduced to characters safe in an S3 key and a URL. */
function safeFileName(filename: string): string {
  const base = filename.split(/[\\/]/).pop() ?? 'data.csv';
  const cleaned = base.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return SAFE_NAME.test(cleaned) ? cleaned : `data-${Date.now()}.csv`;
}

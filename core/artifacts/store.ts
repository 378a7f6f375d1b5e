import { createHash } from 'node:crypto';
import {
  GetObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  PutObjectTaggingCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { ARTIFACT_BUCKET } from '../config/tables.js';
import { AppError } from '../errors.js';

const TAG = ARTIFACT_BUCKET.lifecycleTag;

export interface StoredArtifact {
  readonly key: string;
  readonly sha256: string;
  readonly bytes: number;
}

export const sha256Hex = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');

/** Run artifacts in S3 under `runs/<runId>/<name>`. */
export class ArtifactStore {
  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
  ) {}

  static runKey(runId: string, name: string): string {
    return `${ARTIFACT_BUCKET.runPrefix}${runId}/${name}`;
  }

  async put(key: string, body: Uint8Array | string, contentType: string): Promise<StoredArtifact> {
    const sha256 = sha256Hex(body);
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: contentType,
        Metadata: { sha256 },
        Tagging: `${TAG.key}=${TAG.pending}`,
      }),
    );
    return { key, sha256, bytes: typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength };
  }

  /**
   * Marks artifacts as belonging to a registered model version, which takes them out of the
   * bucket's lifecycle expiry (lib/storage-stack.ts). Called before the registry entry is written,
   * so a version never names a file that can still expire.
   */
  async markRegistered(keys: readonly string[]): Promise<void> {
    await Promise.all(
      keys.map((key) =>
        this.client.send(
          new PutObjectTaggingCommand({
            Bucket: this.bucket,
            Key: key,
            Tagging: { TagSet: [{ Key: TAG.key, Value: TAG.registered }] },
          }),
        ),
      ),
    );
  }

  async get(key: string): Promise<Uint8Array> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!out.Body) throw new AppError('NOT_FOUND', `artifact s3://${this.bucket}/${key} is empty`);
      return await out.Body.transformToByteArray();
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') {
        throw new AppError('NOT_FOUND', `artifact s3://${this.bucket}/${key} does not exist`);
      }
      throw error;
    }
  }

  /** Reads an object and checks it against the digest recorded in the registry. */
  async getVerified(key: string, sha256: string): Promise<Uint8Array> {
    const bytes = await this.get(key);
    const actual = sha256Hex(bytes);
    if (actual !== sha256) {
      throw new AppError(
        'MODEL_UNAVAILABLE',
        `artifact ${key} failed its integrity check (sha256 ${actual} ≠ ${sha256})`,
      );
    }
    return bytes;
  }
}

import { GetObjectCommand, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { AppError } from '../errors.js';

/**
 * How a run's artifact is served by `GET /runs/{id}/artifacts/{name}`: found by its file name
 * among the keys the run recorded (never a key built from the request), with a content type from
 * its extension and headers that keep a browser from running anything in it.
 */
export interface ArtifactResponse {
  readonly key: string;
  readonly contentType: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The ONNX graph is the model itself: admins only. Card, matrix and baseline describe it to any user. */
  readonly adminOnly: boolean;
}

/** Served through the function up to this size; larger ones redirect to a short-lived S3 URL. */
export const INLINE_ARTIFACT_BYTES = 4 * 1024 * 1024;

const TYPES: Record<string, { type: string; attachment?: boolean; adminOnly?: boolean }> = {
  '.json': { type: 'application/json; charset=utf-8' },
  '.svg': { type: 'image/svg+xml' },
  '.onnx': { type: 'application/octet-stream', attachment: true, adminOnly: true },
};

/**
 * An SVG opened directly is a document that could run script: this policy lets it draw (inline
 * styles) and nothing else.
 */
export const SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'";

export function artifactResponse(
  artifacts: Readonly<Record<string, string>>,
  name: string,
): ArtifactResponse {
  const key = Object.values(artifacts).find((k) => k.split('/').pop() === name);
  if (!key) {
    const names = Object.values(artifacts).map((k) => k.split('/').pop());
    throw new AppError(
      'NOT_FOUND',
      names.length > 0
        ? `this run has no artifact "${name}"; it has ${names.join(', ')}`
        : 'this run has no artifacts (yet: it may still be running, or it failed)',
    );
  }
  const ext = name.slice(name.lastIndexOf('.')).toLowerCase();
  const kind = TYPES[ext] ?? { type: 'application/octet-stream', attachment: true };
  const headers: Record<string, string> = {
    'content-type': kind.type,
    'x-content-type-options': 'nosniff',
    'cache-control': 'private, max-age=300',
  };
  if (ext === '.svg') headers['content-security-policy'] = SVG_POLICY;
  if (kind.attachment) headers['content-disposition'] = `attachment; filename="${name}"`;
  return { key, contentType: kind.type, headers, adminOnly: kind.adminOnly ?? false };
}

/** A short-lived GET URL for an object too large to pass through a function response. */
export function presignedArtifactUrl(client: S3Client, bucket: string, key: string, seconds = 300) {
  return getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: seconds });
}

/** The object's bytes when small enough to answer inline, else a presigned URL to redirect to. */
export async function readArtifact(
  client: S3Client,
  bucket: string,
  key: string,
): Promise<{ bytes: Uint8Array } | { location: string }> {
  let out: GetObjectCommandOutput;
  try {
    out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchKey') {
      throw new AppError('NOT_FOUND', `the run records ${key}, but it is not in the bucket`);
    }
    throw error;
  }
  if ((out.ContentLength ?? 0) > INLINE_ARTIFACT_BYTES) {
    (out.Body as { destroy?: () => void } | undefined)?.destroy?.();
    return { location: await presignedArtifactUrl(client, bucket, key) };
  }
  return { bytes: await out.Body!.transformToByteArray() };
}

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { booleanEnv } from '../config/env.js';

/**
 * SDK clients, built once per process. Which endpoint they reach (embedded emulators,
 * LocalStack or real AWS) is decided by the standard AWS_ENDPOINT_URL_<SERVICE> variables
 * and AWS_REGION, which the SDK reads itself: there is no local-only code path.
 */
let dynamo: DynamoDBDocumentClient | undefined;
let s3: S3Client | undefined;
let presigner: S3Client | undefined;

export function documentClient(): DynamoDBDocumentClient {
  dynamo ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true },
  });
  return dynamo;
}

export function s3Client(): S3Client {
  s3 ??= new S3Client({ forcePathStyle: booleanEnv('s3ForcePathStyle', false) });
  return s3;
}

/** Drops cached clients, for a process whose environment changed (tests that start emulators). */
export function resetClients(): void {
  dynamo?.destroy();
  s3?.destroy();
  presigner?.destroy();
  dynamo = undefined;
  s3 = undefined;
  presigner = undefined;
}

/**
 * The client that signs URLs for others to use (dataset uploads): no checksum of an empty body
 * in the URL, which S3 would hold the uploaded bytes to.
 */
export function presigningS3Client(): S3Client {
  presigner ??= new S3Client({
    forcePathStyle: booleanEnv('s3ForcePathStyle', false),
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  return presigner;
}

import { presigningS3Client } from '../aws/clients.js';
import { requireEnv } from '../config/env.js';
import { DatasetUploads } from '../datasets/uploads.js';
import { lazy } from './lazy.js';

/** Uploaded training data in the artifact bucket (presigned PUTs, listing, validation). */
export const datasetUploads = /* @__PURE__ */ lazy(
  () => new DatasetUploads(presigningS3Client(), requireEnv('artifactBucket')),
);

import type { RouteContractMap } from './contract.js';
import * as z from './zod.js';

/**
 * Schemas of the data routes: run artifacts (`GET /runs/{id}/artifacts/{name}`) and dataset
 * uploads (`POST /datasets`, `GET /datasets`). lambdas/admin validates with these objects and the
 * OpenAPI document is generated from them.
 */
export const UploadBody = z.strictObject({
  filename: z
    .string()
    .check(z.minLength(1), z.maxLength(200), z.meta({ description: 'the file name, ending in .csv' })),
  bytes: z.int().check(z.positive(), z.meta({ description: 'the exact size the PUT will send' })),
  content_type: z
    .string()
    .check(z.minLength(1), z.maxLength(100), z.meta({ description: 'text/csv (what the PUT must send)' })),
});
export type UploadBody = z.infer<typeof UploadBody>;

export const UploadTicketOut = z.object({
  dataset: z.string().check(z.meta({ description: 'give this to POST /train as `dataset`' })),
  upload: z.object({
    url: z.string().check(z.meta({ description: 'presigned S3 URL; PUT the file there' })),
    method: z.literal('PUT'),
    headers: z
      .record(z.string(), z.string())
      .check(z.meta({ description: 'headers the PUT must send (they are signed)' })),
    expires_in: z.int().check(z.meta({ description: 'seconds the URL stays valid' })),
  }),
  max_bytes: z.int(),
  request_id: z.string(),
});

export const DatasetOut = z.object({
  dataset: z.string(),
  name: z.string(),
  bytes: z.int(),
  uploaded_at: z.string(),
});
export const DatasetList = z.object({
  datasets: z.array(DatasetOut),
  max_bytes: z.int().check(z.meta({ description: 'the upload size limit' })),
  request_id: z.string(),
});
export const DatasetsQuery = z.strictObject({
  limit: z.optional(z.coerce.number().check(z.int(), z.gte(1), z.lte(1000))),
});

export const ArtifactPath = z.object({
  id: z.string(),
  name: z
    .string()
    .check(
      z.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'a file name such as model-card.json'),
      z.meta({ description: 'model-card.json, confusion-matrix.svg, baseline.json or model.onnx' }),
    ),
});

export const DATA_ROUTE_SCHEMAS: RouteContractMap = {
  'GET /runs/{id}/artifacts/{name}': {
    path: ArtifactPath,
    responses: {
      200: {
        description:
          'The file, with its content type (JSON, SVG under `Content-Security-Policy: default-src ' +
          "'none'; style-src 'unsafe-inline'`, ONNX as an attachment and for admins only)",
        contentType: 'application/octet-stream',
      },
      303: 'Files over 4 MB: `Location` is a presigned S3 URL valid for 5 minutes',
      403: 'model.onnx needs the admin role',
      404: 'Unknown run, or the run has no such artifact',
    },
  },
  'POST /datasets': {
    body: UploadBody,
    example: { filename: 'churn.csv', bytes: 52_113, content_type: 'text/csv' },
    responses: {
      201: {
        description: 'Where to PUT the file, and the dataset name to train on',
        schema: UploadTicketOut,
      },
      413: 'Over the upload size limit',
      415: 'Not a CSV file (name or content type)',
    },
  },
  'GET /datasets': {
    query: DatasetsQuery,
    responses: { 200: { description: 'Uploaded datasets, newest first', schema: DatasetList } },
  },
};

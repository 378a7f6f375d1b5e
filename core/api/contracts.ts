import { ADMIN_ROUTE_SCHEMAS } from './admin-schemas.js';
import type { RouteContract, RouteContractMap } from './contract.js';
import { DATA_ROUTE_SCHEMAS } from './data-schemas.js';
import {
  CreateUserBody,
  Health,
  ModelInfo,
  ModelInfoQuery,
  PredictResponse,
  predictBody,
  ServiceIndex,
  TokenBody,
  TokenResponse,
  UserCreated,
} from './schemas.js';
import * as z from './zod.js';

const IRIS = [5.1, 3.5, 1.4, 0.2];

/** The serving, auth and docs routes; the admin routes come from admin-schemas.ts. */
export function servingContracts(maxBatchRows: number): RouteContractMap {
  const noModel = 'No model is available yet (answer carries `Retry-After`)';
  return {
    'GET /': { responses: { 200: { description: 'Service name, version and links', schema: ServiceIndex } } },
    'GET /health': {
      responses: {
        200: {
          description:
            'Ready: a model is loaded and serving (`status: "degraded"` when the last registry check failed)',
          schema: Health,
        },
        503: { description: 'Live but not ready: no model could be loaded', schema: Health },
      },
    },
    'POST /users': {
      body: CreateUserBody,
      example: { username: 'alice', password: 'wonderland' },
      responses: {
        201: { description: 'User created', schema: UserCreated },
        403: 'Self-registration is disabled, or a role other than `user` without an admin token',
        409: 'The username is taken',
      },
    },
    'POST /token': {
      body: TokenBody,
      bodyType: 'application/x-www-form-urlencoded',
      example: { username: 'alice', password: 'wonderland' },
      responses: {
        200: { description: 'A bearer token', schema: TokenResponse },
        401: 'Incorrect username or password (the same answer for an unknown user)',
        429: 'Too many failed attempts for this user; retry after `Retry-After` seconds',
      },
    },
    'POST /predict': {
      body: predictBody(maxBatchRows),
      examples: {
        array: { summary: 'One row, features in model order', value: { features: IRIS } },
        named: {
          summary: 'One row, features by name',
          value: {
            features: {
              'sepal length (cm)': 5.1,
              'sepal width (cm)': 3.5,
              'petal length (cm)': 1.4,
              'petal width (cm)': 0.2,
            },
          },
        },
        batch: {
          summary: `Many rows (up to ${maxBatchRows})`,
          value: { instances: [IRIS, [6.7, 3.0, 5.2, 2.3]] },
        },
        challenger: {
          summary: 'Score against the challenger',
          value: { features: IRIS, alias: 'challenger' },
        },
      },
      responses: {
        200: { description: 'One prediction, or `predictions` for a batch', schema: PredictResponse },
        404: 'Unknown model, version or alias',
        503: noModel,
      },
    },
    'GET /model-info': {
      query: ModelInfoQuery,
      responses: {
        200: { description: 'The model /predict serves (or the selected one)', schema: ModelInfo },
        404: 'Unknown model, version or alias',
        503: noModel,
      },
    },
    'GET /openapi.json': {
      responses: { 200: { description: 'This document', schema: z.record(z.string(), z.unknown()) } },
    },
    'GET /docs': { responses: { 200: { description: 'Swagger UI', contentType: 'text/html' } } },
    'GET /docs/{asset}': {
      hidden: true,
      path: z.object({ asset: z.string() }),
      responses: { 200: 'A static file of the docs page', 404: 'No such file' },
    },
  } satisfies Record<string, RouteContract>;
}

/** Every contract, keyed by route key. */
export function routeContracts(maxBatchRows: number): RouteContractMap {
  return { ...servingContracts(maxBatchRows), ...ADMIN_ROUTE_SCHEMAS, ...DATA_ROUTE_SCHEMAS };
}

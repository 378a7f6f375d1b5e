import { ADMIN_ROUTE_SCHEMAS } from './admin-schemas.js';
import type { RouteContract, RouteContractMap } from './contract.js';
import { DATA_ROUTE_SCHEMAS } from './data-schemas.js';
import {
  ChangePasswordBody,
  CreateUserBody,
  Health,
  Jwks,
  ModelInfo,
  ModelInfoQuery,
  OpenIdConfiguration,
  PredictResponse,
  predictBody,
  ServiceIndex,
  TokenBody,
  TokenResponse,
  TokensRevoked,
  UserCreated,
  UserPath,
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
      example: { username: 'alice', password: 'through-the-looking-glass' },
      responses: {
        201: { description: 'User created', schema: UserCreated },
        403: 'Self-registration is disabled, or a role other than `user` without an admin token',
        409: 'The username is taken',
        422: 'The body does not match the schema, or `WEAK_PASSWORD`: the password breaks a rule of the policy (`min_length` 12, `contains_username`, `common_password`), named in the message',
      },
    },
    'POST /users/{username}/password': {
      path: UserPath,
      body: ChangePasswordBody,
      example: { current_password: 'through-the-looking-glass', new_password: 'down-the-rabbit-hole' },
      responses: {
        200: { description: 'Password changed; tokens issued before it are revoked', schema: TokensRevoked },
        401: 'Invalid token, or a wrong `current_password`',
        403: "Another user's password without the admin role",
        404: 'No such user (admin only)',
        422: '`WEAK_PASSWORD` (rule named in the message), or `current_password` missing',
        429: 'Too many wrong current passwords (counted as sign-in attempts); retry after `Retry-After` seconds',
      },
    },
    'POST /users/{username}/revoke-tokens': {
      path: UserPath,
      responses: {
        200: { description: 'Tokens issued so far are revoked for the admin routes', schema: TokensRevoked },
        403: "Another user's tokens without the admin role",
        404: 'No such user (admin only)',
      },
    },
    'GET /.well-known/jwks.json': {
      responses: {
        200: { description: 'The RS256 public keys (current, next and recently retired)', schema: Jwks },
      },
    },
    'GET /.well-known/openid-configuration': {
      responses: { 200: { description: 'OpenID Connect discovery document', schema: OpenIdConfiguration } },
    },
    'POST /token': {
      body: TokenBody,
      bodyType: 'application/x-www-form-urlencoded',
      example: { username: 'alice', password: 'through-the-looking-glass' },
      responses: {
        200: { description: 'A bearer token', schema: TokenResponse },
        401: 'Incorrect username or password (the same answer for an unknown user)',
        429: 'Too many failed attempts for this user from this address (or from this address, or for this user from new addresses); retry after `Retry-After` seconds',
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

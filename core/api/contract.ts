import type * as z from './zod.js';

/**
 * What one route accepts and answers, as the zod schemas its handler validates with. The
 * OpenAPI document (core/api/openapi.ts) is generated from these, so docs and validation
 * cannot drift. Every route in ROUTES needs an entry (test/api/openapi.test.ts fails otherwise).
 *
 * For the admin engineer: export `ADMIN_ROUTE_SCHEMAS: RouteContractMap` from
 * core/api/admin-schemas.ts, keyed by route key (`routeKey(route)`, e.g. `'POST /models/{name}/promote'`),
 * and validate in lambdas/admin with the same schema objects, e.g.
 *
 * @example
 * export const PromoteBody = z.strictObject({ version: z.int().check(z.positive()) });
 * export const ADMIN_ROUTE_SCHEMAS: RouteContractMap = {
 *   'POST /models/{name}/promote': {
 *     path: z.object({ name: ModelName }),
 *     body: PromoteBody,
 *     example: { version: 2 },
 *     responses: { 200: { description: 'The model with its new aliases', schema: RegisteredModelOut }, 404: 'Unknown model or version' },
 *   },
 * };
 *
 * Error answers common to every route (400/413/422 when there is a body, 401 for user routes,
 * 401/403 for admin routes) are added by the generator; list only the route's own (404, 409, 503, ...).
 */
export interface RouteContract {
  /** Request body schema (validated as input: coercions and defaults apply). */
  readonly body?: z.ZodMiniType;
  /** Body media type; default `application/json`. */
  readonly bodyType?: 'application/json' | 'application/x-www-form-urlencoded';
  /** One example request body, shown and pre-filled by the /docs "try it out". */
  readonly example?: unknown;
  /** Named examples when one is not enough (e.g. one row vs a batch). */
  readonly examples?: Readonly<Record<string, { summary: string; value: unknown }>>;
  /** Query-string parameters: a z.object whose keys are the parameter names. */
  readonly query?: z.ZodMiniObject;
  /** Path parameters (`{name}` in the route path): a z.object whose keys are the parameter names. */
  readonly path?: z.ZodMiniObject;
  /** Status → a description, or a description and the body schema (JSON unless `contentType`). */
  readonly responses: Readonly<Record<number, string | ResponseContract>>;
  /** Served but left out of the document (e.g. the docs page's static assets). */
  readonly hidden?: boolean;
}

export interface ResponseContract {
  readonly description: string;
  readonly schema?: z.ZodMiniType;
  readonly contentType?: string;
}

/** Route key (`'GET /model-info'`) → contract. */
export type RouteContractMap = Readonly<Record<string, RouteContract>>;

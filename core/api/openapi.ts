import type { ResponseContract, RouteContract, RouteContractMap } from './contract.js';
import { routeContracts } from './contracts.js';
import { ROUTES, type RouteDefinition, routeKey } from './routes.js';
import { ErrorBody } from './schemas.js';
import * as z from './zod.js';

export interface OpenApiOptions {
  readonly title?: string;
  readonly version: string;
  readonly maxBatchRows: number;
  /** Server URL shown by the docs page; default: same origin. */
  readonly serverUrl?: string;
  /** Override the contracts (tests). */
  readonly contracts?: RouteContractMap;
}

type JsonObject = Record<string, unknown>;

/** Routes in ROUTES without a contract: the generator refuses to run while this is non-empty. */
export function routesWithoutContract(contracts: RouteContractMap): string[] {
  return ROUTES.map(routeKey).filter((key) => contracts[key] === undefined);
}

/**
 * The OpenAPI 3.1 document, generated from ROUTES and the zod schemas the handlers validate
 * with (JSON Schema 2020-12, which OpenAPI 3.1 uses as is).
 */
export function openApiDocument(options: OpenApiOptions): JsonObject {
  const contracts = options.contracts ?? routeContracts(options.maxBatchRows);
  const missing = routesWithoutContract(contracts);
  if (missing.length > 0) throw new Error(`routes without a contract: ${missing.join(', ')}`);

  const paths: Record<string, JsonObject> = {};
  for (const route of ROUTES) {
    const contract = contracts[routeKey(route)]!;
    if (contract.hidden) continue;
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = operation(route, contract);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: options.title ?? 'serverless-mlops API',
      version: options.version,
      description:
        'Score rows with the production model, inspect it, and manage users. Get a token with ' +
        '`POST /token` (or the **Authorize** button, OAuth2 password flow), then call `/predict`.',
    },
    servers: [{ url: options.serverUrl ?? '/' }],
    paths,
    components: {
      schemas: { Error: schema(ErrorBody, 'output') },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        password: { type: 'oauth2', flows: { password: { tokenUrl: '/token', scopes: {} } } },
      },
    },
  };
}

function operation(route: RouteDefinition, contract: RouteContract): JsonObject {
  const op: JsonObject = {
    operationId: operationId(route),
    summary: route.summary,
    tags: [route.access === 'admin' ? 'admin' : route.function],
  };
  const parameters = [
    ...params(contract.path, 'path', route.path),
    ...params(contract.query, 'query', route.path),
  ];
  if (parameters.length > 0) op['parameters'] = parameters;
  if (contract.body) {
    const media: JsonObject = { schema: schema(contract.body, 'input') };
    if (contract.example !== undefined) media['example'] = contract.example;
    if (contract.examples) media['examples'] = contract.examples;
    op['requestBody'] = { required: true, content: { [contract.bodyType ?? 'application/json']: media } };
  }
  const responses: Record<string, JsonObject> = {};
  for (const [status, response] of Object.entries(contract.responses)) {
    responses[status] = responseObject(Number(status), response);
  }
  const error = (description: string) => responseObject(0, description);
  if (contract.body) {
    responses['400'] ??= error('Malformed JSON or form body');
    responses['413'] ??= error('Body larger than the limit');
    responses['422'] ??= error('The body does not match the schema; `details` names each field');
  }
  if (contract.query || contract.path) {
    responses['422'] ??= error('A parameter does not match the schema; `details` names it');
  }
  if (route.access !== 'public') {
    responses['401'] ??= error('Missing, malformed, expired or otherwise invalid bearer token');
    op['security'] = [{ bearer: [] }, { password: [] }];
  }
  if (route.access === 'admin') responses['403'] ??= error('The token lacks the admin role');
  op['responses'] = responses;
  return op;
}

function responseObject(status: number, response: string | ResponseContract): JsonObject {
  const r = typeof response === 'string' ? { description: response } : response;
  if (r.contentType && !r.schema) return { description: r.description, content: { [r.contentType]: {} } };
  const body = r.schema ? schema(r.schema, 'output') : status >= 400 || status === 0 ? errorRef : undefined;
  const out: JsonObject = { description: r.description };
  if (body) out['content'] = { [r.contentType ?? 'application/json']: { schema: body } };
  if (status === 429 || status === 503) {
    out['headers'] = { 'Retry-After': { description: 'seconds', schema: { type: 'integer' } } };
  }
  return out;
}

const errorRef = { $ref: '#/components/schemas/Error' };

function params(object: z.ZodMiniObject | undefined, where: 'path' | 'query', path: string): JsonObject[] {
  if (!object) return [];
  const json = schema(object, 'input') as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: s,
    ...(where === 'path' && !path.includes(`{${name}}`) ? { deprecated: true } : {}),
  }));
}

function schema(zod: z.ZodMiniType, io: 'input' | 'output'): JsonObject {
  const { $schema: _ignored, ...json } = z.toJSONSchema(zod, { io, unrepresentable: 'any' }) as JsonObject;
  return json;
}

function operationId(route: RouteDefinition): string {
  const words = route.path
    .split('/')
    .filter(Boolean)
    .map((p) =>
      p.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string) => c?.toUpperCase() ?? ''),
    );
  const name = words.map((w, i) => (i === 0 ? w : w[0]!.toUpperCase() + w.slice(1))).join('');
  return `${route.method.toLowerCase()}${name ? name[0]!.toUpperCase() + name.slice(1) : 'Root'}`;
}

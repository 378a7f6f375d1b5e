import { routeContracts } from '../../core/api/contracts.js';
import { openApiDocument, routesWithoutContract } from '../../core/api/openapi.js';
import { ROUTES, routeKey } from '../../core/api/routes.js';
import {
  Health,
  ModelInfo,
  PredictManyResponse,
  PredictOneResponse,
  ServiceIndex,
  TokenResponse,
  UserCreated,
} from '../../core/api/schemas.js';
import * as z from '../../core/api/zod.js';
import { ENV } from '../../core/config/env.js';
import { registryService } from '../../core/services/index.js';
import { setTrainingLauncher } from '../../lambdas/admin/launcher.js';
import {
  type ApiResponse,
  adminToken,
  type CallOptions,
  type LocalApi,
  startLocalApi,
  userToken,
} from '../helpers/local-api.js';
import { trainIris } from './fixtures.js';

/** The contract: one zod schema per route drives validation, the OpenAPI document and /docs. */
const contracts = routeContracts(1000);

describe('route contracts', () => {
  test('every route in ROUTES has a contract (admin routes register theirs in core/api/admin-schemas.ts)', () => {
    expect(routesWithoutContract(contracts)).toEqual([]);
  });

  test('no contract names a route that does not exist', () => {
    const keys = new Set(ROUTES.map(routeKey));
    expect(Object.keys(contracts).filter((k) => !keys.has(k))).toEqual([]);
  });

  test('the generator refuses a route without a contract', () => {
    const { ['POST /predict']: _gone, ...rest } = contracts;
    expect(() => openApiDocument({ version: 't', maxBatchRows: 10, contracts: rest })).toThrow(
      'routes without a contract: POST /predict',
    );
  });

  test('every example body is valid input for the schema the handler validates with', () => {
    for (const [key, contract] of Object.entries(contracts)) {
      const bodies = [
        ...(contract.example !== undefined ? [contract.example] : []),
        ...Object.values(contract.examples ?? {}).map((e) => e.value),
      ];
      if (contract.body) expect(bodies.length).toBeGreaterThan(0);
      for (const body of bodies) {
        const parsed = contract.body!.safeParse(body);
        expect({ key, ok: parsed.success }).toEqual({ key, ok: true });
      }
    }
  });

  test('the document is OpenAPI 3.1 with every visible route, its request schema and its errors', () => {
    const doc = openApiDocument({ version: '1.2.3', maxBatchRows: 1000 }) as {
      openapi: string;
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    for (const route of ROUTES) {
      const contract = contracts[routeKey(route)]!;
      const op = doc.paths[route.path]?.[route.method.toLowerCase()];
      if (contract.hidden) {
        expect(op).toBeUndefined();
        continue;
      }
      expect(op).toBeDefined();
      const responses = op!['responses'] as Record<string, unknown>;
      if (route.access !== 'public') expect(Object.keys(responses)).toContain('401');
      if (route.access === 'admin') expect(Object.keys(responses)).toContain('403');
      if (contract.body) {
        expect(op!['requestBody']).toBeDefined();
        expect(Object.keys(responses)).toEqual(expect.arrayContaining(['400', '422']));
      }
    }
    const predict = doc.paths['/predict']!['post']!;
    const body = JSON.stringify(predict['requestBody']);
    expect(body).toContain('"maxItems":1000');
    expect(body).toContain('"additionalProperties":false');
  });
});

/** snake_case: lower-case words joined by single underscores (`run_id`, `sha256`, `links`). */
const SNAKE_CASE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;

/**
 * Every property name of every schema in the document (request bodies, responses, shared
 * components) and every query and path parameter, with where it was found. Examples are data
 * and are skipped; map keys (`additionalProperties`) are data too and have no names here.
 */
function namesIn(doc: unknown): { name: string; at: string }[] {
  const found: { name: string; at: string }[] = [];
  const walk = (node: unknown, at: string): void => {
    if (Array.isArray(node)) {
      for (const [i, item] of node.entries()) walk(item, `${at}[${i}]`);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const object = node as Record<string, unknown>;
    if (typeof object['in'] === 'string' && typeof object['name'] === 'string') {
      found.push({ name: object['name'], at: `${at} (${object['in']} parameter)` });
    }
    const properties = object['properties'];
    if (typeof properties === 'object' && properties !== null && !Array.isArray(properties)) {
      for (const name of Object.keys(properties)) found.push({ name, at: `${at}.properties` });
    }
    for (const [key, value] of Object.entries(object)) {
      if (key === 'example' || key === 'examples') continue;
      walk(value, `${at}.${key}`);
    }
  };
  walk(doc, '$');
  return found;
}

describe('naming', () => {
  test('every property and parameter name in the OpenAPI document is snake_case, like MLflow', () => {
    const doc = openApiDocument({ version: 't', maxBatchRows: 1000 }) as {
      paths: unknown;
      components: { schemas: unknown };
    };
    const names = namesIn({ paths: doc.paths, schemas: doc.components.schemas });
    // Not vacuous: request and response bodies of every kind of route are in there.
    expect(names.map((n) => n.name)).toEqual(
      expect.arrayContaining([
        'request_id',
        'run_id',
        'model_name',
        'latest_version',
        'feature_names',
        'limit',
      ]),
    );
    expect(names.filter((n) => !SNAKE_CASE.test(n.name))).toEqual([]);
  });

  test('the walk finds a camelCase name at any depth, in a body, an answer or a parameter', () => {
    const deep = z.object({ outer: z.array(z.object({ innerName: z.string() })) });
    const doc = openApiDocument({
      version: 't',
      maxBatchRows: 10,
      contracts: {
        ...contracts,
        'POST /train': { body: z.strictObject({ modelName: z.string() }), example: {}, responses: {} },
        'GET /runs': {
          query: z.object({ pageSize: z.string() }),
          responses: { 200: { description: 'x', schema: deep } },
        },
      },
    });
    const bad = namesIn(doc)
      .map((n) => n.name)
      .filter((name) => !SNAKE_CASE.test(name));
    expect(bad.sort()).toEqual(['innerName', 'modelName', 'pageSize']);
  });
});

describe('served contract', () => {
  let api: LocalApi;
  let token: string;

  beforeAll(async () => {
    api = await startLocalApi({ env: { [ENV.allowSelfRegistration]: 'true' } });
    await trainIris();
  }, 120_000);
  afterAll(async () => {
    setTrainingLauncher(undefined);
    await api?.stop();
  });

  const conforms = (schema: z.ZodMiniType, body: unknown) => {
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw new Error(JSON.stringify(parsed.error.issues));
  };

  test('the README session, verbatim, and every answer matches its documented response schema', async () => {
    const created = await api.call('POST', '/users', {
      json: { username: 'alice', password: 'through-the-looking-glass' },
    });
    expect(created.status).toBe(201);
    conforms(UserCreated, created.body);

    const issued = await api.call('POST', '/token', {
      form: { username: 'alice', password: 'through-the-looking-glass' },
    });
    expect(issued.status).toBe(200);
    expect(issued.body).toMatchObject({ token_type: 'bearer', expires_in: expect.any(Number) });
    conforms(TokenResponse, issued.body);
    token = issued.body.access_token;

    const one = await api.call('POST', '/predict', { json: { features: [5.1, 3.5, 1.4, 0.2] }, token });
    expect(one.status).toBe(200);
    expect(one.body.prediction).toBe('setosa');
    conforms(PredictOneResponse, one.body);

    const named = await api.call('POST', '/predict', {
      json: contracts['POST /predict']!.examples!['named']!.value,
      token,
    });
    expect(named.body.prediction).toBe('setosa');

    const many = await api.call('POST', '/predict', {
      json: {
        instances: [
          [5.1, 3.5, 1.4, 0.2],
          [6.7, 3.0, 5.2, 2.3],
        ],
      },
      token,
    });
    conforms(PredictManyResponse, many.body);
    expect(many.body.predictions.map((p: { prediction: string }) => p.prediction)).toEqual([
      'setosa',
      'virginica',
    ]);

    const info = await api.call('GET', '/model-info', { token });
    conforms(ModelInfo, info.body);
    expect(info.body.aliases).toContain('production');
    expect(info.body.dataset.fingerprint).toEqual(expect.any(String));
    const pinned = await api.call('GET', `/model-info?version=${info.body.version}`, { token });
    expect(pinned.body.version).toBe(info.body.version);

    const health = await api.call('GET', '/health');
    expect(health.status).toBe(200);
    conforms(Health, health.body);
    conforms(ServiceIndex, (await api.call('GET', '/')).body);
  });

  test('/openapi.json serves the generated document; /docs serves Swagger UI from local files', async () => {
    const doc = await api.call('GET', '/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/predict', '/model-info', '/token']),
    );

    const page = await api.call('GET', '/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.text).toContain('/docs/swagger-ui-bundle.js');
    expect(page.text).not.toMatch(/https?:\/\//); // no CDN
    for (const asset of ['swagger-ui-bundle.js', 'swagger-ui.css']) {
      const res = await fetch(`${api.url}/docs/${asset}`);
      expect(res.status).toBe(200);
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(10_000);
    }
  });

  test('"Authorize" in /docs works: the OAuth2 password flow form Swagger UI posts', async () => {
    await userToken(api, 'swagger', 'a-ui-for-apis-42');
    const res = await api.call('POST', '/token', {
      form: { grant_type: 'password', username: 'swagger', password: 'a-ui-for-apis-42', scope: '' },
    });
    expect(res.status).toBe(200);
    const predict = await api.call('POST', '/predict', {
      json: { features: [5.1, 3.5, 1.4, 0.2] },
      token: res.body.access_token,
    });
    expect(predict.status).toBe(200);
  });

  /**
   * JSON answers that are documents rather than API answers, so carry no `request_id`: the
   * OpenAPI document must stay a valid OpenAPI object (only `x-` extensions at its root), and it
   * is served with a public cache lifetime.
   */
  const NOT_AN_ANSWER = new Set([
    'GET /openapi.json',
    'GET /.well-known/jwks.json',
    'GET /.well-known/openid-configuration',
  ]);

  test('every route: each JSON answer, success or error, has request_id equal to the x-request-id header', async () => {
    const user = await userToken(api, 'walker', 'strolling-along-9');
    const changer = await userToken(api, 'strider', 'long-legs-and-a-pipe');
    const revoker = await userToken(api, 'ranger', 'from-the-north-7');
    const admin = await adminToken(api);
    // POST /train answers at once; the background run is not this test's business.
    setTrainingLauncher({ launch: async () => {} });
    let runPath = '/runs/none';
    // A second version, so a promotion can be rolled back.
    const second = await trainIris('iris', { seed: 2 });
    const other = (await registryService().requireModel('iris')).aliases['production'] === 1 ? 2 : 1;

    /**
     * Per route key, a request that succeeds and (where the route can fail) one that fails:
     * adding a route fails this test until it is listed here.
     */
    type Call = [path: string, options?: CallOptions];
    const calls: Record<string, { ok: Call; error?: Call }> = {
      'GET /': { ok: ['/'] },
      'GET /health': { ok: ['/health'] },
      'POST /users': {
        ok: ['/users', { json: { username: 'walked', password: 'a-walk-in-the-park' } }],
        error: ['/users', { json: { username: 'walked', password: 'a-walk-in-the-park' } }],
      },
      'POST /token': {
        ok: ['/token', { form: { username: 'walker', password: 'strolling-along-9' } }],
        error: ['/token', { form: { username: 'walker', password: 'wrong-password' } }],
      },
      'POST /users/{username}/password': {
        ok: [
          '/users/strider/password',
          {
            json: { current_password: 'long-legs-and-a-pipe', new_password: 'there-and-back-again' },
            token: changer,
          },
        ],
        error: [
          '/users/nobody-here/password',
          { json: { new_password: 'a-fine-new-password' }, token: admin },
        ],
      },
      'POST /users/{username}/revoke-tokens': {
        ok: ['/users/ranger/revoke-tokens', { token: revoker }],
        error: ['/users/walker/revoke-tokens', { token: revoker }],
      },
      'GET /.well-known/jwks.json': { ok: ['/.well-known/jwks.json'] },
      'GET /.well-known/openid-configuration': { ok: ['/.well-known/openid-configuration'] },
      'POST /predict': {
        ok: ['/predict', { json: { features: [5.1, 3.5, 1.4, 0.2] }, token: user }],
        error: ['/predict', { json: { features: [5.1] }, token: user }],
      },
      // Error examples with a valid token: a refused token is the gateway's answer (no request_id).
      'GET /model-info': {
        ok: ['/model-info', { token: user }],
        error: ['/model-info?version=0', { token: user }],
      },
      'GET /openapi.json': { ok: ['/openapi.json'] },
      'GET /docs': { ok: ['/docs'] },
      'GET /docs/{asset}': { ok: ['/docs/swagger-ui.css'], error: ['/docs/nothing.js'] },
      'POST /train': {
        ok: ['/train', { json: { dataset: 'builtin:iris', seed: 1 }, token: admin }],
        error: ['/train', { json: { dataset: 'builtin:iris' }, token: user }],
      },
      'GET /runs': { ok: ['/runs', { token: admin }], error: ['/runs?limit=0', { token: admin }] },
      'GET /runs/{id}': { ok: ['', { token: admin }], error: ['/runs/no-such-run', { token: admin }] },
      'POST /runs/reap': { ok: ['/runs/reap', { token: admin }], error: ['/runs/reap', { token: user }] },
      'GET /experiments': {
        ok: ['/experiments', { token: admin }],
        error: ['/experiments', { token: user }],
      },
      'GET /models': { ok: ['/models', { token: admin }], error: ['/models', { token: user }] },
      'GET /models/{name}/versions': {
        ok: ['/models/iris/versions', { token: admin }],
        error: ['/models/nope/versions', { token: admin }],
      },
      'POST /models/{name}/versions/cleanup': {
        ok: ['/models/iris/versions/cleanup', { token: admin }],
        error: ['/models/nope/versions/cleanup', { token: admin }],
      },
      'POST /models/{name}/promote': {
        ok: ['/models/iris/promote', { json: { version: other }, token: admin }],
        error: ['/models/iris/promote', { json: { version: 99 }, token: admin }],
      },
      'POST /models/{name}/rollback': {
        ok: ['/models/iris/rollback', { token: admin }],
        error: ['/models/nope/rollback', { token: admin }],
      },
      'POST /models/{name}/aliases': {
        ok: ['/models/iris/aliases', { json: { alias: 'shadow', version: 1 }, token: admin }],
        error: ['/models/iris/aliases', { json: { alias: 'shadow', version: 99 }, token: admin }],
      },
      'POST /models/{name}/metadata': {
        ok: ['/models/iris/metadata', { json: { description: 'walked' }, token: admin }],
        error: ['/models/iris/metadata', { json: {}, token: admin }],
      },
      // An SVG, not JSON: its error answers are checked.
      'GET /runs/{id}/artifacts/{name}': {
        ok: [`/runs/${second.run.runId}/artifacts/confusion-matrix.svg`, { token: user }],
        error: ['/runs/none/artifacts/model-card.json', { token: user }],
      },
      'POST /datasets': {
        ok: ['/datasets', { json: { filename: 'a.csv', bytes: 10, content_type: 'text/csv' }, token: admin }],
        error: [
          '/datasets',
          { json: { filename: 'a.png', bytes: 10, content_type: 'image/png' }, token: admin },
        ],
      },
      'GET /datasets': { ok: ['/datasets', { token: admin }], error: ['/datasets', { token: user }] },
    };
    expect(Object.keys(calls).sort()).toEqual(ROUTES.map(routeKey).sort());

    const checked = new Set<string>();
    const check = (key: string, res: ApiResponse) => {
      const requestId = res.headers.get('x-request-id');
      expect(requestId).toBeTruthy();
      if (!res.headers.get('content-type')?.startsWith('application/json')) return;
      if (NOT_AN_ANSWER.has(key) && res.status < 400) {
        expect(res.body.request_id).toBeUndefined();
        return;
      }
      expect({ key, status: res.status, request_id: res.body.request_id }).toEqual({
        key,
        status: res.status,
        request_id: requestId,
      });
      checked.add(key);
    };
    for (const route of ROUTES) {
      const key = routeKey(route);
      const { ok, error } = calls[key]!;
      const good = await api.call(route.method, ok[0] || runPath, ok[1]);
      expect({ key, status: good.status < 300 }).toEqual({ key, status: true });
      check(key, good);
      if (key === 'POST /train') runPath = good.headers.get('location')!;
      if (!error) continue;
      const bad = await api.call(route.method, error[0], error[1]);
      expect({ key, status: bad.status >= 400 }).toEqual({ key, status: true });
      check(key, bad);
    }
    // Errors the local server answers before any handler: unknown path, known path with another method.
    check('GET /nowhere', await api.call('GET', '/nowhere'));
    check('DELETE /predict', await api.call('DELETE', '/predict'));
    // Every route answered with a request_id in a JSON body, except the docs page and the document.
    expect([...checked].sort()).toEqual(
      [
        ...ROUTES.map(routeKey).filter((k) => k !== 'GET /docs' && !NOT_AN_ANSWER.has(k)),
        'GET /nowhere',
        'DELETE /predict',
      ].sort(),
    );
  });
});

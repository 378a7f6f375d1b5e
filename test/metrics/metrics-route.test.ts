import { trainingDeps } from '../../core/services/index.js';
import { trainAndRegister } from '../../core/training/service.js';
import { metricsRoute } from '../../local/metrics-route.js';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime.js';
import { type LocalServer, startLocalServer } from '../../local/server.js';

/**
 * GET /metrics on the local server, end to end: real emulators, the real handlers, a trained
 * model; the scrape shows request, prediction, error, model-load and training series.
 */
let runtime: LocalRuntime;
let server: LocalServer;
let token: string;

const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  return { status: res.status, text: await res.text(), headers: res.headers };
};

beforeAll(async () => {
  runtime = await startLocalRuntime({ ephemeral: true });
  await trainAndRegister({ dataset: 'builtin:iris', modelName: 'iris' }, trainingDeps());
  await expect(
    trainAndRegister({ dataset: 'builtin:no-such-dataset', modelName: 'iris' }, trainingDeps()),
  ).rejects.toThrow();
  server = await startLocalServer({ port: 0, localRoutes: { 'GET /metrics': metricsRoute() } });
  await call('POST', '/users', { username: 'metrics', password: 'correct-horse' });
  const res = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'username=metrics&password=correct-horse',
  });
  token = ((await res.json()) as { access_token: string }).access_token;
});

afterAll(async () => {
  await server?.close();
  await runtime?.stop();
});

test('the scrape reflects requests, predictions, errors, model loads and training', async () => {
  const auth = { authorization: `Bearer ${token}` };
  expect((await call('POST', '/predict', { features: [5.1, 3.5, 1.4, 0.2] }, auth)).status).toBe(200);
  const batch = await call(
    'POST',
    '/predict',
    {
      instances: [
        [6.7, 3.0, 5.2, 2.3],
        [5.9, 3.0, 4.2, 1.5],
      ],
    },
    auth,
  );
  expect(batch.status).toBe(200);
  expect((await call('POST', '/predict', { features: [1, 2] }, auth)).status).toBe(422);
  expect((await call('POST', '/predict', { features: [1, 2, 3, 4] })).status).toBe(401);

  const scrape = await call('GET', '/metrics');
  expect(scrape.status).toBe(200);
  expect(scrape.headers.get('content-type')).toContain('text/plain');
  const text = scrape.text;
  expect(text).toMatch(/mlops_http_requests_total\{route="POST \/predict",status="200"\} 2/);
  expect(text).toMatch(/mlops_http_requests_total\{route="POST \/predict",status="422"\} 1/);
  // The 401 came from the gateway authorizer: the function never ran, so it counted nothing
  // (deployed, API Gateway's own 4xx metric counts it).
  expect(text).not.toMatch(/route="POST \/predict",status="401"/);
  expect(text).toMatch(/mlops_errors_total\{type="VALIDATION_FAILED"\} 1/);
  expect(text).toMatch(/mlops_http_request_duration_seconds_count\{route="POST \/predict"\} 3/);
  const predicted = [
    ...text.matchAll(/^mlops_predictions_total\{model="iris",version="1",class="[^"]+"\} (\d+)$/gm),
  ];
  expect(predicted.reduce((sum, m) => sum + Number(m[1]), 0)).toBe(3);
  expect(text).toMatch(/mlops_inference_batch_rows_sum 3/);
  expect(text).toMatch(/mlops_model_loads_total\{model="iris",version="1"\} 1/);
  expect(text).toMatch(/mlops_training_runs_total\{model="iris",status="FINISHED"\} 1/);
  expect(text).toMatch(/mlops_training_runs_total\{model="iris",status="FAILED"\} 1/);
  expect(text).toMatch(/mlops_training_test_accuracy\{model="iris"\} 0\.\d+/);
  expect(text).toMatch(/mlops_production_model_version\{model="iris"\} 1/);
  expect(text).toMatch(/mlops_production_model_accuracy\{model="iris"\} 0\.\d+/);
  const age = /mlops_production_model_age_seconds\{model="iris"\} ([\d.e+-]+)/.exec(text);
  expect(Number(age?.[1])).toBeLessThan(600);
});

test('the scrape is not an API route: no request metrics for itself, and it needs no token', async () => {
  const first = await call('GET', '/metrics');
  const second = await call('GET', '/metrics');
  expect(second.status).toBe(200);
  expect(first.text).not.toContain('route="GET /metrics"');
  expect(second.text).not.toContain('route="GET /metrics"');
});

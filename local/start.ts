import { ensureConsoleBuilt } from '../console/build.js';
import { s3Client } from '../core/aws/clients.js';
import { ENV } from '../core/config/env.js';
import { ARTIFACT_BUCKET } from '../core/config/tables.js';
import { isAppError } from '../core/errors.js';
import { registryService, settings } from '../core/services/index.js';
import { handler as train } from '../lambdas/train/handler.js';
import { allowConsoleUploads, CONSOLE_PATH, consoleRoute, loopbackOrigins } from './console-route.js';
import { FUNCTIONS } from './functions.js';
import { metricsRoute } from './metrics-route.js';
import { startLocalRuntime } from './runtime.js';
import { startLocalServer } from './server.js';

/**
 * `npm start`: emulators → tables and bucket → a first model if none is in production →
 * the HTTP API on 127.0.0.1:8000, served by the Lambda handlers themselves.
 */
async function main() {
  const started = performance.now();
  const runtime = await startLocalRuntime();
  if (!runtime.owner) {
    throw new Error(`another "npm start" is already using ${runtime.home}; stop it or set MLOPS_HOME`);
  }
  log(`state in ${runtime.home}`);

  const model = settings.defaultModel;
  if (!(await hasProductionModel(model))) {
    log(`no production version of "${model}" yet: training one on builtin:iris ...`);
    const summary = await train({
      dataset: process.env[ENV.defaultDataset] ?? 'builtin:iris',
      modelName: model,
    });
    log(
      `registered ${summary.modelName} v${summary.version} (${summary.alias}): accuracy ${summary.metrics['accuracy']?.toFixed(3)}`,
    );
  }

  const consoleBuild = ensureConsoleBuilt();
  if (consoleBuild.rebuilt) log(`built the console (${consoleBuild.dir})`);
  const port = Number(process.env['PORT'] ?? 8000);
  const server = await startLocalServer({
    port,
    host: process.env['HOST'] ?? '127.0.0.1',
    localRoutes: { 'GET /metrics': metricsRoute() },
    prefixRoutes: {
      [CONSOLE_PATH]: consoleRoute(consoleBuild.dir, { s3Endpoint: runtime.env[ENV.s3Endpoint] }),
    },
  });
  const url = server.url;
  // The console uploads datasets straight to the bucket (presigned PUT), so S3 must allow its origin.
  await allowConsoleUploads(s3Client(), ARTIFACT_BUCKET.localName, loopbackOrigins(url));
  // Like a provisioned instance: the predict function's cold start (runtime, model, keys) happens
  // now, not on the first request.
  await FUNCTIONS.predict();
  log(`ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  console.log(`
  Console    ${url}${CONSOLE_PATH}/  (sign in; admins train, compare and promote)
  API        ${url}  (docs: ${url}/docs)
  Health     ${url}/health
  Metrics    ${url}/metrics  (npm run monitor: Prometheus + Alertmanager on it)

  Try it (copy-paste):

    curl -s -X POST ${url}/users -H 'content-type: application/json' \\
      -d '{"username": "alice", "password": "through-the-looking-glass"}'
    TOKEN=$(curl -s -X POST ${url}/token -d 'username=alice&password=through-the-looking-glass' \\
      | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).access_token')
    curl -s -X POST ${url}/predict -H "Authorization: Bearer $TOKEN" \\
      -H 'content-type: application/json' -d '{"features": [5.1, 3.5, 1.4, 0.2]}'

  Ctrl-C to stop; users, runs and models stay in ${runtime.home}.
`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: shutting down`);
    await server.close();
    await runtime.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

async function hasProductionModel(name: string): Promise<boolean> {
  try {
    await registryService().resolve(name);
    return true;
  } catch (error) {
    if (isAppError(error) && error.code === 'NO_MODEL') return false;
    throw error;
  }
}

function log(message: string) {
  console.log(`[mlops] ${message}`);
}

main().catch((error) => {
  console.error(`[mlops] failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

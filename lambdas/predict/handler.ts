// Before everything else: starts the ONNX runtime (wasm read, then init) while the rest loads.
import './prestart.js';

import type { Health, ModelInfo, ServiceIndex } from '../../core/api/schemas.js';
import { ModelInfoQuery, PredictOneBody, predictManyBody } from '../../core/api/schemas.js';
import { SERVICE } from '../../core/api/service-info.js';
import { isAppError } from '../../core/errors.js';
import type { LoadedModel } from '../../core/prediction/model-cache.js';
import type { VersionSelector } from '../../core/registry/service.js';
import { settings } from '../../core/services/lazy.js';
import { predictionService } from '../../core/services/prediction.js';
import { tokenVerifier } from '../../core/services/token-verifier.js';
import { requirePrincipal } from '../shared/auth.js';
import { httpHandler, json, parseJson, type ResponseBody, validate } from '../shared/http.js';
import { logger } from '../shared/logger.js';

/**
 * Longest the module waits for its warm-up: well inside Lambda's 10 s INIT limit. A warm-up that
 * is slower, or fails, only leaves its work to the first request, which joins or retries it.
 */
const WARM_UP_BUDGET_MS = 5_000;

/**
 * Cold start: the ONNX runtime, the served model and the signing keys, loaded concurrently and
 * awaited at import (top-level await), so Lambda's INIT phase does it: an instance started ahead
 * of traffic (provisioned concurrency) takes its first request warm. Otherwise the first request
 * would pay for it, since Lambda freezes the process between INIT and the first invocation.
 */
async function warmUp(): Promise<void> {
  const started = performance.now();
  const warn = (message: string, error: unknown) => logger.warn(message, { error: String(error) });
  let tasks: Promise<unknown>;
  try {
    tasks = Promise.all([
      predictionService().warm((message, fields) => logger.warn(message, fields)),
      tokenVerifier()
        .warm()
        .catch((error: unknown) => warn('key warm-up failed', error)),
    ]);
  } catch (error) {
    // Configuration missing at import (e.g. a test imports this before setting the environment):
    // the first request reports it.
    warn('warm-up skipped', error);
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const budget = new Promise<'budget'>((resolve) => {
    timer = setTimeout(() => resolve('budget'), WARM_UP_BUDGET_MS);
  });
  const outcome = await Promise.race([tasks.then(() => 'done' as const), budget]);
  clearTimeout(timer);
  logger.info('warm-up', { outcome, warmUpMs: Math.round(performance.now() - started) });
}
await warmUp();

/** POST /predict, GET /model-info, GET /health, GET /. */
export const handler = httpHandler({
  'GET /': async () =>
    json(200, {
      ...SERVICE,
      links: {
        docs: '/docs',
        openapi: '/openapi.json',
        health: '/health',
        predict: '/predict',
        model_info: '/model-info',
        token: '/token',
        users: '/users',
      },
    } satisfies ResponseBody<typeof ServiceIndex>),

  'GET /health': async (_event, ctx) => {
    let body: ResponseBody<typeof Health>;
    try {
      const model = await predictionService().model();
      const reachable = predictionService().registryReachable;
      body = {
        // Serving, but a fallback version (production failed to load), or a promotion would not be seen.
        status: reachable && !model.degraded ? 'ok' : 'degraded',
        live: true,
        registry: reachable ? 'reachable' : 'unreachable',
        model: {
          name: model.record.name,
          version: model.record.version,
          loaded: true,
          ...(model.degraded
            ? { reason: model.degraded.reason }
            : reachable
              ? {}
              : { reason: 'model registry unreachable; serving the version loaded last' }),
        },
      };
      ctx.modelVersion = model.record.version;
    } catch (error) {
      body = {
        status: 'degraded',
        live: true,
        // An AppError means the registry answered (e.g. "no production version").
        registry: isAppError(error) ? 'reachable' : 'unreachable',
        model: { loaded: false, reason: isAppError(error) ? error.message : 'model registry unreachable' },
      };
    }
    return json(body.model.loaded ? 200 : 503, body, { 'cache-control': 'no-store' });
  },

  'POST /predict': async (event, ctx) => {
    await requirePrincipal(event);
    const raw = parseJson(event);
    const batch = typeof raw === 'object' && raw !== null && 'instances' in raw;
    const body = batch ? validate(manyBody(), raw) : validate(PredictOneBody, raw);
    const rows = 'instances' in body ? body.instances : [body.features];
    const result = await predictionService().predict({
      rows,
      single: !batch,
      ...(body.model !== undefined ? { model: body.model } : {}),
      selector: selectorOf(body),
    });
    ctx.modelVersion = result.model.record.version;
    const headers = servedHeaders(result.model);
    const modelFields = {
      model_name: result.model.record.name,
      model_version: result.model.record.version,
      timestamp: new Date().toISOString(),
    };
    if (batch) return json(200, { predictions: result.rows, ...modelFields }, headers);
    const [row] = result.rows;
    return json(
      200,
      { prediction: row!.prediction, probabilities: row!.probabilities, ...modelFields },
      headers,
    );
  },

  'GET /model-info': async (event, ctx) => {
    await requirePrincipal(event);
    const query = validate(ModelInfoQuery, event.queryStringParameters ?? {}, 'query');
    const model = await predictionService().model(query.model, selectorOf(query));
    const record = model.record;
    ctx.modelVersion = record.version;
    return json(
      200,
      {
        name: record.name,
        version: record.version,
        // From the model cache's last registry read: no registry call of its own.
        aliases: [...model.aliases],
        algorithm: record.algorithm,
        metrics: { ...record.metrics },
        params: { ...record.params },
        feature_names: [...record.featureNames],
        classes: [...record.classes],
        trained_at: record.trainedAt,
        run_id: record.runId,
        dataset: { ...record.dataset },
        sha256: record.sha256,
      } satisfies ResponseBody<typeof ModelInfo>,
      servedHeaders(model),
    );
  },
});

/**
 * Which version answered, on every model answer: `x-model-version`; and, when it is a fallback
 * because the version the alias names failed to load, `x-model-degraded` with the reason.
 */
function servedHeaders(model: LoadedModel): Record<string, string> {
  return {
    'x-model-name': model.record.name,
    'x-model-version': String(model.record.version),
    // Header values are ASCII: the reason is one line of it.
    ...(model.degraded ? { 'x-model-degraded': model.degraded.reason.replace(/[^\x20-\x7e]/g, '?') } : {}),
  };
}

let many: ReturnType<typeof predictManyBody> | undefined;
/** Built once: the row limit is configuration, fixed for the life of the process. */
const manyBody = () => {
  many ??= predictManyBody(settings.maxBatchRows);
  return many;
};

function selectorOf(input: { version?: number | undefined; alias?: string | undefined }): VersionSelector {
  return {
    ...(input.version !== undefined ? { version: input.version } : {}),
    ...(input.alias !== undefined ? { alias: input.alias } : {}),
  };
}

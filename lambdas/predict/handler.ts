import { PredictOneBody, predictManyBody } from '../../core/api/schemas.js';
import { isAppError } from '../../core/errors.js';
import { predictionService, registryService, settings } from '../../core/services.js';
import { requirePrincipal } from '../shared/auth.js';
import { httpHandler, json, parseJson, validate } from '../shared/http.js';

const SERVICE = { name: 'serverless-mlops', version: '0.1.0' } as const;

/** POST /predict, GET /model-info, GET /health, GET /. */
export const handler = httpHandler({
  'GET /': async () =>
    json(200, {
      ...SERVICE,
      links: {
        health: '/health',
        predict: '/predict',
        model_info: '/model-info',
        token: '/token',
        users: '/users',
      },
    }),

  'GET /health': async () => {
    const checks: Record<string, unknown> = { live: true };
    let ready = false;
    try {
      const model = await predictionService().model();
      checks['model'] = { name: model.record.name, version: model.record.version, loaded: true };
      checks['registry'] = 'reachable';
      ready = true;
    } catch (error) {
      checks['registry'] = isAppError(error) ? 'reachable' : 'unreachable';
      checks['model'] = { loaded: false, reason: error instanceof Error ? error.message : String(error) };
    }
    return json(ready ? 200 : 503, { status: ready ? 'ok' : 'degraded', ...checks });
  },

  'POST /predict': async (event, ctx) => {
    await requirePrincipal(event);
    const raw = parseJson(event);
    const batch = typeof raw === 'object' && raw !== null && 'instances' in raw;
    const body = batch
      ? validate(predictManyBody(settings.maxBatchRows), raw)
      : validate(PredictOneBody, raw);
    const rows = 'instances' in body ? body.instances : [body.features];
    const selector = {
      ...(body.version !== undefined ? { version: body.version } : {}),
      ...(body.alias !== undefined ? { alias: body.alias } : {}),
    };
    const result = await predictionService().predict({
      rows,
      single: !batch,
      ...(body.model !== undefined ? { model: body.model } : {}),
      selector,
    });
    ctx.modelVersion = result.model.record.version;
    const modelFields = {
      model_name: result.model.record.name,
      model_version: result.model.record.version,
      timestamp: new Date().toISOString(),
      request_id: ctx.requestId,
    };
    if (batch) return json(200, { predictions: result.rows, ...modelFields });
    const [row] = result.rows;
    return json(200, { prediction: row!.prediction, probabilities: row!.probabilities, ...modelFields });
  },

  'GET /model-info': async (event) => {
    await requirePrincipal(event);
    const model = await predictionService().model();
    const record = model.record;
    const registered = await registryService().store.getModel(record.name);
    const aliases = Object.entries(registered?.aliases ?? {})
      .filter(([, v]) => v === record.version)
      .map(([alias]) => alias);
    return json(200, {
      name: record.name,
      version: record.version,
      aliases,
      algorithm: record.algorithm,
      metrics: record.metrics,
      params: record.params,
      feature_names: record.featureNames,
      classes: record.classes,
      trained_at: record.trainedAt,
      run_id: record.runId,
      dataset: record.dataset,
      sha256: record.sha256,
    });
  },
});

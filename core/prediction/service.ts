import { AppError, type ErrorDetail } from '../errors.js';
import { metrics } from '../metrics/index.js';
import type { VersionSelector } from '../registry/service.js';
import { MicroBatcher } from './micro-batcher.js';
import type { LoadedModel, ModelCache } from './model-cache.js';

/** A row as callers send it: values in the model's feature order, or keyed by feature name. */
export type Row = readonly unknown[] | Readonly<Record<string, unknown>>;

export interface PredictionRequest {
  readonly rows: readonly Row[];
  /** Whether the caller sent one row (`features`) rather than a batch (`instances`). */
  readonly single: boolean;
  readonly model?: string;
  readonly selector?: VersionSelector;
}

export interface ScoredRow {
  readonly prediction: string;
  readonly probabilities: Record<string, number>;
}

export interface PredictionResult {
  readonly rows: ScoredRow[];
  readonly model: LoadedModel;
}

export class PredictionService {
  /**
   * Every prediction goes through the batcher. A lone request (a Lambda invocation) pays one
   * setImmediate hop (~5–10 µs here); requests parsed in the same event-loop turn by a server
   * with concurrent connections share one ONNX run, whose fixed cost (~40 µs of onnxruntime-web's
   * JS wrapper and wasm entry) is most of a one-row prediction. Skipping the hop when nothing
   * else was in flight never batched anything: each request finished its run before the next
   * socket was read (measured: 1.0 row per run at 16 connections, 7.7 with the hop, 2x req/s).
   */
  private readonly batcher = new MicroBatcher();

  constructor(
    private readonly cache: ModelCache,
    readonly defaultModel: string,
  ) {}

  /**
   * The served model (default: production of the default model). No default model yet is a 503
   * (try again later); a model the caller named that does not exist is the caller's 404.
   */
  async model(name?: string, selector?: VersionSelector): Promise<LoadedModel> {
    try {
      return await this.cache.get(name ?? this.defaultModel, selector);
    } catch (error) {
      if (
        name !== undefined &&
        name !== this.defaultModel &&
        error instanceof AppError &&
        error.code === 'NO_MODEL'
      ) {
        throw new AppError('NOT_FOUND', error.message, { cause: error });
      }
      throw error;
    }
  }

  /** Whether the registry answered the last check (for /health). */
  get registryReachable(): boolean {
    return this.cache.registryReachable;
  }

  /** Sessions and bytes held against the model cache's budget. */
  cacheUsage(): ReturnType<ModelCache['usage']> {
    return this.cache.usage();
  }

  /**
   * Loads the default model ahead of the first request (called at cold start, so the wasm
   * compile and the model fetch overlap the rest of start-up). A failure is only logged: the
   * first request retries and answers with the real error.
   */
  warm(log: (message: string, fields: Record<string, unknown>) => void): Promise<void> {
    return this.model().then(
      () => undefined,
      (error: unknown) => log('model warm-up failed', { error: String(error) }),
    );
  }

  async predict(request: PredictionRequest): Promise<PredictionResult> {
    const model = await this.model(request.model, request.selector);
    const { featureNames, classes } = model.record;
    const matrix = toMatrix(request.rows, featureNames, request.single ? 'features' : 'instances');
    const started = performance.now();
    const done = this.cache.retain(model);
    let scored: Awaited<ReturnType<MicroBatcher['score']>>;
    try {
      scored = await this.batcher.score(model.onnx, matrix, request.rows.length);
    } finally {
      done();
    }
    metrics.inference(performance.now() - started, request.rows.length);
    assertFinite(scored.probabilities, scored.classCount, request.single ? 'features' : 'instances');
    const rows: ScoredRow[] = [];
    for (let i = 0; i < request.rows.length; i++) {
      const probabilities: Record<string, number> = {};
      for (let c = 0; c < scored.classCount; c++) {
        probabilities[classes[c] ?? String(c)] = roundProbability(
          scored.probabilities[i * scored.classCount + c]!,
        );
      }
      const prediction = scored.labels[i]!;
      metrics.prediction(model.record.name, model.record.version, prediction);
      rows.push({ prediction, probabilities });
    }
    return { rows, model };
  }
}

/**
 * Inputs near the float32 limit (±3.4e38) are valid numbers, but the model's arithmetic on them
 * (scaling, dot products, softmax) overflows to ±Infinity and NaN, which JSON would carry as
 * null. Such rows are the caller's 422, naming them, rather than null probabilities.
 */
function assertFinite(probabilities: Float32Array, classCount: number, field: string): void {
  const details: ErrorDetail[] = [];
  for (let i = 0; i < probabilities.length && details.length < 20; i += classCount) {
    for (let c = 0; c < classCount; c++) {
      if (Number.isFinite(probabilities[i + c]!)) continue;
      const row = i / classCount;
      details.push({
        field: field === 'features' ? 'features' : `instances[${row}]`,
        message:
          'values this large overflow the model arithmetic; scale the features to the range the model was trained on',
      });
      break;
    }
  }
  if (details.length > 0) {
    throw new AppError('VALIDATION_FAILED', `invalid ${field}: ${details[0]!.field} ${details[0]!.message}`, {
      details,
    });
  }
}

/** float32 carries ~7 significant digits; more would be noise in the JSON. */
const roundProbability = (p: number) => Math.round(p * 1e6) / 1e6;

/**
 * Checks every row against the model's features and packs them into one float32 matrix.
 * Collects all problems (up to a limit) so the 422 names each offending field.
 */
export function toMatrix(rows: readonly Row[], featureNames: readonly string[], field: string): Float32Array {
  const width = featureNames.length;
  const out = new Float32Array(rows.length * width);
  const details: ErrorDetail[] = [];
  const problem = (path: string, message: string) => {
    if (details.length < 20) details.push({ field: path, message });
  };
  rows.forEach((row, r) => {
    const base = field === 'features' ? 'features' : `instances[${r}]`;
    if (Array.isArray(row)) {
      if (row.length !== width) {
        problem(base, `expected ${width} features (${featureNames.join(', ')}), got ${row.length}`);
        return;
      }
      row.forEach((value, c) => {
        const checked = checkNumber(value);
        if (checked === undefined) problem(`${base}[${c}]`, describeBad(value, featureNames[c]!));
        else out[r * width + c] = checked;
      });
      return;
    }
    const record = row as Record<string, unknown>;
    const unknown = Object.keys(record).filter((k) => !featureNames.includes(k));
    for (const name of unknown)
      problem(`${base}.${name}`, `unknown feature; expected ${featureNames.join(', ')}`);
    featureNames.forEach((name, c) => {
      if (!Object.hasOwn(record, name)) {
        problem(`${base}.${name}`, 'missing feature');
        return;
      }
      const value = record[name];
      const checked = checkNumber(value);
      if (checked === undefined) problem(`${base}.${name}`, describeBad(value, name));
      else out[r * width + c] = checked;
    });
  });
  if (details.length > 0) {
    throw new AppError('VALIDATION_FAILED', `invalid ${field}: ${details[0]!.field} ${details[0]!.message}`, {
      details,
    });
  }
  return out;
}

function checkNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= 3.4e38 ? value : undefined;
}

function describeBad(value: unknown, feature: string): string {
  if (typeof value === 'number')
    return `${feature} must be a finite number within float32 range, got ${value}`;
  return `${feature} must be a number, got ${value === null ? 'null' : typeof value}`;
}

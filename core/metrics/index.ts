import { randomUUID } from 'node:crypto';
import type { Registry } from 'prom-client';
import { optionalEnv } from '../config/env.js';
import { cloudWatchNamespace, type MetricKey, SERVICE_NAME } from './catalog.js';
import { EmfWriter } from './emf.js';
import { createPromRegistry, type PromMetrics } from './prometheus.js';
import { RemoteWriter, toTimeSeries } from './remote-write.js';

export { METRICS, seriesNames } from './catalog.js';

/** What the serving and training code report; every hook is synchronous and never throws. */
export interface MetricsSink {
  request(route: string, status: number, durationMs: number): void;
  prediction(model: string, version: number, label: string): void;
  inference(durationMs: number, rows: number): void;
  error(type: string): void;
  modelLoad(model: string, version: number, ok: boolean): void;
  /** Whether a model's production is served by a fallback version (the named one failed to load). */
  modelDegraded(model: string, degraded: boolean): void;
  trainingRun(run: TrainingRunReport): void;
  /** The version a production alias points at (after training promotes it, or when serving checks it). */
  productionModel(model: ProductionModelReport): void;
  /** Sends what the AMP remote writer has buffered; resolves when done (or immediately when off). */
  flush(): Promise<void>;
}

export interface TrainingRunReport {
  readonly model: string;
  /** SKIPPED: a retraining check that found the data unchanged; like FINISHED, a healthy run. */
  readonly status: 'FINISHED' | 'SKIPPED' | 'FAILED' | 'ABANDONED';
  readonly durationMs: number;
  readonly accuracy?: number;
}

export interface ProductionModelReport {
  readonly name: string;
  readonly version: number;
  readonly metrics: Readonly<Record<string, number>>;
  /** ISO 8601. */
  readonly trainedAt: string;
}

export interface PlatformMetricsOptions {
  /** Write EMF lines (CloudWatch) to stdout; on in Lambda. */
  readonly emfNamespace?: string;
  /** AMP remote-write endpoint; off when undefined. */
  readonly remoteWriteUrl?: string;
  /** Labels added to every remote-written series (job, instance). */
  readonly remoteWriteLabels?: Record<string, string>;
  /** @default 30 s */
  readonly flushIntervalMs?: number;
  readonly now?: () => number;
  readonly onError?: (error: unknown) => void;
}

/** EMF for a production model's gauges at most this often per model (it is checked every minute). */
const PRODUCTION_EMF_INTERVAL_MS = 60_000;

/**
 * The metrics module: one prom-client registry (GET /metrics and AMP remote write read it),
 * plus EMF for CloudWatch when running in Lambda. Same names and labels on every path.
 */
export class PlatformMetrics implements MetricsSink {
  readonly registry: Registry;
  private readonly prom: PromMetrics;
  private readonly emf: EmfWriter | undefined;
  readonly remoteWriter: RemoteWriter | undefined;
  private readonly trainedAt = new Map<string, number>();
  private readonly productionEmittedAt = new Map<string, { at: number; version: number }>();
  private readonly now: () => number;
  private readonly flushIntervalMs: number;

  constructor(options: PlatformMetricsOptions = {}) {
    const { registry, metrics } = createPromRegistry();
    this.registry = registry;
    this.prom = metrics;
    this.now = options.now ?? Date.now;
    this.flushIntervalMs = options.flushIntervalMs ?? 30_000;
    this.emf = options.emfNamespace ? new EmfWriter(options.emfNamespace) : undefined;
    if (options.remoteWriteUrl) {
      const labels = options.remoteWriteLabels ?? {};
      this.remoteWriter = new RemoteWriter({
        url: options.remoteWriteUrl,
        collect: async () => toTimeSeries(await this.snapshot(), labels, this.now()),
        ...(options.onError ? { onError: options.onError } : {}),
      });
      this.remoteWriter.start(this.flushIntervalMs);
    }
  }

  request(route: string, status: number, durationMs: number): void {
    this.safely(() => {
      const code = String(status);
      this.prom.httpRequests.inc({ route, status: code });
      this.prom.httpRequestDuration.observe({ route }, durationMs / 1000);
      this.emf?.record('httpRequests', { route, status: code }, 1);
      this.emf?.record('httpRequestDuration', { route }, durationMs / 1000);
      // The end of a request is the end of the unit of work: publish EMF now, AMP if due.
      this.emf?.flush();
      this.flushIfDue();
    });
  }

  prediction(model: string, version: number, label: string): void {
    this.safely(() => {
      const labels = { model, version: String(version), class: label };
      this.prom.predictions.inc(labels);
      this.emf?.record('predictions', labels, 1);
    });
  }

  inference(durationMs: number, rows: number): void {
    this.safely(() => {
      this.prom.inferenceDuration.observe(durationMs / 1000);
      this.prom.inferenceBatchRows.observe(rows);
      this.emf?.record('inferenceDuration', {}, durationMs / 1000);
      this.emf?.record('inferenceBatchRows', {}, rows);
    });
  }

  error(type: string): void {
    this.safely(() => {
      this.prom.errors.inc({ type });
      this.emf?.record('errors', { type }, 1);
    });
  }

  modelLoad(model: string, version: number, ok: boolean): void {
    this.safely(() => {
      const labels = { model, version: String(version) };
      const key: MetricKey = ok ? 'modelLoads' : 'modelLoadFailures';
      this.prom[key].inc(labels);
      this.emf?.record(key, labels, 1);
      this.emf?.flush();
    });
  }

  modelDegraded(model: string, degraded: boolean): void {
    this.safely(() => {
      this.prom.modelDegraded.set({ model }, degraded ? 1 : 0);
      this.emf?.record('modelDegraded', { model }, degraded ? 1 : 0);
      this.emf?.flush();
    });
  }

  trainingRun(run: TrainingRunReport): void {
    this.safely(() => {
      const model = { model: run.model };
      this.prom.trainingRuns.inc({ ...model, status: run.status });
      this.prom.trainingDuration.observe(model, run.durationMs / 1000);
      this.emf?.record('trainingRuns', { ...model, status: run.status }, 1);
      this.emf?.record('trainingDuration', model, run.durationMs / 1000);
      if (run.accuracy !== undefined) {
        this.prom.trainingAccuracy.set(model, run.accuracy);
        this.emf?.record('trainingAccuracy', model, run.accuracy);
      }
      if (run.status !== 'FAILED') {
        const at = this.now() / 1000;
        this.prom.trainingLastSuccess.set(model, at);
        this.emf?.record('trainingLastSuccess', model, at);
      }
      this.emf?.flush();
      this.flushIfDue();
    });
  }

  productionModel(report: ProductionModelReport): void {
    this.safely(() => {
      const model = { model: report.name };
      const trainedAt = Date.parse(report.trainedAt) / 1000;
      const accuracy = report.metrics['accuracy'];
      this.trainedAt.set(report.name, trainedAt);
      this.prom.productionVersion.set(model, report.version);
      if (Number.isFinite(trainedAt)) this.prom.productionTrainedAt.set(model, trainedAt);
      if (accuracy !== undefined) this.prom.productionAccuracy.set(model, accuracy);
      if (!this.emf) return;
      const last = this.productionEmittedAt.get(report.name);
      const now = this.now();
      if (last && last.version === report.version && now - last.at < PRODUCTION_EMF_INTERVAL_MS) return;
      this.productionEmittedAt.set(report.name, { at: now, version: report.version });
      this.emf.record('productionVersion', model, report.version);
      if (Number.isFinite(trainedAt)) {
        this.emf.record('productionTrainedAt', model, trainedAt);
        this.emf.record('productionAge', model, Math.max(0, now / 1000 - trainedAt));
      }
      if (accuracy !== undefined) this.emf.record('productionAccuracy', model, accuracy);
      this.emf.flush();
    });
  }

  /** Drops the production gauges of models that no longer have a production version. */
  retainProductionModels(names: readonly string[]): void {
    for (const model of [...this.trainedAt.keys()]) {
      if (names.includes(model)) continue;
      this.trainedAt.delete(model);
      for (const key of [
        'productionVersion',
        'productionAccuracy',
        'productionTrainedAt',
        'productionAge',
      ] as const) {
        this.prom[key].remove({ model });
      }
    }
  }

  /** Prometheus text exposition of every series (GET /metrics). */
  async text(): Promise<string> {
    this.refreshDerived();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  async snapshot() {
    this.refreshDerived();
    return this.registry.getMetricsAsJSON();
  }

  flush(): Promise<void> {
    this.emf?.flush();
    return this.remoteWriter?.flush() ?? Promise.resolve();
  }

  /** Stops the background flush timer (tests, shutdown). */
  close(): void {
    this.remoteWriter?.stop();
  }

  /** The production model's age is a function of the clock, so it is computed when read. */
  private refreshDerived(): void {
    const now = this.now() / 1000;
    for (const [model, trainedAt] of this.trainedAt) {
      if (Number.isFinite(trainedAt)) this.prom.productionAge.set({ model }, Math.max(0, now - trainedAt));
    }
  }

  /**
   * In Lambda the process is frozen between invocations, so the interval timer alone is not
   * enough: the end of a request also starts a flush when one is due. It is never awaited here,
   * so no request waits on AMP.
   */
  private flushIfDue(): void {
    const writer = this.remoteWriter;
    if (writer && !writer.busy && this.now() - writer.lastFlushAt >= this.flushIntervalMs)
      void writer.flush();
  }

  /** Metrics must never break the request they describe. */
  private safely(action: () => void): void {
    try {
      action();
    } catch {
      // A label value CloudWatch or prom-client refuses costs one data point, not the request.
    }
  }
}

/**
 * Options from the environment: EMF when the Lambda runtime is present, remote write when
 * AMP_REMOTE_WRITE_URL is set. Each Lambda execution environment is its own `instance`, so
 * cumulative counters from concurrent environments never collide in AMP.
 */
export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): PlatformMetricsOptions {
  const functionName = optionalEnv('lambdaFunctionName', env);
  const stage = optionalEnv('stage', env) ?? 'local';
  const remoteWriteUrl = optionalEnv('ampRemoteWriteUrl', env);
  return {
    ...(functionName ? { emfNamespace: cloudWatchNamespace(stage) } : {}),
    ...(remoteWriteUrl
      ? {
          remoteWriteUrl,
          remoteWriteLabels: {
            job: functionName ?? SERVICE_NAME,
            instance: `${functionName ?? 'local'}:${randomUUID().slice(0, 8)}`,
            stage,
          },
        }
      : {}),
  };
}

let instance: PlatformMetrics | undefined;

/** The process-wide metrics, built from the environment on first use. */
export function platformMetrics(): PlatformMetrics {
  instance ??= new PlatformMetrics(optionsFromEnv());
  return instance;
}

let redirect: MetricsSink | undefined;

/**
 * Sends every hook to `sink` instead of this process's registry (undefined: back to it): a local
 * training worker thread forwards its metrics to the server that started it.
 */
export function redirectMetrics(sink: MetricsSink | undefined): void {
  redirect = sink;
}

const sink = (): MetricsSink => redirect ?? platformMetrics();

/** The hooks the request path, the model cache and training call. */
export const metrics: MetricsSink = {
  request: (route, status, durationMs) => sink().request(route, status, durationMs),
  prediction: (model, version, label) => sink().prediction(model, version, label),
  inference: (durationMs, rows) => sink().inference(durationMs, rows),
  error: (type) => sink().error(type),
  modelLoad: (model, version, ok) => sink().modelLoad(model, version, ok),
  modelDegraded: (model, degraded) => sink().modelDegraded(model, degraded),
  trainingRun: (run) => sink().trainingRun(run),
  productionModel: (report) => sink().productionModel(report),
  flush: () => sink().flush(),
};

import { Logger } from '@aws-lambda-powertools/logger';
import type { ArtifactStore } from '../artifacts/store.js';
import { AppError } from '../errors.js';
import { SERVICE_NAME } from '../metrics/catalog.js';
import { metrics } from '../metrics/index.js';
import type { RegistryService, VersionSelector } from '../registry/service.js';
import type { ModelVersion } from '../registry/types.js';
import { OnnxModel, warmRuntime } from './onnx-session.js';

export interface LoadedModel {
  readonly record: ModelVersion;
  /**
   * The aliases pointing at this version, from the registry read that resolved it: as fresh as
   * the cache's refresh interval (GET /model-info answers with these, without a registry call).
   */
  readonly aliases: readonly string[];
  readonly onnx: OnnxModel;
  readonly loadedAt: number;
  /**
   * Where the load time went. `fetchMs` (artifact + SHA-256) and `runtimeMs` (wasm compile and
   * ONNX runtime start, only on a process's first load) run concurrently; `sessionMs` follows both.
   */
  readonly timings: {
    readonly fetchMs: number;
    readonly runtimeMs: number;
    readonly sessionMs: number;
    readonly bytes: number;
  };
}

/** One alias (e.g. `iris@production`) or pinned version (`iris#3`) and what it serves. */
interface Entry {
  current?: LoadedModel;
  checkedAt: number;
  refreshing?: Promise<LoadedModel>;
}

export interface ModelCacheOptions {
  /**
   * How often an alias (e.g. production) is re-resolved against the registry; pinned versions
   * are re-read as often, for the aliases pointing at them.
   */
  readonly refreshMs: number;
  readonly now?: () => number;
  readonly log?: (message: string, fields: Record<string, unknown>) => void;
}

const defaultLogger = new Logger({ serviceName: SERVICE_NAME });
const defaultLog = (message: string, fields: Record<string, unknown>) =>
  /fail/.test(message) ? defaultLogger.warn(message, fields) : defaultLogger.info(message, fields);

/** Keep at most this many pinned (explicit-version) models in memory. */
const PINNED_LIMIT = 4;
/** In-flight requests may still hold a replaced session; release it only after this grace period. */
const RELEASE_AFTER_MS = 30_000;

/**
 * Loads models once per process and keeps them warm. An alias is checked against the registry
 * at most every `refreshMs`; a new version is loaded beside the old one and swapped in atomically,
 * so in-flight requests finish on the model they started with. If the new version fails to load
 * (missing artifact, bad digest, bad graph), the old one keeps serving and the failure is counted.
 * Pinned versions are checked as often (their version cannot change, the aliases on it can).
 */
export class ModelCache {
  private readonly aliases = new Map<string, Entry>();
  /** Insertion order is eviction order: at most PINNED_LIMIT. */
  private readonly pinned = new Map<string, Entry>();
  private readonly now: () => number;
  private readonly log: NonNullable<ModelCacheOptions['log']>;

  constructor(
    private readonly registry: RegistryService,
    private readonly artifacts: ArtifactStore,
    private readonly options: ModelCacheOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.log = options.log ?? defaultLog;
  }

  async get(name: string, selector: VersionSelector = {}): Promise<LoadedModel> {
    const pinned = selector.version !== undefined;
    const key = pinned ? `${name}#${selector.version}` : `${name}@${selector.alias ?? 'production'}`;
    const entries = pinned ? this.pinned : this.aliases;
    let entry = entries.get(key);
    if (!entry) {
      entry = { checkedAt: Number.NEGATIVE_INFINITY };
      entries.set(key, entry);
      if (pinned) this.evictPinned();
    }
    if (entry.current && this.now() - entry.checkedAt < this.options.refreshMs) return entry.current;
    entry.refreshing ??= this.startRefresh(entry, key, name, selector);
    return entry.refreshing;
  }

  private startRefresh(entry: Entry, key: string, name: string, selector: VersionSelector) {
    const refreshing = this.refresh(entry, name, selector);
    // A pinned version that never loaded is forgotten, so the next request retries it and it
    // holds no place among the PINNED_LIMIT.
    if (selector.version !== undefined) {
      refreshing.catch(() => {
        if (!entry.current && this.pinned.get(key) === entry) this.pinned.delete(key);
      });
    }
    return refreshing.finally(() => {
      entry.refreshing = undefined;
    });
  }

  /** Whether the last registry check answered (a failed one keeps the loaded model serving). */
  registryReachable = true;

  /** What each alias currently serves, for health checks. */
  loaded(): LoadedModel[] {
    return [...this.aliases.values()].flatMap((e) => (e.current ? [e.current] : []));
  }

  private async refresh(entry: Entry, name: string, selector: VersionSelector): Promise<LoadedModel> {
    let record: ModelVersion;
    let aliases: readonly string[];
    try {
      ({ record, aliases } = await this.registry.resolveWithAliases(name, selector));
      this.registryReachable = true;
      if (selector.version === undefined && (selector.alias ?? 'production') === 'production') {
        metrics.productionModel(record);
      }
    } catch (error) {
      // Registry unreachable: keep serving what we have; a model that is gone from the registry is not.
      if (!(error instanceof AppError)) this.registryReachable = false;
      if (entry.current && !(error instanceof AppError)) {
        this.log('registry check failed; serving the loaded model', { error: String(error) });
        entry.checkedAt = this.now();
        return entry.current;
      }
      throw error;
    }
    const current = entry.current;
    if (current && current.record.version === record.version && current.record.sha256 === record.sha256) {
      entry.checkedAt = this.now();
      // Same version, same session: only the aliases on it may have moved.
      if (sameAliases(current.aliases, aliases)) return current;
      const moved = { ...current, aliases };
      entry.current = moved;
      return moved;
    }
    try {
      const loaded = await this.load(record, aliases);
      entry.current = loaded;
      entry.checkedAt = this.now();
      if (current) setTimeout(() => void current.onnx.release().catch(() => {}), RELEASE_AFTER_MS).unref();
      return loaded;
    } catch (error) {
      metrics.modelLoad(name, record.version, false);
      this.log('model load failed', { model: name, version: record.version, error: String(error) });
      if (current) {
        entry.checkedAt = this.now();
        return current;
      }
      throw new AppError(
        'MODEL_UNAVAILABLE',
        `model "${name}" version ${record.version} could not be loaded`,
        {
          retryAfter: 30,
          cause: error,
        },
      );
    }
  }

  /** Drops the oldest pinned version past PINNED_LIMIT; its session is released after the grace period. */
  private evictPinned(): void {
    if (this.pinned.size <= PINNED_LIMIT) return;
    const [oldestKey, oldest] = this.pinned.entries().next().value!;
    this.pinned.delete(oldestKey);
    setTimeout(() => {
      void Promise.resolve(oldest.refreshing ?? oldest.current)
        .then((model) => model?.onnx.release())
        .catch(() => {});
    }, RELEASE_AFTER_MS).unref();
  }

  private async load(record: ModelVersion, aliases: readonly string[]): Promise<LoadedModel> {
    const started = performance.now();
    const since = (p: Promise<unknown>) => p.then(() => round(performance.now() - started));
    const fetching = this.artifacts.getVerified(record.artifactKey, record.sha256);
    const warming = warmRuntime();
    const [bytes, fetchMs, runtimeMs] = await Promise.all([fetching, since(fetching), since(warming)]);
    const ready = performance.now();
    const onnx = await OnnxModel.load(bytes, record.featureNames.length);
    const timings = {
      fetchMs,
      runtimeMs,
      sessionMs: round(performance.now() - ready),
      bytes: bytes.byteLength,
    };
    metrics.modelLoad(record.name, record.version, true);
    this.log('model loaded', { model: record.name, version: record.version, ...timings });
    return { record, aliases, onnx, loadedAt: this.now(), timings };
  }
}

const sameAliases = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((alias, i) => alias === b[i]);

const round = (ms: number) => Math.round(ms * 100) / 100;

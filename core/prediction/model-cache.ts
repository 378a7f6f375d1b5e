import type { ArtifactStore } from '../artifacts/store.js';
import { AppError } from '../errors.js';
import { logger } from '../log.js';
import { metrics } from '../metrics/index.js';
import { normaliseAlias, type RegistryService, type VersionSelector } from '../registry/service.js';
import { type ModelVersion, PRODUCTION } from '../registry/types.js';
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
  /**
   * Set when this is not the version the alias names: that version failed its checksum or load,
   * and this one (the one serving before, or the last good production version) answers instead.
   */
  readonly degraded?: { readonly wantedVersion: number; readonly reason: string };
}

export interface ModelCacheOptions {
  /**
   * How often an alias (e.g. production) is re-resolved against the registry; pinned versions
   * are re-read as often, for the aliases pointing at them.
   */
  readonly refreshMs: number;
  /** Loaded ONNX sessions kept at most. @default 64 */
  readonly maxSessions?: number;
  /** Artifact bytes of the loaded sessions kept at most. @default 256 MiB */
  readonly maxBytes?: number;
  readonly now?: () => number;
  readonly log?: Pick<typeof logger, 'info' | 'warn'>;
}

export const MODEL_CACHE_DEFAULTS = { maxSessions: 64, maxBytes: 256 * 1024 * 1024 } as const;
/** After a restart with a broken production artifact, this many earlier production versions are tried. */
const MAX_FALLBACKS = 5;

/** One loaded version (name, number, digest): shared by every alias and pin that resolves to it. */
interface Slot {
  readonly key: string;
  readonly model: LoadedModel;
  /** Requests scoring on it now; an evicted slot's session is released when this reaches 0. */
  users: number;
  evicted: boolean;
}

/** One alias (`iris@production`) or pin (`iris#3`): what it serves and when it was last checked. */
interface Entry {
  slot: Slot;
  /** The slot's model with this entry's aliases (and degradation), as get() answers. */
  served: LoadedModel;
  checkedAt: number;
}

/**
 * Loads models once per process and keeps them warm, within a budget. An alias is checked against
 * the registry at most every `refreshMs`; a new version is loaded beside the old one and swapped
 * in atomically, so in-flight requests finish on the model they started with.
 *
 * - Budget: at most `maxSessions` sessions and `maxBytes` of artifacts, least recently used
 *   evicted first; an evicted session is released as soon as no request is scoring on it.
 * - Failed lookups (unknown model or alias) leave nothing behind.
 * - Fallback: when the version an alias names fails its checksum or load, the version serving
 *   before keeps serving; with none (a fresh process), the last good production version does.
 *   Either way the answer says so (`degraded`), a gauge counts it, and only with no good
 *   version at all is the answer 503.
 */
export class ModelCache {
  /** Least recently used first (a Map iterates in insertion order; use re-inserts). */
  private readonly slots = new Map<string, Slot>();
  private readonly loading = new Map<string, Promise<Slot>>();
  /** Evicted slots too, for as long as a request holds their model. */
  private readonly slotOf = new WeakMap<OnnxModel, Slot>();
  private readonly entries = new Map<string, Entry>();
  private readonly refreshing = new Map<string, Promise<LoadedModel>>();
  private bytes = 0;
  private readonly now: () => number;
  private readonly log: NonNullable<ModelCacheOptions['log']>;
  private readonly maxSessions: number;
  private readonly maxBytes: number;

  /** Whether the last registry check answered (a failed one keeps the loaded model serving). */
  registryReachable = true;

  constructor(
    private readonly registry: RegistryService,
    private readonly artifacts: ArtifactStore,
    private readonly options: ModelCacheOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.log = options.log ?? logger;
    this.maxSessions = Math.max(1, options.maxSessions ?? MODEL_CACHE_DEFAULTS.maxSessions);
    this.maxBytes = options.maxBytes ?? MODEL_CACHE_DEFAULTS.maxBytes;
  }

  async get(name: string, selector: VersionSelector = {}): Promise<LoadedModel> {
    const key = entryKey(name, selector);
    const entry = this.entries.get(key);
    if (entry && !entry.slot.evicted) {
      this.touch(entry.slot);
      if (this.now() - entry.checkedAt < this.options.refreshMs) return entry.served;
    }
    let refreshing = this.refreshing.get(key);
    if (!refreshing) {
      refreshing = this.refresh(key, name, selector).finally(() => this.refreshing.delete(key));
      this.refreshing.set(key, refreshing);
    }
    return refreshing;
  }

  /**
   * Marks a served model in use until the returned function is called: the budget may evict its
   * session meanwhile, but releases it only once nobody is scoring on it.
   */
  retain(model: LoadedModel): () => void {
    const slot = this.slotOf.get(model.onnx);
    if (!slot) return () => {};
    slot.users++;
    return () => {
      slot.users--;
      if (slot.evicted && slot.users === 0) this.release(slot);
    };
  }

  /** What each alias currently serves, for health checks. */
  loaded(): LoadedModel[] {
    return [...this.entries.entries()].filter(([key]) => key.includes('@')).map(([, e]) => e.served);
  }

  /** Sessions held and their artifact bytes, against the budget. */
  usage(): { sessions: number; bytes: number; maxSessions: number; maxBytes: number; entries: number } {
    return {
      sessions: this.slots.size,
      bytes: this.bytes,
      maxSessions: this.maxSessions,
      maxBytes: this.maxBytes,
      entries: this.entries.size,
    };
  }

  private async refresh(key: string, name: string, selector: VersionSelector): Promise<LoadedModel> {
    const entry = this.entries.get(key);
    const current = entry && !entry.slot.evicted ? entry : undefined;
    let record: ModelVersion;
    let aliases: readonly string[];
    try {
      ({ record, aliases } = await this.registry.resolveWithAliases(name, selector));
      this.registryReachable = true;
    } catch (error) {
      if (!(error instanceof AppError)) {
        // Registry unreachable: keep serving what we have.
        this.registryReachable = false;
        if (current) {
          this.log.warn('registry check failed; serving the loaded model', { error: String(error) });
          current.checkedAt = this.now();
          return current.served;
        }
        throw error;
      }
      // The registry answered: the model or alias is gone (or never was). Nothing of it is kept,
      // so a flood of random names costs a registry read each, and no memory.
      this.forget(key);
      throw error;
    }
    const production = isProduction(selector);
    if (production) metrics.productionModel(record);

    let slot: Slot;
    let degraded: LoadedModel['degraded'];
    try {
      slot = await this.slotFor(record);
    } catch (error) {
      metrics.modelLoad(name, record.version, false);
      const reason = `version ${record.version} could not be loaded: ${messageOf(error)}`;
      this.log.warn('model load failed', { model: name, version: record.version, error: messageOf(error) });
      const fallback =
        current && current.slot.model.record.version !== record.version
          ? current.slot
          : production
            ? await this.lastGoodProduction(name, record.version)
            : undefined;
      if (!fallback) {
        this.forget(key);
        if (production) metrics.modelDegraded(name, false);
        throw new AppError('MODEL_UNAVAILABLE', `model "${name}" ${reason}`, {
          retryAfter: 30,
          cause: error,
        });
      }
      slot = fallback;
      degraded = {
        wantedVersion: record.version,
        reason: `${selectorText(selector)} is version ${record.version}, which failed to load (${messageOf(error)}); serving version ${fallback.model.record.version}`,
      };
      this.log.warn('serving a fallback version', { model: name, ...degraded });
      aliases = current?.slot === fallback ? current.served.aliases : [];
    }
    if (production) metrics.modelDegraded(name, degraded !== undefined);
    const served: LoadedModel = { ...slot.model, aliases, ...(degraded ? { degraded } : {}) };
    this.entries.set(key, { slot, served, checkedAt: this.now() });
    return served;
  }

  /** The most recent earlier production version that loads, or undefined. */
  private async lastGoodProduction(name: string, broken: number): Promise<Slot | undefined> {
    const model = await this.registry.store.getModel(name).catch(() => undefined);
    const history = [...(model?.productionHistory ?? [])].reverse().filter((v) => v !== broken);
    for (const version of history.slice(0, MAX_FALLBACKS)) {
      try {
        const record = await this.registry.store.getVersion(name, version);
        if (record) return await this.slotFor(record);
      } catch (error) {
        metrics.modelLoad(name, version, false);
        this.log.warn('fallback version failed to load too', {
          model: name,
          version,
          error: messageOf(error),
        });
      }
    }
    return undefined;
  }

  /** The loaded slot of a version: shared, loaded once even under concurrent requests. */
  private async slotFor(record: ModelVersion): Promise<Slot> {
    const key = slotKey(record);
    const existing = this.slots.get(key);
    if (existing && !existing.evicted) {
      this.touch(existing);
      return existing;
    }
    let loading = this.loading.get(key);
    if (!loading) {
      loading = this.load(record)
        .then((model) => {
          const slot: Slot = { key, model, users: 0, evicted: false };
          this.slots.set(key, slot);
          this.slotOf.set(model.onnx, slot);
          this.bytes += model.timings.bytes;
          this.evictOverBudget(slot);
          return slot;
        })
        .finally(() => this.loading.delete(key));
      this.loading.set(key, loading);
    }
    return loading;
  }

  private touch(slot: Slot): void {
    this.slots.delete(slot.key);
    this.slots.set(slot.key, slot);
  }

  /** Evicts least recently used sessions (never `keep`, the one just loaded) until within budget. */
  private evictOverBudget(keep: Slot): void {
    for (const slot of this.slots.values()) {
      if (this.slots.size <= this.maxSessions && this.bytes <= this.maxBytes) return;
      if (slot === keep) continue;
      this.evict(slot);
    }
  }

  private evict(slot: Slot): void {
    this.slots.delete(slot.key);
    this.bytes -= slot.model.timings.bytes;
    slot.evicted = true;
    for (const [key, entry] of this.entries) if (entry.slot === slot) this.entries.delete(key);
    // Deferred a turn: a request that has just been handed this model retains it first.
    setImmediate(() => {
      if (slot.users === 0) this.release(slot);
    });
  }

  private release(slot: Slot): void {
    if (this.slots.get(slot.key) === slot) return;
    void slot.model.onnx.release().catch(() => {});
  }

  private forget(key: string): void {
    this.entries.delete(key);
  }

  private async load(record: ModelVersion): Promise<LoadedModel> {
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
    this.log.info('model loaded', { model: record.name, version: record.version, ...timings });
    return { record, aliases: [], onnx, loadedAt: this.now(), timings };
  }
}

const entryKey = (name: string, selector: VersionSelector) =>
  selector.version !== undefined
    ? `${name}#${selector.version}`
    : `${name}@${normaliseAlias(selector.alias ?? PRODUCTION)}`;
const slotKey = (record: ModelVersion) => `${record.name}#${record.version}#${record.sha256}`;
const isProduction = (selector: VersionSelector) =>
  selector.version === undefined && normaliseAlias(selector.alias ?? PRODUCTION) === PRODUCTION;
const selectorText = (selector: VersionSelector) =>
  selector.version !== undefined
    ? `version ${selector.version}`
    : `alias ${normaliseAlias(selector.alias ?? PRODUCTION)}`;
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
const round = (ms: number) => Math.round(ms * 100) / 100;

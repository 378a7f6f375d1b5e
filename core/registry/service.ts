import { AppError } from '../errors.js';
import { assertTags } from './limits.js';
import {
  decidePromotion,
  describeSchemaDiff,
  type PairedComparison,
  type PromotionDecision,
  type PromotionPolicy,
  schemaDiff,
} from './policy.js';
import { assertModelName, type RegistryStore } from './store.js';
import {
  CHALLENGER,
  type IncompleteVersion,
  type ModelVersion,
  type NewModelVersion,
  PRODUCTION,
  type RegisteredModel,
} from './types.js';

export interface RegisterOptions {
  readonly policy?: PromotionPolicy;
  /**
   * Scores the production version and the candidate on the same rows (the candidate's test split).
   * Without it, a candidate never displaces a production version: there is nothing fair to compare.
   */
  readonly compare?: (production: ModelVersion) => Promise<PairedComparison>;
}

/** An alias change, with what the caller should be told about it (a forced schema change). */
export interface AliasChange {
  readonly model: RegisteredModel;
  readonly warnings: readonly string[];
}

export interface VersionSelector {
  readonly version?: number;
  readonly alias?: string;
}

/** Stage names of MLflow < 2.9, accepted for users who still think in stages. */
export const STAGE_ALIASES: Readonly<Record<string, string>> = {
  production: PRODUCTION,
  staging: CHALLENGER,
};

export function normaliseAlias(alias: string): string {
  const lower = alias.toLowerCase();
  return (Object.hasOwn(STAGE_ALIASES, lower) ? STAGE_ALIASES[lower] : undefined) ?? lower;
}

/** The aliases of a model that point at one of its versions, sorted. */
export function aliasesOf(model: RegisteredModel, version: number): string[] {
  return Object.entries(model.aliases)
    .filter(([, v]) => v === version)
    .map(([alias]) => alias)
    .sort();
}

const ALIAS = /^[a-z][a-z0-9_-]{0,31}$/;
/** Alias writes are optimistic; under N racing writers one wins per round, so allow many rounds. */
const MAX_RETRIES = 25;
const backoff = (attempt: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(200, 5 * 2 ** attempt)));

export class RegistryService {
  constructor(readonly store: RegistryStore) {}

  async requireModel(name: string): Promise<RegisteredModel> {
    assertModelName(name);
    const model = await this.store.getModel(name);
    if (!model) throw new AppError('NOT_FOUND', `model "${name}" is not registered`);
    return model;
  }

  /** Resolves a version number or alias (default: production) to a version record. */
  async resolve(name: string, selector: VersionSelector = {}): Promise<ModelVersion> {
    return (await this.resolveWithAliases(name, selector)).record;
  }

  /**
   * resolve(), plus the aliases that point at the resolved version, from the same read of the
   * model item (what the model cache keeps for GET /model-info).
   */
  async resolveWithAliases(
    name: string,
    selector: VersionSelector = {},
  ): Promise<{ record: ModelVersion; aliases: string[] }> {
    const model = await this.store.getModel(name);
    if (!model) {
      throw new AppError(
        'NO_MODEL',
        `no model named "${name}" is registered yet; train one with "mlops train"`,
        {
          retryAfter: 60,
        },
      );
    }
    let version = selector.version;
    if (version === undefined) {
      const alias = normaliseAlias(selector.alias ?? PRODUCTION);
      version = Object.hasOwn(model.aliases, alias) ? model.aliases[alias] : undefined;
      if (version === undefined) {
        if (alias === PRODUCTION) {
          throw new AppError('NO_MODEL', `model "${name}" has no production version; train or promote one`, {
            retryAfter: 60,
          });
        }
        throw new AppError('NOT_FOUND', `model "${name}" has no alias "${alias}"`);
      }
    }
    const record = await this.store.getVersion(name, version);
    if (!record) throw new AppError('NOT_FOUND', `model "${name}" has no version ${version}`);
    return { record, aliases: aliasesOf(model, version) };
  }

  /**
   * Registers a trained version, then decides its alias (core/registry/policy.ts): production only if
   * it has production's schema and beats it on the same rows, challenger otherwise. The decision is
   * kept on the version before the alias moves; the move is conditional and decided again on a race.
   */
  async register(
    name: string,
    data: NewModelVersion,
    options: RegisterOptions = {},
  ): Promise<{ version: ModelVersion; decision: PromotionDecision }> {
    const created = await this.store.createVersion(name, data);
    const comparisons = new Map<number, Promise<PairedComparison | { error: string }>>();
    const compareWith = (production: ModelVersion) => {
      if (!options.compare) return undefined;
      let result = comparisons.get(production.version);
      if (!result) {
        result = options.compare(production).catch((error: unknown) => ({ error: messageOf(error) }));
        comparisons.set(production.version, result);
      }
      return result;
    };
    for (let attempt = 0; ; attempt++) {
      const model = await this.requireModel(name);
      const productionVersion = model.aliases[PRODUCTION];
      const production =
        productionVersion === undefined ? undefined : await this.store.getVersion(name, productionVersion);
      const comparison =
        production && !schemaDiff(created, production) ? await compareWith(production) : undefined;
      const decision: PromotionDecision = {
        ...decidePromotion({
          candidate: created,
          ...(production ? { production } : {}),
          ...(comparison ? { comparison } : {}),
          ...(options.policy ? { policy: options.policy } : {}),
        }),
        decidedAt: new Date().toISOString(),
      };
      await this.store.recordDecision(name, created.version, decision);
      try {
        if (decision.alias === PRODUCTION) await this.store.setAlias(model, PRODUCTION, created.version);
        else await this.store.pointAlias(name, decision.alias, created.version);
        return { version: { ...created, decision }, decision };
      } catch (error) {
        if (!isConcurrentUpdate(error) || attempt >= MAX_RETRIES) throw error;
        await backoff(attempt);
      }
    }
  }

  listModels(): Promise<RegisteredModel[]> {
    return this.store.listModels();
  }

  async listVersions(name: string, limit?: number): Promise<ModelVersion[]> {
    await this.requireModel(name);
    return this.store.listVersions(name, limit);
  }

  async getVersion(name: string, version: number): Promise<ModelVersion> {
    assertModelName(name);
    const record = await this.store.getVersion(name, version);
    if (!record) throw new AppError('NOT_FOUND', `model "${name}" has no version ${version}`);
    return record;
  }

  /** Description and tags of a model, or of one of its versions (an empty tag value removes the tag). */
  async updateMetadata(
    name: string,
    change: { version?: number; description?: string; tags?: Record<string, string> },
  ): Promise<void> {
    assertModelName(name);
    const { version, ...rest } = change;
    assertTags(rest.tags);
    if (rest.tags) {
      // The limit holds for the merged result, not only for this request's tags.
      const current =
        version === undefined
          ? (await this.requireModel(name)).tags
          : (await this.getVersion(name, version)).tags;
      const merged = { ...(current ?? {}), ...rest.tags };
      for (const [key, value] of Object.entries(rest.tags)) if (value === '') delete merged[key];
      assertTags(merged, 'tags (after merging with the existing ones)');
    }
    await this.store.updateMetadata(name, version, rest);
  }

  /** Reserved version numbers without a record (see RegistryStore.incompleteVersions). */
  async incompleteVersions(name: string): Promise<IncompleteVersion[]> {
    return this.store.incompleteVersions(await this.requireModel(name));
  }

  /** Retires the failed and abandoned reservations of a model; returns those retired. */
  async retireIncompleteVersions(name: string): Promise<IncompleteVersion[]> {
    return this.store.retireIncomplete(await this.requireModel(name));
  }

  async removeAlias(name: string, alias: string): Promise<RegisteredModel> {
    const normalised = normaliseAlias(alias);
    return this.withRetry(name, async (model) => {
      if (model.aliases[normalised] === undefined) {
        throw new AppError('NOT_FOUND', `model "${name}" has no alias "${normalised}"`);
      }
      if (normalised === PRODUCTION) {
        throw new AppError(
          'CONFLICT',
          'the production alias cannot be removed; promote or roll back instead',
        );
      }
      return this.store.removeAlias(model, normalised);
    });
  }

  /**
   * Points an alias at a version. Moving `production` to a version whose schema (feature names and
   * order, class set) differs from the current production's is refused unless `force` is set, and is
   * then reported as a warning: clients built for the old schema will get 422s.
   */
  async setAlias(
    name: string,
    alias: string,
    version: number,
    options: { force?: boolean } = {},
  ): Promise<AliasChange> {
    const normalised = normaliseAlias(alias);
    if (!ALIAS.test(normalised)) {
      throw new AppError('VALIDATION_FAILED', `invalid alias "${alias}"`, {
        details: [{ field: 'alias', message: 'lower-case letters, digits, "_" or "-", up to 32 characters' }],
      });
    }
    let warnings: string[] = [];
    const model = await this.withRetry(name, async (current) => {
      const target = await this.store.getVersion(name, version);
      if (!target) throw new AppError('NOT_FOUND', `model "${name}" has no version ${version}`);
      warnings = normalised === PRODUCTION ? await this.schemaChange(current, target, options.force) : [];
      return this.store.setAlias(current, normalised, version);
    });
    return { model, warnings };
  }

  promote(name: string, version: number, options: { force?: boolean } = {}): Promise<AliasChange> {
    return this.setAlias(name, PRODUCTION, version, options);
  }

  /** A schema change of production: refused (409) without `force`, else the warning to pass on. */
  private async schemaChange(model: RegisteredModel, target: ModelVersion, force = false): Promise<string[]> {
    const current = model.aliases[PRODUCTION];
    if (current === undefined || current === target.version) return [];
    const production = await this.store.getVersion(model.name, current);
    const diff = production && schemaDiff(target, production);
    if (!diff) return [];
    const change = `v${target.version}'s schema differs from production v${current}'s (${describeSchemaDiff(diff)})`;
    if (!force) {
      throw new AppError(
        'SCHEMA_MISMATCH',
        `${change}: clients sending v${current}'s features would get 422; promote with force to do it anyway`,
        { details: [{ field: 'force', message: 'required to promote a version with another schema' }] },
      );
    }
    return [
      `${change}: production now expects features ${JSON.stringify(target.featureNames)} and classes ` +
        `${JSON.stringify(target.classes)}; clients built for v${current} will get 422 until they change`,
    ];
  }

  /** Points production back at the version it had before the last promotion. */
  rollback(name: string): Promise<RegisteredModel> {
    return this.withRetry(name, async (model) => {
      const previous = model.productionHistory.at(-1);
      if (previous === undefined) {
        throw new AppError('CONFLICT', `model "${name}" has no earlier production version to roll back to`);
      }
      return this.store.setAlias(model, PRODUCTION, previous, { rollback: true });
    });
  }

  private async withRetry<T>(name: string, action: (model: RegisteredModel) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const model = await this.requireModel(name);
      try {
        return await action(model);
      } catch (error) {
        if (!isConcurrentUpdate(error) || attempt >= MAX_RETRIES) throw error;
        await backoff(attempt);
      }
    }
  }
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

const isConcurrentUpdate = (error: unknown) =>
  error instanceof AppError && error.code === 'CONCURRENT_UPDATE';

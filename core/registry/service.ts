import { AppError } from '../errors.js';
import { decidePromotion, type PromotionDecision, type PromotionPolicy } from './policy.js';
import { assertModelName, type RegistryStore } from './store.js';
import {
  CHALLENGER,
  type ModelVersion,
  type NewModelVersion,
  PRODUCTION,
  type RegisteredModel,
} from './types.js';

export interface VersionSelector {
  readonly version?: number;
  readonly alias?: string;
}

/** Stage names of MLflow < 2.9, accepted for users who still think in stages. */
const STAGE_ALIASES: Record<string, string> = {
  production: PRODUCTION,
  staging: CHALLENGER,
};

export function normaliseAlias(alias: string): string {
  const lower = alias.toLowerCase();
  return STAGE_ALIASES[lower] ?? lower;
}

const ALIAS = /^[a-z][a-z0-9_-]{0,31}$/;
const MAX_RETRIES = 5;

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
    const model = await this.store.getModel(name);
    if (!model) {
      throw new AppError(
        'NO_MODEL',
        `no model named "${name}" is registered yet; train one with "npm run train"`,
        {
          retryAfter: 60,
        },
      );
    }
    let version = selector.version;
    if (version === undefined) {
      const alias = normaliseAlias(selector.alias ?? PRODUCTION);
      version = model.aliases[alias];
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
    return record;
  }

  /**
   * Registers a trained version, then applies the promotion policy: production if it beats the
   * incumbent, challenger otherwise. The alias change is conditional and retried on races.
   */
  async register(
    name: string,
    data: NewModelVersion,
    policy?: PromotionPolicy,
  ): Promise<{ version: ModelVersion; decision: PromotionDecision }> {
    const version = await this.store.createVersion(name, data);
    for (let attempt = 0; ; attempt++) {
      const model = await this.requireModel(name);
      const incumbentVersion = model.aliases[PRODUCTION];
      const incumbent =
        incumbentVersion === undefined ? undefined : await this.store.getVersion(name, incumbentVersion);
      const decision = decidePromotion(version.metrics, incumbent?.metrics, policy);
      try {
        await this.store.setAlias(model, decision.alias, version.version);
        return { version, decision };
      } catch (error) {
        if (!isConcurrentUpdate(error) || attempt >= MAX_RETRIES) throw error;
      }
    }
  }

  async setAlias(name: string, alias: string, version: number): Promise<RegisteredModel> {
    const normalised = normaliseAlias(alias);
    if (!ALIAS.test(normalised)) {
      throw new AppError('VALIDATION_FAILED', `invalid alias "${alias}"`, {
        details: [{ field: 'alias', message: 'lower-case letters, digits, "_" or "-", up to 32 characters' }],
      });
    }
    return this.withRetry(name, async (model) => {
      if (!(await this.store.getVersion(name, version))) {
        throw new AppError('NOT_FOUND', `model "${name}" has no version ${version}`);
      }
      return this.store.setAlias(model, normalised, version);
    });
  }

  promote(name: string, version: number): Promise<RegisteredModel> {
    return this.setAlias(name, PRODUCTION, version);
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
      }
    }
  }
}

const isConcurrentUpdate = (error: unknown) =>
  error instanceof AppError && error.code === 'CONCURRENT_UPDATE';

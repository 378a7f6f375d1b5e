import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  paginateScan,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { AppError } from '../errors.js';
import { assertRecordFits, assertTags, MAX_DESCRIPTION_LENGTH } from './limits.js';
import { MODEL_NAME_PATTERN, MODEL_NAME_RULE } from './names.js';
import type { PromotionDecision } from './policy.js';
import {
  type IncompleteVersion,
  type ModelVersion,
  type NewModelVersion,
  PRODUCTION,
  type RegisteredModel,
} from './types.js';

/**
 * The model registry in one DynamoDB table (see docs/data-model.md):
 *   pk = MODEL#<name>, sk = MODEL              the registered model: version counter, aliases, history
 *   pk = MODEL#<name>, sk = VERSION#<000000n>  one immutable version (artifact, metrics, lineage)
 * Only single-item conditional writes are used, so the same code runs on DynamoDB, LocalStack
 * and dynalite (which has no transactions).
 */
const modelKey = (name: string) => ({ pk: `MODEL#${name}`, sk: 'MODEL' });
/**
 * The model list: one small item per model in one partition (`pk = MODELS, sk = MODEL#<name>`),
 * written before the model's first version number is reserved, so `GET /models` is a Query of
 * it plus a BatchGet of the model items, never a Scan past every version. Tables written before
 * the list existed are indexed once, on the first listing (the `#INDEXED` marker says it is done).
 */
const MODEL_LIST = 'MODELS';
const listKey = (name: string) => ({ pk: MODEL_LIST, sk: `MODEL#${name}` });
const LIST_MARKER = { pk: MODEL_LIST, sk: '#INDEXED' };
/** A reserved number with no record yet is `pending` for this long after the last reservation. */
export const RESERVATION_GRACE_MS = 5 * 60_000;
const versionSk = (version: number) => `VERSION#${String(version).padStart(10, '0')}`;
export function assertModelName(name: string): void {
  if (!MODEL_NAME_PATTERN.test(name)) {
    throw new AppError('VALIDATION_FAILED', `invalid model name "${name}": ${MODEL_NAME_RULE}`, {
      details: [{ field: 'model', message: MODEL_NAME_RULE }],
    });
  }
}

export class RegistryStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getModel(name: string): Promise<RegisteredModel | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: modelKey(name), ConsistentRead: true }),
    );
    return out.Item ? toModel(out.Item) : undefined;
  }

  async listModels(): Promise<RegisteredModel[]> {
    const names: string[] = [];
    let indexed = false;
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :list',
        ExpressionAttributeValues: { ':list': MODEL_LIST },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        if (item['sk'] === LIST_MARKER.sk) indexed = true;
        else names.push(String(item['sk']).slice('MODEL#'.length));
      }
    }
    if (!indexed) return this.indexModels();
    return this.getModels(names);
  }

  /** Model items by name, 100 per BatchGetItem (its limit), unprocessed keys retried. */
  private async getModels(names: readonly string[]): Promise<RegisteredModel[]> {
    const models: RegisteredModel[] = [];
    for (let i = 0; i < names.length; i += 100) {
      let keys: Record<string, unknown>[] = names.slice(i, i + 100).map(modelKey);
      for (let attempt = 0; keys.length > 0; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 20 * 2 ** attempt)));
        if (attempt > 8) throw new Error('DynamoDB left keys unprocessed after 8 retries');
        const out = await this.client.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }),
        );
        models.push(...(out.Responses?.[this.tableName] ?? []).map(toModel));
        keys = (out.UnprocessedKeys?.[this.tableName]?.Keys as Record<string, unknown>[] | undefined) ?? [];
      }
    }
    return models.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The one-off Scan for a table from before the model list: writes the list, then its marker. */
  private async indexModels(): Promise<RegisteredModel[]> {
    const models: RegisteredModel[] = [];
    const pages = paginateScan(
      { client: this.client },
      {
        TableName: this.tableName,
        FilterExpression: 'sk = :model',
        ExpressionAttributeValues: { ':model': 'MODEL' },
      },
    );
    for await (const page of pages) models.push(...(page.Items ?? []).map(toModel));
    for (const model of models) await this.listModel(model.name);
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...LIST_MARKER } }));
    return models.sort((a, b) => a.name.localeCompare(b.name));
  }

  private async listModel(name: string): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...listKey(name), name } }));
  }

  /**
   * Registers a new version. The number comes from an atomic counter on the model item, and the
   * version item is written only if absent, so concurrent trainings never share a number.
   */
  async createVersion(name: string, data: NewModelVersion): Promise<ModelVersion> {
    // Everything that could make the record's write fail is checked before a number is taken.
    assertModelName(name);
    assertTags(data.tags);
    if (data.description !== undefined && data.description.length > MAX_DESCRIPTION_LENGTH) {
      throw new AppError('VALIDATION_FAILED', `description: at most ${MAX_DESCRIPTION_LENGTH} characters`);
    }
    const now = new Date().toISOString();
    assertRecordFits({ ...data, name, version: 0, createdAt: now }, `the version record of "${name}"`);
    await this.listModel(name);
    const counter = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: modelKey(name),
        UpdateExpression:
          'ADD latestVersion :one SET #name = :name, createdAt = if_not_exists(createdAt, :now), updatedAt = :now, ' +
          'lastReservedAt = :now, aliases = if_not_exists(aliases, :empty), ' +
          'reservations = if_not_exists(reservations, :empty), ' +
          'productionHistory = if_not_exists(productionHistory, :none), #revision = if_not_exists(#revision, :zero)',
        ExpressionAttributeNames: { '#name': 'name', '#revision': 'revision' },
        ExpressionAttributeValues: {
          ':one': 1,
          ':name': name,
          ':now': now,
          ':empty': {},
          ':none': [],
          ':zero': 0,
        },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    const version = Number(counter.Attributes?.['latestVersion']);
    const record: ModelVersion = { ...data, name, version, createdAt: now };
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: `MODEL#${name}`, sk: versionSk(version), ...record },
          ConditionExpression: 'attribute_not_exists(sk)',
        }),
      );
    } catch (error) {
      // The number is taken: say why it has no record (best effort; a gap is detected without it).
      await this.markReservation(name, version, {
        status: 'failed',
        reason: `the version record could not be written: ${error instanceof Error ? error.message : String(error)}`,
        at: new Date().toISOString(),
      }).catch(() => {});
      throw error;
    }
    return record;
  }

  private async markReservation(
    name: string,
    version: number,
    info: { status: 'failed' | 'retired'; reason: string; at: string },
  ): Promise<void> {
    const key = modelKey(name);
    // The map exists on models created since reservations were recorded; older ones get it here.
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: key,
        UpdateExpression: 'SET reservations = if_not_exists(reservations, :empty)',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':empty': {} },
      }),
    );
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: key,
        UpdateExpression: 'SET reservations.#v = :info',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#v': String(version) },
        ExpressionAttributeValues: { ':info': info },
      }),
    );
  }

  /**
   * Version numbers the counter handed out that have no record, oldest first: the ones recorded
   * as failed or retired, and the gaps (a process stopped between reserving and writing), which
   * are `pending` while the model's last reservation is younger than RESERVATION_GRACE_MS.
   */
  async incompleteVersions(model: RegisteredModel, now = Date.now()): Promise<IncompleteVersion[]> {
    const written = new Set<number>();
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': `MODEL#${model.name}`, ':prefix': 'VERSION#' },
        ProjectionExpression: 'sk',
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) written.add(Number(String(item['sk']).slice('VERSION#'.length)));
    }
    const recent =
      model.lastReservedAt !== undefined && now - Date.parse(model.lastReservedAt) < RESERVATION_GRACE_MS;
    const incomplete: IncompleteVersion[] = [];
    for (let version = 1; version <= (model.latestVersion ?? 0); version++) {
      if (written.has(version)) continue;
      const known = model.reservations?.[String(version)];
      if (known) incomplete.push({ version, ...known });
      else if (recent) {
        incomplete.push({
          version,
          status: 'pending',
          reason: 'reserved moments ago; its record may still be written',
        });
      } else {
        incomplete.push({
          version,
          status: 'abandoned',
          reason: 'reserved but never written: the process registering it stopped first',
        });
      }
    }
    return incomplete;
  }

  /** Retires failed and abandoned reservations (pending ones are left alone); returns those retired. */
  async retireIncomplete(model: RegisteredModel, now = Date.now()): Promise<IncompleteVersion[]> {
    const retired: IncompleteVersion[] = [];
    for (const entry of await this.incompleteVersions(model, now)) {
      if (entry.status !== 'failed' && entry.status !== 'abandoned') continue;
      const info = {
        status: 'retired' as const,
        reason: `${entry.status}: ${entry.reason}`,
        at: new Date(now).toISOString(),
      };
      await this.markReservation(model.name, entry.version, info);
      retired.push({ version: entry.version, ...info });
    }
    return retired;
  }

  /** Keeps the promotion decision on the version item (rewritten if a race made it decide again). */
  async recordDecision(name: string, version: number, decision: PromotionDecision): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `MODEL#${name}`, sk: versionSk(version) },
        UpdateExpression: 'SET #decision = :decision',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#decision': 'decision' },
        ExpressionAttributeValues: { ':decision': decision },
      }),
    );
  }

  async getVersion(name: string, version: number): Promise<ModelVersion | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: `MODEL#${name}`, sk: versionSk(version) } }),
    );
    return out.Item ? toVersion(out.Item) : undefined;
  }

  /** Versions of a model, newest first. */
  async listVersions(name: string, limit = 100): Promise<ModelVersion[]> {
    const versions: ModelVersion[] = [];
    const pages = paginateQuery(
      { client: this.client, pageSize: limit },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': `MODEL#${name}`, ':prefix': 'VERSION#' },
        ScanIndexForward: false,
      },
    );
    for await (const page of pages) {
      versions.push(...(page.Items ?? []).map(toVersion));
      if (versions.length >= limit) break;
    }
    return versions.slice(0, limit);
  }

  /**
   * Points an alias at a version, conditional on the model's revision: if another writer
   * changed any alias since `expected` was read, this fails with CONCURRENT_UPDATE instead of
   * silently overwriting. Moving `production` records the previous one for rollback.
   */
  async setAlias(
    expected: RegisteredModel,
    alias: string,
    version: number,
    options: { rollback?: boolean } = {},
  ): Promise<RegisteredModel> {
    const previous = expected.aliases[PRODUCTION];
    let history = [...expected.productionHistory];
    if (alias === PRODUCTION) {
      if (options.rollback) history = history.slice(0, -1);
      else if (previous !== undefined && previous !== version) history = [...history, previous].slice(-50);
    }
    return this.updateIfUnchanged(
      expected,
      'SET aliases.#alias = :version, productionHistory = :history',
      { '#alias': alias },
      { ':version': version, ':history': history },
    );
  }

  /**
   * Points a non-production alias at a version without the revision check (and without bumping
   * the revision). Used for the policy's `challenger`: no decision depends on it, so racing
   * registrations need not invalidate each other's production decisions; last writer wins.
   */
  async pointAlias(name: string, alias: string, version: number): Promise<void> {
    if (alias === PRODUCTION) throw new Error('production moves only through setAlias');
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: modelKey(name),
        UpdateExpression: 'SET aliases.#alias = :version, updatedAt = :now',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#alias': alias },
        ExpressionAttributeValues: { ':version': version, ':now': new Date().toISOString() },
      }),
    );
  }

  removeAlias(expected: RegisteredModel, alias: string): Promise<RegisteredModel> {
    return this.updateIfUnchanged(expected, 'REMOVE aliases.#alias', { '#alias': alias }, {});
  }

  /**
   * Applies `update` to the model item only if its revision is still the one `expected` was read
   * at, and bumps the revision: a concurrent writer gets CONCURRENT_UPDATE instead of overwriting.
   */
  private async updateIfUnchanged(
    expected: RegisteredModel,
    update: string,
    names: Record<string, string>,
    values: Record<string, unknown>,
  ): Promise<RegisteredModel> {
    const set = '#revision = :next, updatedAt = :now';
    const expression = update.startsWith('SET ') ? `${update}, ${set}` : `${update} SET ${set}`;
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: modelKey(expected.name),
          UpdateExpression: expression,
          ConditionExpression: '#revision = :expected',
          ExpressionAttributeNames: { ...names, '#revision': 'revision' },
          ExpressionAttributeValues: {
            ...values,
            ':next': expected.revision + 1,
            ':expected': expected.revision,
            ':now': new Date().toISOString(),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toModel(out.Attributes!);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new AppError(
          'CONCURRENT_UPDATE',
          `model "${expected.name}" changed concurrently; read it again and retry`,
        );
      }
      throw error;
    }
  }

  /**
   * Sets the description and/or merges tags (an empty-string tag value removes the tag) of the
   * model, or of one version when `version` is given. Tags live in a map attribute, so each key
   * is its own path: concurrent edits of different tags do not overwrite each other.
   */
  async updateMetadata(
    name: string,
    version: number | undefined,
    change: { description?: string; tags?: Record<string, string> },
  ): Promise<void> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const sets: string[] = [];
    const removes: string[] = [];
    if (change.description !== undefined) {
      names['#description'] = 'description';
      values[':description'] = change.description;
      sets.push('#description = :description');
    }
    const tags = Object.entries(change.tags ?? {});
    if (tags.length > 0) {
      names['#tags'] = 'tags';
      values[':empty'] = {};
      // A map must exist before its keys can be set; a first statement cannot do both.
      await this.client
        .send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: version === undefined ? modelKey(name) : { pk: `MODEL#${name}`, sk: versionSk(version) },
            UpdateExpression: 'SET #tags = if_not_exists(#tags, :empty)',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: { '#tags': 'tags' },
            ExpressionAttributeValues: { ':empty': {} },
          }),
        )
        .catch(rethrowMissing(name, version));
      delete values[':empty'];
      tags.forEach(([key, value], i) => {
        names[`#t${i}`] = key;
        if (value === '') removes.push(`#tags.#t${i}`);
        else {
          values[`:t${i}`] = value;
          sets.push(`#tags.#t${i} = :t${i}`);
        }
      });
    }
    if (sets.length === 0 && removes.length === 0) return;
    const expression = [
      sets.length ? `SET ${sets.join(', ')}` : '',
      removes.length ? `REMOVE ${removes.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    await this.client
      .send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: version === undefined ? modelKey(name) : { pk: `MODEL#${name}`, sk: versionSk(version) },
          UpdateExpression: expression,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: names,
          ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
        }),
      )
      .catch(rethrowMissing(name, version));
  }

  /** The version registered from a run, via the byRun index (lineage run → version). */
  async versionByRun(runId: string): Promise<ModelVersion | undefined> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'byRun',
        KeyConditionExpression: 'runId = :run',
        ExpressionAttributeValues: { ':run': runId },
        Limit: 1,
      }),
    );
    const item = out.Items?.[0];
    return item ? toVersion(item) : undefined;
  }
}

const rethrowMissing = (name: string, version: number | undefined) => (error: unknown) => {
  if (error instanceof ConditionalCheckFailedException) {
    throw new AppError(
      'NOT_FOUND',
      version === undefined
        ? `model "${name}" is not registered`
        : `model "${name}" has no version ${version}`,
    );
  }
  throw error;
};

function toModel(item: Record<string, unknown>): RegisteredModel {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return {
    aliases: {},
    productionHistory: [],
    revision: 0,
    ...(rest as Partial<RegisteredModel>),
  } as RegisteredModel;
}

function toVersion(item: Record<string, unknown>): ModelVersion {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest as unknown as ModelVersion;
}

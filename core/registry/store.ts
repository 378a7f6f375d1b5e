import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { AppError } from '../errors.js';
import { MODEL_NAME_PATTERN, MODEL_NAME_RULE } from './names.js';
import type { PromotionDecision } from './policy.js';
import { type ModelVersion, type NewModelVersion, PRODUCTION, type RegisteredModel } from './types.js';

/**
 * The model registry in one DynamoDB table (see docs/data-model.md):
 *   pk = MODEL#<name>, sk = MODEL              the registered model: version counter, aliases, history
 *   pk = MODEL#<name>, sk = VERSION#<000000n>  one immutable version (artifact, metrics, lineage)
 * Only single-item conditional writes are used, so the same code runs on DynamoDB, LocalStack
 * and dynalite (which has no transactions).
 */
const modelKey = (name: string) => ({ pk: `MODEL#${name}`, sk: 'MODEL' });
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
    const models: RegisteredModel[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: 'sk = :model',
          ExpressionAttributeValues: { ':model': 'MODEL' },
          ExclusiveStartKey: start,
        }),
      );
      models.push(...(out.Items ?? []).map(toModel));
      start = out.LastEvaluatedKey;
    } while (start);
    return models.sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Registers a new version. The number comes from an atomic counter on the model item, and the
   * version item is written only if absent, so concurrent trainings never share a number.
   */
  async createVersion(name: string, data: NewModelVersion): Promise<ModelVersion> {
    assertModelName(name);
    const now = new Date().toISOString();
    const counter = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: modelKey(name),
        UpdateExpression:
          'ADD latestVersion :one SET #name = :name, createdAt = if_not_exists(createdAt, :now), updatedAt = :now, ' +
          'aliases = if_not_exists(aliases, :empty), productionHistory = if_not_exists(productionHistory, :none), ' +
          '#revision = if_not_exists(#revision, :zero)',
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
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: `MODEL#${name}`, sk: versionSk(version), ...record },
        ConditionExpression: 'attribute_not_exists(sk)',
      }),
    );
    return record;
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
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': `MODEL#${name}`, ':prefix': 'VERSION#' },
          ScanIndexForward: false,
          Limit: limit - versions.length,
          ExclusiveStartKey: start,
        }),
      );
      versions.push(...(out.Items ?? []).map(toVersion));
      start = out.LastEvaluatedKey;
    } while (start && versions.length < limit);
    return versions;
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

import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { AppError } from '../errors.js';
import { MODEL_NAME_PATTERN, MODEL_NAME_RULE } from '../registry/names.js';
import { lowerIsBetter } from '../registry/policy.js';
import type { EvaluationRecord, Metrics, Params } from '../registry/types.js';

/** SKIPPED: a retraining check that found nothing to do (its `reason` says why), not a failure. */
export type RunStatus = 'RUNNING' | 'FINISHED' | 'FAILED' | 'SKIPPED';

export interface DatasetInfo {
  readonly source: string;
  readonly fingerprint: string;
  readonly rows: number;
  readonly target?: string;
  readonly features?: readonly string[];
  /** The growing location (S3 prefix, directory) `source` was picked from. */
  readonly location?: string;
  /** `newest` object at `location`, or `fallback` when the location was empty. */
  readonly picked?: 'newest' | 'fallback';
}

/** Precision, recall, F1 and support of one class on the test split. */
export interface ClassMetrics {
  readonly class: string;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  readonly support: number;
}

export interface Run {
  readonly runId: string;
  readonly experiment: string;
  readonly status: RunStatus;
  readonly startedAt: string;
  readonly endedAt?: string;
  readonly durationMs?: number;
  /** Set on hyperparameter-search trials: the search (top-level) run they belong to. */
  readonly parentRunId?: string;
  readonly modelName?: string;
  readonly algorithm?: string;
  readonly params: Params;
  readonly metrics: Metrics;
  /** The metric this run is ranked by (and, for a search, the one trials were compared on). */
  readonly rankMetric?: string;
  readonly dataset?: DatasetInfo;
  readonly artifacts: Readonly<Record<string, string>>;
  readonly codeVersion: string;
  readonly error?: string;
  readonly modelVersion?: number;
  readonly alias?: string;
  /** Why the run ended as it did: the promotion decision's reason, or why it was SKIPPED. */
  readonly reason?: string;
  /** How the metrics were measured (which split each prefix means, refit). */
  readonly evaluation?: EvaluationRecord;
  /** Per-class precision/recall/F1 of the final model on the test split. */
  readonly classMetrics?: readonly ClassMetrics[];
  /** Search runs: how many trials, and the best one. */
  readonly trials?: number;
  readonly bestTrialRunId?: string;
  /** Set when a worker picked up a run queued by the admin API (async invocations may retry). */
  readonly claimedAt?: string;
}

export interface Experiment {
  readonly name: string;
  readonly createdAt: string;
  readonly lastRunAt: string;
  readonly runCount: number;
}

export type NewRun = Omit<Run, 'status' | 'metrics' | 'artifacts'>;

export type RunOutcome =
  | {
      status: 'FINISHED';
      metrics: Metrics;
      artifacts?: Record<string, string>;
      params?: Params;
      algorithm?: string;
      dataset?: DatasetInfo;
      bestTrialRunId?: string;
      trials?: number;
      modelVersion?: number;
      alias?: string;
      reason?: string;
      evaluation?: EvaluationRecord;
      classMetrics?: readonly ClassMetrics[];
    }
  | { status: 'SKIPPED'; reason: string; dataset?: DatasetInfo }
  | { status: 'FAILED'; error: string; dataset?: DatasetInfo };

/**
 * Experiments and runs in one DynamoDB table (key design and access patterns: docs/data-model.md).
 *   pk = RUN#<runId>,  sk = RUN         a run (top-level or a search trial)
 *   pk = EXP#<name>,   sk = EXPERIMENT  an experiment: created on its first run, run counter
 *   byExperiment (gsi1pk, gsi1sk) is overloaded:
 *     EXP#<name>     / <startedAt>#<runId>   top-level runs of an experiment, newest first
 *     PARENT#<runId> / <startedAt>#<runId>   trials of a search run, in start order
 *     EXPERIMENTS    / <lastRunAt>#<name>    experiments, most recently active first
 *   byMetric (gsi2pk, gsi2sk = value): EXP#<name>#<metric> → finished top-level runs ranked by that metric
 * Trials stay out of the experiment partition so `mlops runs` is not drowned by a 100-trial search.
 */
const runKey = (runId: string) => ({ pk: `RUN#${runId}`, sk: 'RUN' });
const experimentKey = (name: string) => ({ pk: `EXP#${name}`, sk: 'EXPERIMENT' });
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function assertRunId(runId: string): void {
  if (!RUN_ID.test(runId)) {
    throw new AppError('VALIDATION_FAILED', `invalid run id "${runId}"`, {
      details: [{ field: 'runId', message: 'must match ^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$' }],
    });
  }
}

export function assertExperimentName(name: string): void {
  if (!MODEL_NAME_PATTERN.test(name)) {
    throw new AppError('VALIDATION_FAILED', `invalid experiment name "${name}"`, {
      details: [{ field: 'experiment', message: MODEL_NAME_RULE }],
    });
  }
}

export class RunStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Records a new RUNNING run; fails with CONFLICT if the id is taken. */
  async start(run: NewRun): Promise<Run> {
    assertRunId(run.runId);
    assertExperimentName(run.experiment);
    const record: Run = { ...run, status: 'RUNNING', metrics: {}, artifacts: {} };
    const partition = run.parentRunId ? `PARENT#${run.parentRunId}` : `EXP#${run.experiment}`;
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...runKey(run.runId),
            gsi1pk: partition,
            gsi1sk: `${run.startedAt}#${run.runId}`,
            ...record,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new AppError('CONFLICT', `run ${run.runId} already exists`);
      }
      throw error;
    }
    if (!run.parentRunId) await this.touchExperiment(run.experiment, run.startedAt);
    return record;
  }

  /**
   * Takes ownership of a run queued by the admin API. Conditional on it being RUNNING and
   * unclaimed, so a retried asynchronous invocation does not train the same run twice.
   */
  async claim(runId: string): Promise<Run | undefined> {
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: runKey(runId),
          UpdateExpression: 'SET claimedAt = :now',
          ConditionExpression:
            'attribute_exists(pk) AND #status = :running AND attribute_not_exists(claimedAt)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':now': new Date().toISOString(), ':running': 'RUNNING' },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toRun(out.Attributes!);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  /** RUNNING → FINISHED/FAILED, once: the update is conditional on the run still running. */
  async finish(run: Run, outcome: RunOutcome): Promise<Run> {
    const endedAt = new Date().toISOString();
    const durationMs = Math.max(0, Date.parse(endedAt) - Date.parse(run.startedAt));
    const fields: Record<string, unknown> = { status: outcome.status, endedAt, durationMs };
    if (outcome.dataset) fields['dataset'] = outcome.dataset;
    if (outcome.status === 'FINISHED') {
      fields['metrics'] = outcome.metrics;
      if (outcome.artifacts) fields['artifacts'] = outcome.artifacts;
      if (outcome.params) fields['params'] = outcome.params;
      if (outcome.algorithm) fields['algorithm'] = outcome.algorithm;
      if (outcome.bestTrialRunId) fields['bestTrialRunId'] = outcome.bestTrialRunId;
      if (outcome.trials !== undefined) fields['trials'] = outcome.trials;
      if (outcome.modelVersion !== undefined) fields['modelVersion'] = outcome.modelVersion;
      if (outcome.alias) fields['alias'] = outcome.alias;
      if (outcome.reason) fields['reason'] = outcome.reason;
      if (outcome.evaluation) fields['evaluation'] = outcome.evaluation;
      if (outcome.classMetrics) fields['classMetrics'] = outcome.classMetrics;
      const metric = run.rankMetric ?? 'accuracy';
      const value = outcome.metrics[metric];
      if (!run.parentRunId && value !== undefined && Number.isFinite(value)) {
        fields['gsi2pk'] = `EXP#${run.experiment}#${metric}`;
        fields['gsi2sk'] = value;
      }
    } else if (outcome.status === 'SKIPPED') {
      fields['reason'] = outcome.reason;
    } else {
      fields['error'] = outcome.error;
    }
    // Every attribute goes through a placeholder: several of ours (status, metrics, error) are reserved words.
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = { ':running': 'RUNNING' };
    const sets = Object.entries(fields).map(([name, value], i) => {
      names[`#f${i}`] = name;
      values[`:f${i}`] = value;
      return `#f${i} = :f${i}`;
    });
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: runKey(run.runId),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: '#status = :running',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toRun(out.Attributes!);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new AppError('CONFLICT', `run ${run.runId} is no longer RUNNING`);
      }
      throw error;
    }
  }

  async get(runId: string): Promise<Run | undefined> {
    if (!RUN_ID.test(runId)) return undefined;
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: runKey(runId), ConsistentRead: true }),
    );
    return out.Item ? toRun(out.Item) : undefined;
  }

  async require(runId: string): Promise<Run> {
    const run = await this.get(runId);
    if (!run) throw new AppError('NOT_FOUND', `run "${runId}" does not exist`);
    return run;
  }

  /** Top-level runs of an experiment, newest first. */
  async listByExperiment(experiment: string, limit = 50): Promise<Run[]> {
    return this.queryIndex('byExperiment', 'gsi1pk', `EXP#${experiment}`, { limit, newestFirst: true });
  }

  /** Trials of a search run, in the order they started. */
  async listTrials(parentRunId: string, limit = 1000): Promise<Run[]> {
    return this.queryIndex('byExperiment', 'gsi1pk', `PARENT#${parentRunId}`, { limit, newestFirst: false });
  }

  /** Finished top-level runs of an experiment, best first by `metric` (log loss: lowest first). */
  async bestByMetric(experiment: string, metric = 'accuracy', limit = 10): Promise<Run[]> {
    return this.queryIndex('byMetric', 'gsi2pk', `EXP#${experiment}#${metric}`, {
      limit,
      newestFirst: !lowerIsBetter(metric),
    });
  }

  /** Experiments, most recently active first. */
  async listExperiments(limit = 100): Promise<Experiment[]> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'byExperiment',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': 'EXPERIMENTS' },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((item) => ({
      name: String(item['name']),
      createdAt: String(item['createdAt']),
      lastRunAt: String(item['lastRunAt']),
      runCount: Number(item['runCount'] ?? 0),
    }));
  }

  /** The experiment with the newest top-level run (what `runs` lists when none is named). */
  async latestExperiment(): Promise<string | undefined> {
    return (await this.listExperiments(1))[0]?.name;
  }

  async getExperiment(name: string): Promise<Experiment | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: experimentKey(name) }),
    );
    if (!out.Item) return undefined;
    const item = out.Item;
    return {
      name: String(item['name']),
      createdAt: String(item['createdAt']),
      lastRunAt: String(item['lastRunAt']),
      runCount: Number(item['runCount'] ?? 0),
    };
  }

  private async touchExperiment(name: string, at: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: experimentKey(name),
        UpdateExpression:
          'ADD runCount :one SET #name = :name, createdAt = if_not_exists(createdAt, :at), lastRunAt = :at, gsi1pk = :all, gsi1sk = :sk',
        ExpressionAttributeNames: { '#name': 'name' },
        ExpressionAttributeValues: {
          ':one': 1,
          ':name': name,
          ':at': at,
          ':all': 'EXPERIMENTS',
          ':sk': `${at}#${name}`,
        },
      }),
    );
  }

  private async queryIndex(
    index: string,
    attribute: string,
    value: string,
    options: { limit: number; newestFirst: boolean },
  ): Promise<Run[]> {
    const runs: Run[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: index,
          KeyConditionExpression: `${attribute} = :pk`,
          ExpressionAttributeValues: { ':pk': value },
          ScanIndexForward: !options.newestFirst,
          Limit: options.limit - runs.length,
          ExclusiveStartKey: start,
        }),
      );
      runs.push(...(out.Items ?? []).map(toRun));
      start = out.LastEvaluatedKey;
    } while (start && runs.length < options.limit);
    return runs;
  }
}

function toRun(item: Record<string, unknown>): Run {
  const { pk: _pk, sk: _sk, gsi1pk: _a, gsi1sk: _b, gsi2pk: _c, gsi2sk: _d, ...rest } = item;
  return { params: {}, metrics: {}, artifacts: {}, ...rest } as unknown as Run;
}

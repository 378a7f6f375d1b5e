import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  paginateScan,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { AppError } from '../errors.js';
import { metrics } from '../metrics/index.js';
import { MODEL_NAME_PATTERN, MODEL_NAME_RULE } from '../registry/names.js';
import { lowerIsBetter } from '../registry/policy.js';
import type { EvaluationRecord, Metrics, Params } from '../registry/types.js';
import { LeaseKeeper } from './leases.js';

/**
 * SKIPPED: a retraining check that found nothing to do (its `reason` says why), not a failure.
 * ABANDONED: the reaper's verdict on a run whose process stopped (its lease expired) before it ended.
 */
export type RunStatus = 'RUNNING' | 'FINISHED' | 'FAILED' | 'SKIPPED' | 'ABANDONED';

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
  /**
   * Top-level RUNNING runs: until when the run is known to be alive. The process training it
   * renews it (heartbeat); past it, the reaper marks the run ABANDONED. Removed when the run ends.
   */
  readonly leaseExpiresAt?: string;
  readonly heartbeatAt?: string;
}

export interface RunStoreOptions {
  /** How long a run stays RUNNING without a heartbeat. @default 960 s (longer than a Lambda can run) */
  readonly leaseMs?: number;
  /** How often the process training a run renews its lease. @default a quarter of leaseMs */
  readonly heartbeatMs?: number;
  /** Reap expired leases before recording each new top-level run. @default true */
  readonly reapOnStart?: boolean;
  readonly now?: () => number;
  readonly onError?: (message: string, fields: Record<string, unknown>) => void;
}

export interface ReapOptions {
  /** Every RUNNING run, expired or not: only for a process that knows no other can be training. */
  readonly all?: boolean;
  /** Recorded as the run's error. */
  readonly reason?: string;
  /** At most this many runs per call. @default 100 */
  readonly limit?: number;
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
/**
 * The byMetric index doubles as the lease index: while a top-level run is RUNNING, gsi2pk is
 * LEASE and gsi2sk its lease expiry (epoch ms), so "expired leases" is one Query. finish() moves
 * the run to its metric partition (or out of the index).
 */
const LEASE_PARTITION = 'LEASE';
export const DEFAULT_LEASE_MS = 960_000;
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
  private readonly leaseMs: number;
  private readonly now: () => number;
  private readonly onError: NonNullable<RunStoreOptions['onError']>;
  private readonly reapOnStart: boolean;
  /** The runs this process is training: their leases are renewed until they end. */
  readonly leases: LeaseKeeper;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: RunStoreOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.now = options.now ?? Date.now;
    this.onError = options.onError ?? (() => {});
    this.reapOnStart = options.reapOnStart ?? true;
    this.leases = new LeaseKeeper((runId) => this.renew(runId), {
      intervalMs: options.heartbeatMs ?? Math.max(1000, Math.floor(this.leaseMs / 4)),
      onError: (runId, error) => this.onError('lease renewal failed', { runId, error: String(error) }),
    });
  }

  /**
   * Records a new RUNNING run; fails with CONFLICT if the id is taken. A top-level run gets a
   * lease, renewed by this process until finish() unless the run is `queued` (recorded by the
   * admin API for a worker that claim()s it, and renews it, later). Starting a top-level run
   * first reaps expired leases, so a crashed run is ABANDONED by the next training at the latest.
   */
  async start(run: NewRun, options: { queued?: boolean } = {}): Promise<Run> {
    assertRunId(run.runId);
    assertExperimentName(run.experiment);
    const topLevel = !run.parentRunId;
    if (topLevel && this.reapOnStart) {
      await this.reap().catch((error: unknown) =>
        this.onError('reaping before a run failed', { error: String(error) }),
      );
    }
    const expires = this.now() + this.leaseMs;
    const record: Run = {
      ...run,
      status: 'RUNNING',
      metrics: {},
      artifacts: {},
      ...(topLevel ? { leaseExpiresAt: new Date(expires).toISOString() } : {}),
    };
    const partition = run.parentRunId ? `PARENT#${run.parentRunId}` : `EXP#${run.experiment}`;
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...runKey(run.runId),
            gsi1pk: partition,
            gsi1sk: `${run.startedAt}#${run.runId}`,
            ...(topLevel ? { gsi2pk: LEASE_PARTITION, gsi2sk: expires } : {}),
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
    if (topLevel) {
      await this.touchExperiment(run.experiment, run.startedAt);
      if (!options.queued) this.leases.hold(run.runId);
    }
    return record;
  }

  /** Pushes a held run's lease forward; a run that is no longer RUNNING (reaped) is let go. */
  private async renew(runId: string): Promise<void> {
    const now = this.now();
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: runKey(runId),
          UpdateExpression: 'SET leaseExpiresAt = :iso, gsi2sk = :expires, heartbeatAt = :now',
          ConditionExpression: '#status = :running AND gsi2pk = :lease',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':iso': new Date(now + this.leaseMs).toISOString(),
            ':expires': now + this.leaseMs,
            ':now': new Date(now).toISOString(),
            ':running': 'RUNNING',
            ':lease': LEASE_PARTITION,
          },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      this.leases.release(runId);
      this.onError('run is no longer RUNNING; its lease is not renewed', { runId });
    }
  }

  /** RUNNING top-level runs (any experiment), soonest lease expiry first. */
  async listRunning(limit = 100): Promise<Run[]> {
    return this.queryIndex('byMetric', 'gsi2pk', LEASE_PARTITION, { limit, newestFirst: false });
  }

  /**
   * Marks RUNNING runs whose lease has expired (or, with `all`, every RUNNING run) ABANDONED,
   * with the reason as their error, and their RUNNING trials with them. Each update is
   * conditional on the lease it read, so a heartbeat that lands first keeps its run alive.
   */
  async reap(options: ReapOptions = {}): Promise<Run[]> {
    const now = this.now();
    const limit = options.limit ?? 100;
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'byMetric',
        KeyConditionExpression: options.all ? 'gsi2pk = :lease' : 'gsi2pk = :lease AND gsi2sk < :now',
        ExpressionAttributeValues: { ':lease': LEASE_PARTITION, ...(options.all ? {} : { ':now': now }) },
        Limit: limit,
      }),
    );
    const abandoned: Run[] = [];
    for (const item of out.Items ?? []) {
      const run = toRun(item);
      if (this.leases.holds(run.runId) && !options.all) continue;
      const reason =
        options.reason ??
        `abandoned: its lease expired at ${run.leaseExpiresAt ?? '?'} (last heartbeat ${run.heartbeatAt ?? 'none'}); the process running it stopped`;
      const ended = await this.abandon(run, reason, { lease: Number(item['gsi2sk']) });
      if (!ended) continue;
      abandoned.push(ended);
      if (run.trials) {
        for (const trial of await this.listTrials(run.runId)) {
          if (trial.status === 'RUNNING')
            await this.abandon(trial, `abandoned with its search run: ${reason}`);
        }
      }
    }
    return abandoned;
  }

  /**
   * Runs left RUNNING without a lease (recorded before leases existed): found by a Scan, so only
   * for one-off clean-ups (the local runtime's start-up, `mlops cleanup`), never on a schedule.
   */
  async reapUnleased(reason: string): Promise<Run[]> {
    const abandoned: Run[] = [];
    const pages = paginateScan(
      { client: this.client },
      {
        TableName: this.tableName,
        FilterExpression: 'sk = :run AND #status = :running AND attribute_not_exists(leaseExpiresAt)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':run': 'RUN', ':running': 'RUNNING' },
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const run = toRun(item);
        if (this.leases.holds(run.runId)) continue;
        // A trial of a live search has no lease of its own: it ends with its parent.
        if (run.parentRunId && (await this.get(run.parentRunId))?.status === 'RUNNING') continue;
        const ended = await this.abandon(run, reason);
        if (ended) abandoned.push(ended);
      }
    }
    return abandoned;
  }

  /** RUNNING → ABANDONED, if still RUNNING (and, for a lease holder, still on the lease read). */
  private async abandon(run: Run, reason: string, expected?: { lease: number }): Promise<Run | undefined> {
    const endedAt = new Date(this.now()).toISOString();
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: runKey(run.runId),
          UpdateExpression:
            'SET #status = :abandoned, endedAt = :ended, durationMs = :duration, #error = :reason ' +
            'REMOVE gsi2pk, gsi2sk, leaseExpiresAt',
          ConditionExpression: expected ? '#status = :running AND gsi2sk = :lease' : '#status = :running',
          ExpressionAttributeNames: { '#status': 'status', '#error': 'error' },
          ExpressionAttributeValues: {
            ':abandoned': 'ABANDONED',
            ':running': 'RUNNING',
            ':ended': endedAt,
            ':duration': Math.max(0, Date.parse(endedAt) - Date.parse(run.startedAt)) || 0,
            ':reason': reason,
            ...(expected ? { ':lease': expected.lease } : {}),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      this.leases.release(run.runId);
      const ended = toRun(out.Attributes!);
      if (!ended.parentRunId) {
        metrics.trainingRun({
          model: ended.modelName ?? ended.experiment,
          status: 'ABANDONED',
          durationMs: ended.durationMs ?? 0,
        });
      }
      return ended;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
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
          UpdateExpression:
            'SET claimedAt = :now, heartbeatAt = :now, leaseExpiresAt = :iso, gsi2pk = :lease, gsi2sk = :expires',
          ConditionExpression:
            'attribute_exists(pk) AND #status = :running AND attribute_not_exists(claimedAt)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':now': new Date(this.now()).toISOString(),
            ':running': 'RUNNING',
            ':iso': new Date(this.now() + this.leaseMs).toISOString(),
            ':lease': LEASE_PARTITION,
            ':expires': this.now() + this.leaseMs,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      this.leases.hold(runId);
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
    // Out of the lease partition (unless moved to a metric partition above).
    const removes = ['leaseExpiresAt', ...('gsi2pk' in fields ? [] : ['gsi2pk', 'gsi2sk'])];
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
          UpdateExpression: `SET ${sets.join(', ')} REMOVE ${removes.join(', ')}`,
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
    } finally {
      this.leases.release(run.runId);
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
    const input: QueryCommandInput = {
      TableName: this.tableName,
      IndexName: index,
      KeyConditionExpression: `${attribute} = :pk`,
      ExpressionAttributeValues: { ':pk': value },
      ScanIndexForward: !options.newestFirst,
    };
    const runs: Run[] = [];
    for await (const page of paginateQuery({ client: this.client, pageSize: options.limit }, input)) {
      runs.push(...(page.Items ?? []).map(toRun));
      if (runs.length >= options.limit) break;
    }
    return runs.slice(0, options.limit);
  }
}

function toRun(item: Record<string, unknown>): Run {
  const { pk: _pk, sk: _sk, gsi1pk: _a, gsi1sk: _b, gsi2pk: _c, gsi2sk: _d, ...rest } = item;
  return { params: {}, metrics: {}, artifacts: {}, ...rest } as unknown as Run;
}

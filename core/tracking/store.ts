import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Metrics, Params } from '../registry/types.js';

export type RunStatus = 'RUNNING' | 'FINISHED' | 'FAILED';

export interface Run {
  readonly runId: string;
  readonly experiment: string;
  readonly status: RunStatus;
  readonly startedAt: string;
  readonly endedAt?: string;
  readonly durationMs?: number;
  readonly parentRunId?: string;
  readonly algorithm?: string;
  readonly params: Params;
  readonly metrics: Metrics;
  readonly dataset?: { readonly source: string; readonly fingerprint: string; readonly rows: number };
  readonly artifacts: Readonly<Record<string, string>>;
  readonly codeVersion: string;
  readonly error?: string;
  readonly modelVersion?: number;
}

/**
 * Runs table (see docs/data-model.md):
 *   pk = RUN#<runId>, sk = RUN                        the run
 *   gsi1: gsi1pk = EXP#<experiment>, gsi1sk = <startedAt>#<runId>   runs of an experiment, newest first
 *   gsi2: gsi2pk = EXP#<experiment>#<metric>, gsi2sk = value         runs ranked by their primary metric
 */
const key = (runId: string) => ({ pk: `RUN#${runId}`, sk: 'RUN' });

export class RunStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** The metric the byMetric index ranks runs by. */
    readonly rankMetric = 'accuracy',
  ) {}

  async start(run: Omit<Run, 'status' | 'metrics' | 'artifacts'>): Promise<Run> {
    const record: Run = { ...run, status: 'RUNNING', metrics: {}, artifacts: {} };
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...key(run.runId),
          gsi1pk: `EXP#${run.experiment}`,
          gsi1sk: `${run.startedAt}#${run.runId}`,
          ...record,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return record;
  }

  async finish(
    run: Run,
    outcome:
      | { status: 'FINISHED'; metrics: Metrics; artifacts: Record<string, string>; modelVersion?: number }
      | { status: 'FAILED'; error: string },
  ): Promise<Run> {
    const endedAt = new Date().toISOString();
    const durationMs = Date.parse(endedAt) - Date.parse(run.startedAt);
    const rank = outcome.status === 'FINISHED' ? outcome.metrics[this.rankMetric] : undefined;
    // Every attribute goes through a placeholder: several of ours (status, metrics, error) are DynamoDB reserved words.
    const fields: Record<string, unknown> = { status: outcome.status, endedAt, durationMs };
    if (outcome.status === 'FINISHED') {
      fields['metrics'] = outcome.metrics;
      fields['artifacts'] = outcome.artifacts;
      if (outcome.modelVersion !== undefined) fields['modelVersion'] = outcome.modelVersion;
      if (rank !== undefined && Number.isFinite(rank)) {
        fields['gsi2pk'] = `EXP#${run.experiment}#${this.rankMetric}`;
        fields['gsi2sk'] = rank;
      }
    } else {
      fields['error'] = outcome.error;
    }
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':running': 'RUNNING' };
    const sets = Object.entries(fields).map(([name, value], i) => {
      names[`#f${i}`] = name;
      values[`:f${i}`] = value;
      return `#f${i} = :f${i}`;
    });
    names['#status'] = 'status';
    const out = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: key(run.runId),
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: '#status = :running',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toRun(out.Attributes!);
  }

  /** Links a finished run to the model version registered from it. */
  async setModelVersion(runId: string, modelVersion: number): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: key(runId),
        UpdateExpression: 'SET modelVersion = :v',
        ExpressionAttributeValues: { ':v': modelVersion },
      }),
    );
  }

  async get(runId: string): Promise<Run | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.tableName, Key: key(runId) }));
    return out.Item ? toRun(out.Item) : undefined;
  }

  /** Runs of an experiment, newest first. */
  async listByExperiment(experiment: string, limit = 50): Promise<Run[]> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'byExperiment',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': `EXP#${experiment}` },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map(toRun);
  }

  /** Finished runs of an experiment, best first by the rank metric. */
  async bestByMetric(experiment: string, limit = 10): Promise<Run[]> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'byMetric',
        KeyConditionExpression: 'gsi2pk = :pk',
        ExpressionAttributeValues: { ':pk': `EXP#${experiment}#${this.rankMetric}` },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map(toRun);
  }
}

function toRun(item: Record<string, unknown>): Run {
  const { pk: _pk, sk: _sk, gsi1pk: _a, gsi1sk: _b, gsi2pk: _c, gsi2sk: _d, ...rest } = item;
  return rest as unknown as Run;
}

import { CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { optionalEnv } from '../../core/config/env.js';
import { alarmNamePrefix } from '../../core/metrics/catalog.js';
import type { RegistryService } from '../../core/registry/service.js';
import { registryService, runStore } from '../../core/services/index.js';
import type { RunStore } from '../../core/tracking/store.js';
import { type AlertThresholds, readAlertRules } from '../../lib/constructs/monitoring-rules.js';
import { str } from '../args.js';
import type { Command } from '../command.js';
import { printJson, shortTime, table } from '../format.js';

export interface ProductionModelStatus {
  readonly model: string;
  readonly version: number;
  readonly accuracy?: number;
  readonly trainedAt: string;
  readonly ageSeconds: number;
  /** When a training run of the model last ended FINISHED or SKIPPED (unchanged data). */
  readonly lastCheckAt?: string;
  /** What the alert rules would say about it (thresholds from dashboards/rules/mlops-alerts.yml). */
  readonly problems: string[];
}

export interface FiringAlert {
  readonly name: string;
  readonly since?: string;
  readonly summary?: string;
  readonly labels?: Record<string, string>;
}

export interface AlertsStatus {
  readonly source: string;
  /** Undefined when the source could not be reached (e.g. `npm run monitor` not running). */
  readonly firing?: FiringAlert[];
  readonly error?: string;
}

/**
 * The production version of every registered model, with its age, accuracy and last successful
 * retraining check (the newest run of the model's experiment, named after it, that ended FINISHED
 * or SKIPPED). `no retraining check` mirrors MlopsRetrainingStale: an old production version on
 * unchanged data is not a problem, a pipeline that stopped checking is.
 */
export async function productionModels(
  registry: RegistryService,
  runs: RunStore,
  thresholds: Pick<AlertThresholds, 'retraining_age_seconds' | 'production_accuracy'>,
  now = Date.now(),
): Promise<ProductionModelStatus[]> {
  const models = (await registry.listModels()).filter((m) => m.aliases['production'] !== undefined);
  return Promise.all(
    models.map(async (m) => {
      const record = await registry.getVersion(m.name, m.aliases['production']!);
      const ageSeconds = Math.max(0, (now - Date.parse(record.trainedAt)) / 1000);
      const accuracy = record.metrics['accuracy'];
      const lastCheckAt = (await runs.listByExperiment(m.name, 50)).find(
        (r) => (r.status === 'FINISHED' || r.status === 'SKIPPED') && r.endedAt,
      )?.endedAt;
      const sinceCheck = (now - Date.parse(lastCheckAt ?? record.trainedAt)) / 1000;
      const problems: string[] = [];
      if (sinceCheck > thresholds.retraining_age_seconds) problems.push('no retraining check');
      if (accuracy !== undefined && accuracy < thresholds.production_accuracy) problems.push('low accuracy');
      return {
        model: m.name,
        version: record.version,
        ...(accuracy !== undefined ? { accuracy } : {}),
        trainedAt: record.trainedAt,
        ageSeconds,
        ...(lastCheckAt ? { lastCheckAt } : {}),
        problems,
      };
    }),
  );
}

/** Active, unsilenced, uninhibited alerts from a (local) Alertmanager's v2 API. */
export async function alertmanagerAlerts(baseUrl: string): Promise<AlertsStatus> {
  const source = `Alertmanager ${baseUrl}`;
  try {
    const res = await fetch(`${baseUrl}/api/v2/alerts?active=true&silenced=false&inhibited=false`, {
      signal: AbortSignal.timeout(3000),
    });
    if (!res.ok) return { source, error: `HTTP ${res.status}` };
    const alerts = (await res.json()) as {
      labels: Record<string, string>;
      annotations?: Record<string, string>;
      startsAt?: string;
    }[];
    return {
      source,
      firing: alerts.map((a) => ({
        name: a.labels['alertname'] ?? '(unnamed)',
        ...(a.startsAt ? { since: a.startsAt } : {}),
        ...(a.annotations?.['summary'] ? { summary: a.annotations['summary'] } : {}),
        labels: a.labels,
      })),
    };
  } catch {
    return { source, error: 'not reachable: start it with "npm run monitor"' };
  }
}

/** CloudWatch alarms of a deployed stage (names from the monitoring stack) in state ALARM. */
export async function cloudWatchAlarms(
  stage: string,
  client: Pick<CloudWatchClient, 'send'> = new CloudWatchClient({}),
): Promise<AlertsStatus> {
  const prefix = alarmNamePrefix(stage);
  const firing: FiringAlert[] = [];
  let nextToken: string | undefined;
  do {
    const out = await client.send(
      new DescribeAlarmsCommand({
        AlarmNamePrefix: prefix,
        StateValue: 'ALARM',
        AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
        ...(nextToken ? { NextToken: nextToken } : {}),
      }),
    );
    const alarms: Pick<MetricAlarm, 'AlarmName' | 'StateUpdatedTimestamp' | 'StateReason'>[] = [
      ...(out.MetricAlarms ?? []),
      ...(out.CompositeAlarms ?? []),
    ];
    for (const alarm of alarms) {
      firing.push({
        name: (alarm.AlarmName ?? '').slice(prefix.length),
        ...(alarm.StateUpdatedTimestamp ? { since: alarm.StateUpdatedTimestamp.toISOString() } : {}),
        ...(alarm.StateReason ? { summary: alarm.StateReason } : {}),
      });
    }
    nextToken = out.NextToken;
  } while (nextToken);
  return { source: `CloudWatch alarms ${prefix}*`, firing };
}

/** `1d 14h`, `3h 5m`, `42s`. */
export function humanAge(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m`;
  return `${Math.round(seconds)}s`;
}

export function renderStatus(stage: string, models: ProductionModelStatus[], alerts: AlertsStatus): string {
  const lines = [`stage ${stage}`, ''];
  if (models.length === 0) lines.push('no production model yet (mlops train)');
  else {
    lines.push(
      table(
        ['model', 'version', 'accuracy', 'trained', 'age', 'last check', 'status'],
        models.map((m) => [
          m.model,
          m.version,
          m.accuracy,
          shortTime(m.trainedAt),
          humanAge(m.ageSeconds),
          shortTime(m.lastCheckAt),
          m.problems.length > 0 ? m.problems.join(', ') : 'ok',
        ]),
      ),
    );
  }
  lines.push('');
  if (alerts.error) lines.push(`alerts: ${alerts.source}: ${alerts.error}`);
  else if (!alerts.firing || alerts.firing.length === 0) lines.push(`alerts: none firing (${alerts.source})`);
  else {
    lines.push(`alerts firing (${alerts.source}):`);
    lines.push(
      table(
        ['alert', 'since', 'summary'],
        alerts.firing.map((a) => [a.name, shortTime(a.since), a.summary]),
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}

export const status: Command = {
  name: 'status',
  summary: 'Production model per name (age, accuracy, last retraining check) and the alerts that are firing',
  usage: 'status [--alertmanager http://127.0.0.1:9093]',
  options: {
    alertmanager: {
      type: 'string',
      help: 'local stage: the Alertmanager to ask (default http://127.0.0.1:9093, as npm run monitor starts it)',
    },
  },
  async run({ values, json }) {
    const stage = optionalEnv('stage') ?? 'local';
    const { thresholds } = readAlertRules();
    const [models, alerts] = await Promise.all([
      productionModels(registryService(), runStore(), thresholds),
      stage === 'local'
        ? alertmanagerAlerts((str(values['alertmanager']) ?? 'http://127.0.0.1:9093').replace(/\/$/, ''))
        : cloudWatchAlarms(stage),
    ]);
    if (json) return printJson({ stage, models, alerts });
    process.stdout.write(renderStatus(stage, models, alerts));
  },
};

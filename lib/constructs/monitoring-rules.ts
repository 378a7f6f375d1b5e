import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';

/** Repository root, computed here so the CLI can read the rules without loading aws-cdk-lib. */
const PROJECT_ROOT = resolve(import.meta.dirname, '../..');

/** The files under dashboards/ the monitoring stacks deploy (the local Prometheus uses the same). */
export const MONITORING_FILES = {
  rules: join(PROJECT_ROOT, 'dashboards/rules/mlops-alerts.yml'),
  alertmanager: join(PROJECT_ROOT, 'dashboards/alertmanager/alertmanager.yml'),
  grafana: ['mlops-api.json', 'mlops-model.json'].map((f) => join(PROJECT_ROOT, 'dashboards/grafana', f)),
} as const;

/** Every `mlops:threshold:<name>` recording rule of the rule file, so alarms use the same numbers. */
export interface AlertThresholds {
  readonly latency_p95_seconds: number;
  readonly error_ratio: number;
  readonly predictions_per_minute: number;
  readonly retraining_age_seconds: number;
  readonly production_accuracy: number;
}

export interface AlertRules {
  /** The file's text: the AMP rule groups namespace data. */
  readonly text: string;
  readonly alerts: readonly string[];
  readonly thresholds: AlertThresholds;
}

interface RuleFile {
  groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[];
}

/**
 * Reads the Prometheus rule file: its alert names and its thresholds (recording rules of the form
 * `mlops:threshold:<name>` = `vector(<number>)`). Throws naming the rule if one is missing or is
 * not a plain number, so a bad edit fails `cdk synth`.
 */
export function readAlertRules(file: string = MONITORING_FILES.rules): AlertRules {
  const text = readFileSync(file, 'utf8');
  const rules = (parse(text) as RuleFile).groups.flatMap((g) => g.rules);
  const thresholds: Record<string, number> = {};
  for (const rule of rules) {
    const name = /^mlops:threshold:(\w+)$/.exec(rule.record ?? '')?.[1];
    if (!name) continue;
    const value = /^\s*vector\(\s*([0-9.eE+-]+)\s*\)\s*$/.exec(rule.expr)?.[1];
    if (value === undefined || !Number.isFinite(Number(value))) {
      throw new Error(`${file}: ${rule.record} must be vector(<number>), got "${rule.expr}"`);
    }
    thresholds[name] = Number(value);
  }
  const required: (keyof AlertThresholds)[] = [
    'latency_p95_seconds',
    'error_ratio',
    'predictions_per_minute',
    'retraining_age_seconds',
    'production_accuracy',
  ];
  const missing = required.filter((k) => thresholds[k] === undefined);
  if (missing.length > 0) {
    throw new Error(
      `${file}: missing threshold rules ${missing.map((k) => `mlops:threshold:${k}`).join(', ')}`,
    );
  }
  return {
    text,
    alerts: rules.flatMap((r) => (r.alert ? [r.alert] : [])),
    thresholds: thresholds as unknown as AlertThresholds,
  };
}

/**
 * The rule file with only the given alerts (recording rules all kept): what the AMP rule groups
 * namespace evaluates, so a condition routed to a CloudWatch alarm does not notify twice.
 *
 * @example
 * rulesTextWith(readAlertRules().text, ['MlopsProductionAccuracyLow']);
 */
export function rulesTextWith(text: string, alerts: readonly string[]): string {
  const file = parse(text) as RuleFile;
  return stringify({
    groups: file.groups.map((group) => ({
      ...group,
      rules: group.rules.filter((rule) => !rule.alert || alerts.includes(rule.alert)),
    })),
  });
}

interface AlertmanagerRoute {
  receiver?: string;
  routes?: AlertmanagerRoute[];
  [key: string]: unknown;
}

/**
 * The AMP alert manager definition: the local alertmanager.yml's routing and inhibition, with
 * every receiver replaced by one that publishes to SNS (the only receiver type AMP supports).
 */
export function ampAlertManagerDefinition(
  topicArn: string,
  region: string,
  file = MONITORING_FILES.alertmanager,
) {
  const config = parse(readFileSync(file, 'utf8')) as { route: AlertmanagerRoute; receivers: unknown[] };
  const retarget = (route: AlertmanagerRoute): AlertmanagerRoute => ({
    ...route,
    ...(route.receiver ? { receiver: 'sns' } : {}),
    ...(route.routes ? { routes: route.routes.map(retarget) } : {}),
  });
  const amp = {
    ...config,
    route: retarget(config.route),
    receivers: [
      {
        name: 'sns',
        sns_configs: [
          {
            topic_arn: topicArn,
            sigv4: { region },
            attributes: { source: 'amp' },
          },
        ],
      },
    ],
  };
  return stringify({ alertmanager_config: stringify(amp) });
}

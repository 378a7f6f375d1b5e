import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

export const DASHBOARDS_DIR = join(import.meta.dirname, '../../dashboards');
export const RULES_FILE = join(DASHBOARDS_DIR, 'rules/mlops-alerts.yml');
export const RULES_TEST_FILE = join(DASHBOARDS_DIR, 'rules/mlops-alerts.test.yml');
export const GRAFANA_FILES = ['mlops-api.json', 'mlops-model.json'].map((f) =>
  join(DASHBOARDS_DIR, 'grafana', f),
);

export interface RuleFile {
  groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[];
}

export const loadRules = (): RuleFile => parse(readFileSync(RULES_FILE, 'utf8')) as RuleFile;

interface Panel {
  title: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}
interface TemplateVar {
  name: string;
  type: string;
  definition?: string;
}
interface Dashboard {
  uid: string;
  panels: Panel[];
  templating: { list: TemplateVar[] };
}

export const loadDashboard = (file: string): Dashboard => JSON.parse(readFileSync(file, 'utf8')) as Dashboard;

/** Every PromQL query of a dashboard, with where it came from. */
export function dashboardQueries(dashboard: Dashboard): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  const walk = (panels: Panel[]) => {
    for (const panel of panels) {
      for (const target of panel.targets ?? [])
        out.push({ where: `${dashboard.uid}: ${panel.title}`, expr: target.expr });
      walk(panel.panels ?? []);
    }
  };
  walk(dashboard.panels);
  return out;
}

/** `label_values(metric, label)` variables: the metric they read. */
export function variableMetrics(dashboard: Dashboard): string[] {
  return dashboard.templating.list
    .filter((v) => v.type === 'query')
    .map(
      (v) =>
        /label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(v.definition ?? '')?.[1] ?? `unparsed:${v.name}`,
    );
}

/** Grafana's macros and variables replaced by values Prometheus accepts, so promtool can parse the query. */
export function expandGrafana(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '5m')
    .replaceAll('$__interval', '1m')
    .replaceAll('$__range', '1h')
    .replace(/\$\{?[a-zA-Z_]+\}?/g, '.*');
}

const FUNCTIONS_AND_KEYWORDS = new Set(
  (
    'sum avg min max count by without on ignoring group_left group_right bool and or unless offset rate irate ' +
    'increase histogram_quantile time vector scalar avg_over_time max_over_time min_over_time last_over_time ' +
    'sum_over_time count_over_time abs clamp_min clamp_max label_replace topk bottomk quantile stddev'
  ).split(' '),
);

/**
 * Metric names a PromQL expression selects: identifiers outside strings, braces' label names and
 * grouping clauses, that are not functions, keywords or durations.
 */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '$1')
    .replace(/\[[^\]]*\]/g, '[]')
    .replace(/(?<![\w:])\d[\w.]*/g, '0'); // numbers and durations (5m, 1e3)
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const name = match[0];
    if (FUNCTIONS_AND_KEYWORDS.has(name)) continue;
    names.add(name);
  }
  return [...names];
}

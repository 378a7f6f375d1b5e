import { readFileSync } from 'node:fs';

/**
 * What the deployment costs, computed from the synthesized templates (what is created, how big)
 * and the benchmarks' measured durations (docs/benchmarks.md, docs/lifecycle-bench.md), with the
 * public price list below. `npm run cost` prints it; docs/cost.md holds its output.
 */

/**
 * AWS public prices, us-east-1, on-demand, first tier, as listed on 2026-11-29 (USD). Free tiers are
 * not applied (a new account's free tier covers much of a dev stage: see docs/cost.md).
 */
export const PRICES = {
  date: '2026-11-29',
  region: 'us-east-1',
  httpApiPerMillionRequests: 1.0,
  lambdaPerMillionRequests: 0.2,
  /** arm64, per GB-second. */
  lambdaArmPerGbSecond: 0.0000133334,
  /** arm64 provisioned concurrency, per GB-second provisioned. */
  lambdaArmProvisionedPerGbSecond: 0.0000033334,
  logsIngestionPerGb: 0.5,
  logsStoragePerGbMonth: 0.03,
  /** Standard-resolution alarm, per metric it evaluates (metric math: each metric in it). */
  alarmPerMetricMonth: 0.1,
  dashboardPerMonth: 3.0,
  customMetricPerMonth: 0.3,
  xrayPerMillionTraces: 5.0,
  kmsKeyPerMonth: 1.0,
  secretPerMonth: 0.4,
  /** Amazon Managed Grafana, one editor license (the admin who imports the dashboards). */
  grafanaEditorPerMonth: 9.0,
  ampPerTenMillionSamples: 0.9,
  dynamoDbPerMillionReads: 0.125,
} as const;

const HOURS_PER_MONTH = 730;
const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;
/** Lambda gives one vCPU at 1,769 MB; CPU scales with memory below that. */
const FULL_VCPU_MB = 1769;
/** CloudWatch Logs stores compressed data; ~0.15 of the raw size for JSON lines. */
const LOG_COMPRESSION = 0.15;

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON, read field by field.
type Template = Record<string, any>;

export interface Line {
  readonly item: string;
  readonly quantity: string;
  readonly monthly: number;
}

/** Idle: what a deployed stage costs per month with no traffic (fixed resources + the schedule). */
export function idleCost(
  templates: readonly Template[],
  scheduledTraining: { runsPerMonth: number; seconds: number; memoryMb: number },
): Line[] {
  const resources = templates.flatMap((t) =>
    Object.values((t['Resources'] ?? {}) as Record<string, Template>),
  );
  const ofType = (type: string) => resources.filter((r) => r['Type'] === type);
  const lines: Line[] = [];
  const add = (item: string, count: number, unit: number, quantity = `${count}`) => {
    if (count > 0) lines.push({ item, quantity, monthly: count * unit });
  };
  add('KMS key (alert topic)', ofType('AWS::KMS::Key').length, PRICES.kmsKeyPerMonth);
  add(
    'Secrets Manager secret (JWT key)',
    ofType('AWS::SecretsManager::Secret').length,
    PRICES.secretPerMonth,
  );
  const alarms = ofType('AWS::CloudWatch::Alarm');
  const alarmMetrics = alarms.reduce((n, a) => n + alarmMetricCount(a), 0);
  add(
    'CloudWatch alarm metrics',
    alarmMetrics,
    PRICES.alarmPerMetricMonth,
    `${alarmMetrics} (${alarms.length} alarms)`,
  );
  add('CloudWatch dashboard', ofType('AWS::CloudWatch::Dashboard').length, PRICES.dashboardPerMonth);
  add(
    'Managed Grafana editor license',
    ofType('AWS::Grafana::Workspace').length,
    PRICES.grafanaEditorPerMonth,
  );
  const provisioned = ofType('AWS::Lambda::Alias').reduce(
    (n, a) =>
      n + (a['Properties']?.['ProvisionedConcurrencyConfig']?.['ProvisionedConcurrentExecutions'] ?? 0),
    0,
  );
  if (provisioned > 0) {
    const predict = functionMemoryMb(templates, 'Prediction and model info');
    add(
      'Provisioned concurrency (predict)',
      1,
      provisioned * (predict / 1024) * SECONDS_PER_MONTH * PRICES.lambdaArmProvisionedPerGbSecond,
      `${provisioned} × ${predict} MB`,
    );
  }
  const trainingGbSeconds =
    scheduledTraining.runsPerMonth * scheduledTraining.seconds * (scheduledTraining.memoryMb / 1024);
  add(
    'Scheduled training (Lambda)',
    1,
    trainingGbSeconds * PRICES.lambdaArmPerGbSecond +
      (scheduledTraining.runsPerMonth / 1e6) * PRICES.lambdaPerMillionRequests,
    `${scheduledTraining.runsPerMonth} runs × ${scheduledTraining.seconds.toFixed(1)} s × ${scheduledTraining.memoryMb} MB`,
  );
  return lines;
}

/** A metric-math alarm is billed per metric it reads; a plain alarm is one metric. */
export function alarmMetricCount(alarm: Template): number {
  const metrics = alarm['Properties']?.['Metrics'] as Template[] | undefined;
  if (!metrics) return 1;
  return metrics.filter((m) => m['MetricStat']).length;
}

/** Memory of the function whose Description is `description`. */
export function functionMemoryMb(templates: readonly Template[], description: string): number {
  for (const t of templates) {
    for (const r of Object.values((t['Resources'] ?? {}) as Record<string, Template>)) {
      if (r['Type'] === 'AWS::Lambda::Function' && r['Properties']?.['Description'] === description) {
        return r['Properties']['MemorySize'];
      }
    }
  }
  throw new Error(`no function described "${description}" in the templates`);
}

export function tracingMode(templates: readonly Template[], description: string): string {
  for (const t of templates) {
    for (const r of Object.values((t['Resources'] ?? {}) as Record<string, Template>)) {
      if (r['Type'] === 'AWS::Lambda::Function' && r['Properties']?.['Description'] === description) {
        return r['Properties']['TracingConfig']?.['Mode'] ?? 'PassThrough';
      }
    }
  }
  throw new Error(`no function described "${description}"`);
}

export function logRetentionDays(templates: readonly Template[]): number {
  for (const t of templates) {
    for (const r of Object.values((t['Resources'] ?? {}) as Record<string, Template>)) {
      if (r['Type'] === 'AWS::Logs::LogGroup' && r['Properties']?.['RetentionInDays'])
        return r['Properties']['RetentionInDays'];
    }
  }
  return 30;
}

/** The API stage's access log format, from the template. */
export function accessLogFormat(templates: readonly Template[]): string {
  for (const t of templates) {
    for (const r of Object.values((t['Resources'] ?? {}) as Record<string, Template>)) {
      if (r['Type'] === 'AWS::ApiGatewayV2::Stage') return r['Properties']['AccessLogSettings']['Format'];
    }
  }
  throw new Error('no API stage in the templates');
}

/** Typical values of the `$context` variables, to size one access log line. */
const CONTEXT_SAMPLE: Record<string, string> = {
  '$context.requestId': 'Jx3kPhNgIAMEVmw=',
  '$context.routeKey': 'POST /predict',
  '$context.status': '200',
  '$context.responseLatency': '12',
  '$context.integrationLatency': '9',
  '$context.identity.sourceIp': '203.0.113.27',
  '$context.identity.userAgent': 'python-requests/2.32.3',
  '$context.requestTimeEpoch': '1764442800123',
  '$context.responseLength': '171',
  '$context.integrationErrorMessage': '-',
};

export function accessLogLineBytes(format: string): number {
  let line = format;
  for (const [variable, value] of Object.entries(CONTEXT_SAMPLE)) line = line.split(variable).join(value);
  return Buffer.byteLength(line) + 1;
}

/**
 * Lambda's own lines per invocation (text format): START and END (~60 and ~50 bytes) and REPORT
 * (~190 bytes; ~250 with the X-Ray segment id of a traced invocation).
 */
export function platformLogBytes(traced: boolean): number {
  return 60 + 50 + (traced ? 250 : 190);
}

/** Benchmark figures read from the docs the benches write. */
export interface BenchFigures {
  /** p50 of the whole predict handler, one row, ms (docs/benchmarks.md). */
  readonly singleRowMs: number;
  /** p50 of the whole predict handler, 1,000 rows, ms. */
  readonly batchMs: number;
  readonly batchRows: number;
  /** A tracked auto search on iris (docs/lifecycle-bench.md): trials and wall time. */
  readonly trainingTrials: number;
  readonly trainingMs: number;
}

export function readBenchFigures(
  benchmarks = new URL('../docs/benchmarks.md', import.meta.url),
  lifecycle = new URL('../docs/lifecycle-bench.md', import.meta.url),
): BenchFigures {
  const api = readFileSync(benchmarks, 'utf8');
  const single = /\| 1 row, whole handler \| ([\d.]+) ms/.exec(api);
  const batch = /\| ([\d,]+) rows, whole handler \| ([\d.]+) ms/.exec(api);
  const training = /\| iris \| \d+ \| auto[^|]*\| (\d+) \|[^|]*\|[^|]*\| ([\d,]+) ms \|/.exec(
    readFileSync(lifecycle, 'utf8'),
  );
  if (!single || !batch || !training) {
    throw new Error(
      'docs/benchmarks.md or docs/lifecycle-bench.md lacks the figures (run npm run bench:api / bench:lifecycle)',
    );
  }
  return {
    singleRowMs: Number(single[1]),
    batchMs: Number(batch[2]),
    batchRows: Number(batch[1]!.replace(/,/g, '')),
    trainingTrials: Number(training[1]),
    trainingMs: Number(training[2]!.replace(/,/g, '')),
  };
}

/** Billed Lambda milliseconds for work measured on one full core, at `memoryMb` (rounded up to 1 ms). */
export function billedMs(measuredMs: number, memoryMb: number): number {
  return Math.max(1, Math.ceil(measuredMs * Math.max(1, FULL_VCPU_MB / memoryMb)));
}

export interface RequestProfile {
  readonly label: string;
  /** Rows scored per request. */
  readonly rows: number;
  readonly handlerMs: number;
  /** Log bytes the function writes per request (EMF + the access line), measured. */
  readonly functionLogBytes: number;
}

export interface PerMillionInput {
  readonly templates: readonly Template[];
  readonly profile: RequestProfile;
  /** Sustained request rate while the million predictions are served (X-Ray and AMP depend on it). */
  readonly requestsPerSecond: number;
  /** Series one environment remote-writes (AMP), every 30 s; 0 when remote write is off. */
  readonly ampSeries: number;
}

/** The cost of one million predictions (rows), by item. */
export function perMillionPredictions(input: PerMillionInput): Line[] {
  const { templates, profile } = input;
  const requests = 1e6 / profile.rows;
  const memory = functionMemoryMb(templates, 'Prediction and model info');
  const traced = tracingMode(templates, 'Prediction and model info') === 'Active';
  const ms = billedMs(profile.handlerMs, memory);
  const accessLine = accessLogLineBytes(accessLogFormat(templates));
  const logBytes = requests * (profile.functionLogBytes + platformLogBytes(traced) + accessLine);
  const retentionMonths = logRetentionDays(templates) / 30;
  // Lambda's fixed sampling: the first request each second and 5% of the rest.
  const rate = input.requestsPerSecond;
  const sampled = traced ? Math.min(1, (1 + 0.05 * Math.max(0, rate - 1)) / rate) : 0;
  const seconds = requests / rate;
  const samples = input.ampSeries * (seconds / 30);
  const lines: Line[] = [
    {
      item: 'HTTP API requests',
      quantity: fmt(requests),
      monthly: (requests / 1e6) * PRICES.httpApiPerMillionRequests,
    },
    {
      item: 'Lambda requests',
      quantity: fmt(requests),
      monthly: (requests / 1e6) * PRICES.lambdaPerMillionRequests,
    },
    {
      item: 'Lambda duration',
      quantity: `${fmt(requests)} × ${ms} ms × ${memory} MB`,
      monthly: requests * (ms / 1000) * (memory / 1024) * PRICES.lambdaArmPerGbSecond,
    },
    {
      item: 'CloudWatch Logs ingestion',
      quantity: `${logBytes >= 1e9 ? `${fmt(logBytes / 1e9, 2)} GB` : `${fmt(logBytes / 1e6, 1)} MB`} (${Math.round(logBytes / requests)} B/request)`,
      monthly: (logBytes / 1e9) * PRICES.logsIngestionPerGb,
    },
    {
      item: 'CloudWatch Logs storage',
      quantity: `${logRetentionDays(templates)} days`,
      monthly: (logBytes / 1e9) * LOG_COMPRESSION * PRICES.logsStoragePerGbMonth * retentionMonths,
    },
    {
      item: 'X-Ray traces (predict)',
      quantity: traced
        ? `${fmt(requests * sampled)} (${(sampled * 100).toFixed(1)}% at ${rate} req/s)`
        : 'not traced',
      monthly: ((requests * sampled) / 1e6) * PRICES.xrayPerMillionTraces,
    },
    {
      item: 'AMP samples ingested',
      quantity:
        input.ampSeries > 0 ? `${fmt(samples)} (${input.ampSeries} series every 30 s)` : 'remote write off',
      monthly: (samples / 1e7) * PRICES.ampPerTenMillionSamples,
    },
  ];
  return lines;
}

export const total = (lines: readonly Line[]) => lines.reduce((sum, l) => sum + l.monthly, 0);

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits });
}

/** Scheduled runs per month of an EventBridge Scheduler expression (cron daily/hourly/weekday, or rate). */
export function runsPerMonth(expression: string): number {
  const rate = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression);
  if (rate) {
    const minutes =
      { minute: 1, hour: 60, day: 1440 }[rate[2] as 'minute' | 'hour' | 'day'] * Number(rate[1]);
    return Math.round((HOURS_PER_MONTH * 60) / minutes);
  }
  const cron = /^cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)$/.exec(expression);
  if (!cron) return 30;
  const count = (field: string, all: number) =>
    field === '*' || field === '?' ? all : field.split(',').length;
  const perDay = count(cron[1]!, 60) * count(cron[2]!, 24);
  const days =
    cron[5] !== '?' && cron[5] !== '*'
      ? (30.4 * count(cron[5]!.replace(/MON-FRI/i, '1,2,3,4,5'), 7)) / 7
      : 30.4;
  return Math.round(perDay * days);
}

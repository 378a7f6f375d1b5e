import { registryService, runStore, settings } from '../../core/services/index.js';
import type { Run } from '../../core/tracking/store.js';
import { integer, str } from '../args.js';
import type { Command } from '../command.js';
import { classMetricsTable, metricLines } from '../evaluation.js';
import { duration, printJson, shortTime, table } from '../format.js';

const row = (r: Run) => [
  r.runId,
  r.status,
  shortTime(r.startedAt),
  duration(r.durationMs),
  r.algorithm ?? (r.trials ? `search×${r.trials}` : undefined),
  r.metrics['test_accuracy'] ?? r.metrics['accuracy'],
  r.metrics['test_macro_f1'] ?? r.metrics['macro_f1'],
  r.modelVersion === undefined ? undefined : `v${r.modelVersion}${r.alias ? ` (${r.alias})` : ''}`,
  r.error ?? (r.status === 'SKIPPED' ? r.reason : undefined),
];
const HEADERS = ['run', 'status', 'started', 'time', 'algorithm', 'test acc', 'macro_f1', 'version', 'note'];

/** Trials are scored on validation rows (or CV folds) only: their table says which. */
const trialRow = (r: Run) => {
  const scope = r.metrics['cv_accuracy'] !== undefined ? 'cv' : 'validation';
  return [
    r.runId,
    r.status,
    r.algorithm,
    scope,
    r.metrics[`${scope}_accuracy`],
    r.metrics[`${scope}_macro_f1`],
    r.metrics[`${scope}_log_loss`],
    duration(r.durationMs),
    r.error ??
      Object.entries(r.params)
        .map(([k, v]) => `${k}=${v}`)
        .join(' '),
  ];
};
const TRIAL_HEADERS = [
  'trial',
  'status',
  'algorithm',
  'scored on',
  'accuracy',
  'macro_f1',
  'log_loss',
  'time',
  'params',
];

export const runs: Command = {
  name: 'runs',
  summary: 'Runs of an experiment, newest first; or one run and its trials',
  usage: 'runs [<run-id>] [--experiment <name>] [--limit N] [--best | --running]',
  options: {
    experiment: { type: 'string', help: 'experiment name (default: the most recently active one)' },
    limit: { type: 'string', help: 'how many runs (default 20)' },
    best: { type: 'boolean', help: 'rank finished runs by their metric instead of by time' },
    running: { type: 'boolean', help: 'every RUNNING run, of any experiment, with its lease' },
  },
  async run({ values, positionals, json }) {
    const store = runStore();
    const id = positionals[0];
    if (id) {
      const run = await store.require(id);
      const trials = run.trials ? await store.listTrials(run.runId) : [];
      if (json) return printJson({ run, trials });
      const lines = [
        `run        ${run.runId}${run.parentRunId ? ` (trial of ${run.parentRunId})` : ''}`,
        `experiment ${run.experiment}`,
        `status     ${run.status}${run.error ? `: ${run.error}` : run.status === 'SKIPPED' ? `: ${run.reason}` : ''}`,
        `started    ${shortTime(run.startedAt)}  ${duration(run.durationMs) ?? ''}`,
        `algorithm  ${run.algorithm ?? '-'} ${Object.entries(run.params)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}`,
        ...(run.parentRunId || Object.keys(run.metrics).length === 0
          ? [
              `metrics    ${
                Object.entries(run.metrics)
                  .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(4)}`)
                  .join('  ') || '-'
              }`,
            ]
          : metricLines(run.metrics, run.evaluation)),
        `dataset    ${run.dataset ? `${run.dataset.source} (${run.dataset.rows} rows, sha256 ${run.dataset.fingerprint.slice(0, 12)}…)` : '-'}`,
        `code       ${run.codeVersion}`,
        `model      ${run.modelName ?? '-'}${run.modelVersion !== undefined ? ` v${run.modelVersion} (${run.alias ?? '?'})` : ''}`,
        ...(run.reason && run.status === 'FINISHED' ? [`decision   ${run.reason}`] : []),
        `artifacts  ${Object.values(run.artifacts).join(', ') || '-'}`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
      const perClass = classMetricsTable(run.classMetrics);
      if (perClass) process.stdout.write(`\nper class on the test split:\n${perClass}\n`);
      if (trials.length > 0) process.stdout.write(`\n${table(TRIAL_HEADERS, trials.map(trialRow))}\n`);
      return;
    }
    const limit = integer(str(values['limit']), '--limit', { min: 1, max: 1000 }) ?? 20;
    if (values['running']) {
      const running = await store.listRunning(limit);
      if (json) return printJson({ runs: running });
      process.stdout.write(
        running.length === 0
          ? 'no runs are RUNNING\n'
          : `${table(
              ['run', 'experiment', 'started', 'lease until', 'last heartbeat'],
              running.map((r) => [
                r.runId,
                r.experiment,
                shortTime(r.startedAt),
                shortTime(r.leaseExpiresAt),
                shortTime(r.heartbeatAt),
              ]),
            )}\n`,
      );
      return;
    }
    const experiment = str(values['experiment']) ?? (await store.latestExperiment()) ?? settings.defaultModel;
    const list = values['best']
      ? await store.bestByMetric(experiment, 'accuracy', limit)
      : await store.listByExperiment(experiment, limit);
    if (json) return printJson({ experiment, runs: list });
    if (list.length === 0) {
      process.stdout.write(`no runs in experiment "${experiment}" (see: mlops experiments)\n`);
      return;
    }
    process.stdout.write(`${table(HEADERS, list.map(row))}\n`);
  },
};

export const experiments: Command = {
  name: 'experiments',
  summary: 'Experiments, most recently active first',
  usage: 'experiments',
  async run({ json }) {
    const list = await runStore().listExperiments();
    if (json) return printJson({ experiments: list });
    process.stdout.write(
      `${table(
        ['experiment', 'runs', 'last run', 'created'],
        list.map((e) => [e.name, e.runCount, shortTime(e.lastRunAt), shortTime(e.createdAt)]),
      )}\n`,
    );
  },
};

export const cleanup: Command = {
  name: 'cleanup',
  summary: 'Mark runs whose lease expired ABANDONED and retire version numbers reserved but never written',
  usage: 'cleanup [--unleased]',
  options: {
    unleased: {
      type: 'boolean',
      help: 'also end RUNNING runs recorded before leases existed (scans the runs table once)',
    },
  },
  async run({ values, json }) {
    const store = runStore();
    const reason =
      'abandoned: found RUNNING without a lease by mlops cleanup; the process running it had stopped';
    const abandoned = [
      ...(await store.reap()),
      ...(values['unleased'] ? await store.reapUnleased(reason) : []),
    ];
    const retired: { model: string; version: number; reason: string }[] = [];
    for (const model of await registryService().listModels()) {
      for (const entry of await registryService().store.retireIncomplete(model)) {
        retired.push({ model: model.name, version: entry.version, reason: entry.reason });
      }
    }
    if (json) return printJson({ abandoned, retired });
    for (const run of abandoned) process.stdout.write(`run ${run.runId} ABANDONED: ${run.error}\n`);
    for (const r of retired) process.stdout.write(`${r.model} v${r.version} retired: ${r.reason}\n`);
    if (abandoned.length + retired.length === 0) process.stdout.write('nothing to clean up\n');
  },
};

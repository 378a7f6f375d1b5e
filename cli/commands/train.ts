import { basename } from 'node:path';
import cliProgress from 'cli-progress';
import { optionalEnv } from '../../core/config/env.js';
import { promotionPolicyFromEnv, RANK_METRICS } from '../../core/registry/policy.js';
import { settings, trainingDeps } from '../../core/services/index.js';
import { FALLBACK_DATASET, REFITS } from '../../core/training/request.js';
import { type TrialSummary, trainAndRegister } from '../../core/training/service.js';
import { ALGORITHMS } from '../../training/model.js';
import { CV_FOLDS, MAX_TRIALS } from '../../training/run-defaults.js';
import { choice, integer, keyValues, list, number, str } from '../args.js';
import type { Command } from '../command.js';
import { checkDataFile } from '../dataset-file.js';
import { UsageError } from '../errors.js';
import { classMetricsTable, decisionLines, metricLines } from '../evaluation.js';
import { duration, printJson, table } from '../format.js';

const ALGORITHM_CHOICES = [...ALGORITHMS, 'auto'] as const;

/** A model name from the data source: builtin:wine → wine, ./data/churn.csv → churn. */
export function defaultModelName(data: string | undefined): string {
  if (data === undefined) return settings.defaultModel;
  const base = data.startsWith('builtin:') ? data.slice(8) : basename(data).replace(/\.csv$/i, '');
  const cleaned = base.replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return cleaned.slice(0, 64) || settings.defaultModel;
}

export const train: Command = {
  name: 'train',
  summary: 'Train on a CSV (one run or a search), track the runs and register the best version',
  usage:
    'train [--data <csv|dir/|s3://bucket/key|s3://bucket/prefix/|builtin:name>] [--target <col>] [--model-name <name>] [--algorithm logreg|tree|forest|gbt|auto] [--trials N] [--seed S] [--metric accuracy|macro_f1|log_loss] [--cv K] [--refit train+validation|all] [--skip-unchanged]',
  options: {
    data: {
      type: 'string',
      help: 'CSV path, s3://bucket/key, builtin:iris|wine|breast_cancer (default), or a directory / s3://bucket/prefix/ whose newest CSV is used',
    },
    target: { type: 'string', help: 'label column (built-in datasets know theirs)' },
    features: { type: 'string', help: 'comma-separated feature columns (default: all but the target)' },
    'model-name': { type: 'string', help: 'registered model name (default: from the data file name)' },
    algorithm: { type: 'string', help: 'logreg, tree, forest, gbt or auto (every algorithm)' },
    trials: { type: 'string', help: 'hyperparameter-search trials, each a tracked child run (default 1)' },
    seed: { type: 'string', help: 'seed for the split and the model (default 42)' },
    search: { type: 'string', help: 'random (default) or grid, capped at --trials' },
    metric: { type: 'string', help: 'what the search ranks by: accuracy, macro_f1, log_loss' },
    cv: {
      type: 'string',
      help: 'score trials by K-fold CV on the training part (default: a validation split of it)',
    },
    'validation-size': {
      type: 'string',
      help: 'share of the training part that scores trials (default 0.2)',
    },
    refit: {
      type: 'string',
      help: 'fit the registered model on train+validation (default) or all rows (test metrics are then from before that refit)',
    },
    'test-size': { type: 'string', help: 'test share, scored once by the final model (default 0.2)' },
    'skip-unchanged': {
      type: 'boolean',
      help: 'end as SKIPPED, without a new version, when the data is byte-identical to what production (or the challenger) was trained on',
    },
    param: { type: 'string', multiple: true, help: 'fix a hyperparameter, key=value (repeatable)' },
    experiment: { type: 'string', help: 'experiment name (default: the model name)' },
    description: { type: 'string', help: 'description of the new version' },
    'min-metric': { type: 'string', help: 'promotion: minimum metric value for production' },
    margin: { type: 'string', help: 'promotion: margin over production on the same test rows' },
    significance: {
      type: 'string',
      help: "promotion: McNemar's test level to beat production (default 0.05)",
    },
  },
  async run({ values, json }) {
    const data = str(values['data']);
    const dataset = data ?? optionalEnv('defaultDataset') ?? FALLBACK_DATASET;
    checkDataFile(dataset, '--data', { directories: true });
    const modelName = str(values['model-name']) ?? defaultModelName(data);
    const trials = integer(str(values['trials']), '--trials', { min: 1, max: MAX_TRIALS });
    const cv = integer(str(values['cv']), '--cv', CV_FOLDS);
    const validationSize = number(str(values['validation-size']), '--validation-size');
    if (validationSize !== undefined && !(validationSize > 0 && validationSize < 1))
      throw new UsageError('--validation-size must be in (0, 1)');
    const refit = choice(str(values['refit']), '--refit', REFITS);
    const significance = number(str(values['significance']), '--significance');
    if (significance !== undefined && !(significance > 0 && significance <= 1))
      throw new UsageError('--significance must be in (0, 1]');
    const seed = integer(str(values['seed']), '--seed', { min: 0, max: 2 ** 32 - 1 });
    const testSize = number(str(values['test-size']), '--test-size');
    if (testSize !== undefined && !(testSize > 0 && testSize < 1))
      throw new UsageError('--test-size must be in (0, 1)');
    const metric = choice(str(values['metric']), '--metric', RANK_METRICS);
    const algorithm = choice(str(values['algorithm']), '--algorithm', ALGORITHM_CHOICES);
    const search = choice(str(values['search']), '--search', ['random', 'grid'] as const);
    const params = keyValues(list(values['param']), '--param');
    const minimum = number(str(values['min-metric']), '--min-metric');
    const margin = number(str(values['margin']), '--margin');
    const features = str(values['features'])
      ?.split(',')
      .map((f) => f.trim())
      .filter(Boolean);
    const target = str(values['target']) ?? (data === undefined ? optionalEnv('defaultTarget') : undefined);

    const bar = new cliProgress.SingleBar(
      {
        format: 'trials {bar} {value}/{total} | best {metric} {best} | {eta_formatted} left',
        stream: process.stderr,
        hideCursor: true,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
    let barStarted = false;
    const outcome = await trainAndRegister(
      {
        dataset,
        modelName,
        ...(target ? { target } : {}),
        ...(features ? { features } : {}),
        ...(algorithm ? { algorithm } : {}),
        ...(trials ? { trials } : {}),
        ...(search ? { search } : {}),
        ...(metric ? { metric } : {}),
        ...(cv ? { cv } : {}),
        ...(validationSize !== undefined ? { validationSize } : {}),
        ...(refit ? { refit } : {}),
        ...(values['skip-unchanged'] === true ? { skipUnchanged: true } : {}),
        ...(seed !== undefined ? { seed } : {}),
        ...(testSize !== undefined ? { testSize } : {}),
        ...(Object.keys(params).length > 0 ? { params } : {}),
        ...(str(values['experiment']) ? { experiment: str(values['experiment'])! } : {}),
        ...(str(values['description']) ? { description: str(values['description'])! } : {}),
        policy: promotionPolicyFromEnv({
          ...(metric ? { metric } : {}),
          ...(minimum !== undefined ? { minimum } : {}),
          ...(margin !== undefined ? { margin } : {}),
          ...(significance !== undefined ? { significance } : {}),
        }),
      },
      trainingDeps(),
      {
        onPlan(plan) {
          if (!json) {
            process.stderr.write(
              `training ${modelName} on ${plan.dataset.source} (${plan.dataset.rows} rows, ${plan.dataset.features?.length ?? '?'} features, target '${plan.dataset.target}'), run ${plan.runId}\n`,
            );
          }
          if (plan.trials > 1 && !json) {
            bar.start(plan.trials, 0, { metric: metric ?? 'accuracy', best: '-' });
            barStarted = true;
          }
        },
        onTrial(_trial, best) {
          if (barStarted) bar.increment(1, { best: best?.score?.toFixed(4) ?? '-' });
        },
      },
    ).finally(() => {
      if (barStarted) bar.stop();
    });

    if (outcome.kind === 'skipped') {
      if (json) return printJson({ run: outcome.run, skipped: outcome.reason });
      process.stdout.write(`\nrun        ${outcome.run.runId} SKIPPED: ${outcome.reason}\n`);
      return;
    }
    if (json) {
      printJson({
        run: outcome.run,
        version: outcome.version,
        decision: outcome.decision,
        trials: outcome.trials,
      });
      return;
    }
    const rank = metric ?? 'accuracy';
    if (outcome.trials.length > 1) {
      const sorted = [...outcome.trials].sort((a, b) => order(rank, a, b));
      const shown = sorted.slice(0, 20);
      const scope = cv ? 'cv' : 'validation';
      process.stdout.write(
        `\n${table(
          [
            'trial',
            'algorithm',
            'status',
            `${scope} ${rank}`,
            'accuracy',
            'macro_f1',
            'log_loss',
            'time',
            'params',
          ],
          shown.map((t) => [
            t.runId.slice(-4),
            t.algorithm,
            t.status,
            t.score,
            t.metrics[`${scope}_accuracy`],
            t.metrics[`${scope}_macro_f1`],
            t.metrics[`${scope}_log_loss`],
            duration(t.durationMs),
            t.error ?? compactParams(t.params),
          ]),
        )}\n`,
      );
      if (sorted.length > shown.length)
        process.stdout.write(`(${sorted.length - shown.length} more: mlops runs ${outcome.run.runId})\n`);
      const failed = outcome.trials.filter((t) => t.status === 'FAILED').length;
      process.stdout.write(
        `${outcome.trials.length} trials scored on the ${scope === 'cv' ? `${cv} CV folds` : 'validation rows'} of the training part ` +
          `(run ids ${outcome.run.runId}-tNNN), ${failed} failed; picked: ${outcome.run.bestTrialRunId?.slice(-4)}\n`,
      );
    }
    const perClass = classMetricsTable(outcome.run.classMetrics);
    process.stdout.write(
      [
        '',
        `run        ${outcome.run.runId} (${outcome.run.status}, ${duration(outcome.run.durationMs)})`,
        `data       ${outcome.run.dataset?.source ?? dataset}${outcome.run.dataset?.location ? ` (${outcome.run.dataset.picked} at ${outcome.run.dataset.location})` : ''}`,
        `algorithm  ${outcome.version.algorithm} ${compactParams(outcome.version.params)}`,
        ...metricLines(outcome.version.metrics, outcome.version.evaluation),
        `registered ${outcome.version.name} v${outcome.version.version} as ${outcome.decision.alias}`,
        ...decisionLines(outcome.decision),
        `artifacts  ${Object.values(outcome.run.artifacts).join(', ')}`,
        ...(perClass ? ['', 'per class on the test split:', perClass] : []),
        '',
      ].join('\n'),
    );
  },
};

function order(metric: string, a: TrialSummary, b: TrialSummary): number {
  if (a.score === undefined) return b.score === undefined ? a.index - b.index : 1;
  if (b.score === undefined) return -1;
  const diff = metric === 'log_loss' ? a.score - b.score : b.score - a.score;
  return diff || a.index - b.index;
}

const compactParams = (params: Readonly<Record<string, unknown>>) =>
  Object.entries(params)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

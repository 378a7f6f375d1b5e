import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../../core/errors.js';
import { artifactStore, registryService, runStore, trainingDeps } from '../../core/services/index.js';
import { type TrainHooks, type TrialSummary, trainAndRegister } from '../../core/training/service.js';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime.js';

let runtime: LocalRuntime;
let dir: string;

beforeAll(async () => {
  runtime = await startLocalRuntime({ ephemeral: true });
  dir = mkdtempSync(join(tmpdir(), 'mlops-data-'));
});
afterAll(async () => {
  await runtime.stop();
  rmSync(dir, { recursive: true, force: true });
});

const csv = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

async function failure(dataset: string, target = 'label'): Promise<AppError> {
  try {
    await trainAndRegister({ dataset, target, modelName: 'bad' }, trainingDeps());
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected training to fail');
}

describe('bad datasets give one clear error each', () => {
  const cases: [string, () => string, RegExp, string?][] = [
    ['missing file', () => join(dir, 'nope.csv'), /does not exist/],
    ['empty file', () => csv('empty.csv', ''), /empty/],
    ['ragged rows', () => csv('ragged.csv', 'a,b,label\n1,2,x\n3,y\n'), /line 3: expected 3 columns, got 2/],
    [
      'non-numeric feature',
      () => csv('nan.csv', 'a,b,label\n1,2,x\n3,abc,y\n'),
      /line 3, column 'b': 'abc' is not a number/,
    ],
    ['missing target', () => csv('notarget.csv', 'a,b,c\n1,2,3\n'), /target column 'label' not found/],
    ['single class', () => csv('single.csv', 'a,label\n1,x\n2,x\n3,x\n'), /only one class/],
    [
      'too few rows',
      () => csv('few.csv', 'a,label\n1,x\n2,y\n3,y\n'),
      /too few rows for the split: class 'x' has 1 row/,
    ],
  ];
  it.each(cases)('%s', async (_name, make, message) => {
    const error = await failure(make());
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('\n');
    expect(error.status).toBeLessThan(500);
  });

  it('a dataset that is not built in needs a target', async () => {
    const error = await trainAndRegister(
      { dataset: csv('ok.csv', 'a,label\n1,x\n2,y\n'), modelName: 'bad' },
      trainingDeps(),
    ).then(
      () => new AppError('INTERNAL', 'expected a failure'),
      (e: unknown) => e as AppError,
    );
    expect(error.message).toMatch(/name the target column \(--target\)/);
  });
});

describe('training pipeline', () => {
  it('records the run, writes the artifacts and registers a production version with lineage', async () => {
    const outcome = await trainAndRegister(
      { dataset: 'builtin:iris', modelName: 'iris-a', seed: 3 },
      trainingDeps(),
    );
    expect(outcome.run.status).toBe('FINISHED');
    expect(outcome.decision.alias).toBe('production');
    expect(outcome.version.metrics['accuracy']).toBeGreaterThanOrEqual(0.9);
    const run = await runStore().require(outcome.run.runId);
    expect(run.modelVersion).toBe(outcome.version.version);
    expect(run.dataset?.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(run.dataset?.rows).toBe(150);
    expect(Object.keys(run.artifacts).sort()).toEqual(['baseline', 'card', 'confusionMatrix', 'model']);
    const card = JSON.parse(Buffer.from(await artifactStore().get(run.artifacts['card']!)).toString());
    expect(card).toMatchObject({
      runId: run.runId,
      features: expect.any(Array),
      classes: ['setosa', 'versicolor', 'virginica'],
    });
    expect(card.dataset.fingerprint).toBe(run.dataset?.fingerprint);
    const svg = Buffer.from(await artifactStore().get(run.artifacts['confusionMatrix']!)).toString();
    expect(svg).toMatch(/^<svg/);
    const baseline = JSON.parse(
      Buffer.from(await artifactStore().get(run.artifacts['baseline']!)).toString(),
    );
    expect(baseline.features).toHaveLength(4);
    expect(baseline.features[0].quantiles).toHaveLength(9);
    // lineage: version → run → dataset fingerprint → code version
    const version = await registryService().getVersion('iris-a', outcome.version.version);
    expect(version.runId).toBe(run.runId);
    expect(version.dataset.fingerprint).toBe(run.dataset?.fingerprint);
    expect(version.codeVersion).toBe(run.codeVersion);
    expect((await registryService().store.versionByRun(run.runId))?.version).toBe(version.version);
  });

  it('is reproducible: same data, seed and params give a byte-identical ONNX file', async () => {
    const a = await trainAndRegister(
      { dataset: 'builtin:wine', modelName: 'wine-r', seed: 11 },
      trainingDeps(),
    );
    const b = await trainAndRegister(
      { dataset: 'builtin:wine', modelName: 'wine-r', seed: 11 },
      trainingDeps(),
    );
    expect(b.version.sha256).toBe(a.version.sha256);
    const bytesA = await artifactStore().get(a.version.artifactKey);
    const bytesB = await artifactStore().get(b.version.artifactKey);
    expect(Buffer.compare(Buffer.from(bytesA), Buffer.from(bytesB))).toBe(0);
    // An identical model, scored with production on the same test rows, does not displace it.
    expect(b.decision).toMatchObject({
      alias: 'challenger',
      rows: 36,
      candidateWins: 0,
      productionWins: 0,
      production: { version: a.version.version, value: b.version.metrics['accuracy'] },
    });
    expect(b.decision.reason).toMatch(/on the same 36 rows: not better/);
  });

  it('a search tracks every trial as a child run scored on validation rows only, and registers its refit', async () => {
    const seen: TrialSummary[] = [];
    let planned = 0;
    const hooks: TrainHooks = {
      onPlan: (plan) => {
        planned = plan.trials;
      },
      onTrial: (trial) => seen.push(trial),
    };
    const outcome = await trainAndRegister(
      { dataset: 'builtin:iris', modelName: 'iris-s', trials: 5, metric: 'macro_f1', seed: 5 },
      trainingDeps(),
      hooks,
    );
    expect(planned).toBe(5);
    expect(seen).toHaveLength(5);
    const trials = await runStore().listTrials(outcome.run.runId);
    expect(trials).toHaveLength(5);
    for (const trial of trials) {
      expect(trial.parentRunId).toBe(outcome.run.runId);
      expect(trial.status).toBe('FINISHED');
      expect(trial.durationMs).toEqual(expect.any(Number));
      // Selection never sees the test split: trials carry validation metrics only.
      expect(Object.keys(trial.metrics).sort()).toEqual([
        'train_ms',
        'validation_accuracy',
        'validation_log_loss',
        'validation_macro_f1',
      ]);
    }
    // The best validation score wins; on a tie the earlier trial (each algorithm's defaults come first).
    const best = Math.max(...trials.map((t) => t.metrics['validation_macro_f1']!));
    const winner = trials.find((t) => t.metrics['validation_macro_f1'] === best)!;
    expect(outcome.run.bestTrialRunId).toBe(winner.runId);
    const defaults = trials.find((t) => t.algorithm === winner.algorithm)!;
    expect(winner.metrics['validation_macro_f1']).toBeGreaterThanOrEqual(
      defaults.metrics['validation_macro_f1']!,
    );
    // The registered metrics: the refit model's test scores (test_* and the unprefixed headline), and
    // the chosen trial's validation scores, each named for the rows it was measured on.
    const m = outcome.version.metrics;
    expect(m['validation_macro_f1']).toBe(best);
    expect(m['test_macro_f1']).toBe(m['macro_f1']);
    expect(m['test_accuracy']).toBe(m['accuracy']);
    expect(outcome.version.evaluation).toEqual({
      selection: 'validation',
      validationSize: 0.2,
      testSize: 0.2,
      seed: 5,
      rows: { train: 96, validation: 24, test: 30 },
      refit: 'train+validation',
      refitRows: 120,
      testMetricsOf: expect.stringMatching(/registered model, fit on train \+ validation/),
    });
    expect(outcome.run.evaluation).toEqual(outcome.version.evaluation);
    // Trials stay out of the experiment listing; the search run is there.
    const listed = await runStore().listByExperiment('iris-s');
    expect(listed.map((r) => r.runId)).toEqual([outcome.run.runId]);
    expect(listed[0]!.trials).toBe(5);
  });

  it('records per-class precision, recall and F1 of the test split on the run', async () => {
    const outcome = await trainAndRegister(
      { dataset: 'builtin:iris', modelName: 'iris-pc', seed: 2 },
      trainingDeps(),
    );
    const run = await runStore().require(outcome.run.runId);
    expect(run.classMetrics).toHaveLength(3);
    expect(run.classMetrics!.map((c) => c.class)).toEqual(['setosa', 'versicolor', 'virginica']);
    for (const c of run.classMetrics!) {
      expect(c).toEqual({
        class: expect.any(String),
        precision: expect.any(Number),
        recall: expect.any(Number),
        f1: expect.any(Number),
        support: 10,
      });
    }
    const macro = run.classMetrics!.reduce((a, c) => a + c.f1, 0) / 3;
    expect(run.metrics['test_macro_f1']).toBeCloseTo(macro, 12);
  });

  it('concurrent trainings of one model get distinct versions, one production, and a decision each', async () => {
    const outcomes = await Promise.all(
      [1, 2, 3, 4].map((seed) =>
        trainAndRegister({ dataset: 'builtin:iris', modelName: 'iris-p', seed }, trainingDeps()),
      ),
    );
    expect(outcomes.map((o) => o.version.version).sort()).toEqual([1, 2, 3, 4]);
    expect(new Set(outcomes.map((o) => o.run.runId)).size).toBe(4);
    const model = await registryService().requireModel('iris-p');
    expect(model.aliases['production']).toEqual(expect.any(Number));
    for (const o of outcomes) {
      const v = await registryService().getVersion('iris-p', o.version.version);
      expect(v.decision?.alias).toBe(o.decision.alias);
    }
  });

  it('k-fold CV scores trials on the training part', async () => {
    const outcome = await trainAndRegister(
      { dataset: 'builtin:iris', modelName: 'iris-cv', trials: 2, cv: 3, seed: 1 },
      trainingDeps(),
    );
    expect(outcome.version.metrics['cv_accuracy']).toBeGreaterThan(0.8);
    expect(outcome.version.evaluation).toMatchObject({
      selection: 'cv',
      cvFolds: 3,
      rows: { train: 120, test: 30 },
    });
  });

  it.each([
    [
      { algorithm: 'logreg' as const, params: { l2: -1 } },
      'params.l2',
      /param l2 must be in \[0, 1000000\], got -1/,
    ],
    [
      { algorithm: 'tree' as const, params: { max_depth: 1000 } },
      'params.max_depth',
      /must be in \[1, 64\], got 1000/,
    ],
    [
      { algorithm: 'forest' as const, params: { max_features: 'half' } },
      'params.max_features',
      /'sqrt', 'log2', 'all'/,
    ],
  ])(
    'an out-of-range parameter is refused with 422 before any run exists: %j',
    async (request, field, message) => {
      const error = await trainAndRegister(
        { dataset: 'builtin:iris', modelName: 'iris-bad', ...request },
        trainingDeps(),
      ).catch((e: unknown) => e as AppError);
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).status).toBe(422);
      expect((error as AppError).details[0]).toEqual({ field, message: expect.stringMatching(message) });
      expect(await runStore().listByExperiment('iris-bad')).toEqual([]);
    },
  );

  it('experiments are listed most recently active first and runs rank by metric', async () => {
    const experiments = await runStore().listExperiments();
    expect(experiments.length).toBeGreaterThanOrEqual(4);
    expect(experiments[0]!.lastRunAt >= experiments[1]!.lastRunAt).toBe(true);
    expect(await runStore().latestExperiment()).toBe(experiments[0]!.name);
    const ranked = await runStore().bestByMetric('wine-r', 'accuracy');
    expect(ranked).toHaveLength(2);
  });
});

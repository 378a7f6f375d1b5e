import {
  baselineStats,
  confusionMatrixSvg,
  type Dataset,
  type EvaluationSplits,
  modelCard,
  selectRows,
} from '../../training/index.js';
import { ArtifactStore } from '../artifacts/store.js';
import { type PromotionDecision, promotionPolicyFromEnv } from '../registry/policy.js';
import type { RegistryService } from '../registry/service.js';
import type { Metrics, ModelVersion } from '../registry/types.js';
import type { DatasetInfo, Run, RunStore } from '../tracking/store.js';
import { compareOnTestRows } from './champion.js';
import type { ResolvedRequest } from './request.js';
import type { FinalModel } from './selection.js';
import type { TrialSummary } from './trials.js';

export interface RegistrationDeps {
  readonly registry: RegistryService;
  readonly runs: RunStore;
  readonly artifacts: ArtifactStore;
  readonly codeVersion: string;
}

export interface Registration {
  readonly run: Run;
  readonly version: ModelVersion;
  readonly decision: PromotionDecision;
}

/**
 * Artifacts to S3 → registry version (production's model scored on this run's test rows, the policy
 * decides, the decision kept on the version) → run FINISHED. Artifacts are in S3 before any registry
 * entry names them, and the version exists before the run says FINISHED, so a poller never sees a
 * finished run without its version and a crash never leaves a version pointing at nothing.
 */
export async function registerFinal(
  request: ResolvedRequest,
  deps: RegistrationDeps,
  state: {
    readonly run: Run;
    readonly dataset: Dataset;
    readonly datasetInfo: DatasetInfo;
    readonly splits: EvaluationSplits;
    readonly final: FinalModel;
    readonly metrics: Metrics;
    readonly trials: readonly TrialSummary[];
    readonly best?: TrialSummary;
  },
): Promise<Registration> {
  const { run, dataset, datasetInfo, final, metrics } = state;
  const { tested, artifact, evaluation } = final;
  const trainedAt = new Date().toISOString();
  const put = (name: string, body: Uint8Array | string, type: string) =>
    deps.artifacts.put(ArtifactStore.runKey(run.runId, name), body, type);

  const model = await put('model.onnx', artifact.onnx, 'application/octet-stream');
  const fit = selectRows(dataset, final.fitRows);
  const baseline = await put(
    'baseline.json',
    JSON.stringify(baselineStats(fit.X, dataset.featureNames, fit.y, dataset.classes)),
    'application/json',
  );
  const picture = await put(
    'confusion-matrix.svg',
    confusionMatrixSvg(tested.metrics.confusionMatrix, dataset.classes),
    'image/svg+xml',
  );
  const search = state.trials.length > 1 && state.best;
  const card = await put(
    'model-card.json',
    JSON.stringify(
      {
        ...modelCard({
          model: artifact.model,
          metrics: tested.metrics,
          dataset,
          split: tested.split,
          seed: request.seed,
          testSize: request.testSize,
          codeVersion: deps.codeVersion,
          trainedAt,
          durationMs: tested.durationMs,
        }),
        name: request.modelName,
        runId: run.runId,
        ...(search ? { bestTrialRunId: state.best.runId, trials: state.trials.length } : {}),
        rankMetric: request.metric,
        evaluation,
        recordedMetrics: metrics,
        source: datasetInfo.source,
        ...(datasetInfo.location ? { location: datasetInfo.location } : {}),
        artifact: { key: model.key, sha256: model.sha256, bytes: model.bytes },
      },
      null,
      2,
    ),
    'application/json',
  );
  const artifacts = {
    model: model.key,
    card: card.key,
    confusionMatrix: picture.key,
    baseline: baseline.key,
  };
  // Out of the lifecycle expiry before any registry entry names the files.
  await deps.artifacts.markRegistered(Object.values(artifacts));

  const test = selectRows(dataset, state.splits.outer.test);
  const policy = request.policy ?? promotionPolicyFromEnv();
  const { version, decision } = await deps.registry.register(
    request.modelName,
    {
      runId: run.runId,
      artifactKey: model.key,
      sha256: model.sha256,
      algorithm: artifact.model.algorithm,
      metrics,
      params: artifact.model.params,
      featureNames: dataset.featureNames,
      classes: dataset.classes,
      dataset: { source: datasetInfo.source, fingerprint: datasetInfo.fingerprint, rows: datasetInfo.rows },
      codeVersion: deps.codeVersion,
      trainedAt,
      evaluation,
      ...(request.description ? { description: request.description } : {}),
      ...(request.tags ? { tags: { ...request.tags } } : {}),
    },
    {
      policy,
      // The model whose test metrics are recorded is the one compared (with refit 'all', the
      // artifact has seen these rows, so it could not be compared fairly on them).
      compare: (production) =>
        compareOnTestRows({
          candidateOnnx: tested.onnx,
          production,
          artifacts: deps.artifacts,
          rows: { X: test.X, y: test.y, classes: dataset.classes, featureNames: dataset.featureNames },
          metric: rankMetricOf(policy.metric),
        }),
    },
  );
  const finished = await deps.runs.finish(run, {
    status: 'FINISHED',
    metrics,
    artifacts,
    params: { ...run.params, ...artifact.model.params },
    algorithm: artifact.model.algorithm,
    dataset: datasetInfo,
    ...(search ? { bestTrialRunId: state.best.runId, trials: state.trials.length } : {}),
    modelVersion: version.version,
    alias: decision.alias,
    reason: decision.reason,
    evaluation,
    classMetrics: tested.metrics.perClass,
  });
  return { run: finished, version, decision };
}

const rankMetricOf = (metric: string) =>
  metric === 'log_loss' || metric === 'macro_f1' ? metric : ('accuracy' as const);

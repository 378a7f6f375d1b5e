import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  type Algorithm,
  type Dataset,
  DatasetError,
  parseDataset,
  type TrainResult,
  trainModel,
} from '../../training/index.js';
import { ArtifactStore } from '../artifacts/store.js';
import { readDatasetSource } from '../datasets/source.js';
import { AppError } from '../errors.js';
import type { PromotionDecision, PromotionPolicy } from '../registry/policy.js';
import type { RegistryService } from '../registry/service.js';
import type { Metrics, ModelVersion } from '../registry/types.js';
import type { Run, RunStore } from '../tracking/store.js';

export interface TrainRequest {
  /** `builtin:<name>`, `s3://bucket/key` or a local path. */
  readonly dataset: string;
  /** Target column; defaults to the built-in dataset's. */
  readonly target?: string;
  readonly features?: string[];
  readonly modelName: string;
  readonly algorithm?: Algorithm;
  readonly seed?: number;
  readonly testSize?: number;
  readonly params?: Record<string, string | number | boolean>;
  readonly experiment?: string;
  readonly policy?: PromotionPolicy;
}

export interface TrainOutcome {
  readonly run: Run;
  readonly version: ModelVersion;
  readonly decision: PromotionDecision;
}

export interface TrainingDeps {
  readonly registry: RegistryService;
  readonly runs: RunStore;
  readonly artifacts: ArtifactStore;
  readonly s3: () => S3Client;
  readonly codeVersion: string;
}

/** The registry keeps the headline metrics as flat numbers; the full report is in the model card. */
export function headlineMetrics(metrics: TrainResult['metrics']): Metrics {
  return { accuracy: metrics.accuracy, macro_f1: metrics.macroF1, log_loss: metrics.logLoss };
}

/**
 * Train → artifacts → run → registry, in that order: the ONNX file and its digest are in S3
 * before any registry entry names them, so a crash at any step never leaves a version
 * pointing at nothing (at worst an orphaned artifact under runs/<runId>/).
 */
export async function trainAndRegister(request: TrainRequest, deps: TrainingDeps): Promise<TrainOutcome> {
  const data = await readDatasetSource(request.dataset, deps.s3);
  const target = request.target ?? data.defaultTarget;
  if (!target) {
    throw new AppError('VALIDATION_FAILED', 'a target column is required for this dataset', {
      details: [{ field: 'target', message: 'is required' }],
    });
  }
  let dataset: Dataset;
  try {
    dataset = parseDataset(data.bytes, {
      target,
      name: data.name,
      ...(request.features ? { features: request.features } : {}),
    });
  } catch (error) {
    if (error instanceof DatasetError)
      throw new AppError('VALIDATION_FAILED', `dataset ${request.dataset}: ${error.message}`, {
        cause: error,
      });
    throw error;
  }
  const algorithm = request.algorithm ?? 'logreg';
  const run = await deps.runs.start({
    runId: randomUUID(),
    experiment: request.experiment ?? request.modelName,
    startedAt: new Date().toISOString(),
    algorithm,
    params: { ...(request.params ?? {}), seed: request.seed ?? 42, test_size: request.testSize ?? 0.2 },
    dataset: { source: request.dataset, fingerprint: dataset.fingerprint, rows: dataset.rows },
    codeVersion: deps.codeVersion,
  });
  try {
    const result = trainModel(dataset, {
      algorithm,
      ...(request.seed !== undefined ? { seed: request.seed } : {}),
      ...(request.testSize !== undefined ? { testSize: request.testSize } : {}),
      ...(request.params ? { params: request.params } : {}),
    });
    const trainedAt = new Date().toISOString();
    const model = await deps.artifacts.put(
      ArtifactStore.runKey(run.runId, 'model.onnx'),
      result.onnx,
      'application/octet-stream',
    );
    const card = await deps.artifacts.put(
      ArtifactStore.runKey(run.runId, 'model-card.json'),
      JSON.stringify(
        {
          name: request.modelName,
          runId: run.runId,
          algorithm,
          params: result.model.params,
          features: dataset.featureNames,
          classes: dataset.classes,
          target,
          metrics: result.metrics,
          dataset: {
            source: request.dataset,
            fingerprint: dataset.fingerprint,
            rows: dataset.rows,
            schema: dataset.schema,
          },
          split: result.split,
          codeVersion: deps.codeVersion,
          trainedAt,
          trainingMs: result.durationMs,
          onnx: { sha256: model.sha256, bytes: model.bytes },
        },
        null,
        2,
      ),
      'application/json',
    );
    const metrics = headlineMetrics(result.metrics);
    const finished = await deps.runs.finish(run, {
      status: 'FINISHED',
      metrics,
      artifacts: { model: model.key, card: card.key },
    });
    const { version, decision } = await deps.registry.register(
      request.modelName,
      {
        runId: run.runId,
        artifactKey: model.key,
        sha256: model.sha256,
        algorithm,
        metrics,
        params: result.model.params,
        featureNames: dataset.featureNames,
        classes: dataset.classes,
        dataset: { source: request.dataset, fingerprint: dataset.fingerprint, rows: dataset.rows },
        codeVersion: deps.codeVersion,
        trainedAt,
      },
      request.policy,
    );
    await deps.runs.setModelVersion(run.runId, version.version);
    return { run: { ...finished, modelVersion: version.version }, version, decision };
  } catch (error) {
    await deps.runs
      .finish(run, { status: 'FAILED', error: error instanceof Error ? error.message : String(error) })
      .catch(() => {});
    throw error;
  }
}

import { evaluate } from '../../training/index.js';
import type { ArtifactStore } from '../artifacts/store.js';
import { OnnxModel, type ScoredBatch } from '../prediction/onnx-session.js';
import { type PairedComparison, type RankMetric, schemaDiff } from '../registry/policy.js';
import type { ModelVersion } from '../registry/types.js';
import { metricValue } from './metrics.js';

/** The candidate's test split, as the comparison needs it. */
export interface TestRows {
  readonly X: readonly (readonly number[])[];
  readonly y: readonly number[];
  readonly classes: readonly string[];
  readonly featureNames: readonly string[];
}

const LOSS_FLOOR = 1e-15;

/**
 * Scores the candidate and the production version on the candidate's test rows, both through the
 * ONNX runtime that serves them (core/prediction), and counts the rows each gets right where the other
 * does not (for log loss: where its per-row loss is the lower). Production's artifact is checked
 * against its recorded digest first. The schemas must match (the policy checks before calling this).
 */
export async function compareOnTestRows(input: {
  readonly candidateOnnx: Uint8Array;
  readonly production: ModelVersion;
  readonly artifacts: ArtifactStore;
  readonly rows: TestRows;
  readonly metric: RankMetric;
}): Promise<PairedComparison> {
  const { production, rows, metric } = input;
  if (schemaDiff(rows, production)) throw new Error('the schemas differ');
  const bytes = await input.artifacts.getVerified(production.artifactKey, production.sha256);
  const [candidate, champion] = await Promise.all([
    scoreRows(input.candidateOnnx, rows),
    scoreRows(bytes, rows),
  ]);
  const a = outcomes(candidate, rows, rows.classes);
  const b = outcomes(champion, rows, production.classes);
  let candidateWins = 0;
  let productionWins = 0;
  for (let i = 0; i < rows.y.length; i++) {
    const [wa, wb] =
      metric === 'log_loss'
        ? [a.loss[i]! < b.loss[i]!, b.loss[i]! < a.loss[i]!]
        : [a.correct[i]!, b.correct[i]!];
    if (wa && !wb) candidateWins++;
    if (wb && !wa) productionWins++;
  }
  return {
    rows: rows.y.length,
    candidate: metricValue(a.metrics, metric),
    production: metricValue(b.metrics, metric),
    candidateWins,
    productionWins,
  };
}

async function scoreRows(bytes: Uint8Array, rows: TestRows): Promise<ScoredBatch> {
  const F = rows.featureNames.length;
  const model = await OnnxModel.load(bytes, F);
  try {
    const flat = new Float32Array(rows.X.length * F);
    rows.X.forEach((row, i) => {
      flat.set(row, i * F);
    });
    return await model.score(flat, rows.X.length);
  } finally {
    await model.release();
  }
}

/** Per-row correctness and loss, with the model's probability columns put in the rows' class order. */
function outcomes(scored: ScoredBatch, rows: TestRows, modelClasses: readonly string[]) {
  const C = scored.classCount;
  const index = new Map(rows.classes.map((c, i) => [c, i]));
  const predicted = scored.labels.map((label) => {
    const k = index.get(label);
    if (k === undefined) throw new Error(`the model answered the unknown class "${label}"`);
    return k;
  });
  const column = rows.classes.map((c) => modelClasses.indexOf(c));
  const proba = rows.y.map((_, i) => column.map((j) => scored.probabilities[i * C + j] ?? 0));
  const correct = predicted.map((p, i) => p === rows.y[i]);
  const loss = rows.y.map((t, i) => -Math.log(Math.min(1, Math.max(LOSS_FLOOR, proba[i]![t] ?? 0))));
  const metrics = evaluate(rows.y, predicted, proba, rows.classes);
  return { correct, loss, metrics };
}

import type { Dataset, FeatureColumns, FeatureSchema } from './dataset.js';
import type { Metrics } from './evaluate.js';
import type { Algorithm, Params, TrainedModel } from './model.js';

export interface ModelCard {
  schemaVersion: 1;
  algorithm: Algorithm;
  params: Params;
  seed: number;
  testSize: number;
  features: FeatureSchema[];
  target: string;
  classes: string[];
  metrics: Pick<Metrics, 'accuracy' | 'macroF1' | 'logLoss' | 'perClass' | 'confusionMatrix'>;
  dataset: { name: string; fingerprint: string; rows: number; schema: FeatureSchema[] };
  split: { train: number; test: number };
  onnx: { input: 'features'; outputs: ['label', 'probabilities']; opsets: Record<string, number> };
  codeVersion: string;
  trainedAt: string;
  durationMs: number;
}

export interface ModelCardInput {
  model: TrainedModel;
  metrics: Metrics;
  dataset: Pick<Dataset, 'name' | 'fingerprint' | 'rows' | 'schema' | 'target' | 'classes'>;
  split: { train: number; test: number };
  seed: number;
  testSize: number;
  /** Passed in (git sha, image tag) so the card stays a pure function of its inputs. */
  codeVersion: string;
  /** ISO timestamp, passed in for the same reason. */
  trainedAt: string;
  durationMs: number;
}

/** Everything a reviewer needs to know about a trained model, as a plain JSON-able object. */
export function modelCard(input: ModelCardInput): ModelCard {
  const { model, metrics, dataset } = input;
  return {
    schemaVersion: 1,
    algorithm: model.algorithm,
    params: { ...model.params },
    seed: input.seed,
    testSize: input.testSize,
    features: model.featureNames.map((name) => ({ name, type: 'number' })),
    target: dataset.target,
    classes: [...model.classes],
    metrics: {
      accuracy: metrics.accuracy,
      macroF1: metrics.macroF1,
      logLoss: metrics.logLoss,
      perClass: metrics.perClass,
      confusionMatrix: metrics.confusionMatrix,
    },
    dataset: {
      name: dataset.name,
      fingerprint: dataset.fingerprint,
      rows: dataset.rows,
      schema: dataset.schema,
    },
    split: { ...input.split },
    onnx: { input: 'features', outputs: ['label', 'probabilities'], opsets: { '': 17, 'ai.onnx.ml': 3 } },
    codeVersion: input.codeVersion,
    trainedAt: input.trainedAt,
    durationMs: Math.round(input.durationMs),
  };
}

const escapeXml = (s: string) =>
  s.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!,
  );

/** White → blue by share of the row (recall), so colours compare across classes of different sizes. */
function cellColour(share: number): string {
  const t = Math.max(0, Math.min(1, share));
  const mix = (a: number, b: number) => Math.round(a + (b - a) * t);
  return `rgb(${mix(247, 8)},${mix(251, 48)},${mix(255, 107)})`;
}

/**
 * Confusion matrix as a standalone SVG: rows are true classes, columns predicted; each cell shows the count
 * and its share of the row, shaded by that share, with a colour legend.
 */
export function confusionMatrixSvg(
  matrix: readonly (readonly number[])[],
  classes: readonly string[],
  options: { title?: string } = {},
): string {
  const n = classes.length;
  const cell = n > 8 ? 40 : 64;
  const labelW = Math.min(180, 16 + 7 * Math.max(4, ...classes.map((c) => c.length)));
  const top = 48 + labelW * 0.6;
  const left = labelW + 24;
  const gridW = n * cell;
  const legendX = left + gridW + 24;
  const width = legendX + 70;
  const height = top + gridW + 48;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${Math.round(height)}" viewBox="0 0 ${width} ${Math.round(height)}" font-family="Helvetica, Arial, sans-serif" font-size="12" role="img">`,
    `<title>${escapeXml(options.title ?? 'Confusion matrix')}</title>`,
    `<text x="${left}" y="18" font-size="14" font-weight="bold">${escapeXml(options.title ?? 'Confusion matrix')}</text>`,
    `<text x="${left + gridW / 2}" y="36" text-anchor="middle" fill="#444">predicted class</text>`,
    `<text transform="translate(14,${top + gridW / 2}) rotate(-90)" text-anchor="middle" fill="#444">true class</text>`,
  ];
  classes.forEach((c, i) => {
    const name = escapeXml(c);
    out.push(
      `<text x="${left - 6}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end">${name}</text>`,
      `<text transform="translate(${left + i * cell + cell / 2 + 4},${top - 6}) rotate(-45)">${name}</text>`,
    );
  });
  matrix.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((count, j) => {
      const share = total === 0 ? 0 : count / total;
      const x = left + j * cell;
      const y = top + i * cell;
      const ink = share > 0.5 ? '#fff' : '#111';
      out.push(
        `<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${cellColour(share)}" stroke="${i === j ? '#111' : '#bbb'}"/>`,
        `<text x="${x + cell / 2}" y="${y + cell / 2}" text-anchor="middle" fill="${ink}" font-weight="bold">${count}</text>`,
        `<text x="${x + cell / 2}" y="${y + cell / 2 + 14}" text-anchor="middle" fill="${ink}" font-size="10">${(share * 100).toFixed(0)}%</text>`,
      );
    });
  });
  const steps = 5;
  for (let s = 0; s < steps; s++) {
    const share = 1 - s / (steps - 1);
    const h = gridW / steps;
    out.push(
      `<rect x="${legendX}" y="${top + s * h}" width="16" height="${h}" fill="${cellColour(share)}" stroke="#bbb"/>`,
      `<text x="${legendX + 22}" y="${top + s * h + h / 2 + 4}">${(share * 100).toFixed(0)}%</text>`,
    );
  }
  out.push(
    `<text x="${left}" y="${top + gridW + 24}" fill="#444">cell: count and share of the true class (row)</text>`,
    '</svg>',
  );
  return `${out.join('\n')}\n`;
}

export interface FeatureBaseline {
  name: string;
  count: number;
  mean: number;
  std: number;
  min: number;
  max: number;
  /** Interior bin edges (deciles by default): bin b holds values v with quantiles[b-1] < v <= quantiles[b]. */
  quantiles: number[];
  /** Rows of the reference data per bin (quantiles.length + 1 bins). */
  binCounts: number[];
  binShares: number[];
}

export interface Baseline {
  rows: number;
  features: FeatureBaseline[];
  classCounts: Record<string, number>;
  classShares: Record<string, number>;
}

/** Linear interpolation between closest ranks (numpy's default). */
function quantile(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Bin of a value under `quantiles` edges (same rule as FeatureBaseline.binCounts). */
export function binIndex(value: number, quantiles: readonly number[]): number {
  let lo = 0;
  let hi = quantiles.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (value > quantiles[mid]!) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Per-feature reference statistics for drift checks over the given rows of float32 columns (population
 * std; `bins` equal-frequency bins).
 */
export function baselineStats(
  data: FeatureColumns & { y: ArrayLike<number> },
  rows: ArrayLike<number>,
  featureNames: readonly string[],
  classes: readonly string[],
  options: { bins?: number } = {},
): Baseline {
  const bins = options.bins ?? 10;
  if (!Number.isInteger(bins) || bins < 2 || bins > 100)
    throw new RangeError(`bins must be in [2, 100], got ${bins}`);
  const n = rows.length;
  if (n === 0) throw new RangeError('rows must name at least 1 row');
  const features = featureNames.map((name, j) => {
    const column = data.columns[j]!;
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) values[i] = column[rows[i]!]!;
    values.sort();
    let sum = 0;
    for (const v of values) sum += v;
    const mean = sum / n;
    let sq = 0;
    for (const v of values) sq += (v - mean) ** 2;
    const quantiles = Array.from({ length: bins - 1 }, (_, b) => quantile(values, (b + 1) / bins));
    const binCounts = new Array<number>(bins).fill(0);
    for (const v of values) binCounts[binIndex(v, quantiles)]! += 1;
    return {
      name,
      count: n,
      mean,
      std: Math.sqrt(sq / n),
      min: values[0]!,
      max: values[n - 1]!,
      quantiles,
      binCounts,
      binShares: binCounts.map((c) => c / n),
    };
  });
  const counts = new Array<number>(classes.length).fill(0);
  for (let i = 0; i < n; i++) counts[data.y[rows[i]!]!]! += 1;
  return {
    rows: n,
    features,
    classCounts: Object.fromEntries(classes.map((c, i) => [c, counts[i]!])),
    classShares: Object.fromEntries(classes.map((c, i) => [c, counts[i]! / n])),
  };
}

/** Population stability index between reference and live bin shares (eps-smoothed); > 0.2 is usually drift. */
export function populationStabilityIndex(expected: readonly number[], actual: readonly number[]): number {
  if (expected.length !== actual.length) {
    throw new RangeError(`actual must have ${expected.length} bins, got ${actual.length}`);
  }
  const eps = 1e-6;
  return expected.reduce((acc, e, i) => {
    const a = Math.max(actual[i]!, eps);
    const r = Math.max(e, eps);
    return acc + (a - r) * Math.log(a / r);
  }, 0);
}

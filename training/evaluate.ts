export interface ClassMetrics {
  class: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface Metrics {
  accuracy: number;
  macroF1: number;
  /** Mean negative log-likelihood, probabilities clipped to [1e-15, 1 - 1e-15]. */
  logLoss: number;
  perClass: ClassMetrics[];
  /** confusionMatrix[true][predicted] counts, in `classes` order. */
  confusionMatrix: number[][];
  classes: string[];
  rows: number;
}

const EPS = 1e-15;

/** Class probabilities: one array per row, or a flat row-major [rows × classes] buffer. */
export type Probabilities = readonly (readonly number[])[] | Float32Array;

export function confusionMatrix(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  nClasses: number,
): number[][] {
  if (yTrue.length !== yPred.length) {
    throw new RangeError(`yPred must have ${yTrue.length} entries, got ${yPred.length}`);
  }
  const m = Array.from({ length: nClasses }, () => new Array<number>(nClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) m[yTrue[i]!]![yPred[i]!]! += 1;
  return m;
}

export function logLoss(yTrue: ArrayLike<number>, proba: Probabilities): number {
  const n = yTrue.length;
  if (n === 0) return 0;
  const C = proba instanceof Float32Array ? proba.length / n : 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const t = yTrue[i]!;
    const raw = proba instanceof Float32Array ? proba[i * C + t] : (proba as number[][])[i]?.[t];
    sum -= Math.log(Math.min(1 - EPS, Math.max(EPS, raw ?? 0)));
  }
  return sum / n;
}

export function evaluate(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  proba: Probabilities,
  classes: readonly string[],
): Metrics {
  const cm = confusionMatrix(yTrue, yPred, classes.length);
  const perClass = classes.map((name, c) => {
    const tp = cm[c]![c]!;
    const support = cm[c]!.reduce((a, b) => a + b, 0);
    const predicted = cm.reduce((a, row) => a + row[c]!, 0);
    const precision = predicted === 0 ? 0 : tp / predicted;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { class: name, precision, recall, f1, support };
  });
  const correct = classes.reduce((a, _, c) => a + cm[c]![c]!, 0);
  return {
    accuracy: yTrue.length === 0 ? 0 : correct / yTrue.length,
    macroF1: perClass.reduce((a, m) => a + m.f1, 0) / classes.length,
    logLoss: logLoss(yTrue, proba),
    perClass,
    confusionMatrix: cm,
    classes: [...classes],
    rows: yTrue.length,
  };
}

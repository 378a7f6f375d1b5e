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

export function confusionMatrix(
  yTrue: readonly number[],
  yPred: readonly number[],
  nClasses: number,
): number[][] {
  if (yTrue.length !== yPred.length) {
    throw new RangeError(`yPred must have ${yTrue.length} entries, got ${yPred.length}`);
  }
  const m = Array.from({ length: nClasses }, () => new Array<number>(nClasses).fill(0));
  yTrue.forEach((t, i) => {
    m[t]![yPred[i]!]! += 1;
  });
  return m;
}

export function logLoss(yTrue: readonly number[], proba: readonly (readonly number[])[]): number {
  if (yTrue.length === 0) return 0;
  let sum = 0;
  yTrue.forEach((t, i) => {
    const p = Math.min(1 - EPS, Math.max(EPS, proba[i]?.[t] ?? 0));
    sum -= Math.log(p);
  });
  return sum / yTrue.length;
}

export function evaluate(
  yTrue: readonly number[],
  yPred: readonly number[],
  proba: readonly (readonly number[])[],
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

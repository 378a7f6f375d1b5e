/**
 * Run reports (confusion-matrix picture, baseline statistics). Written here because
 * training/artifacts.ts had not landed when the pipeline needed them; both are pure functions
 * of the training output, so swapping to the training package's versions is a one-line change.
 */

export interface FeatureBaseline {
  readonly name: string;
  readonly count: number;
  readonly mean: number;
  readonly std: number;
  readonly min: number;
  readonly max: number;
  /** Decile edges (q0.1 … q0.9): the bins a drift check compares live traffic against. */
  readonly quantiles: readonly number[];
  /** Share of training rows in each of the len(quantiles)+1 bins. */
  readonly binShares: readonly number[];
}

export interface Baseline {
  readonly rows: number;
  readonly features: readonly FeatureBaseline[];
  readonly classShares: Readonly<Record<string, number>>;
}

export function baselineStats(
  X: readonly (readonly number[])[],
  featureNames: readonly string[],
  y: readonly number[],
  classes: readonly string[],
): Baseline {
  const features = featureNames.map((name, j) => {
    const values = X.map((row) => row[j]!).sort((a, b) => a - b);
    const n = values.length;
    const mean = values.reduce((a, b) => a + b, 0) / n;
    const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / n;
    const quantiles = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9].map((q) => quantile(values, q));
    const counts = new Array<number>(quantiles.length + 1).fill(0);
    for (const v of values) {
      let bin = 0;
      while (bin < quantiles.length && v > quantiles[bin]!) bin++;
      counts[bin]! += 1;
    }
    return {
      name,
      count: n,
      mean,
      std: Math.sqrt(variance),
      min: values[0]!,
      max: values[n - 1]!,
      quantiles,
      binShares: counts.map((c) => c / n),
    };
  });
  const classCounts = new Array<number>(classes.length).fill(0);
  for (const c of y) classCounts[c]! += 1;
  return {
    rows: X.length,
    features,
    classShares: Object.fromEntries(classes.map((c, i) => [c, classCounts[i]! / y.length])),
  };
}

/** Linear interpolation between closest ranks (numpy's default). */
function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

const escapeXml = (s: string) =>
  s.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!,
  );

/** A self-contained SVG heat map: rows are true classes, columns predicted ones. */
export function confusionMatrixSvg(
  matrix: readonly (readonly number[])[],
  classes: readonly string[],
): string {
  const cell = 48;
  const label = Math.min(160, 12 + 7 * Math.max(...classes.map((c) => c.length), 4));
  const n = classes.length;
  const size = label + n * cell + 10;
  const max = Math.max(1, ...matrix.flat());
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size + 20}" font-family="sans-serif" font-size="12">`,
    `<text x="${label}" y="14">predicted →</text>`,
  ];
  classes.forEach((c, i) => {
    const name = escapeXml(c);
    parts.push(
      `<text x="${label - 6}" y="${label + i * cell + cell / 2 + 4}" text-anchor="end">${name}</text>`,
    );
    parts.push(
      `<text transform="translate(${label + i * cell + cell / 2 + 4},${label - 6}) rotate(-60)">${name}</text>`,
    );
  });
  matrix.forEach((row, i) => {
    row.forEach((count, j) => {
      const shade = Math.round(255 - (count / max) * 200);
      const fill = i === j ? `rgb(${shade},${shade},255)` : `rgb(255,${shade},${shade})`;
      const x = label + j * cell;
      const y = label + i * cell;
      parts.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${fill}" stroke="#999"/>`);
      parts.push(`<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" text-anchor="middle">${count}</text>`);
    });
  });
  parts.push(`<text x="4" y="${size + 14}">rows: true class; columns: predicted class</text>`, '</svg>');
  return `${parts.join('\n')}\n`;
}

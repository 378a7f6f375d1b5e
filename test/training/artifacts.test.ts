import {
  baselineStats,
  binIndex,
  columnsOf,
  confusionMatrixSvg,
  loadBuiltinDataset,
  modelCard,
  populationStabilityIndex,
  trainModel,
} from '../../training/index.js';

describe('modelCard', () => {
  it('collects model, metrics and dataset facts from its inputs only', () => {
    const ds = loadBuiltinDataset('iris');
    const r = trainModel(ds, { algorithm: 'logreg' });
    const card = modelCard({
      model: r.model,
      metrics: r.metrics,
      dataset: ds,
      split: r.split,
      seed: 42,
      testSize: 0.2,
      codeVersion: 'abc123',
      trainedAt: '2026-01-01T00:00:00.000Z',
      durationMs: 12.4,
    });
    expect(card).toMatchObject({
      algorithm: 'logreg',
      classes: ['setosa', 'versicolor', 'virginica'],
      target: 'species',
      dataset: { name: 'iris', rows: 150, fingerprint: ds.fingerprint },
      split: { train: 120, test: 30 },
      codeVersion: 'abc123',
      trainedAt: '2026-01-01T00:00:00.000Z',
      durationMs: 12,
      onnx: { input: 'features', outputs: ['label', 'probabilities'] },
    });
    expect(card.features.map((f) => f.name)).toEqual(ds.featureNames);
    expect(card.metrics.accuracy).toBe(r.metrics.accuracy);
    expect(JSON.parse(JSON.stringify(card))).toEqual(card);
  });
});

describe('confusionMatrixSvg', () => {
  it('draws labelled cells with counts, escapes names and adds a legend', () => {
    const svg = confusionMatrixSvg(
      [
        [5, 1],
        [0, 4],
      ],
      ['a<b', 'c'],
    );
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('a&lt;b');
    expect(svg).not.toContain('a<b');
    expect(svg.match(/<rect /g)).toHaveLength(4 + 5);
    for (const text of ['>5<', '>1<', '>0<', '>4<', '>83%<', 'predicted class', 'true class']) {
      expect(svg).toContain(text);
    }
  });
});

describe('baselineStats', () => {
  const X = Array.from({ length: 100 }, (_, i) => [i + 1, 7]);
  const data = { ...columnsOf(X, 2), y: X.map((_, i) => (i < 25 ? 0 : 1)) };
  const all = X.map((_, i) => i);
  const base = baselineStats(data, all, ['ramp', 'const'], ['x', 'y']);

  it('computes moments, decile edges and per-bin counts', () => {
    const ramp = base.features[0]!;
    expect(ramp).toMatchObject({ name: 'ramp', count: 100, min: 1, max: 100, mean: 50.5 });
    expect(ramp.std).toBeCloseTo(28.866, 3);
    expect(ramp.quantiles).toHaveLength(9);
    expect(ramp.quantiles[4]).toBeCloseTo(50.5);
    expect(ramp.binCounts).toEqual(new Array(10).fill(10));
    expect(ramp.binShares.reduce((a, b) => a + b, 0)).toBeCloseTo(1);
    expect(base.features[1]!.binCounts[0]).toBe(100);
    expect(base.classCounts).toEqual({ x: 25, y: 75 });
    expect(base.classShares).toEqual({ x: 0.25, y: 0.75 });
  });

  it('bins live values with the same rule and scores drift with PSI', () => {
    const q = base.features[0]!.quantiles;
    expect(binIndex(0, q)).toBe(0);
    expect(binIndex(q[0]!, q)).toBe(0);
    expect(binIndex(1000, q)).toBe(9);
    const shares = base.features[0]!.binShares;
    expect(populationStabilityIndex(shares, shares)).toBe(0);
    const shifted = [0, 0, 0, 0, 0, 0, 0, 0, 0.5, 0.5];
    expect(populationStabilityIndex(shares, shifted)).toBeGreaterThan(0.2);
  });

  it('rejects bad bin counts and empty data', () => {
    expect(() => baselineStats(data, all, ['a', 'b'], ['x', 'y'], { bins: 1 })).toThrow(RangeError);
    expect(() => baselineStats(data, [], ['a'], ['x', 'y'])).toThrow(RangeError);
  });
});

import {
  type Algorithm,
  loadBuiltinDataset,
  PARAM_DEFAULTS,
  PARAM_SPACES,
  runSearch,
  searchSpace,
  type TrialReport,
} from '../../training/index.js';

const all: Algorithm[] = ['logreg', 'tree', 'forest', 'gbt'];

describe('searchSpace', () => {
  it('random: seeded, round-robin, defaults first', () => {
    const a = [...searchSpace(all, { trials: 12, seed: 5 })];
    expect(a).toHaveLength(12);
    expect(a.map((c) => c.algorithm)).toEqual([...all, ...all, ...all]);
    expect(a.slice(0, 4).every((c) => Object.keys(c.params).length === 0)).toBe(true);
    expect([...searchSpace(all, { trials: 12, seed: 5 })]).toEqual(a);
    expect([...searchSpace(all, { trials: 12, seed: 6 })]).not.toEqual(a);
  });

  it('grid: defaults first, then the full product per algorithm (defaults not repeated), capped by trials', () => {
    const grid = [...searchSpace(['tree', 'logreg'], { strategy: 'grid' })];
    expect(grid.slice(0, 2)).toEqual([
      { algorithm: 'tree', params: {} },
      { algorithm: 'logreg', params: {} },
    ]);
    // tree: 4 × 3 points, none of them the defaults (max_depth 10); logreg: 5 points, one of them l2 = 1.
    expect(grid.filter((c) => c.algorithm === 'tree')).toHaveLength(13);
    expect(grid.filter((c) => c.algorithm === 'logreg')).toHaveLength(5);
    expect(new Set(grid.map((c) => JSON.stringify(c))).size).toBe(grid.length);
    expect([...searchSpace(['tree', 'logreg'], { strategy: 'grid', trials: 3 })]).toHaveLength(3);
  });

  it("every algorithm's defaults lie inside its random distributions, and open both strategies", () => {
    for (const algorithm of all) {
      for (const [name, dim] of Object.entries(PARAM_SPACES[algorithm].random)) {
        const value = PARAM_DEFAULTS[algorithm][name];
        const inside =
          dim.kind === 'choice'
            ? dim.values.includes(value!)
            : (value as number) >= dim.min && (value as number) <= dim.max;
        expect({ algorithm, name, value, inside }).toEqual({ algorithm, name, value, inside: true });
      }
      for (const strategy of ['random', 'grid'] as const) {
        const [first] = searchSpace([algorithm], { strategy, trials: 3 });
        expect(first).toEqual({ algorithm, params: {} });
      }
    }
  });

  it('rejects an empty algorithm list, unknown algorithms and strategies', () => {
    expect(() => [...searchSpace([])]).toThrow(RangeError);
    expect(() => [...searchSpace(['svm' as Algorithm])]).toThrow(RangeError);
    expect(() => [...searchSpace(all, { strategy: 'bayes' as 'grid' })]).toThrow(RangeError);
  });
});

describe('runSearch', () => {
  const iris = loadBuiltinDataset('iris');

  it('reports every trial, picks the best score and refits it on the train split', () => {
    const seen: TrialReport[] = [];
    const r = runSearch(iris, { algorithms: all, trials: 8, seed: 1 }, (t) => seen.push(t));
    expect(seen).toHaveLength(8);
    expect(seen.map((t) => t.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(seen.every((t) => t.total === 8)).toBe(true);
    expect(r.best.score).toBe(Math.max(...seen.map((t) => t.score)));
    expect(r.final.model.algorithm).toBe(r.best.algorithm);
    expect(r.final.split).toEqual({ train: 120, test: 30 });
    expect(r.final.metrics.accuracy).toBeGreaterThanOrEqual(0.9);
  });

  it('scores by k-fold CV and by negated log loss', () => {
    const r = runSearch(iris, { algorithms: ['logreg', 'tree'], trials: 4, cv: 3, metric: 'neg_log_loss' });
    expect(r.trials.every((t) => t.score <= 0)).toBe(true);
    expect(r.best.algorithm).toBe('logreg');
  });

  it('is deterministic for a seed', () => {
    const strip = (r: ReturnType<typeof runSearch>) => r.trials.map((t) => [t.algorithm, t.params, t.score]);
    const opts = { algorithms: ['tree', 'forest'] as Algorithm[], trials: 4, seed: 9 };
    expect(strip(runSearch(iris, opts))).toEqual(strip(runSearch(iris, opts)));
  });
});

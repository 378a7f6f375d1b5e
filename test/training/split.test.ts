import { DatasetError, mulberry32, stratifiedKFold, stratifiedSplit } from '../../training/index.js';

const y = [...Array(50).fill(0), ...Array(30).fill(1), ...Array(20).fill(2)] as number[];

describe('mulberry32', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = mulberry32(7);
    const b = mulberry32(7);
    const c = mulberry32(8);
    const sa = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(sa);
    expect(c()).not.toBe(sa[0]);
    expect(sa.every((v) => v >= 0 && v < 1)).toBe(true);
  });
});

describe('stratifiedSplit', () => {
  it('keeps class proportions, covers every row once and is seeded', () => {
    const s = stratifiedSplit(y, { testSize: 0.2, seed: 1 });
    expect(s.test).toHaveLength(20);
    expect([...s.train, ...s.test].sort((a, b) => a - b)).toEqual(y.map((_, i) => i));
    const testCounts = [0, 1, 2].map((c) => s.test.filter((i) => y[i] === c).length);
    expect(testCounts).toEqual([10, 6, 4]);
    expect(stratifiedSplit(y, { testSize: 0.2, seed: 1 })).toEqual(s);
    expect(stratifiedSplit(y, { testSize: 0.2, seed: 2 })).not.toEqual(s);
  });

  it('puts every class on both sides even for tiny classes', () => {
    const s = stratifiedSplit([0, 0, 1, 1, 1, 1, 1, 1, 1, 1], { testSize: 0.1 });
    expect(s.test.some((i) => i < 2)).toBe(true);
    expect(s.train.some((i) => i < 2)).toBe(true);
  });

  it('throws TOO_FEW_ROWS when a class has a single row', () => {
    expect(() => stratifiedSplit([0, 0, 0, 1])).toThrow(DatasetError);
    try {
      stratifiedSplit([0, 0, 0, 1]);
    } catch (e) {
      expect((e as DatasetError).code).toBe('TOO_FEW_ROWS');
    }
  });

  it('rejects testSize outside (0, 1) with RangeError', () => {
    expect(() => stratifiedSplit(y, { testSize: 1 })).toThrow(RangeError);
    expect(() => stratifiedSplit(y, { seed: 1.5 })).toThrow(TypeError);
  });
});

describe('stratifiedKFold', () => {
  it('partitions the rows into k disjoint, balanced test folds', () => {
    const folds = stratifiedKFold(y, { k: 5, seed: 3 });
    expect(folds).toHaveLength(5);
    const all = folds.flatMap((f) => [...f.test]).sort((a, b) => a - b);
    expect(all).toEqual(y.map((_, i) => i));
    for (const f of folds) {
      expect(f.test).toHaveLength(20);
      expect(f.train).toHaveLength(80);
      expect([0, 1, 2].map((c) => f.test.filter((i) => y[i] === c).length)).toEqual([10, 6, 4]);
    }
  });

  it('rejects k out of range', () => {
    expect(() => stratifiedKFold(y, { k: 1 })).toThrow(RangeError);
  });
});

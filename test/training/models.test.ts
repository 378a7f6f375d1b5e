import {
  ALGORITHM_SPECS,
  type Algorithm,
  type BuiltinDatasetName,
  loadBuiltinDataset,
  loadModel,
  ModelFormatError,
  rowsOf,
  trainModel,
} from '../../training/index.js';

const algorithms = Object.keys(ALGORITHM_SPECS) as Algorithm[];

describe.each(algorithms)('%s model', (algorithm) => {
  const wine = loadBuiltinDataset('wine');

  it('round-trips through toJSON/load with identical predictions', () => {
    const { model } = trainModel(wine, { algorithm, seed: 3 });
    const json = JSON.parse(JSON.stringify(model.toJSON()));
    expect(json).toMatchObject({ name: algorithm, version: 1 });
    const restored = loadModel(json);
    expect(restored.predictProba(rowsOf(wine))).toEqual(model.predictProba(rowsOf(wine)));
    expect(restored.predict(rowsOf(wine))).toEqual(model.predict(rowsOf(wine)));
    expect(restored.toOnnx()).toEqual(model.toOnnx());
  });

  it('rejects a wrong version tag, unknown params and wrongly sized rows', () => {
    const { model } = trainModel(wine, { algorithm, params: {} });
    expect(() => loadModel({ ...model.toJSON(), version: 99 })).toThrow(ModelFormatError);
    expect(() => trainModel(wine, { algorithm, params: { nope: 1 } })).toThrow(RangeError);
    expect(() => model.predict([[1, 2]])).toThrow(RangeError);
  });

  it('produces probabilities that sum to ~1 per row', () => {
    const { model } = trainModel(wine, { algorithm });
    for (const row of model.predictProba(rowsOf(wine).slice(0, 20))) {
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
  });
});

describe('accuracy targets on the held-out split (best algorithm per dataset)', () => {
  it.each<[BuiltinDatasetName, number]>([
    ['iris', 0.93],
    ['wine', 0.94],
    ['breast_cancer', 0.95],
  ])('%s ≥ %d', (name, target) => {
    const ds = loadBuiltinDataset(name);
    const best = Math.max(...algorithms.map((algorithm) => trainModel(ds, { algorithm }).metrics.accuracy));
    expect(best).toBeGreaterThanOrEqual(target);
  });
});

describe('param validation', () => {
  const iris = loadBuiltinDataset('iris');
  it.each<[Algorithm, Record<string, number | string | boolean>, ErrorConstructor]>([
    ['tree', { max_depth: 0 }, RangeError],
    ['tree', { max_depth: 2.5 }, TypeError],
    ['forest', { max_features: 'half' }, RangeError],
    ['forest', { bootstrap: 'yes' }, TypeError],
    ['gbt', { learning_rate: 2 }, RangeError],
    ['logreg', { l2: 'big' }, TypeError],
  ])('%s rejects %j', (algorithm, params, type) => {
    expect(() => trainModel(iris, { algorithm, params })).toThrow(type);
  });

  it('rejects an unknown algorithm', () => {
    expect(() => trainModel(iris, { algorithm: 'svm' as Algorithm })).toThrow(RangeError);
  });
});

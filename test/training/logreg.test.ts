import {
  LogisticRegression,
  loadBuiltinDataset,
  loadModel,
  ModelFormatError,
  rowsOf,
  trainModel,
} from '../../training/index.js';

describe('logistic regression', () => {
  const iris = loadBuiltinDataset('iris');

  it('reaches ≥ 0.93 accuracy on the iris test split', () => {
    const r = trainModel(iris, { algorithm: 'logreg', seed: 42 });
    expect(r.metrics.accuracy).toBeGreaterThanOrEqual(0.93);
    expect(r.split).toEqual({ train: 120, test: 30 });
    expect(r.model.params).toEqual({ l2: 0.01, max_iter: 200, tol: 1e-6 });
  });

  it('round-trips through toJSON/load with identical predictions', () => {
    const { model } = trainModel(iris, { algorithm: 'logreg', params: { l2: 0.1 } });
    const restored = loadModel(JSON.parse(JSON.stringify(model.toJSON())));
    expect(restored).toBeInstanceOf(LogisticRegression);
    expect(restored.predictProba(rowsOf(iris))).toEqual(model.predictProba(rowsOf(iris)));
  });

  it('rejects a wrong tag on load and bad params/inputs', () => {
    const { model } = trainModel(iris, { algorithm: 'logreg' });
    expect(() => LogisticRegression.load({ ...model.toJSON(), version: 99 })).toThrow(ModelFormatError);
    expect(() => trainModel(iris, { algorithm: 'logreg', params: { l2: -1 } })).toThrow(RangeError);
    expect(() => trainModel(iris, { algorithm: 'logreg', params: { nope: 1 } })).toThrow(RangeError);
    expect(() => model.predict([[1, 2]])).toThrow(RangeError);
  });
});

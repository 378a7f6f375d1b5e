import {
  type BuiltinDatasetName,
  LogisticRegression,
  loadBuiltinDataset,
  loadModel,
  ModelFormatError,
  selectRows,
  stratifiedSplit,
  trainModel,
} from '../../training/index.js';
import { runPythonJson, withPython } from '../helpers/python.js';

// scikit-learn's LogisticRegression() (C = 1, lbfgs, multinomial) behind a StandardScaler, fitted on the
// same rows, to tight tolerance: what the default l2 = 1 is meant to reproduce.
const SKLEARN_FIT = `
import json, sys
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
d = json.load(sys.stdin)
m = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, tol=1e-10, max_iter=10000))
m.fit(np.array(d["X"]), np.array(d["y"]))
print(json.dumps(m.predict_proba(np.array(d["T"])).tolist()))
`;

describe('logistic regression', () => {
  const iris = loadBuiltinDataset('iris');

  it('reaches ≥ 0.93 accuracy on the iris test split', () => {
    const r = trainModel(iris, { algorithm: 'logreg', seed: 42 });
    expect(r.metrics.accuracy).toBeGreaterThanOrEqual(0.93);
    expect(r.split).toEqual({ train: 120, test: 30 });
    expect(r.model.params).toEqual({ l2: 1, max_iter: 200, tol: 1e-6 });
  });

  it('round-trips through toJSON/load with identical predictions', () => {
    const { model } = trainModel(iris, { algorithm: 'logreg', params: { l2: 0.1 } });
    const restored = loadModel(JSON.parse(JSON.stringify(model.toJSON())));
    expect(restored).toBeInstanceOf(LogisticRegression);
    expect(restored.predictProba(iris.X)).toEqual(model.predictProba(iris.X));
  });

  it('rejects a wrong tag on load and bad params/inputs', () => {
    const { model } = trainModel(iris, { algorithm: 'logreg' });
    expect(() => LogisticRegression.load({ ...model.toJSON(), version: 99 })).toThrow(ModelFormatError);
    expect(() => trainModel(iris, { algorithm: 'logreg', params: { l2: -1 } })).toThrow(RangeError);
    expect(() => trainModel(iris, { algorithm: 'logreg', params: { nope: 1 } })).toThrow(RangeError);
    expect(() => model.predict([[1, 2]])).toThrow(RangeError);
  });

  withPython('sklearn')("the default regularisation is scikit-learn's C = 1, whatever the row count", () => {
    for (const name of ['iris', 'wine', 'breast_cancer'] as BuiltinDatasetName[]) {
      const ds = loadBuiltinDataset(name);
      const split = stratifiedSplit(ds.y, { seed: 42 });
      const train = selectRows(ds, split.train);
      const test = selectRows(ds, split.test);
      const { model } = trainModel(ds, { algorithm: 'logreg', seed: 42, split });
      const expected = runPythonJson<number[][]>(
        ['-c', SKLEARN_FIT],
        JSON.stringify({ X: train.X, y: train.y, T: test.X }),
      );
      const got = model.predictProba(test.X);
      const worst = Math.max(...got.flatMap((row, i) => row.map((p, c) => Math.abs(p - expected[i]![c]!))));
      expect(worst).toBeLessThan(2e-3);
    }
  });
});

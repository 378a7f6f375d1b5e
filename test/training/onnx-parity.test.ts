import {
  ALGORITHM_SPECS,
  type Algorithm,
  type BuiltinDatasetName,
  loadBuiltinDataset,
  loadModel,
  selectRows,
  stratifiedSplit,
  trainModel,
} from '../../training/index.js';
import { runOnnx } from './onnx-helpers.js';

const datasets: BuiltinDatasetName[] = ['iris', 'wine', 'breast_cancer'];
const algorithms = Object.keys(ALGORITHM_SPECS) as Algorithm[];

describe.each(algorithms)('ONNX export of %s', (algorithm) => {
  it.each(datasets)('matches the in-memory model on the whole %s test split', async (name) => {
    const ds = loadBuiltinDataset(name);
    const { model, onnx } = trainModel(ds, { algorithm, seed: 42 });
    const test = selectRows(ds, stratifiedSplit(ds.y, { seed: 42 }).test);

    const expectedProba = model.predictProba(test.X);
    const expectedLabels = model.predict(test.X).map((c) => ds.classes[c]);
    const got = await runOnnx(onnx, test.X);

    expect(got.labels).toEqual(expectedLabels);
    expect(got.probabilities).toHaveLength(test.X.length);
    got.probabilities.forEach((row, i) => {
      expect(row).toHaveLength(ds.classes.length);
      row.forEach((p, c) => {
        expect(Math.abs(p - expectedProba[i]![c]!)).toBeLessThanOrEqual(1e-5);
      });
    });
  });
});

describe('two-class gbt whose leaves are all positive', () => {
  it('labels class 1 exactly when the log-odds score is above 0, in onnxruntime too', async () => {
    const tree = {
      feature: [0, -1, -1],
      threshold: [0.5, 0, 0],
      left: [1, 0, 0],
      right: [2, 0, 0],
      value: [[], [0.2], [3]],
    };
    const model = loadModel({
      name: 'gbt',
      version: 1,
      classes: ['a', 'b'],
      featureNames: ['x'],
      params: {},
      state: { trees: [tree], classIds: [0], baseValues: [0], learningRate: 1 },
    });
    const X = [[0], [1], [0.4]];
    const got = await runOnnx(model.toOnnx(), X);
    expect(model.predict(X)).toEqual([1, 1, 1]);
    expect(got.labels).toEqual(['b', 'b', 'b']);
    const expected = model.predictProba(X);
    got.probabilities.forEach((row, i) => {
      row.forEach((p, c) => {
        expect(Math.abs(p - expected[i]![c]!)).toBeLessThanOrEqual(1e-6);
      });
    });
  });
});

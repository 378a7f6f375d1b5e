import {
  ALGORITHM_SPECS,
  type Algorithm,
  type BuiltinDatasetName,
  loadBuiltinDataset,
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

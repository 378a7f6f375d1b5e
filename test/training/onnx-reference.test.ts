import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ALGORITHMS,
  type BuiltinDatasetName,
  loadBuiltinDataset,
  type Params,
  selectRows,
  stratifiedSplit,
  trainModel,
} from '../../training/index.js';
import { runPythonJson, withPython } from '../helpers/python.js';

const SCRIPT = fileURLToPath(new URL('./onnx_reference.py', import.meta.url));
const pythonTest = withPython('onnx', 'numpy');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'onnx-ref-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Scored {
  evaluator: string;
  labels: string[];
  probabilities: number[][];
}

// Binary (breast_cancer) and multiclass (iris) graphs of every algorithm, scored by the ONNX spec's
// meaning (onnx.checker + onnx's reference evaluator, or a numpy interpreter of the spec where the
// installed onnx has no reference evaluator), not by onnxruntime.
const cases = ALGORITHMS.flatMap((algorithm) =>
  (['breast_cancer', 'iris'] as BuiltinDatasetName[]).map((name) => [algorithm, name] as const),
);

describe('exported graphs mean the same outside onnxruntime', () => {
  pythonTest.each(cases)('%s on %s', (algorithm, name) => {
    const ds = loadBuiltinDataset(name);
    // Fewer trees keep the pure-Python walk quick; the graph shape is the same as with the defaults.
    const params: Params =
      algorithm === 'forest' ? { n_trees: 20 } : algorithm === 'gbt' ? { n_rounds: 20 } : {};
    const { model, onnx } = trainModel(ds, { algorithm, seed: 42, params });
    const test = selectRows(ds, stratifiedSplit(ds.y, { seed: 42 }).test);
    const modelFile = join(dir, `${algorithm}-${name}.onnx`);
    const rowsFile = join(dir, `${algorithm}-${name}.json`);
    writeFileSync(modelFile, onnx);
    writeFileSync(rowsFile, JSON.stringify(test.X));
    const got = runPythonJson<Scored>([SCRIPT, modelFile, rowsFile]);
    expect(got.evaluator).toMatch(/onnx\.reference|spec interpreter/);
    expect(got.labels).toEqual(model.predict(test.X).map((c) => ds.classes[c]));
    const expected = model.predictProba(test.X);
    got.probabilities.forEach((row, i) => {
      expect(row).toHaveLength(ds.classes.length);
      row.forEach((p, c) => {
        expect(Math.abs(p - expected[i]![c]!)).toBeLessThanOrEqual(1e-5);
      });
    });
  });
});

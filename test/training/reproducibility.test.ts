import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import {
  ALGORITHM_SPECS,
  type Algorithm,
  builtinDataset,
  loadBuiltinDataset,
  parseDataset,
  readDataset,
  trainModel,
} from '../../training/index.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe.each(Object.keys(ALGORITHM_SPECS) as Algorithm[])('%s reproducibility', (algorithm) => {
  it('gives byte-identical ONNX for the same data, seed and params', () => {
    const ds = loadBuiltinDataset('wine');
    const a = trainModel(ds, { algorithm, seed: 7 });
    const b = trainModel(loadBuiltinDataset('wine'), { algorithm, seed: 7 });
    expect(sha(a.onnx)).toBe(sha(b.onnx));
    expect(a.metrics).toEqual(b.metrics);
    const text = Buffer.from(a.onnx).toString('latin1');
    expect(text).toContain('serverless-mlops');
  });
});

describe('histogram gbt reproducibility with early stopping and subsampling', () => {
  it('gives byte-identical ONNX and stops at the same round, from a gzip stream or the plain bytes', async () => {
    const { csv, target } = builtinDataset('breast_cancer');
    const params = { early_stopping: true, subsample: 0.7, n_rounds: 200, learning_rate: 0.3 };
    const plain = trainModel(parseDataset(csv, { target }), { algorithm: 'gbt', seed: 5, params });
    const streamed = await readDataset(
      (async function* () {
        yield gzipSync(csv);
      })(),
      { target },
    );
    const again = trainModel(streamed, { algorithm: 'gbt', seed: 5, params });
    expect(sha(again.onnx)).toBe(sha(plain.onnx));
    expect(again.model.toJSON().state).toEqual(plain.model.toJSON().state);
    expect((plain.model.toJSON().state as { rounds: number }).rounds).toBeLessThan(200);
  });
});

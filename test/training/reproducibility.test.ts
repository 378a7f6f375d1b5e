import { createHash } from 'node:crypto';
import { ALGORITHM_SPECS, type Algorithm, loadBuiltinDataset, trainModel } from '../../training/index.js';

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

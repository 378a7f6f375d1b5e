import * as ort from 'onnxruntime-web';

ort.env.wasm.numThreads = 1;

export interface OnnxOutputs {
  labels: string[];
  probabilities: number[][];
}

/** Runs an exported model in onnxruntime-web on raw feature rows. */
export async function runOnnx(bytes: Uint8Array, X: number[][]): Promise<OnnxOutputs> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const F = X[0]?.length ?? 0;
    const input = new ort.Tensor('float32', Float32Array.from(X.flat()), [X.length, F]);
    const out = await session.run({ features: input });
    const label = out['label'];
    const proba = out['probabilities'];
    if (!label || !proba) throw new Error('model lacks label/probabilities outputs');
    const C = proba.dims[1] ?? 0;
    const data = proba.data as Float32Array;
    return {
      labels: [...(label.data as string[])],
      probabilities: X.map((_, i) => Array.from(data.subarray(i * C, (i + 1) * C))),
    };
  } finally {
    await session.release();
  }
}

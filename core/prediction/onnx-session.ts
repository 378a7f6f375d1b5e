import * as ort from 'onnxruntime-web';

/**
 * onnxruntime-web on its WebAssembly CPU backend. One thread: Lambda gives a fraction of a
 * core per request and threads would need SharedArrayBuffer workers for no gain on tiny models.
 * Every graph we export takes `features` float32 [N, F] and returns `label` [N] and
 * `probabilities` float32 [N, C] in the order of the model's classes.
 */
ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';

export interface ScoredBatch {
  readonly labels: string[];
  readonly probabilities: Float32Array;
  readonly classCount: number;
}

export class OnnxModel {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly featureCount: number,
  ) {}

  static async load(bytes: Uint8Array, featureCount: number): Promise<OnnxModel> {
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
    for (const name of ['label', 'probabilities']) {
      if (!session.outputNames.includes(name)) throw new Error(`ONNX model has no "${name}" output`);
    }
    return new OnnxModel(session, featureCount);
  }

  async score(rows: Float32Array, rowCount: number): Promise<ScoredBatch> {
    const input = new ort.Tensor('float32', rows, [rowCount, this.featureCount]);
    const out = await this.session.run({ features: input });
    const label = out['label']!;
    const probabilities = out['probabilities']!;
    const classCount = probabilities.dims[1] ?? 0;
    const result = {
      labels: Array.from(label.data as ArrayLike<string | bigint | number>, String),
      probabilities: Float32Array.from(probabilities.data as Float32Array),
      classCount,
    };
    input.dispose();
    return result;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

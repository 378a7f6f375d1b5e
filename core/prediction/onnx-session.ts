import * as ort from 'onnxruntime-web';
import { encodeModel, TensorElemType } from '../../training/onnx/onnx-model.js';

/**
 * onnxruntime-web on its WebAssembly CPU backend. One thread: Lambda gives a fraction of a
 * core per request and threads would need SharedArrayBuffer workers for no gain on tiny models.
 * Every graph we export takes `features` float32 [N, F] and returns `label` [N] and
 * `probabilities` float32 [N, C] in the order of the model's classes.
 */
ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';

let runtimeReady: Promise<void> | undefined;

/**
 * Compiles the wasm binary and initialises the ONNX runtime (most of a cold start: ~14 MB of
 * wasm and the runtime's own start-up) by opening a one-node Identity graph, so that it can run
 * while the model is still being fetched. Idempotent.
 */
export function warmRuntime(): Promise<void> {
  runtimeReady ??= (async () => {
    const identity = encodeModel({
      name: 'warmup',
      nodes: [{ opType: 'Identity', domain: '', name: 'id', inputs: ['x'], outputs: ['y'], attributes: [] }],
      inputs: [{ name: 'x', elemType: TensorElemType.FLOAT, shape: [1] }],
      outputs: [{ name: 'y', elemType: TensorElemType.FLOAT, shape: [1] }],
    });
    const session = await ort.InferenceSession.create(identity, { executionProviders: ['wasm'] });
    await session.release();
  })();
  runtimeReady.catch(() => {
    runtimeReady = undefined;
  });
  return runtimeReady;
}

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

import { closeSync, existsSync, fstatSync, openSync, read } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-web';
import { encodeModel, TensorElemType } from '../../training/onnx/onnx-model.js';

/**
 * onnxruntime-web on its WebAssembly CPU backend. One thread: Lambda gives a fraction of a
 * core per request and threads would need SharedArrayBuffer workers for no gain on tiny models.
 * Every graph we export takes `features` float32 [N, F] and returns `label` [N] and
 * `probabilities` float32 [N, C] in the order of the model's classes.
 */
let configured = false;
/** At first use rather than at import, so a bundle that never predicts can drop this module. */
function configureRuntime(): void {
  if (configured) return;
  configured = true;
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'error';
}

const WASM_FILE = 'ort-wasm-simd-threaded.wasm';

/**
 * Where the runtime will look for its wasm: beside the bundle in a Lambda package (the CDK copies
 * it there, and the bundled runtime resolves it from `import.meta.url`), else in node_modules.
 */
function wasmPath(): string | undefined {
  const besideBundle = fileURLToPath(new URL(`./${WASM_FILE}`, import.meta.url));
  if (existsSync(besideBundle)) return besideBundle;
  try {
    return createRequire(import.meta.url).resolve(`onnxruntime-web/${WASM_FILE}`);
  } catch {
    return undefined;
  }
}

/**
 * The whole file in one read request, issued before this returns. `fs.readFile` reads in 512 KB
 * chunks, each needing the event loop, which stays busy until the importing bundle has been
 * evaluated: that left ~60 ms of reading after the import. One request reads on the thread pool
 * meanwhile.
 */
function readWhole(path: string): Promise<ArrayBuffer> {
  const fd = openSync(path, 'r');
  const size = fstatSync(fd).size;
  const buffer = new ArrayBuffer(size);
  const view = new Uint8Array(buffer);
  return new Promise((resolve, reject) => {
    const next = (offset: number) =>
      read(fd, view, offset, size - offset, offset, (error, bytesRead) => {
        if (!error && bytesRead > 0 && offset + bytesRead < size) return next(offset + bytesRead);
        closeSync(fd);
        if (error || offset + bytesRead < size) reject(error ?? new Error(`short read of ${path}`));
        else resolve(buffer);
      });
    next(0);
  });
}

let prefetched: Promise<void> | undefined;

/**
 * Starts reading the 14 MB wasm on the thread pool, for a process about to serve (the predict
 * function calls this before its other imports are evaluated, so the read overlaps them). The
 * runtime then gets the bytes as an ArrayBuffer, which it wraps rather than copies: it neither
 * reads the file again nor touches another 14 MB of fresh memory. Best effort: if anything fails
 * the runtime reads the file itself as before.
 */
export function prefetchRuntime(): Promise<void> {
  prefetched ??= (async () => {
    configureRuntime();
    const path = wasmPath();
    if (!path || ort.env.wasm.wasmBinary) return;
    ort.env.wasm.wasmBinary = await readWhole(path);
  })().catch(() => undefined);
  return prefetched;
}

let runtimeReady: Promise<void> | undefined;

/**
 * Compiles the wasm binary and initialises the ONNX runtime (most of a cold start: ~14 MB of
 * wasm and the runtime's own start-up) by opening a one-node Identity graph, so that it can run
 * while the model is still being fetched. Idempotent.
 */
export function warmRuntime(): Promise<void> {
  runtimeReady ??= (async () => {
    await prefetchRuntime();
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
    configureRuntime();
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
    for (const name of ['label', 'probabilities']) {
      if (!session.outputNames.includes(name)) throw new Error(`ONNX model has no "${name}" output`);
    }
    const model = new OnnxModel(session, featureCount);
    // A session's first run sets up its kernels' state (most of a cold first request's 20 ms
    // here): do it while loading, and a graph that loads but cannot score fails the load, so the
    // version already serving keeps serving.
    await model.score(new Float32Array(featureCount), 1);
    return model;
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

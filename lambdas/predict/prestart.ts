import { warmRuntime } from '../../core/prediction/onnx-session.js';

// First thing at cold start, before the other imports are evaluated: the wasm read starts now and
// the ONNX runtime starts as soon as it is in, concurrently with the registry lookup and model
// fetch that the handler's warm-up begins. A failure is retried by the first model load.
void warmRuntime().catch(() => undefined);

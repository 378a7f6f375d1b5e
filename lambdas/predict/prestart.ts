import { prefetchRuntime } from '../../core/prediction/onnx-session.js';

// First thing at cold start, before the other imports are evaluated: see prefetchRuntime.
void prefetchRuntime();

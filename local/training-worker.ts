import { parentPort } from 'node:worker_threads';
import { type MetricsSink, redirectMetrics } from '../core/metrics/index.js';
import type { TrainEvent } from '../lambdas/train/handler.js';

/**
 * A worker thread that runs one training run through the train function's own handler, off the
 * local server's event loop (local/worker-launcher.ts). Its metrics go to the parent, whose
 * GET /metrics shows them, as a Lambda's reach CloudWatch and AMP.
 */
export type WorkerMessage =
  | { readonly kind: 'metric'; readonly hook: keyof MetricsSink; readonly args: unknown[] }
  | { readonly kind: 'done'; readonly result: unknown }
  | { readonly kind: 'failed'; readonly error: string };

const port = parentPort;
if (!port) throw new Error('local/training-worker.ts runs as a worker thread');

const forward =
  (hook: keyof MetricsSink) =>
  (...args: unknown[]) =>
    port.postMessage({ kind: 'metric', hook, args } satisfies WorkerMessage);
redirectMetrics({
  request: forward('request'),
  prediction: forward('prediction'),
  inference: forward('inference'),
  error: forward('error'),
  modelLoad: forward('modelLoad'),
  modelDegraded: forward('modelDegraded'),
  trainingRun: forward('trainingRun'),
  productionModel: forward('productionModel'),
  flush: async () => {},
});

port.once('message', async (event: TrainEvent & { runId: string }) => {
  try {
    const { handler } = await import('../lambdas/train/handler.js');
    port.postMessage({ kind: 'done', result: await handler(event) } satisfies WorkerMessage);
  } catch (error) {
    port.postMessage({
      kind: 'failed',
      error: error instanceof Error ? error.message : String(error),
    } satisfies WorkerMessage);
  }
  port.close();
});

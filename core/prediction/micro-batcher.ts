import type { OnnxModel, ScoredBatch } from './onnx-session.js';

interface Pending {
  readonly matrix: Float32Array;
  readonly rows: number;
  resolve(batch: ScoredBatch): void;
  reject(error: unknown): void;
}

/** Keep one merged run bounded (memory, and the latency of the requests that share it). */
const MAX_MERGED_ROWS = 4096;

/**
 * Requests that reach the same model in the same event-loop turn are scored in one ONNX run
 * (flushed on setImmediate, i.e. after the turn's I/O callbacks). Each run has a fixed cost in
 * onnxruntime-web's JS wrapper and wasm entry; under concurrent load (the local server, a
 * container deployment) merging amortises it. A lone request (one Lambda invocation) pays one
 * setImmediate hop.
 */
export class MicroBatcher {
  private readonly queues = new Map<OnnxModel, Pending[]>();

  score(model: OnnxModel, matrix: Float32Array, rows: number): Promise<ScoredBatch> {
    return new Promise((resolve, reject) => {
      let queue = this.queues.get(model);
      if (!queue) {
        queue = [];
        this.queues.set(model, queue);
        setImmediate(() => this.flush(model));
      }
      queue.push({ matrix, rows, resolve, reject });
    });
  }

  private flush(model: OnnxModel): void {
    const queue = this.queues.get(model) ?? [];
    this.queues.delete(model);
    let group: Pending[] = [];
    let groupRows = 0;
    for (const pending of queue) {
      if (group.length > 0 && groupRows + pending.rows > MAX_MERGED_ROWS) {
        void this.run(model, group, groupRows);
        group = [];
        groupRows = 0;
      }
      group.push(pending);
      groupRows += pending.rows;
    }
    if (group.length > 0) void this.run(model, group, groupRows);
  }

  private async run(model: OnnxModel, group: Pending[], totalRows: number): Promise<void> {
    if (group.length === 1) {
      const only = group[0]!;
      await model.score(only.matrix, only.rows).then(only.resolve, only.reject);
      return;
    }
    const merged = new Float32Array(totalRows * model.featureCount);
    let offset = 0;
    for (const pending of group) {
      merged.set(pending.matrix, offset * model.featureCount);
      offset += pending.rows;
    }
    let scored: ScoredBatch;
    try {
      scored = await model.score(merged, totalRows);
    } catch (error) {
      for (const pending of group) pending.reject(error);
      return;
    }
    const c = scored.classCount;
    offset = 0;
    for (const pending of group) {
      pending.resolve({
        labels: scored.labels.slice(offset, offset + pending.rows),
        probabilities: scored.probabilities.subarray(offset * c, (offset + pending.rows) * c),
        classCount: c,
      });
      offset += pending.rows;
    }
  }
}

/**
 * The metric hooks the request path and training call. This first version only counts in
 * memory; the metrics module proper (Prometheus names, EMF in Lambda) replaces the bodies.
 */
export interface MetricsSink {
  request(route: string, status: number, durationMs: number): void;
  prediction(model: string, version: number, label: string): void;
  inference(durationMs: number, rows: number): void;
  error(type: string): void;
  modelLoad(model: string, version: number, ok: boolean): void;
}

export const metrics: MetricsSink = {
  request() {},
  prediction() {},
  inference() {},
  error() {},
  modelLoad() {},
};

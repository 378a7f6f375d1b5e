import { Sha256 } from '@aws-crypto/sha256-js';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import { compress } from 'snappyjs';
// The ONNX exporter's protobuf writer serves here too: remote write needs four tiny messages, not a
// reflection runtime (protobufjs would add ~120 KB to every function bundle).
import { ProtoWriter } from '../../training/onnx/protobuf-writer.js';

export interface Label {
  readonly name: string;
  readonly value: string;
}

export interface TimeSeries {
  readonly labels: Label[];
  readonly samples: { value: number; timestamp: number }[];
}

/**
 * Turns prom-client's JSON snapshot into remote-write series: `__name__` plus labels, sorted by
 * name as the spec requires, one sample each at `timestampMs`.
 */
export function toTimeSeries(
  snapshot: readonly MetricObjectWithValues<MetricValue<string>>[],
  extraLabels: Readonly<Record<string, string>>,
  timestampMs: number,
): TimeSeries[] {
  const series: TimeSeries[] = [];
  for (const metric of snapshot) {
    for (const value of metric.values) {
      if (!Number.isFinite(value.value)) continue;
      const name = (value as { metricName?: string }).metricName ?? metric.name;
      const labels: Record<string, string> = { ...extraLabels, __name__: name };
      for (const [k, v] of Object.entries(value.labels)) if (v !== undefined) labels[k] = String(v);
      series.push({
        labels: Object.keys(labels)
          .sort()
          .map((k) => ({ name: k, value: labels[k]! })),
        samples: [{ value: value.value, timestamp: timestampMs }],
      });
    }
  }
  return series;
}

/** protobuf WriteRequest, snappy block-compressed: the body a remote-write endpoint accepts. */
export function encodeWriteRequest(timeseries: readonly TimeSeries[]): Uint8Array {
  // prompb: WriteRequest{1: TimeSeries}, TimeSeries{1: Label, 2: Sample}, Label{1: name, 2: value},
  // Sample{1: double value, 2: int64 timestamp}.
  const request = new ProtoWriter();
  for (const series of timeseries) {
    request.message(1, (ts) => {
      for (const label of series.labels) ts.message(1, (l) => l.string(1, label.name).string(2, label.value));
      for (const sample of series.samples)
        ts.message(2, (m) => m.double(1, sample.value).int(2, sample.timestamp));
    });
  }
  return compress(request.finish());
}

export interface RemoteWriterOptions {
  /** e.g. https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-.../api/v1/remote_write */
  readonly url: string;
  /** The current series; called at each flush. */
  readonly collect: () => Promise<TimeSeries[]>;
  /** @default the region in an AMP URL, else AWS_REGION */
  readonly region?: string;
  /** @default the SDK's default chain (Lambda role, env, profile) */
  readonly credentials?: AwsCredentialIdentityProvider;
  /** @default 'aps' */
  readonly service?: string;
  readonly onError?: (error: unknown) => void;
}

/**
 * Sends the registry's current values to AMP, SigV4-signed. Counters are cumulative in the
 * registry, so each flush carries everything observed so far: a failed flush loses nothing
 * but resolution, and there is no sample queue to grow without bound.
 */
export class RemoteWriter {
  private readonly signer: SignatureV4;
  private inflight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  lastFlushAt = 0;

  constructor(private readonly options: RemoteWriterOptions) {
    const region =
      options.region ??
      /aps-workspaces\.([a-z0-9-]+)\.amazonaws\.com/.exec(options.url)?.[1] ??
      process.env['AWS_REGION'] ??
      'us-east-1';
    this.signer = new SignatureV4({
      service: options.service ?? 'aps',
      region,
      credentials: options.credentials ?? defaultProvider(),
      sha256: Sha256,
    });
  }

  /** Flushes every `intervalMs` in the background; the timer never keeps the process alive. */
  start(intervalMs: number): void {
    this.timer ??= setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Whether a send is in progress (background flushes skip a turn rather than queue). */
  get busy(): boolean {
    return this.inflight !== undefined;
  }

  /**
   * Sends the current values. One send at a time: a flush asked for while one runs waits for it,
   * then sends again, so everything observed before the call is included.
   */
  flush(): Promise<void> {
    const previous = this.inflight ?? Promise.resolve();
    const next = previous
      .then(() => this.send())
      .catch((error) => this.options.onError?.(error))
      .finally(() => {
        if (this.inflight === next) this.inflight = undefined;
      });
    this.inflight = next;
    return next;
  }

  private async send(): Promise<void> {
    this.lastFlushAt = Date.now();
    const series = await this.options.collect();
    if (series.length === 0) return;
    const body = encodeWriteRequest(series);
    const url = new URL(this.options.url);
    const request = new HttpRequest({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      headers: {
        host: url.host,
        'content-type': 'application/x-protobuf',
        'content-encoding': 'snappy',
        'x-prometheus-remote-write-version': '0.1.0',
      },
      body,
    });
    const signed = await this.signer.sign(request);
    const response = await fetch(url, {
      method: 'POST',
      headers: signed.headers as Record<string, string>,
      body,
      signal: AbortSignal.timeout(5000),
    });
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      throw new Error(`remote write to ${url.host} failed: ${response.status} ${text.slice(0, 200)}`);
    }
  }
}

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import protobuf from 'protobufjs';
import { uncompress } from 'snappyjs';
import { PlatformMetrics } from '../../core/metrics/index.js';

/**
 * A loopback stand-in for the AMP remote-write endpoint: decodes snappy + protobuf with its own
 * copy of the prompb schema (not the product's), so the encoder is checked against the spec.
 */
const PROMPB = `
syntax = "proto3";
package prometheus;
message WriteRequest { repeated TimeSeries timeseries = 1; reserved 2; }
message TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; }
message Label { string name = 1; string value = 2; }
message Sample { double value = 1; int64 timestamp = 2; }
`;
const WriteRequest = protobuf.parse(PROMPB).root.lookupType('prometheus.WriteRequest');

interface Received {
  headers: IncomingHttpHeaders;
  series: { labels: Record<string, string>; value: number; timestamp: number }[];
}

let server: Server;
let url: string;
const received: Received[] = [];
let answerStatus = 200;

beforeAll(async () => {
  process.env['AWS_ACCESS_KEY_ID'] = 'AKIDEXAMPLE';
  process.env['AWS_SECRET_ACCESS_KEY'] = 'secret';
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = uncompress(new Uint8Array(Buffer.concat(chunks)));
      const decoded = WriteRequest.toObject(WriteRequest.decode(raw), { longs: Number }) as {
        timeseries: {
          labels: { name: string; value: string }[];
          samples: { value: number; timestamp: number }[];
        }[];
      };
      received.push({
        headers: req.headers,
        series: decoded.timeseries.map((ts) => ({
          labels: Object.fromEntries(ts.labels.map((l) => [l.name, l.value])),
          value: ts.samples[0]!.value,
          timestamp: ts.samples[0]!.timestamp,
        })),
      });
      res.writeHead(answerStatus).end(answerStatus === 200 ? '' : 'throttled');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/workspaces/ws-test/api/v1/remote_write`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received.length = 0;
  answerStatus = 200;
});

test('flush sends every series with __name__, labels sorted, SigV4 for aps and snappy protobuf headers', async () => {
  const now = 1_767_225_600_000;
  const m = new PlatformMetrics({
    remoteWriteUrl: url,
    remoteWriteLabels: { job: 'mlops-predict', instance: 'predict:abc' },
    now: () => now,
  });
  try {
    m.request('POST /predict', 200, 20);
    m.prediction('iris', 1, 'setosa');
    await m.flush();
  } finally {
    m.close();
  }
  // The end of the request may already have started a background flush; the explicit one is last.
  expect(received.length).toBeGreaterThanOrEqual(1);
  const request = received.at(-1);
  expect(request!.headers['content-encoding']).toBe('snappy');
  expect(request!.headers['content-type']).toBe('application/x-protobuf');
  expect(request!.headers['x-prometheus-remote-write-version']).toBe('0.1.0');
  expect(request!.headers['authorization']).toMatch(
    /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/[a-z0-9-]+\/aps\/aws4_request/,
  );

  const find = (name: string, labels: Record<string, string> = {}) =>
    request!.series.find(
      (s) => s.labels['__name__'] === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
    );
  expect(find('mlops_http_requests_total', { route: 'POST /predict', status: '200' })).toEqual({
    labels: {
      __name__: 'mlops_http_requests_total',
      instance: 'predict:abc',
      job: 'mlops-predict',
      route: 'POST /predict',
      status: '200',
    },
    value: 1,
    timestamp: now,
  });
  expect(find('mlops_predictions_total', { model: 'iris', version: '1', class: 'setosa' })?.value).toBe(1);
  expect(find('mlops_http_request_duration_seconds_bucket', { le: '0.025' })?.value).toBe(1);
  expect(find('mlops_http_request_duration_seconds_bucket', { le: '+Inf' })?.value).toBe(1);
  expect(find('mlops_http_request_duration_seconds_count')?.value).toBe(1);
  for (const series of request!.series) {
    const names = Object.keys(series.labels);
    expect(names).toEqual([...names].sort());
  }
});

test('a failed write is reported, not thrown, and the next flush carries the cumulative value', async () => {
  const errors: unknown[] = [];
  const m = new PlatformMetrics({ remoteWriteUrl: url, onError: (e) => errors.push(e) });
  try {
    answerStatus = 429;
    m.error('INTERNAL');
    await m.flush();
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toContain('429');
    answerStatus = 200;
    m.error('INTERNAL');
    await m.flush();
  } finally {
    m.close();
  }
  const last = received.at(-1)!;
  const series = last.series.find((s) => s.labels['__name__'] === 'mlops_errors_total');
  expect(series?.value).toBe(2);
});

test('a request never waits on remote write', async () => {
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const slow = createServer((req, res) => {
    req.resume();
    void gate.then(() => res.end());
  });
  await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
  const m = new PlatformMetrics({
    remoteWriteUrl: `http://127.0.0.1:${(slow.address() as AddressInfo).port}/api/v1/remote_write`,
    flushIntervalMs: 0,
  });
  try {
    const started = performance.now();
    m.request('GET /health', 200, 1); // due (interval 0): starts a flush in the background
    expect(performance.now() - started).toBeLessThan(50);
  } finally {
    release();
    await m.flush();
    m.close();
    slow.closeAllConnections();
    await new Promise((resolve) => slow.close(resolve));
  }
});

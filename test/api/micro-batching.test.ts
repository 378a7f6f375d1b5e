import { jest } from '@jest/globals';
import { predictionService } from '../../core/services/index.js';
import { startLocalRuntime } from '../../local/runtime.js';
import { trainIris } from './fixtures.js';

/** Concurrent predictions share ONNX runs; each caller must still get exactly its own rows back. */
let stop: () => Promise<void>;

beforeAll(async () => {
  const runtime = await startLocalRuntime({ ephemeral: true });
  stop = () => runtime.stop();
  await trainIris();
}, 120_000);
afterAll(() => stop?.());

const SETOSA = [5.1, 3.5, 1.4, 0.2];
const VIRGINICA = [6.7, 3.0, 5.2, 2.3];
const VERSICOLOR = [5.9, 3.0, 4.2, 1.5];

test('concurrent requests of different sizes get the same answers as sequential ones', async () => {
  const requests = Array.from({ length: 40 }, (_, i) => {
    const pick = [SETOSA, VIRGINICA, VERSICOLOR];
    const size = (i % 5) + 1;
    return Array.from({ length: size }, (_, j) => pick[(i + j) % 3]!);
  });
  const service = predictionService();
  const sequential = [];
  for (const rows of requests) sequential.push(await service.predict({ rows, single: false }));
  const concurrent = await Promise.all(requests.map((rows) => service.predict({ rows, single: false })));
  expect(concurrent.map((r) => r.rows)).toEqual(sequential.map((r) => r.rows));
  expect(concurrent[1]!.rows.map((r) => r.prediction)).toEqual(['virginica', 'versicolor']);
});

test('a batch larger than one merged run is split, and still answers in order', async () => {
  const big = Array.from({ length: 3000 }, (_, i) => (i % 2 === 0 ? SETOSA : VIRGINICA));
  const results = await Promise.all([
    predictionService().predict({ rows: big, single: false }),
    predictionService().predict({ rows: big, single: false }),
    predictionService().predict({ rows: [VERSICOLOR], single: true }),
  ]);
  for (const result of results.slice(0, 2)) {
    expect(result.rows).toHaveLength(3000);
    expect(result.rows[0]!.prediction).toBe('setosa');
    expect(result.rows[2999]!.prediction).toBe('virginica');
  }
  expect(results[2]!.rows.map((r) => r.prediction)).toEqual(['versicolor']);
});

test('requests that arrive in separate callbacks of one event-loop turn share one ONNX run', async () => {
  const service = predictionService();
  const loaded = await service.model();
  const score = jest.spyOn(loaded.onnx, 'score');
  try {
    // Eight callbacks queued together run in one check phase, like sockets read in one poll phase
    // (timers would not do: on a loaded machine some fall due one loop iteration later).
    const rows = [SETOSA, VIRGINICA, VERSICOLOR, SETOSA, VIRGINICA, VERSICOLOR, SETOSA, VIRGINICA];
    const results = await Promise.all(
      rows.map(
        (row) =>
          new Promise<Awaited<ReturnType<typeof service.predict>>>((resolve, reject) => {
            setImmediate(() => service.predict({ rows: [row], single: true }).then(resolve, reject));
          }),
      ),
    );
    expect(results.map((r) => r.rows[0]!.prediction)).toEqual([
      'setosa',
      'virginica',
      'versicolor',
      'setosa',
      'virginica',
      'versicolor',
      'setosa',
      'virginica',
    ]);
    expect(score).toHaveBeenCalledTimes(1);
    expect(score.mock.calls[0]![1]).toBe(8);
  } finally {
    score.mockRestore();
  }
});

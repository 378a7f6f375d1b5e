import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DatasetList, UploadTicketOut } from '../../core/api/data-schemas.js';
import { s3Client } from '../../core/aws/clients.js';
import { ARTIFACT_BUCKET } from '../../core/config/tables.js';
import { UPLOAD_LIMITS } from '../../core/datasets/uploads.js';
import { runStore } from '../../core/services/index.js';
import type { RegisteredOutcome } from '../../core/training/service.js';
import { adminToken, type LocalApi, startLocalApi, userToken } from '../helpers/local-api.js';
import { trainIris } from './fixtures.js';

/** GET /runs/{id}/artifacts/{name}, POST /datasets (presigned PUT into the embedded S3), GET /datasets. */
let api: LocalApi;
let admin: string;
let user: string;
let trained: RegisteredOutcome;

const CSV = [
  'a,b,label',
  ...Array.from({ length: 30 }, (_, i) => `${i % 7},${(i * 3) % 5},${i % 2 ? 'x' : 'y'}`),
]
  .join('\n')
  .concat('\n');

beforeAll(async () => {
  api = await startLocalApi();
  admin = await adminToken(api);
  user = await userToken(api, 'alice', 'through-the-looking-glass');
  trained = await trainIris('iris');
});
afterAll(async () => {
  await api.stop();
});

async function upload(body: string, filename = 'mine.csv', type = 'text/csv') {
  const ticket = await api.call('POST', '/datasets', {
    token: admin,
    json: { filename, bytes: Buffer.byteLength(body), content_type: type },
  });
  expect(ticket.status).toBe(201);
  const put = await fetch(ticket.body.upload.url, {
    method: 'PUT',
    headers: ticket.body.upload.headers,
    body,
  });
  expect(put.status).toBe(200);
  return ticket.body.dataset as string;
}

describe('GET /runs/{id}/artifacts/{name}', () => {
  const get = (name: string, token?: string) =>
    api.call('GET', `/runs/${trained.run.runId}/artifacts/${name}`, token ? { token } : {});

  it('serves the model card and baseline as JSON to any signed-in user', async () => {
    const card = await get('model-card.json', user);
    expect(card.status).toBe(200);
    expect(card.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(card.headers.get('x-content-type-options')).toBe('nosniff');
    expect(card.body.classes).toEqual(['setosa', 'versicolor', 'virginica']);
    const baseline = await get('baseline.json', user);
    expect(baseline.status).toBe(200);
    expect(baseline.body.features.map((f: { name: string }) => f.name)).toEqual(trained.version.featureNames);
  });

  it('serves the confusion matrix as SVG under a policy that runs nothing', async () => {
    const svg = await get('confusion-matrix.svg', user);
    expect(svg.status).toBe(200);
    expect(svg.headers.get('content-type')).toBe('image/svg+xml');
    expect(svg.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'");
    expect(svg.headers.get('x-content-type-options')).toBe('nosniff');
    expect(svg.text).toMatch(/^<svg /);
  });

  it('gives the ONNX graph to admins only, as an attachment', async () => {
    const refused = await get('model.onnx', user);
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toMatch(/admin/);
    const res = await fetch(`${api.url}/runs/${trained.run.runId}/artifacts/model.onnx`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="model.onnx"');
    expect(Buffer.from(await res.arrayBuffer()).length).toBeGreaterThan(100);
  });

  it('refuses without a token, names what exists for an unknown file, 404s an unknown run', async () => {
    expect((await get('model-card.json')).status).toBe(401);
    const missing = await get('secrets.txt', user);
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toMatch(/model-card\.json/);
    expect((await api.call('GET', '/runs/nope/artifacts/model-card.json', { token: user })).status).toBe(404);
    // A key built from the request is never read: a traversal is not even a valid name.
    const traversal = await api.call('GET', `/runs/${trained.run.runId}/artifacts/..%2Fx.json`, {
      token: user,
    });
    expect(traversal.status).toBe(422);
  });
});

describe('dataset uploads', () => {
  it('hands out a presigned PUT that the embedded S3 accepts, and lists the file', async () => {
    const dataset = await upload(CSV);
    expect(dataset).toMatch(
      new RegExp(`^s3://${ARTIFACT_BUCKET.localName}/datasets/[0-9a-f-]{36}/mine\\.csv$`),
    );
    const list = await api.call('GET', '/datasets', { token: admin });
    expect(list.status).toBe(200);
    expect(() => DatasetList.parse(list.body)).not.toThrow();
    expect(list.body.max_bytes).toBe(UPLOAD_LIMITS.maxBytes);
    expect(list.body.datasets).toContainEqual(
      expect.objectContaining({ dataset, name: 'mine.csv', bytes: Buffer.byteLength(CSV) }),
    );
  });

  it('trains on an uploaded file', async () => {
    const dataset = await upload(CSV, 'two classes.csv');
    expect(dataset).toMatch(/two-classes\.csv$/);
    const started = await api.call('POST', '/train', {
      token: admin,
      json: { dataset, target: 'label', model_name: 'uploaded' },
    });
    expect(started.status).toBe(202);
    const deadline = Date.now() + 30_000;
    let run = (await api.call('GET', `/runs/${started.body.run_id}`, { token: admin })).body.run;
    while (run.status === 'RUNNING' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      run = (await api.call('GET', `/runs/${started.body.run_id}`, { token: admin })).body.run;
    }
    expect(run).toMatchObject({ status: 'FINISHED', model_name: 'uploaded', dataset: { source: dataset } });
  });

  it('refuses non-CSV and oversized uploads before any URL is signed, and non-admins', async () => {
    const ask = (json: object, token = admin) => api.call('POST', '/datasets', { token, json });
    const image = await ask({ filename: 'cat.png', bytes: 10, content_type: 'image/png' });
    expect(image.status).toBe(415);
    expect(image.body.error.details.map((d: { field: string }) => d.field)).toEqual([
      'filename',
      'content_type',
    ]);
    const big = await ask({
      filename: 'big.csv',
      bytes: UPLOAD_LIMITS.maxBytes + 1,
      content_type: 'text/csv',
    });
    expect(big.status).toBe(413);
    expect(big.body.error.message).toMatch(String(UPLOAD_LIMITS.maxBytes));
    expect((await ask({ filename: 'a.csv', bytes: 5, content_type: 'text/csv' }, user)).status).toBe(403);
    expect((await api.call('GET', '/datasets', { token: user })).status).toBe(403);
    expect(() => UploadTicketOut.parse({})).toThrow();
  });

  it('validates an uploaded file before a run exists: bad rows, wrong target, too big, missing', async () => {
    const runsBefore = (await runStore().listByExperiment('bad-upload', 10)).length;
    const train = (dataset: string, target = 'label') =>
      api.call('POST', '/train', { token: admin, json: { dataset, target, model_name: 'bad-upload' } });

    const ragged = await train(await upload('a,b,label\n1,2,x\n3,y\n'));
    expect(ragged.status).toBe(422);
    expect(ragged.body.error.message).toMatch(/line 3/);

    const noTarget = await train(await upload(CSV), 'species');
    expect(noTarget.status).toBe(422);
    expect(noTarget.body.error.message).toMatch(/species/);

    const binary = await train(await upload('\u0000\u00ff\u00fe garbage'));
    expect(binary.status).toBe(422);

    // The embedded S3 does not enforce the signed length, so the size is checked again here.
    const key = `${ARTIFACT_BUCKET.datasetPrefix}big/big.csv`;
    await s3Client().send(
      new PutObjectCommand({
        Bucket: ARTIFACT_BUCKET.localName,
        Key: key,
        Body: Buffer.alloc(UPLOAD_LIMITS.maxBytes + 1, 'a'),
      }),
    );
    const big = await train(`s3://${ARTIFACT_BUCKET.localName}/${key}`);
    expect(big.status).toBe(422);
    expect(big.body.error.message).toMatch(/limited to/);

    const missing = await train(`s3://${ARTIFACT_BUCKET.localName}/datasets/none/x.csv`);
    expect(missing.status).toBe(404);
    expect((await runStore().listByExperiment('bad-upload', 10)).length).toBe(runsBefore);
  });
});

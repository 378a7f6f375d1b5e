import { GetObjectTaggingCommand } from '@aws-sdk/client-s3';
import { s3Client } from '../../core/aws/clients.js';
import { ARTIFACT_BUCKET } from '../../core/config/tables.js';
import { artifactStore } from '../../core/services/index.js';
import { trainIris } from '../api/fixtures.js';
import { type LocalApi, startLocalApi } from '../helpers/local-api.js';

/**
 * The storage stack expires only run artifacts tagged `pending` (lib/storage-stack.ts); these
 * tests check, on the S3 emulator, that registration re-tags a version's files before the
 * registry names them, and that files of a run that never registered keep the pending tag.
 */
let api: LocalApi;
beforeAll(async () => {
  api = await startLocalApi();
});
afterAll(async () => {
  await api.stop();
});

const TAG = ARTIFACT_BUCKET.lifecycleTag;
const tagOf = async (key: string) => {
  const out = await s3Client().send(
    new GetObjectTaggingCommand({ Bucket: artifactStore().bucket, Key: key }),
  );
  return Object.fromEntries((out.TagSet ?? []).map((t) => [t.Key, t.Value]));
};

test("a registered version's files are tagged registered: no lifecycle rule expires them", async () => {
  const outcome = await trainIris(`lifecycle-${Date.now()}`);
  const keys = Object.values(outcome.run.artifacts);
  expect(keys.length).toBeGreaterThanOrEqual(4);
  expect(keys).toContain(outcome.version.artifactKey);
  for (const key of keys)
    expect({ key, tags: await tagOf(key) }).toEqual({ key, tags: { [TAG.key]: TAG.registered } });
}, 60_000);

test('an artifact is written tagged pending (the only kind the rule expires), in the same request', async () => {
  // s3rver stores tags set by PutObjectTagging but ignores the x-amz-tagging header of PutObject,
  // so the request itself is checked: the header S3 applies atomically with the write.
  const client = s3Client();
  const sent: Record<string, string>[] = [];
  const name = 'capture-tagging-header';
  client.middlewareStack.add(
    (next) => async (args) => {
      sent.push({ ...((args.request as { headers?: Record<string, string> }).headers ?? {}) });
      return next(args);
    },
    { step: 'finalizeRequest', name },
  );
  try {
    const key = `${ARTIFACT_BUCKET.runPrefix}orphan-${Date.now()}/model.onnx`;
    await artifactStore().put(key, new Uint8Array([1, 2, 3]), 'application/octet-stream');
  } finally {
    client.middlewareStack.remove(name);
  }
  expect(sent).toHaveLength(1);
  expect(sent[0]!['x-amz-tagging']).toBe(`${TAG.key}=${TAG.pending}`);
});

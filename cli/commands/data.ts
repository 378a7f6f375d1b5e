import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { integer, positional, str } from '../args.js';
import type { Command } from '../command.js';
import { UsageError } from '../errors.js';
import { printJson, shortTime, table } from '../format.js';

// Core services load inside run(): `mlops --help` must not pay for the SDK and emulators.
const services = () => import('../../core/services/index.js');

/** `mlops datasets upload|list`: the same uploads as POST /datasets, written with the CLI's own credentials. */
export const datasets: Command = {
  name: 'datasets',
  summary: 'Upload a CSV for training (checked like POST /datasets), or list the uploaded ones',
  usage: 'datasets upload <file.csv> | datasets list [--limit N]',
  options: { limit: { type: 'string', help: 'list: how many (default 50)' } },
  async run({ values, positionals, json }) {
    const action = positional({ positionals }, 0, 'upload|list', this.usage);
    const { datasetUploads } = await services();
    if (action === 'upload') {
      const file = positional({ positionals }, 1, 'file.csv', this.usage);
      let body: Buffer;
      try {
        body = await readFile(file);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new UsageError(code === 'ENOENT' ? `${file} does not exist` : `cannot read ${file}: ${code}`);
      }
      const uploaded = await datasetUploads().put(basename(file), body);
      if (json) return printJson(uploaded);
      process.stdout.write(
        `uploaded ${uploaded.bytes} bytes as ${uploaded.dataset}\n` +
          `train on it: mlops train --data ${uploaded.dataset} --target <column>\n`,
      );
      return;
    }
    if (action === 'list') {
      const limit = integer(str(values['limit']), '--limit', { min: 1, max: 1000 }) ?? 50;
      const list = await datasetUploads().list(limit);
      const { UPLOAD_LIMITS } = await import('../../core/datasets/uploads.js');
      if (json) return printJson({ datasets: list, maxBytes: UPLOAD_LIMITS.maxBytes });
      if (list.length === 0) {
        process.stdout.write('no uploaded datasets (mlops datasets upload <file.csv>)\n');
        return;
      }
      process.stdout.write(
        `${table(
          ['dataset', 'bytes', 'uploaded'],
          list.map((d) => [d.dataset, d.bytes, shortTime(d.uploadedAt)]),
        )}\n`,
      );
      return;
    }
    throw new UsageError(`unknown action "${action}"; usage: mlops ${this.usage}`);
  },
};

/** `mlops artifacts get`: one of a run's files (model card, confusion matrix, baseline, model). */
export const artifacts: Command = {
  name: 'artifacts',
  summary:
    "Download one of a run's artifacts (model-card.json, confusion-matrix.svg, baseline.json, model.onnx)",
  usage: 'artifacts get <run-id> <name> [--out <file>]',
  options: { out: { type: 'string', help: 'write here (default: stdout; ./<name> for model.onnx)' } },
  async run({ values, positionals }) {
    const action = positional({ positionals }, 0, 'get', this.usage);
    if (action !== 'get') throw new UsageError(`unknown action "${action}"; usage: mlops ${this.usage}`);
    const runId = positional({ positionals }, 1, 'run-id', this.usage);
    const name = positional({ positionals }, 2, 'name', this.usage);
    const [{ artifactStore, runStore }, { artifactResponse, readArtifact }, { presigningS3Client }] =
      await Promise.all([
        services(),
        import('../../core/artifacts/download.js'),
        import('../../core/aws/clients.js'),
      ]);
    const run = await runStore().require(runId);
    const artifact = artifactResponse(run.artifacts, name);
    const read = await readArtifact(presigningS3Client(), artifactStore().bucket, artifact.key);
    const bytes =
      'bytes' in read ? read.bytes : new Uint8Array(await (await fetch(read.location)).arrayBuffer());
    const out = str(values['out']) ?? (artifact.headers['content-disposition'] ? name : undefined);
    if (out) {
      await writeFile(out, bytes);
      process.stderr.write(`wrote ${bytes.byteLength} bytes to ${out}\n`);
    } else {
      process.stdout.write(bytes);
    }
  },
};

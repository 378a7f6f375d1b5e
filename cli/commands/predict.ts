import { once } from 'node:events';
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { AppError } from '../../core/errors.js';
import { integer, positional, str } from '../args.js';
import type { Command } from '../command.js';
import { checkDataFile } from '../dataset-file.js';
import { UsageError } from '../errors.js';

/** Rows per call into the prediction service: one float32 matrix per chunk keeps memory flat. */
const CHUNK = 5000;
/** Largest double that does not round to Infinity as float32. */
const F32_LIMIT = 3.4028235677973366e38;

const quote = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

async function write(sink: Writable, text: string): Promise<void> {
  if (!sink.write(text)) await once(sink, 'drain');
}

export const predict: Command = {
  name: 'predict',
  summary: 'Score a whole CSV with a registered model (the same PredictionService as /predict)',
  usage: 'predict <model> --data <csv|csv.gz|s3://bucket/key> [--out <csv>] [--version N | --alias A]',
  options: {
    data: {
      type: 'string',
      help: 'CSV (or gzip CSV) with a header naming the model’s feature columns (others pass through)',
    },
    out: { type: 'string', help: 'write the scored CSV here (default: stdout)' },
    version: { type: 'string', help: 'a version number (default: the production alias)' },
    alias: { type: 'string', help: 'an alias, e.g. challenger' },
  },
  async run({ values, positionals, json }) {
    const name = positional({ positionals }, 0, 'model', this.usage);
    const data = str(values['data']);
    if (!data) throw new UsageError(`missing --data <csv>; usage: mlops ${this.usage}`);
    // Scoring streams: any size, but still a regular file.
    checkDataFile(data, '--data', { sizeLimit: false });
    const version = integer(str(values['version']), '--version', { min: 1 });
    const alias = str(values['alias']);
    if (version !== undefined && alias !== undefined)
      throw new UsageError('give --version or --alias, not both');
    const selector = version !== undefined ? { version } : alias !== undefined ? { alias } : {};

    // Loaded here, not at the top: `mlops --help` must not pay for the SDK and onnxruntime.
    const [{ s3Client }, { openDatasetSource }, { predictionService, runStore }, training] =
      await Promise.all([
        import('../../core/aws/clients.js'),
        import('../../core/datasets/source.js'),
        import('../../core/services/index.js'),
        import('../../training/index.js'),
      ]);
    const { CsvTokenizer, csvBytes, gzipError, isZlibError } = training;
    const service = predictionService();
    const model = await service.model(name, selector);
    const { featureNames, classes } = model.record;
    // When the file still has the label the model was trained on, say how well it did.
    const target = (await runStore().get(model.record.runId))?.dataset?.target;
    // Scoring streams: chunks of rows in, chunks of scored rows out; no size limit applies.
    const source = openDatasetSource(data, s3Client, { maxBytes: Number.POSITIVE_INFINITY });
    const out = str(values['out']);
    // Written beside the target and renamed at the end: a failure never leaves a half-scored file.
    const partial = out ? `${out}.partial` : undefined;
    const sink: Writable = partial ? createWriteStream(partial) : process.stdout;

    let columns: string[] | undefined;
    let index: number[] = [];
    let labelAt = -1;
    let rows: number[][] = [];
    let fields: string[][] = [];
    let scored = 0;
    let correct = 0;
    const counts = new Map<string, number>();
    const tokenizer = new CsvTokenizer((r) => {
      if (!columns) {
        columns = r.fields().map((f) => f.trim());
        const missing = featureNames.filter((f) => !columns!.includes(f));
        if (missing.length > 0) {
          throw new AppError(
            'VALIDATION_FAILED',
            `${data}: missing feature column(s) ${missing.join(', ')}; ${name} v${model.record.version} needs ${featureNames.join(', ')}`,
          );
        }
        index = featureNames.map((f) => columns!.indexOf(f));
        labelAt = target === undefined ? -1 : columns.indexOf(target);
        return;
      }
      if (r.fieldCount !== columns.length) {
        throw new AppError(
          'VALIDATION_FAILED',
          `${data}: line ${r.line}: expected ${columns.length} columns, got ${r.fieldCount}`,
        );
      }
      rows.push(
        index.map((ci) => {
          const v = r.number(ci);
          if (!(v <= F32_LIMIT && v >= -F32_LIMIT)) {
            throw new AppError(
              'VALIDATION_FAILED',
              `${data}: line ${r.line}, column '${columns![ci]}': '${r.text(ci).trim()}' is not a number`,
            );
          }
          return v;
        }),
      );
      fields.push(r.fields());
    });

    const flush = async (all: boolean) => {
      while (rows.length >= CHUNK || (all && rows.length > 0)) {
        const batch = rows.slice(0, CHUNK);
        const passthrough = fields.slice(0, CHUNK);
        rows = rows.slice(CHUNK);
        fields = fields.slice(CHUNK);
        const result = await service.predict({ rows: batch, single: false, model: name, selector });
        const lines: string[] = [];
        result.rows.forEach((s, i) => {
          const record = passthrough[i]!;
          counts.set(s.prediction, (counts.get(s.prediction) ?? 0) + 1);
          if (labelAt >= 0 && record[labelAt]?.trim() === s.prediction) correct++;
          if (json) lines.push(`${scored + i === 0 ? '' : ','}\n    ${JSON.stringify(s)}`);
          else {
            lines.push(
              `${[...record, s.prediction, ...classes.map((c) => String(s.probabilities[c] ?? 0))].map(quote).join(',')}\n`,
            );
          }
        });
        scored += result.rows.length;
        await write(sink, lines.join(''));
      }
    };

    const started = performance.now();
    try {
      let headerWritten = false;
      const writeHeader = async () => {
        if (headerWritten || !columns) return;
        headerWritten = true;
        await write(
          sink,
          json
            ? `{\n  "model": ${JSON.stringify(name)},\n  "version": ${model.record.version},\n  "predictions": [`
            : `${[...columns, 'prediction', ...classes.map((c) => `p_${c}`)].map(quote).join(',')}\n`,
        );
      };
      try {
        for await (const chunk of csvBytes(source.chunks)) {
          tokenizer.push(chunk);
          await writeHeader();
          await flush(false);
        }
      } catch (error) {
        if (isZlibError(error)) {
          const where = { bytes: tokenizer.bytes, line: tokenizer.line };
          throw new AppError('VALIDATION_FAILED', gzipError(error, data, undefined, where).message);
        }
        throw error;
      }
      tokenizer.end();
      if (!columns) throw new AppError('VALIDATION_FAILED', `${data}: the file is empty`);
      if (scored + rows.length === 0)
        throw new AppError('VALIDATION_FAILED', `${data}: header only, no rows to score`);
      await writeHeader();
      await flush(true);
      if (json) await write(sink, `\n  ],\n  "rows": ${scored}\n}\n`);
      if (partial) {
        sink.end();
        await once(sink, 'finish');
        renameSync(partial, out!);
      }
    } catch (error) {
      if (partial) {
        sink.destroy();
        rmSync(partial, { force: true });
      }
      throw error;
    }
    const ms = performance.now() - started;
    const accuracy = labelAt < 0 ? '' : `; accuracy against '${target}' ${(correct / scored).toFixed(4)}`;
    process.stderr.write(
      `scored ${scored} rows with ${name} v${model.record.version} in ${ms.toFixed(0)} ms (${Math.round(scored / (ms / 1000))} rows/s)` +
        `${out ? ` → ${out}` : ''}; predicted ${[...counts].map(([c, n]) => `${c}: ${n}`).join(', ')}${accuracy}\n`,
    );
  },
};

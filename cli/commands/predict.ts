import { writeFileSync } from 'node:fs';
import { s3Client } from '../../core/aws/clients.js';
import { readDatasetSource } from '../../core/datasets/source.js';
import { AppError } from '../../core/errors.js';
import { predictionService, runStore } from '../../core/services/index.js';
import { parseCsv } from '../../training/index.js';
import { integer, positional, str } from '../args.js';
import type { Command } from '../command.js';
import { checkDataFile } from '../dataset-file.js';
import { UsageError } from '../errors.js';
import { printJson } from '../format.js';

/** Rows per call into the prediction service: one float32 matrix per chunk keeps memory flat. */
const CHUNK = 5000;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

const quote = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

export const predict: Command = {
  name: 'predict',
  summary: 'Score a whole CSV with a registered model (the same PredictionService as /predict)',
  usage: 'predict <model> --data <csv|s3://bucket/key> [--out <csv>] [--version N | --alias A]',
  options: {
    data: {
      type: 'string',
      help: 'CSV with a header naming the model’s feature columns (others pass through)',
    },
    out: { type: 'string', help: 'write the scored CSV here (default: stdout)' },
    version: { type: 'string', help: 'a version number (default: the production alias)' },
    alias: { type: 'string', help: 'an alias, e.g. challenger' },
  },
  async run({ values, positionals, json }) {
    const name = positional({ positionals }, 0, 'model', this.usage);
    const data = str(values['data']);
    if (!data) throw new UsageError(`missing --data <csv>; usage: mlops ${this.usage}`);
    checkDataFile(data);
    const version = integer(str(values['version']), '--version', { min: 1 });
    const alias = str(values['alias']);
    if (version !== undefined && alias !== undefined)
      throw new UsageError('give --version or --alias, not both');
    const selector = version !== undefined ? { version } : alias !== undefined ? { alias } : {};

    const service = predictionService();
    const model = await service.model(name, selector);
    const { featureNames, classes } = model.record;
    const source = await readDatasetSource(data, s3Client);
    const [header, ...records] = parseCsv(new TextDecoder().decode(source.bytes));
    if (!header) throw new AppError('VALIDATION_FAILED', `${data}: the file is empty`);
    const columns = header.fields.map((f) => f.trim());
    const missing = featureNames.filter((f) => !columns.includes(f));
    if (missing.length > 0) {
      throw new AppError(
        'VALIDATION_FAILED',
        `${data}: missing feature column(s) ${missing.join(', ')}; ${name} v${model.record.version} needs ${featureNames.join(', ')}`,
      );
    }
    if (records.length === 0)
      throw new AppError('VALIDATION_FAILED', `${data}: header only, no rows to score`);
    const index = featureNames.map((f) => columns.indexOf(f));
    const matrix = records.map(({ line, fields }) => {
      if (fields.length !== columns.length) {
        throw new AppError(
          'VALIDATION_FAILED',
          `${data}: line ${line}: expected ${columns.length} columns, got ${fields.length}`,
        );
      }
      return index.map((ci) => {
        const raw = fields[ci]!.trim();
        if (!NUMBER.test(raw)) {
          throw new AppError(
            'VALIDATION_FAILED',
            `${data}: line ${line}, column '${columns[ci]}': '${raw}' is not a number`,
          );
        }
        return Number(raw);
      });
    });

    const started = performance.now();
    const scored: { prediction: string; probabilities: Record<string, number> }[] = [];
    for (let at = 0; at < matrix.length; at += CHUNK) {
      const result = await service.predict({
        rows: matrix.slice(at, at + CHUNK),
        single: false,
        model: name,
        selector,
      });
      scored.push(...result.rows);
    }
    const ms = performance.now() - started;
    if (json) {
      printJson({ model: name, version: model.record.version, rows: scored.length, predictions: scored });
      return;
    }
    const outColumns = [...columns, 'prediction', ...classes.map((c) => `p_${c}`)];
    const lines = [outColumns.map(quote).join(',')];
    records.forEach((record, i) => {
      const s = scored[i]!;
      lines.push(
        [...record.fields, s.prediction, ...classes.map((c) => String(s.probabilities[c] ?? 0))]
          .map(quote)
          .join(','),
      );
    });
    const text = `${lines.join('\n')}\n`;
    const out = str(values['out']);
    if (out) writeFileSync(out, text);
    else process.stdout.write(text);
    // When the file still has the label the model was trained on, say how well it did.
    const target = (await runStore().get(model.record.runId))?.dataset?.target;
    const labelAt = target === undefined ? -1 : columns.indexOf(target);
    const accuracy =
      labelAt < 0
        ? ''
        : `; accuracy against '${target}' ${(records.filter((r, i) => r.fields[labelAt]?.trim() === scored[i]!.prediction).length / records.length).toFixed(4)}`;
    const counts = new Map<string, number>();
    for (const s of scored) counts.set(s.prediction, (counts.get(s.prediction) ?? 0) + 1);
    process.stderr.write(
      `scored ${scored.length} rows with ${name} v${model.record.version} in ${ms.toFixed(0)} ms (${Math.round(scored.length / (ms / 1000))} rows/s)` +
        `${out ? ` → ${out}` : ''}; predicted ${[...counts].map(([c, n]) => `${c}: ${n}`).join(', ')}${accuracy}\n`,
    );
  },
};

import { createHash } from 'node:crypto';
import { parseCsv } from './csv.js';
import { DatasetError } from './errors.js';

export interface FeatureSchema {
  name: string;
  type: 'number';
}

export interface Dataset {
  name: string;
  featureNames: string[];
  target: string;
  /** Sorted class labels (numerically if all labels are numbers); y holds indices into this. */
  classes: string[];
  X: number[][];
  y: number[];
  rows: number;
  /** sha256 hex of the raw CSV bytes. */
  fingerprint: string;
  schema: FeatureSchema[];
}

export interface ParseDatasetOptions {
  target: string;
  /** Subset (and order) of feature columns; defaults to every column except the target. */
  features?: string[];
  name?: string;
}

const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function parseNumber(raw: string): number | undefined {
  const s = raw.trim();
  return NUMBER_RE.test(s) ? Number(s) : undefined;
}

export function sortClassLabels(labels: Iterable<string>): string[] {
  const unique = [...new Set(labels)];
  if (unique.every((l) => parseNumber(l) !== undefined)) {
    return unique.sort((a, b) => Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0));
  }
  return unique.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Parses a CSV with a header row into a numeric classification dataset. Throws DatasetError. */
export function parseDataset(csv: Uint8Array | string, options: ParseDatasetOptions): Dataset {
  if (typeof options?.target !== 'string' || options.target === '') {
    throw new TypeError('options.target must be a non-empty string naming the label column');
  }
  if (typeof csv !== 'string' && !(csv instanceof Uint8Array)) {
    throw new TypeError('csv must be a string, Buffer or Uint8Array');
  }
  const bytes = typeof csv === 'string' ? new TextEncoder().encode(csv) : csv;
  const fingerprint = createHash('sha256').update(bytes).digest('hex');
  const text = typeof csv === 'string' ? csv : new TextDecoder('utf-8').decode(csv);
  const name = options.name ?? 'dataset';
  if (text.trim() === '') throw new DatasetError('EMPTY_FILE', `${name}: the file is empty`);

  const [header, ...records] = parseCsv(text);
  if (!header) throw new DatasetError('EMPTY_FILE', `${name}: the file is empty`);
  const columns = header.fields.map((f) => f.trim());
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c))
      throw new DatasetError('DUPLICATE_COLUMN', `header: column '${c}' appears twice`, { column: c });
    seen.add(c);
  }
  const targetIndex = columns.indexOf(options.target);
  if (targetIndex < 0) {
    throw new DatasetError(
      'MISSING_TARGET',
      `header: target column '${options.target}' not found (columns: ${columns.join(', ')})`,
      { column: options.target },
    );
  }
  const featureNames = options.features ?? columns.filter((_, i) => i !== targetIndex);
  const featureIndex = featureNames.map((f) => {
    const i = columns.indexOf(f);
    if (i < 0)
      throw new DatasetError('UNKNOWN_FEATURE', `header: feature column '${f}' not found`, { column: f });
    if (i === targetIndex) {
      throw new DatasetError('UNKNOWN_FEATURE', `feature '${f}' is the target column`, { column: f });
    }
    return i;
  });
  if (featureNames.length === 0) throw new DatasetError('NO_FEATURES', `${name}: no feature columns`);

  const X: number[][] = [];
  const labels: string[] = [];
  for (const { line, fields } of records) {
    if (fields.length !== columns.length) {
      throw new DatasetError(
        'RAGGED_ROW',
        `line ${line}: expected ${columns.length} columns, got ${fields.length}`,
        { line },
      );
    }
    const row = featureIndex.map((ci) => {
      const raw = fields[ci]!;
      const v = parseNumber(raw);
      if (v === undefined || !Number.isFinite(v)) {
        const column = columns[ci]!;
        throw new DatasetError('NON_NUMERIC', `line ${line}, column '${column}': '${raw}' is not a number`, {
          line,
          column,
        });
      }
      return v;
    });
    const label = fields[targetIndex]!.trim();
    if (label === '') {
      throw new DatasetError('MISSING_LABEL', `line ${line}, column '${options.target}': label is empty`, {
        line,
        column: options.target,
      });
    }
    X.push(row);
    labels.push(label);
  }
  if (X.length === 0) throw new DatasetError('TOO_FEW_ROWS', `${name}: header only, no data rows`);
  const classes = sortClassLabels(labels);
  if (classes.length < 2) {
    throw new DatasetError(
      'SINGLE_CLASS',
      `column '${options.target}': only one class ('${classes[0]}'), need at least two`,
      { column: options.target },
    );
  }
  const classIndex = new Map(classes.map((c, i) => [c, i]));
  return {
    name,
    featureNames: [...featureNames],
    target: options.target,
    classes,
    X,
    y: labels.map((l) => classIndex.get(l)!),
    rows: X.length,
    fingerprint,
    schema: featureNames.map((f) => ({ name: f, type: 'number' as const })),
  };
}

/** Rows and labels selected by index (used for splits). */
export function selectRows(
  ds: Pick<Dataset, 'X' | 'y'>,
  indices: readonly number[],
): { X: number[][]; y: number[] } {
  return { X: indices.map((i) => ds.X[i]!), y: indices.map((i) => ds.y[i]!) };
}

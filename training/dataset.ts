import { createHash, type Hash } from 'node:crypto';
import { pipeline, Readable } from 'node:stream';
import { createGunzip, gunzipSync } from 'node:zlib';
import { CsvTokenizer, parseNumber } from './csv.js';
import { DatasetError } from './errors.js';
import { DATASET_LIMITS, type DatasetLimits, formatBytes, formatCount } from './limits.js';

export interface FeatureSchema {
  name: string;
  type: 'number';
}

/**
 * Feature values as float32 columns: what the exported ONNX graph computes on, so a model fits exactly the
 * numbers it will be served (and half the memory of float64). Each column is `rows` long.
 */
export interface FeatureColumns {
  readonly columns: readonly Float32Array[];
  readonly rows: number;
}

export interface Dataset extends FeatureColumns {
  name: string;
  featureNames: string[];
  target: string;
  /** Sorted class labels (numerically if all labels are numbers); y holds indices into this. */
  classes: string[];
  /**
   * One column per feature, all views of one SharedArrayBuffer, so a worker thread can be handed the
   * dataset without a copy.
   */
  columns: Float32Array[];
  /** Class index of each row (a SharedArrayBuffer view too). */
  y: Int32Array;
  rows: number;
  /** sha256 hex of the CSV bytes (after gunzip, so a file and its .gz share it). */
  fingerprint: string;
  schema: FeatureSchema[];
  /** CSV bytes read. */
  bytes: number;
}

export interface ParseDatasetOptions {
  target: string;
  /** Subset (and order) of feature columns; defaults to every column except the target. */
  features?: string[];
  name?: string;
  /** Overrides of DATASET_LIMITS. */
  limits?: Partial<DatasetLimits>;
}

export function sortClassLabels(labels: Iterable<string>): string[] {
  const unique = [...new Set(labels)];
  if (unique.every((l) => parseNumber(l) !== undefined)) {
    return unique.sort((a, b) => Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0));
  }
  return unique.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

const CHUNK_ROWS = 1 << 16;
/** Labels whose bytes are compared directly; past this many, labels go through a string map. */
const BYTE_KEYS = 32;
/** Largest double that does not round to Infinity as float32. */
const F32_LIMIT = 3.4028235677973366e38;
const GZIP_MAGIC = [0x1f, 0x8b] as const;

const isGzip = (bytes: Uint8Array) => bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];

/**
 * Incremental CSV → Dataset: push chunks of CSV bytes, then finish(). Values go straight from the bytes
 * into float32 column chunks; nothing per row is allocated. Every problem is a DatasetError naming the line
 * and column, or the limit that was passed.
 */
export class DatasetReader {
  private readonly name: string;
  private readonly limits: DatasetLimits;
  private readonly tokenizer: CsvTokenizer;
  private readonly hash: Hash = createHash('sha256');
  private columnNames: string[] | undefined;
  private featureNames: string[] = [];
  private featureIndex = new Int32Array(0);
  private targetIndex = -1;
  private maxRows = 0;
  private chunks: Float32Array[][] = [];
  private labelChunks: Int32Array[] = [];
  private current: Float32Array[] = [];
  private currentY = new Int32Array(0);
  private filled = 0;
  private rows = 0;
  private readonly labelIds = new Map<string, number>();
  private readonly labels: string[] = [];
  private readonly keys: Uint8Array[] = [];
  private readonly keyIds: number[] = [];

  constructor(private readonly options: ParseDatasetOptions) {
    if (typeof options?.target !== 'string' || options.target === '') {
      throw new TypeError('options.target must be a non-empty string naming the label column');
    }
    this.name = options.name ?? 'dataset';
    this.limits = { ...DATASET_LIMITS, ...options.limits };
    this.tokenizer = new CsvTokenizer((r) => (this.columnNames ? this.row(r) : this.header(r)));
  }

  /** CSV bytes pushed so far. */
  get bytes(): number {
    return this.tokenizer.bytes;
  }

  /** Line the tokenizer has reached (for messages about where a stream broke off). */
  get line(): number {
    return this.tokenizer.line;
  }

  push(chunk: Uint8Array): void {
    if (this.tokenizer.bytes + chunk.length > this.limits.maxBytes) {
      throw new DatasetError(
        'TOO_LARGE',
        `${this.name}: more than ${formatBytes(this.limits.maxBytes)} of CSV, the limit for a dataset` +
          ` (stopped at line ${formatCount(this.tokenizer.line)})`,
      );
    }
    this.hash.update(chunk);
    this.tokenizer.push(chunk);
  }

  finish(): Dataset {
    this.tokenizer.end();
    if (!this.columnNames) throw new DatasetError('EMPTY_FILE', `${this.name}: the file is empty`);
    const rows = this.rows;
    if (rows === 0) throw new DatasetError('TOO_FEW_ROWS', `${this.name}: header only, no data rows`);
    const classes = sortClassLabels(this.labels);
    if (classes.length < 2) {
      throw new DatasetError(
        'SINGLE_CLASS',
        `column '${this.options.target}': only one class ('${classes[0]}'), need at least two`,
        { column: this.options.target },
      );
    }
    const sorted = new Map(classes.map((c, i) => [c, i]));
    const remap = Int32Array.from(this.labels, (l) => sorted.get(l)!);
    const F = this.featureNames.length;
    const parts = [...this.chunks, this.current];
    const labelParts = [...this.labelChunks, this.currentY];
    this.chunks = [];
    this.current = [];
    const shared = new SharedArrayBuffer(F * rows * 4);
    const columns = Array.from({ length: F }, (_, f) => new Float32Array(shared, f * rows * 4, rows));
    for (let f = 0; f < F; f++) {
      let at = 0;
      for (const part of parts) {
        const n = Math.min(CHUNK_ROWS, rows - at);
        columns[f]!.set(part[f]!.subarray(0, n), at);
        at += n;
        // Free each chunk column once copied: the peak stays near one copy of the data.
        (part as (Float32Array | undefined)[])[f] = undefined;
      }
    }
    const y = new Int32Array(new SharedArrayBuffer(rows * 4));
    let at = 0;
    for (const part of labelParts) {
      const n = Math.min(CHUNK_ROWS, rows - at);
      for (let i = 0; i < n; i++) y[at + i] = remap[part[i]!]!;
      at += n;
    }
    return {
      name: this.name,
      featureNames: [...this.featureNames],
      target: this.options.target,
      classes,
      columns,
      y,
      rows,
      fingerprint: this.hash.digest('hex'),
      schema: this.featureNames.map((f) => ({ name: f, type: 'number' as const })),
      bytes: this.tokenizer.bytes,
    };
  }

  private header(r: CsvTokenizer): void {
    const columns = r.fields().map((f) => f.trim());
    if (columns.length === 1 && columns[0] === '') return;
    const seen = new Set<string>();
    for (const c of columns) {
      if (seen.has(c))
        throw new DatasetError('DUPLICATE_COLUMN', `header: column '${c}' appears twice`, { column: c });
      seen.add(c);
    }
    const target = this.options.target;
    const targetIndex = columns.indexOf(target);
    if (targetIndex < 0) {
      throw new DatasetError(
        'MISSING_TARGET',
        `header: target column '${target}' not found (columns: ${columns.join(', ')})`,
        { column: target },
      );
    }
    const featureNames = this.options.features ?? columns.filter((_, i) => i !== targetIndex);
    const featureIndex = featureNames.map((f) => {
      const i = columns.indexOf(f);
      if (i < 0)
        throw new DatasetError('UNKNOWN_FEATURE', `header: feature column '${f}' not found`, { column: f });
      if (i === targetIndex) {
        throw new DatasetError('UNKNOWN_FEATURE', `feature '${f}' is the target column`, { column: f });
      }
      return i;
    });
    if (featureNames.length === 0) throw new DatasetError('NO_FEATURES', `${this.name}: no feature columns`);
    this.columnNames = columns;
    this.featureNames = [...featureNames];
    this.featureIndex = Int32Array.from(featureIndex);
    this.targetIndex = targetIndex;
    this.maxRows = Math.floor(this.limits.maxCells / featureNames.length);
    this.newChunk();
  }

  private newChunk(): void {
    this.current = Array.from({ length: this.featureNames.length }, () => new Float32Array(CHUNK_ROWS));
    this.currentY = new Int32Array(CHUNK_ROWS);
    this.filled = 0;
  }

  private row(r: CsvTokenizer): void {
    const width = this.columnNames!.length;
    if (r.fieldCount !== width) {
      throw new DatasetError('RAGGED_ROW', `line ${r.line}: expected ${width} columns, got ${r.fieldCount}`, {
        line: r.line,
      });
    }
    if (this.rows === this.maxRows) {
      const F = this.featureNames.length;
      throw new DatasetError(
        'TOO_LARGE',
        `${this.name}: more than ${formatCount(this.limits.maxCells)} feature values (rows × ${F} features) at ` +
          `line ${formatCount(r.line)}, the limit for a dataset (${formatCount(this.maxRows)} rows at ${F} features)`,
        { line: r.line },
      );
    }
    if (this.filled === CHUNK_ROWS) {
      this.chunks.push(this.current);
      this.labelChunks.push(this.currentY);
      this.newChunk();
    }
    const at = this.filled;
    const current = this.current;
    const featureIndex = this.featureIndex;
    for (let f = 0; f < featureIndex.length; f++) {
      const v = r.number(featureIndex[f]!);
      // One comparison rejects NaN, ±Infinity and values beyond float32 range.
      if (!(v <= F32_LIMIT && v >= -F32_LIMIT)) this.badNumber(r, featureIndex[f]!, v);
      current[f]![at] = v;
    }
    this.currentY[at] = this.label(r);
    this.filled++;
    this.rows++;
  }

  private badNumber(r: CsvTokenizer, ci: number, v: number): never {
    const column = this.columnNames![ci]!;
    const raw = r.text(ci).trim();
    if (Number.isNaN(v)) {
      throw new DatasetError('NON_NUMERIC', `line ${r.line}, column '${column}': '${raw}' is not a number`, {
        line: r.line,
        column,
      });
    }
    throw new DatasetError(
      'OUT_OF_RANGE',
      `line ${r.line}, column '${column}': '${raw}' is beyond the float32 range (±3.4e38) models compute in`,
      { line: r.line, column },
    );
  }

  private label(r: CsvTokenizer): number {
    const k = this.targetIndex;
    if (!r.isQuoted(k)) {
      const keys = this.keys;
      for (let c = 0; c < keys.length; c++) if (r.trimmedEquals(k, keys[c]!)) return this.keyIds[c]!;
    }
    const label = r.text(k).trim();
    const column = this.options.target;
    if (label === '') {
      throw new DatasetError('MISSING_LABEL', `line ${r.line}, column '${column}': label is empty`, {
        line: r.line,
        column,
      });
    }
    let id = this.labelIds.get(label);
    if (id === undefined) {
      if (this.labels.length === this.limits.maxClasses) {
        throw new DatasetError(
          'TOO_MANY_CLASSES',
          `line ${r.line}, column '${column}': more than ${formatCount(this.limits.maxClasses)} distinct labels, ` +
            'the limit for a classification target (is it a continuous value?)',
          { line: r.line, column },
        );
      }
      id = this.labels.length;
      this.labels.push(label);
      this.labelIds.set(label, id);
    }
    if (!r.isQuoted(k) && this.keys.length < BYTE_KEYS) {
      this.keys.push(r.trimmedBytes(k));
      this.keyIds.push(id);
    }
    return id;
  }
}

/** Parses an in-memory CSV (plain or gzip) with a header row into a numeric classification dataset. */
export function parseDataset(csv: Uint8Array | string, options: ParseDatasetOptions): Dataset {
  if (typeof csv !== 'string' && !(csv instanceof Uint8Array)) {
    throw new TypeError('csv must be a string, Buffer or Uint8Array');
  }
  const reader = new DatasetReader(options);
  let bytes = typeof csv === 'string' ? Buffer.from(csv, 'utf8') : csv;
  if (isGzip(bytes)) {
    const maxBytes = options.limits?.maxBytes ?? DATASET_LIMITS.maxBytes;
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: maxBytes + 1 });
    } catch (error) {
      throw gzipError(error, options.name ?? 'dataset', maxBytes);
    }
  }
  reader.push(bytes);
  return reader.finish();
}

/**
 * The CSV bytes of a plain or gzip source (told apart by the gzip magic bytes), decompressed as they
 * stream. A corrupt or truncated gzip stream throws zlib's error (code Z_*: see isZlibError). The source
 * is closed when the consumer stops, also early or on error.
 */
export async function* csvBytes(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const it = source[Symbol.asyncIterator]();
  let head: Uint8Array = new Uint8Array(0);
  async function* all(): AsyncGenerator<Uint8Array> {
    try {
      if (head.length > 0) yield head;
      for (;;) {
        const next = await it.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      await it.return?.();
    }
  }
  try {
    while (head.length < GZIP_MAGIC.length) {
      const next = await it.next();
      if (next.done) break;
      head = head.length === 0 ? next.value : Buffer.concat([head, next.value]);
    }
  } catch (error) {
    await it.return?.();
    throw error;
  }
  if (!isGzip(head)) {
    yield* all();
    return;
  }
  // pipeline() forwards a source error into gunzip and destroys the source when gunzip is destroyed.
  const gunzip = pipeline(Readable.from(all()), createGunzip(), () => {});
  try {
    yield* gunzip;
  } finally {
    gunzip.destroy();
  }
}

/**
 * Streams a CSV (plain or gzip) into a Dataset: memory holds the columns plus one chunk, whatever the
 * file size. The source is consumed and closed, also on error.
 */
export async function readDataset(
  source: AsyncIterable<Uint8Array>,
  options: ParseDatasetOptions,
): Promise<Dataset> {
  const reader = new DatasetReader(options);
  try {
    for await (const chunk of csvBytes(source)) reader.push(chunk);
  } catch (error) {
    if (!(error instanceof DatasetError) && isZlibError(error)) {
      throw gzipError(error, options.name ?? 'dataset', undefined, reader);
    }
    throw error;
  }
  return reader.finish();
}

export const isZlibError = (error: unknown) => /^Z_/.test(String((error as NodeJS.ErrnoException).code));

export function gzipError(
  error: unknown,
  name: string,
  maxBytes?: number,
  reader?: { bytes: number; line: number },
): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ERR_BUFFER_TOO_LARGE' && maxBytes !== undefined) {
    return new DatasetError(
      'TOO_LARGE',
      `${name}: more than ${formatBytes(maxBytes)} of CSV once gunzipped, the limit for a dataset`,
    );
  }
  const where = reader ? ` after ${formatBytes(reader.bytes)} of CSV (line ${formatCount(reader.line)})` : '';
  const what =
    code === 'Z_BUF_ERROR'
      ? 'the gzip stream ends early (truncated file?)'
      : `the gzip stream is corrupt (${(error as Error).message})`;
  return new DatasetError('TRUNCATED', `${name}: ${what}${where}`, {}, { cause: error });
}

/** Rows (as number arrays) of the given row indices, or of every row: for small data and tests. */
export function rowsOf(data: FeatureColumns, indices?: ArrayLike<number>): number[][] {
  const n = indices ? indices.length : data.rows;
  const out: number[][] = new Array(n);
  for (let i = 0; i < n; i++) {
    const r = indices ? indices[i]! : i;
    out[i] = data.columns.map((c) => c[r]!);
  }
  return out;
}

/** Rows and labels selected by index, materialised as arrays: for small data and tests. */
export function selectRows(
  ds: FeatureColumns & { y: ArrayLike<number> },
  indices: ArrayLike<number>,
): { X: number[][]; y: number[] } {
  return { X: rowsOf(ds, indices), y: Array.from(indices, (i) => ds.y[i]!) };
}

/** Float32 columns from row arrays (the inverse of rowsOf). */
export function columnsOf(X: readonly (readonly number[])[], nFeatures: number): FeatureColumns {
  const columns = Array.from({ length: nFeatures }, (_, f) => Float32Array.from(X, (row) => row[f]!));
  return { columns, rows: X.length };
}

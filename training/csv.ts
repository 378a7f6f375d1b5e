// Hand-written byte tokenizer rather than csv-parse: it hands out byte ranges instead of a string array per
// record and parses numbers straight from the bytes (124 MB/s on a 171 MB, 1M x 20 file, where csv-parse 5
// building string records measured 22 MB/s on the same machine), and it never allocates per row.
import { DatasetError } from './errors.js';

export interface CsvRecord {
  /** 1-based line number where the record starts. */
  line: number;
  fields: string[];
}

const COMMA = 0x2c;
const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/** Exact powers of ten (10^22 is the largest a double holds exactly): the Clinger fast path below. */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The dataset number grammar on a string: optional sign, digits with an optional point, optional exponent. */
export function parseNumber(raw: string): number | undefined {
  const s = raw.trim();
  return NUMBER_RE.test(s) ? Number(s) : undefined;
}

const isSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d);

/**
 * Streaming RFC 4180 tokenizer over bytes: quoted fields may hold commas, newlines and "" escapes; CRLF, LF
 * or CR end a record; blank lines are skipped; a UTF-8 BOM is dropped. Chunks may split a record anywhere;
 * the incomplete tail is kept until the next chunk. For each record, `onRecord(this)` is called, and the
 * field accessors below read the current record (valid only during that call): no per-record objects.
 */
export class CsvTokenizer {
  /** 1-based line where the current record starts. */
  line = 1;
  /** Number of fields of the current record. */
  fieldCount = 0;
  private buf: Buffer = Buffer.alloc(0);
  private starts = new Int32Array(64);
  private ends = new Int32Array(64);
  private quoted = new Uint8Array(64);
  private pending: Buffer | undefined;
  private nextLine = 1;
  private skipLF = false;
  /** The first bytes, held until a BOM is ruled out. */
  private head: Buffer | undefined = Buffer.alloc(0);
  private bytesSeen = 0;

  constructor(
    private readonly onRecord: (record: CsvTokenizer) => void,
    /** Longest record accepted (a quote left open would otherwise swallow the rest of the file). */
    private readonly maxRecordBytes = 1 << 20,
  ) {}

  /** Bytes pushed so far. */
  get bytes(): number {
    return this.bytesSeen;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.bytesSeen += chunk.length;
    let data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    if (this.head !== undefined) {
      data = Buffer.concat([this.head, data]);
      if (data.length < 3) {
        this.head = data;
        return;
      }
      this.head = undefined;
      data = withoutBom(data);
    }
    this.feed(data, false);
  }

  /** Flushes the last record (a file need not end with a newline). */
  end(): void {
    const head = this.head;
    this.head = undefined;
    this.feed(head ? withoutBom(head) : Buffer.alloc(0), true);
  }

  /**
   * Scans a chunk, first completing the record left unfinished by the last one. Only as much of the new
   * chunk as that record needs is copied behind it; the rest is scanned where it lies (copying every chunk
   * whole measured as a third of the parse time, mostly garbage collection).
   */
  private feed(input: Buffer, final: boolean): void {
    const pending = this.pending;
    this.pending = undefined;
    if (!pending) {
      this.keep(input, this.scan(input, final));
      return;
    }
    for (let take = Math.min(input.length, 1 << 16); ; take = Math.min(input.length, take * 4)) {
      const joined = Buffer.concat([pending, input.subarray(0, take)]);
      const whole = take === input.length;
      const rest = this.scan(joined, final && whole);
      if (whole) {
        this.keep(joined, rest);
        return;
      }
      // The unfinished record ended inside the joined part: go on in the chunk itself.
      if (rest >= pending.length) {
        const tail = input.subarray(rest - pending.length);
        this.keep(tail, this.scan(tail, final));
        return;
      }
    }
  }

  /** Keeps buf[from, end) (one unfinished record) for the next chunk. */
  private keep(buf: Buffer, from: number): void {
    if (from >= buf.length) return;
    if (buf.length - from > this.maxRecordBytes) {
      throw new DatasetError(
        'TOO_LARGE',
        `line ${this.nextLine}: a record longer than ${this.maxRecordBytes} bytes (is a quote left open?)`,
        { line: this.nextLine },
      );
    }
    this.pending = Buffer.from(buf.subarray(from));
  }

  /** Emits every complete record of buf; returns where the unfinished one starts (buf.length if none). */
  private scan(buf: Buffer, final: boolean): number {
    let i = 0;
    const n = buf.length;
    if (this.skipLF && n > 0) {
      if (buf[0] === LF) i = 1;
      this.skipLF = false;
    }
    this.buf = buf;
    let recordStart = i;
    records: while (i < n) {
      let line = this.nextLine;
      let count = 0;
      for (;;) {
        const start = i;
        let quoted = 0;
        if (buf[i] === QUOTE) {
          quoted = 1;
          i++;
          for (;;) {
            if (i >= n) {
              if (!final) break records;
              throw new DatasetError('UNTERMINATED_QUOTE', `line ${line}: quoted field is never closed`, {
                line,
              });
            }
            const c = buf[i]!;
            if (c === QUOTE) {
              if (i + 1 >= n && !final) break records;
              if (buf[i + 1] === QUOTE) i += 2;
              else {
                i++;
                break;
              }
            } else {
              if (c === LF) line++;
              i++;
            }
          }
        }
        while (i < n) {
          const c = buf[i]!;
          if (c === COMMA || c === LF || c === CR) break;
          i++;
        }
        if (i >= n && !final) break records;
        if (count === this.starts.length) this.grow();
        this.starts[count] = start;
        this.ends[count] = i;
        this.quoted[count] = quoted;
        count++;
        if (i < n && buf[i] === COMMA) {
          i++;
          continue;
        }
        break;
      }
      // Here buf[i] is CR, LF, or the end of the data (final).
      if (i < n) {
        if (buf[i] === CR) {
          i++;
          if (i < n) {
            if (buf[i] === LF) i++;
          } else this.skipLF = true;
        } else i++;
      }
      this.fieldCount = count;
      this.line = this.nextLine;
      const blank = count === 1 && this.starts[0] === this.ends[0] && this.quoted[0] === 0;
      if (!blank) this.onRecord(this);
      this.nextLine = line + 1;
      recordStart = i;
    }
    return recordStart;
  }

  private grow(): void {
    const size = this.starts.length * 2;
    const starts = new Int32Array(size);
    const ends = new Int32Array(size);
    const quoted = new Uint8Array(size);
    starts.set(this.starts);
    ends.set(this.ends);
    quoted.set(this.quoted);
    this.starts = starts;
    this.ends = ends;
    this.quoted = quoted;
  }

  /** Field k as text: quotes removed and "" unescaped, not trimmed. */
  text(k: number): string {
    const s = this.starts[k]!;
    const e = this.ends[k]!;
    if (!this.quoted[k]) return this.buf.toString('utf8', s, e);
    const parts: string[] = [];
    let i = s + 1;
    let from = i;
    for (;;) {
      if (i >= e) {
        parts.push(this.buf.toString('utf8', from, e));
        return parts.join('');
      }
      if (this.buf[i] === QUOTE) {
        parts.push(this.buf.toString('utf8', from, i));
        if (this.buf[i + 1] === QUOTE && i + 1 < e) {
          parts.push('"');
          i += 2;
          from = i;
          continue;
        }
        parts.push(this.buf.toString('utf8', i + 1, e));
        return parts.join('');
      }
      i++;
    }
  }

  /** Every field of the current record as text. */
  fields(): string[] {
    return Array.from({ length: this.fieldCount }, (_, k) => this.text(k));
  }

  /**
   * Field k as a number under the dataset grammar (surrounding whitespace ignored), NaN when it is not one.
   * Plain decimals of up to 15 significant digits and exponents up to ±22 are converted from the bytes
   * exactly (Clinger's fast path gives the correctly rounded double, the same value as Number()); anything
   * else goes through Number().
   */
  number(k: number): number {
    if (this.quoted[k]) {
      const v = parseNumber(this.text(k));
      return v === undefined ? Number.NaN : v;
    }
    const buf = this.buf;
    let i = this.starts[k]!;
    let e = this.ends[k]!;
    while (i < e && isSpace(buf[i]!)) i++;
    while (e > i && isSpace(buf[e - 1]!)) e--;
    if (i === e) return Number.NaN;
    const from = i;
    let negative = false;
    let c = buf[i]!;
    if (c === 0x2d || c === 0x2b) {
      negative = c === 0x2d;
      i++;
    }
    let mantissa = 0;
    let digits = 0;
    let scale = 0;
    let seen = 0;
    while (i < e) {
      c = buf[i]! - 0x30;
      if (c < 0 || c > 9) break;
      if (mantissa !== 0 || c !== 0) {
        mantissa = mantissa * 10 + c;
        digits++;
      }
      seen++;
      i++;
    }
    if (i < e && buf[i] === 0x2e) {
      i++;
      while (i < e) {
        c = buf[i]! - 0x30;
        if (c < 0 || c > 9) break;
        if (mantissa !== 0 || c !== 0) {
          mantissa = mantissa * 10 + c;
          digits++;
        }
        scale--;
        seen++;
        i++;
      }
    }
    if (seen === 0) return this.slowNumber(from, e);
    if (i < e) {
      c = buf[i]!;
      if (c !== 0x65 && c !== 0x45) return this.slowNumber(from, e);
      i++;
      let expNegative = false;
      if (i < e && (buf[i] === 0x2d || buf[i] === 0x2b)) {
        expNegative = buf[i] === 0x2d;
        i++;
      }
      if (i >= e) return Number.NaN;
      let exp = 0;
      while (i < e) {
        c = buf[i]! - 0x30;
        if (c < 0 || c > 9) return this.slowNumber(from, e);
        exp = exp * 10 + c;
        if (exp > 1e6) return this.slowNumber(from, e);
        i++;
      }
      scale += expNegative ? -exp : exp;
    }
    if (digits > 15 || scale > 22 || scale < -22) return this.slowNumber(from, e);
    const v = scale >= 0 ? mantissa * POW10[scale]! : mantissa / POW10[-scale]!;
    return negative ? -v : v;
  }

  private slowNumber(from: number, to: number): number {
    const v = parseNumber(this.buf.toString('utf8', from, to));
    return v === undefined ? Number.NaN : v;
  }

  isQuoted(k: number): boolean {
    return this.quoted[k] === 1;
  }

  /** Whether unquoted field k, ASCII whitespace trimmed, is exactly `bytes` (label lookup without a string). */
  trimmedEquals(k: number, bytes: Uint8Array): boolean {
    const buf = this.buf;
    let s = this.starts[k]!;
    let e = this.ends[k]!;
    while (s < e && isSpace(buf[s]!)) s++;
    while (e > s && isSpace(buf[e - 1]!)) e--;
    if (e - s !== bytes.length) return false;
    for (let j = 0; j < bytes.length; j++) if (buf[s + j] !== bytes[j]) return false;
    return true;
  }

  /** Unquoted field k's bytes, ASCII whitespace trimmed (a copy). */
  trimmedBytes(k: number): Uint8Array {
    const buf = this.buf;
    let s = this.starts[k]!;
    let e = this.ends[k]!;
    while (s < e && isSpace(buf[s]!)) s++;
    while (e > s && isSpace(buf[e - 1]!)) e--;
    return Uint8Array.prototype.slice.call(buf, s, e);
  }
}

const withoutBom = (b: Buffer) => (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? b.subarray(3) : b);

/** Whole-text convenience over the tokenizer (small inputs; the dataset reader streams instead). */
export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  const tokenizer = new CsvTokenizer((r) => records.push({ line: r.line, fields: r.fields() }), Infinity);
  tokenizer.push(Buffer.from(text, 'utf8'));
  tokenizer.end();
  return records;
}

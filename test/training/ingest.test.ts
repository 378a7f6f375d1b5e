import { gzipSync } from 'node:zlib';
import {
  CsvTokenizer,
  type Dataset,
  DatasetError,
  type DatasetErrorCode,
  mulberry32,
  parseCsv,
  parseDataset,
  readDataset,
  rowsOf,
  stratifiedSplit,
} from '../../training/index.js';

/** The DatasetError a promise rejects with (fails the test if it resolves or throws something else). */
async function rejection(promise: Promise<unknown>): Promise<DatasetError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatasetError);
  return error as DatasetError;
}

async function* chunksOf(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

const tricky = '\ufeffa,"b,1",label\r\n1,"2",x\r\n\r\n3," 4 ",y\n"5","6","say ""hi""\nthere"\r7,8,z';

describe('CsvTokenizer', () => {
  it('gives the same records wherever the chunks split the bytes', () => {
    const bytes = Buffer.from(tricky, 'utf8');
    const whole = parseCsv(tricky);
    expect(whole.map((r) => r.line)).toEqual([1, 2, 4, 5, 7]);
    expect(whole[3]!.fields).toEqual(['5', '6', 'say "hi"\nthere']);
    for (let cut = 1; cut < bytes.length; cut++) {
      for (const size of [1, 2, 3]) {
        const records: { line: number; fields: string[] }[] = [];
        const t = new CsvTokenizer((r) => records.push({ line: r.line, fields: r.fields() }));
        t.push(bytes.subarray(0, cut));
        for (let at = cut; at < bytes.length; at += size) t.push(bytes.subarray(at, at + size));
        t.end();
        expect(records).toEqual(whole);
      }
    }
  });

  it('gives the same records when big chunks split long records (a 150 kB quoted field)', () => {
    const rng = mulberry32(3);
    const lines = Array.from({ length: 4000 }, (_, i) => `${i},${rng().toFixed(6)},"a,b\nc${i}"`);
    lines[1500] = `1500,0.5,"${'x'.repeat(150_000)}\n""quoted"""`;
    const text = `id,v,note\n${lines.join('\r\n')}\n`;
    const bytes = Buffer.from(text);
    const whole = parseCsv(text);
    for (const size of [65_537, 100_003, 300_007]) {
      const records: { line: number; fields: string[] }[] = [];
      const t = new CsvTokenizer((r) => records.push({ line: r.line, fields: r.fields() }));
      for (let at = 0; at < bytes.length; at += size) t.push(bytes.subarray(at, at + size));
      t.end();
      expect(records.length).toBe(whole.length);
      expect(records).toEqual(whole);
    }
  });

  it('reads numbers from the bytes exactly as Number() reads the text', () => {
    const rng = mulberry32(11);
    const texts = [
      '0',
      '-0',
      '+1',
      '1.',
      '.5',
      '-.5e-3',
      '1e22',
      '1e23',
      '123456789012345',
      '1234567890123456',
    ];
    for (let i = 0; i < 5000; i++) {
      const digits = Math.floor(rng() * 18) + 1;
      let s = (rng() < 0.5 ? '-' : '') + String(Math.floor(rng() * 10 ** Math.min(digits, 15)));
      if (rng() < 0.7) s = `${s.slice(0, -2) || '0'}.${s.slice(-2)}`;
      if (rng() < 0.3) s += `e${Math.floor(rng() * 60) - 30}`;
      texts.push(s, ` ${s}\t`);
    }
    const csv = `v\n${texts.map((t) => `${t}`).join('\n')}\n`;
    const got: number[] = [];
    new CsvTokenizer((r) => {
      if (r.line > 1) got.push(r.number(0));
    }).push(Buffer.from(csv));
    expect(got).toHaveLength(texts.length);
    const wrong = texts.filter((t, i) => !Object.is(got[i], Number(t.trim())));
    expect(wrong).toEqual([]);
  });

  it('rejects what the number grammar rejects', () => {
    const bad = ['', ' ', '-', '.', 'e5', '1e', '1e+', '1.2.3', '0x10', 'NaN', 'Infinity', '1_000', '٣'];
    const values: number[] = [];
    const t = new CsvTokenizer((r) => values.push(r.number(0)));
    t.push(Buffer.from(bad.map((b) => `"${b}"`).join('\n')));
    t.end();
    const unquoted: number[] = [];
    const u = new CsvTokenizer((r) => unquoted.push(r.number(0)));
    u.push(Buffer.from(bad.map((b) => `${b},`).join('\n')));
    u.end();
    expect(values.every(Number.isNaN)).toBe(true);
    expect(unquoted.every(Number.isNaN)).toBe(true);
  });
});

describe('readDataset (streaming)', () => {
  const csv = 'x1,x2,label\n1.5,2,b\n3,-4.25e1,a\n-1,.5,b\n0,7,a\n';

  it('builds the same dataset from any chunking as from the whole bytes', async () => {
    const expected = parseDataset(csv, { target: 'label' });
    for (const size of [1, 5, 64]) {
      const ds = await readDataset(chunksOf(Buffer.from(csv), size), { target: 'label' });
      expect(ds.columns).toEqual(expected.columns);
      expect([...ds.y]).toEqual([...expected.y]);
      expect(ds.fingerprint).toBe(expected.fingerprint);
      expect(ds.bytes).toBe(Buffer.byteLength(csv));
    }
  });

  it('reads gzip (told by its magic bytes) with the fingerprint of the plain CSV', async () => {
    const plain = parseDataset(csv, { target: 'label' });
    const gz = gzipSync(Buffer.from(csv));
    const streamed = await readDataset(chunksOf(gz, 7), { target: 'label' });
    expect(rowsOf(streamed)).toEqual(rowsOf(plain));
    expect(streamed.fingerprint).toBe(plain.fingerprint);
    expect(rowsOf(parseDataset(gz, { target: 'label' }))).toEqual(rowsOf(plain));
  });

  it('names a truncated gzip file and how far it got', async () => {
    const big = `a,label\n${Array.from({ length: 20_000 }, (_, i) => `${i},${i % 2}`).join('\n')}\n`;
    const gz = gzipSync(Buffer.from(big));
    const error = await rejection(
      readDataset(chunksOf(gz.subarray(0, gz.length - 100), 4096), { target: 'label', name: 'cut.csv.gz' }),
    );
    expect(error.code).toBe<DatasetErrorCode>('TRUNCATED');
    expect(error.message).toMatch(
      /^cut\.csv\.gz: the gzip stream ends early \(truncated file\?\) after .* of CSV \(line [\d,]+\)$/,
    );
    const corrupt = Buffer.from(gz);
    corrupt.fill(0x55, 200, 260);
    expect((await rejection(readDataset(chunksOf(corrupt, 4096), { target: 'label' }))).code).toBe(
      'TRUNCATED',
    );
  });

  it('names the line where a CSV cut mid-row or mid-quote ends', async () => {
    const cut = await rejection(
      readDataset(chunksOf(Buffer.from('a,b,label\n1,2,x\n3,4,y\n5,'), 3), { target: 'label' }),
    );
    expect(cut.message).toBe('line 4: expected 3 columns, got 2');
    const quote = await rejection(
      readDataset(chunksOf(Buffer.from('a,label\n1,x\n2,"y'), 3), { target: 'label' }),
    );
    expect(quote.message).toBe('line 3: quoted field is never closed');
  });

  it('stops at a column that turns non-numeric at row 900,000, naming line and column', async () => {
    async function* rows(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('f1,f2,label\n');
      const block = Buffer.from('0.25,1.5,a\n-3,4e2,b\n'.repeat(5000));
      for (let r = 0; r < 890_000; r += 10_000) yield block;
      yield Buffer.from(`${'1,2,a\n'.repeat(9_999)}7,n/a,b\n${'1,2,a\n'.repeat(100)}`);
    }
    const error = await rejection(readDataset(rows(), { target: 'label' }));
    expect(error.message).toBe("line 900001, column 'f2': 'n/a' is not a number");
    expect(error).toMatchObject({ code: 'NON_NUMERIC', line: 900_001, column: 'f2' });
  });

  it.each<[string, DatasetErrorCode, RegExp, object]>([
    [
      'bytes',
      'TOO_LARGE',
      /^big\.csv: more than 400 bytes of CSV, the limit for a dataset \(stopped at line /,
      { maxBytes: 400 },
    ],
    [
      'cells',
      'TOO_LARGE',
      /^big\.csv: more than 60 feature values \(rows × 2 features\) at line 32, the limit for a dataset \(30 rows at 2 features\)$/,
      { maxCells: 60 },
    ],
    [
      'classes',
      'TOO_MANY_CLASSES',
      /^line 5, column 'label': more than 3 distinct labels/,
      { maxClasses: 3 },
    ],
  ])('enforces the %s limit with one error naming it', async (_what, code, message, limits) => {
    const csv = `a,b,label\n${Array.from({ length: 100 }, (_, i) => `${i},${i * 2},c${i}`).join('\n')}\n`;
    const error = await rejection(
      readDataset(chunksOf(Buffer.from(csv), 64), { target: 'label', name: 'big.csv', limits }),
    );
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });

  it('stops a gzip bomb at the byte limit, however small the compressed file', async () => {
    const bomb = gzipSync(Buffer.from(`a,label\n${'1,x\n'.repeat(1_000_000)}`));
    expect(bomb.length).toBeLessThan(20_000);
    const error = await rejection(
      readDataset(chunksOf(bomb, 1024), { target: 'label', limits: { maxBytes: 1e6 } }),
    );
    expect(error.code).toBe('TOO_LARGE');
    expect(() => parseDataset(bomb, { target: 'label', limits: { maxBytes: 1e6 } })).toThrow(
      /once gunzipped/,
    );
  });

  it('refuses values beyond float32 range instead of storing Infinity', () => {
    expect(() => parseDataset('a,label\n1,x\n1e39,y\n', { target: 'label' })).toThrow(
      "line 3, column 'a': '1e39' is beyond the float32 range (±3.4e38) models compute in",
    );
  });

  it('holds the columns in one SharedArrayBuffer (a worker thread can take it without a copy)', async () => {
    const ds: Dataset = await readDataset(chunksOf(Buffer.from(csv), 8), { target: 'label' });
    const [first] = ds.columns;
    expect(first!.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(ds.columns.every((c) => c.buffer === first!.buffer)).toBe(true);
    expect(ds.y.buffer).toBeInstanceOf(SharedArrayBuffer);
  });
});

describe('splits at scale', () => {
  it('splits a million rows (where spreading indices into push overflowed the stack)', () => {
    const y = new Int32Array(1_000_000);
    for (let i = 0; i < y.length; i++) y[i] = i % 3;
    const s = stratifiedSplit(y, { testSize: 0.2, seed: 1 });
    expect(s.train.length + s.test.length).toBe(1_000_000);
    expect(s.test.length).toBe(3 * 66_667);
    expect(s.train).toBeInstanceOf(Int32Array);
    let ascending = true;
    for (let i = 1; i < s.test.length; i++) if (s.test[i]! <= s.test[i - 1]!) ascending = false;
    expect(ascending).toBe(true);
  });
});

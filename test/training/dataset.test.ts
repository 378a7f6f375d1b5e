import { createHash } from 'node:crypto';
import {
  builtinDataDirs,
  builtinDataset,
  builtinDatasetPath,
  DatasetError,
  type DatasetErrorCode,
  loadBuiltinDataset,
  parseCsv,
  parseDataset,
  rowsOf,
} from '../../training/index.js';

function codeOf(fn: () => unknown): DatasetErrorCode | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof DatasetError) return e.code;
    throw e;
  }
  return undefined;
}

describe('parseCsv', () => {
  it('handles quoted commas, escaped quotes, CRLF, BOM and blank lines', () => {
    const rows = parseCsv('\ufeffa,b\r\n"1,5","say ""hi"""\r\n\r\n2,"x\ny"\n');
    expect(rows).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['1,5', 'say "hi"'] },
      { line: 4, fields: ['2', 'x\ny'] },
    ]);
  });
});

describe('parseDataset', () => {
  const csv = 'x1,"x,2",label\n1,2,b\n3,4.5e0,a\n-1,.5,b\n';

  it('builds float32 columns, y, sorted classes, schema and fingerprint', () => {
    const ds = parseDataset(Buffer.from(csv), { target: 'label', name: 'toy' });
    expect(ds.featureNames).toEqual(['x1', 'x,2']);
    expect(ds.classes).toEqual(['a', 'b']);
    expect(ds.columns).toEqual([Float32Array.from([1, 3, -1]), Float32Array.from([2, 4.5, 0.5])]);
    expect(ds.columns[0]!.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(rowsOf(ds)).toEqual([
      [1, 2],
      [3, 4.5],
      [-1, 0.5],
    ]);
    expect([...ds.y]).toEqual([1, 0, 1]);
    expect(ds.rows).toBe(3);
    expect(ds.schema).toEqual([
      { name: 'x1', type: 'number' },
      { name: 'x,2', type: 'number' },
    ]);
    expect(ds.fingerprint).toBe(createHash('sha256').update(csv).digest('hex'));
  });

  it('keeps only the requested features, in the requested order', () => {
    const ds = parseDataset(csv, { target: 'label', features: ['x,2'] });
    expect(ds.featureNames).toEqual(['x,2']);
    expect(rowsOf(ds)[1]).toEqual([4.5]);
  });

  it('sorts numeric class labels numerically', () => {
    const ds = parseDataset('x,y\n1,10\n2,2\n3,1\n', { target: 'y' });
    expect(ds.classes).toEqual(['1', '2', '10']);
  });

  it.each<[DatasetErrorCode, string, object]>([
    ['EMPTY_FILE', '  \n', {}],
    ['MISSING_TARGET', 'a,b\n1,2\n', {}],
    ['DUPLICATE_COLUMN', 'a,a,label\n1,2,x\n', {}],
    ['UNKNOWN_FEATURE', 'a,label\n1,x\n2,y\n', { features: ['nope'] }],
    ['NO_FEATURES', 'label\nx\ny\n', {}],
    ['UNTERMINATED_QUOTE', 'a,label\n"1,x\n', {}],
    ['RAGGED_ROW', 'a,b,label\n1,2,x\n1,y\n', {}],
    ['NON_NUMERIC', 'a,b,label\n1,2,x\n1,abc,y\n', {}],
    ['NON_NUMERIC', 'a,b,label\n1,,x\n', {}],
    ['MISSING_LABEL', 'a,label\n1,x\n2,\n', {}],
    ['SINGLE_CLASS', 'a,label\n1,x\n2,x\n', {}],
    ['TOO_FEW_ROWS', 'a,label\n', {}],
  ])('rejects with %s', (code, text, extra) => {
    expect(codeOf(() => parseDataset(text, { target: 'label', ...extra }))).toBe(code);
  });

  it('names line and column for ragged and non-numeric rows', () => {
    expect(() => parseDataset('a,b,label\n1,2,x\n1,y\n', { target: 'label' })).toThrow(
      'line 3: expected 3 columns, got 2',
    );
    try {
      parseDataset('a,b,label\n1,2,x\n1,abc,y\n', { target: 'label' });
    } catch (e) {
      expect(e).toBeInstanceOf(DatasetError);
      expect((e as DatasetError).message).toBe("line 3, column 'b': 'abc' is not a number");
      expect((e as DatasetError).line).toBe(3);
      expect((e as DatasetError).column).toBe('b');
    }
  });

  it('throws TypeError when target is missing from the options', () => {
    expect(() => parseDataset('a,b\n', {} as never)).toThrow(TypeError);
    expect(() => parseDataset(42 as never, { target: 'label' })).toThrow(TypeError);
  });
});

describe('built-in datasets', () => {
  it.each([
    ['iris', 150, 4, ['setosa', 'versicolor', 'virginica']],
    ['wine', 178, 13, ['class_0', 'class_1', 'class_2']],
    ['breast_cancer', 569, 30, ['benign', 'malignant']],
  ])('%s loads with the documented shape', (name, rows, features, classes) => {
    const ds = loadBuiltinDataset(name);
    expect(ds.rows).toBe(rows);
    expect(ds.featureNames).toHaveLength(features);
    expect(ds.classes).toEqual(classes);
    expect(ds.name).toBe(name);
  });

  it('returns raw bytes and target, and resolves the fallback directory', () => {
    const src = builtinDataset('iris');
    expect(src.target).toBe('species');
    expect(src.csv.toString('utf8').startsWith('sepal length (cm)')).toBe(true);
    const [primary] = builtinDataDirs();
    expect(builtinDatasetPath('wine', ['/nonexistent', primary!])).toMatch(/wine\.csv$/);
  });

  it('rejects unknown names with UNKNOWN_DATASET', () => {
    expect(codeOf(() => builtinDataset('mnist'))).toBe('UNKNOWN_DATASET');
    expect(codeOf(() => builtinDatasetPath('iris', ['/nonexistent']))).toBe('UNKNOWN_DATASET');
  });
});

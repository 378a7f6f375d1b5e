import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Dataset, parseDataset } from './dataset.js';
import { DatasetError } from './errors.js';

export const BUILTIN_DATASETS = {
  iris: { file: 'iris.csv', target: 'species' },
  wine: { file: 'wine.csv', target: 'cultivar' },
  breast_cancer: { file: 'breast_cancer.csv', target: 'diagnosis' },
} as const;

export type BuiltinDatasetName = keyof typeof BUILTIN_DATASETS;

export function isBuiltinDatasetName(name: string): name is BuiltinDatasetName {
  return Object.hasOwn(BUILTIN_DATASETS, name);
}

function moduleDir(): string {
  // Under a CJS bundle import.meta.url is undefined; fall back to the bundle's own directory.
  const url = import.meta.url;
  if (typeof url === 'string') return dirname(fileURLToPath(url));
  return typeof __dirname === 'string' ? __dirname : process.cwd();
}

/**
 * Directories searched for the CSVs: `<module dir>/data` (source tree, or a Lambda bundle that copied
 * training/data/*.csv next to itself) then `<module dir>/../training/data` (bundle one level down).
 */
export function builtinDataDirs(): string[] {
  const dir = moduleDir();
  return [join(dir, 'data'), join(dir, '..', 'training', 'data')];
}

export function builtinDatasetPath(name: string, dirs: readonly string[] = builtinDataDirs()): string {
  if (!isBuiltinDatasetName(name)) {
    throw new DatasetError(
      'UNKNOWN_DATASET',
      `unknown built-in dataset '${name}' (known: ${Object.keys(BUILTIN_DATASETS).join(', ')})`,
    );
  }
  const file = BUILTIN_DATASETS[name].file;
  const found = dirs.map((d) => join(d, file)).find((p) => existsSync(p));
  if (!found)
    throw new DatasetError(
      'UNKNOWN_DATASET',
      `built-in dataset file ${file} not found in ${dirs.join(', ')}`,
    );
  return found;
}

export interface BuiltinDatasetSource {
  name: BuiltinDatasetName;
  csv: Buffer;
  target: string;
}

export function readBuiltinDataset(name: string, dirs?: readonly string[]): BuiltinDatasetSource {
  const path = builtinDatasetPath(name, dirs);
  const key = name as BuiltinDatasetName;
  return { name: key, csv: readFileSync(path), target: BUILTIN_DATASETS[key].target };
}

/** Raw bytes + target column of a bundled dataset. */
export const builtinDataset = readBuiltinDataset;

/** Parsed bundled dataset. */
export function loadBuiltinDataset(name: string, dirs?: readonly string[]): Dataset {
  const src = readBuiltinDataset(name, dirs);
  return parseDataset(src.csv, { target: src.target, name: src.name });
}

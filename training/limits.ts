/**
 * How big a training dataset may be. Memory, not the file, is what runs out: the parser holds 4 bytes per
 * feature value (float32 columns) and training adds at most ~3× that (docs/training.md, "Dataset size").
 */
export interface DatasetLimits {
  /** CSV bytes read, after gunzip (a gzip bomb stops here too). */
  readonly maxBytes: number;
  /** Feature values: rows × feature columns. */
  readonly maxCells: number;
  /** Distinct labels in the target column (more means a continuous target, not classes). */
  readonly maxClasses: number;
}

export const DATASET_LIMITS: DatasetLimits = {
  maxBytes: 2 * 1024 ** 3,
  maxCells: 50_000_000,
  maxClasses: 1000,
};

const fmt = (n: number) => n.toLocaleString('en-US');

/** A byte count in the largest binary unit it fills (GiB, MiB, KiB), else in bytes. */
export function formatBytes(bytes: number): string {
  const units: [number, string][] = [
    [1024 ** 3, 'GiB'],
    [1024 ** 2, 'MiB'],
    [1024, 'KiB'],
  ];
  for (const [size, unit] of units) {
    if (bytes >= size) return `${fmt(Math.round((bytes / size) * 10) / 10)} ${unit}`;
  }
  return `${fmt(bytes)} bytes`;
}

export const formatCount = fmt;

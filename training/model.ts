import { type NumberSpec, paramProblem } from './algorithms/defaults.js';
import { columnsOf, type FeatureColumns } from './dataset.js';

export type Algorithm = 'logreg' | 'tree' | 'forest' | 'gbt';
export const ALGORITHMS: readonly Algorithm[] = ['logreg', 'tree', 'forest', 'gbt'];

export type ParamValue = number | string | boolean;
export type Params = Record<string, ParamValue>;

/** Serialised form of a model: `name` + `version` tag checked by loadModel. */
export interface ModelJson {
  name: Algorithm;
  version: number;
  classes: string[];
  featureNames: string[];
  params: Params;
  state: unknown;
}

/** A model's output for n rows: probabilities row-major [n × classes] and the label index of each row. */
export interface Scores {
  proba: Float32Array;
  labels: Int32Array;
}

export interface TrainedModel {
  readonly algorithm: Algorithm;
  readonly params: Params;
  readonly classes: string[];
  readonly featureNames: string[];
  /**
   * Probabilities and labels of the given rows (default: all) of float32 feature columns, computed the way
   * the exported ONNX graph computes them (float32), so they match onnxruntime to ~1e-6.
   */
  score(data: FeatureColumns, index?: ArrayLike<number>): Scores;
  /** Row probabilities (score() over row arrays: for small inputs and tests). */
  predictProba(X: number[][]): number[][];
  /** Class indices (argmax of predictProba, first maximum wins — as onnxruntime does). */
  predict(X: number[][]): number[];
  toOnnx(): Uint8Array;
  toJSON(): ModelJson;
}

export interface FitContext {
  classes: string[];
  featureNames: string[];
  seed: number;
}

/** What a model is fitted on: the dataset's columns and labels, and which of its rows to use. */
export interface FitData {
  /** Float32 feature columns over every row of the dataset. */
  readonly columns: readonly Float32Array[];
  /** Class index of every row of the dataset. */
  readonly y: ArrayLike<number>;
  /** The rows to fit on, ascending indices into columns and y. */
  readonly index: Int32Array;
}

/** FitData over every row of in-memory row arrays (tests, small inputs). */
export function fitDataOf(X: readonly (readonly number[])[], y: ArrayLike<number>): FitData {
  const { columns } = columnsOf(X, X[0]?.length ?? 0);
  return { columns, y, index: Int32Array.from({ length: X.length }, (_, i) => i) };
}

/** Rows of a [n × C] probability buffer as arrays. */
export function probaRows(proba: Float32Array, C: number): number[][] {
  return Array.from({ length: proba.length / C }, (_, i) => Array.from(proba.subarray(i * C, (i + 1) * C)));
}

/** predictProba/predict over row arrays, through a model's columnar score(). */
export abstract class ColumnarModel {
  abstract readonly featureNames: string[];
  abstract readonly classes: string[];
  abstract score(data: FeatureColumns, index?: ArrayLike<number>): Scores;

  predictProba(X: number[][]): number[][] {
    checkMatrix(X, this.featureNames.length);
    return probaRows(this.score(columnsOf(X, this.featureNames.length)).proba, this.classes.length);
  }

  predict(X: number[][]): number[] {
    checkMatrix(X, this.featureNames.length);
    return Array.from(this.score(columnsOf(X, this.featureNames.length)).labels);
  }
}

export const f32 = Math.fround;

export function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

export function checkMatrix(X: unknown, nFeatures: number, name = 'X'): asserts X is number[][] {
  if (!Array.isArray(X)) throw new TypeError(`${name} must be an array of rows`);
  for (let i = 0; i < X.length; i++) {
    const row = X[i];
    if (!Array.isArray(row)) throw new TypeError(`${name}[${i}] must be an array of numbers`);
    if (row.length !== nFeatures) {
      throw new RangeError(`${name}[${i}] must have ${nFeatures} features, got ${row.length}`);
    }
  }
}

export function checkFitData(data: FitData, nFeatures: number): void {
  if (data.columns.length !== nFeatures) {
    throw new RangeError(`expected ${nFeatures} feature columns, got ${data.columns.length}`);
  }
  if (data.index.length === 0) throw new RangeError('no rows to fit on');
}

export function checkColumns(data: FeatureColumns, nFeatures: number): void {
  if (data.columns.length !== nFeatures) {
    throw new RangeError(`expected ${nFeatures} feature columns, got ${data.columns.length}`);
  }
}

/** Reads a numeric param through its spec (algorithms/defaults.ts): the default when absent, else checked. */
export function numberParam(params: Params, name: string, spec: NumberSpec): number {
  const value = params[name] ?? spec.default;
  const problem = paramProblem(name, spec, value);
  if (!problem) return value as number;
  const typed =
    typeof value === 'number' && !Number.isNaN(value) && (!spec.integer || Number.isInteger(value));
  throw typed ? new RangeError(problem) : new TypeError(problem);
}

export function checkKnownParams(params: Params, known: readonly string[], algorithm: string): void {
  for (const key of Object.keys(params)) {
    if (!known.includes(key)) {
      throw new RangeError(`unknown param '${key}' for ${algorithm} (known: ${known.join(', ')})`);
    }
  }
}

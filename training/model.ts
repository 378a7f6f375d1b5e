import { type NumberSpec, paramProblem } from './algorithms/defaults.js';

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

export interface TrainedModel {
  readonly algorithm: Algorithm;
  readonly params: Params;
  readonly classes: string[];
  readonly featureNames: string[];
  /** Row probabilities; computed so they match the exported ONNX graph (float32) to ~1e-6. */
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

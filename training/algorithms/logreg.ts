import { ModelFormatError } from '../errors.js';
import {
  argmax,
  checkKnownParams,
  checkMatrix,
  type FitContext,
  f32,
  type ModelJson,
  numberParam,
  type Params,
  type TrainedModel,
} from '../model.js';
import { linearClassifierOnnx } from '../onnx/classifier-graphs.js';
import { LOGREG_DEFAULTS, PARAM_SPECS } from './defaults.js';

export const LOGREG_VERSION = 1;
const PARAM_NAMES = Object.keys(LOGREG_DEFAULTS);

interface LogregState {
  /** Scaler attributes: z = (x - offset) * scale, float32 values. */
  offset: number[];
  scale: number[];
  /** Row-major [classes × features], float32 values. */
  coefficients: number[];
  intercepts: number[];
}

function resolveParams(params: Params) {
  checkKnownParams(params, PARAM_NAMES, 'logreg');
  return {
    l2: numberParam(params, 'l2', PARAM_SPECS.logreg.l2),
    maxIter: numberParam(params, 'max_iter', PARAM_SPECS.logreg.max_iter),
    tol: numberParam(params, 'tol', PARAM_SPECS.logreg.tol),
  };
}

/** Mean cross-entropy + l2/2·‖W‖² (l2 per row) and its gradient; theta = [W (C×F row-major), b (C)]. */
function lossAndGradient(
  theta: Float64Array,
  Z: Float64Array,
  y: readonly number[],
  F: number,
  C: number,
  l2: number,
  grad: Float64Array,
): number {
  const n = y.length;
  grad.fill(0);
  const scores = new Float64Array(C);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const row = i * F;
    let max = -Infinity;
    for (let c = 0; c < C; c++) {
      let s = theta[C * F + c]!;
      const w = c * F;
      for (let j = 0; j < F; j++) s += theta[w + j]! * Z[row + j]!;
      scores[c] = s;
      if (s > max) max = s;
    }
    let sum = 0;
    for (let c = 0; c < C; c++) {
      const e = Math.exp(scores[c]! - max);
      scores[c] = e;
      sum += e;
    }
    const yi = y[i]!;
    for (let c = 0; c < C; c++) {
      const p = scores[c]! / sum;
      if (c === yi) loss -= Math.log(Math.max(p, 1e-300));
      const d = (p - (c === yi ? 1 : 0)) / n;
      grad[C * F + c]! += d;
      const w = c * F;
      for (let j = 0; j < F; j++) grad[w + j]! += d * Z[row + j]!;
    }
  }
  loss /= n;
  for (let k = 0; k < C * F; k++) {
    loss += 0.5 * l2 * theta[k]! ** 2;
    grad[k]! += l2 * theta[k]!;
  }
  return loss;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Deterministic L-BFGS (memory 10) with Armijo backtracking, starting from zero weights. */
function minimise(
  f: (theta: Float64Array, grad: Float64Array) => number,
  size: number,
  maxIter: number,
  tol: number,
): Float64Array {
  const m = 10;
  let x = new Float64Array(size);
  let g = new Float64Array(size);
  let fx = f(x, g);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const xNew = new Float64Array(size);
  const gNew = new Float64Array(size);
  for (let iter = 0; iter < maxIter; iter++) {
    if (Math.max(...g.map(Math.abs)) <= tol) break;
    const d = Float64Array.from(g, (v) => -v);
    const alpha: number[] = [];
    for (let k = S.length - 1; k >= 0; k--) {
      const a = rho[k]! * dot(S[k]!, d);
      alpha[k] = a;
      for (let i = 0; i < size; i++) d[i]! -= a * Y[k]![i]!;
    }
    if (S.length > 0) {
      const last = S.length - 1;
      const gamma = dot(S[last]!, Y[last]!) / dot(Y[last]!, Y[last]!);
      for (let i = 0; i < size; i++) d[i]! *= gamma;
    }
    for (let k = 0; k < S.length; k++) {
      const b = rho[k]! * dot(Y[k]!, d);
      for (let i = 0; i < size; i++) d[i]! += S[k]![i]! * (alpha[k]! - b);
    }
    let slope = dot(g, d);
    if (!(slope < 0)) {
      // Not a descent direction: reset memory and fall back to steepest descent.
      S.length = 0;
      Y.length = 0;
      rho.length = 0;
      for (let i = 0; i < size; i++) d[i] = -g[i]!;
      slope = dot(g, d);
    }
    let step = iter === 0 ? 1 / Math.max(1, Math.sqrt(dot(g, g))) : 1;
    let fNew = Infinity;
    for (let ls = 0; ls < 40; ls++) {
      for (let i = 0; i < size; i++) xNew[i] = x[i]! + step * d[i]!;
      fNew = f(xNew, gNew);
      if (fNew <= fx + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(fNew < fx)) break;
    const s = Float64Array.from(xNew, (v, i) => v - x[i]!);
    const yv = Float64Array.from(gNew, (v, i) => v - g[i]!);
    const sy = dot(s, yv);
    if (sy > 1e-12) {
      S.push(s);
      Y.push(yv);
      rho.push(1 / sy);
      if (S.length > m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
    }
    const converged = Math.abs(fx - fNew) <= 1e-12 * Math.max(1, Math.abs(fx));
    x = Float64Array.from(xNew);
    g = Float64Array.from(gNew);
    fx = fNew;
    if (converged) break;
  }
  return x;
}

/** Multinomial logistic regression on standardised features; the scaler is part of the model and its ONNX. */
export class LogisticRegression implements TrainedModel {
  readonly algorithm = 'logreg' as const;

  private constructor(
    readonly classes: string[],
    readonly featureNames: string[],
    readonly params: Params,
    private readonly state: LogregState,
  ) {}

  static train(X: number[][], y: number[], ctx: FitContext, params: Params = {}): LogisticRegression {
    const p = resolveParams(params);
    const F = ctx.featureNames.length;
    const C = ctx.classes.length;
    checkMatrix(X, F);
    const n = X.length;
    const offset: number[] = [];
    const scale: number[] = [];
    for (let j = 0; j < F; j++) {
      let mean = 0;
      for (const row of X) mean += row[j]!;
      mean /= n;
      let v = 0;
      for (const row of X) v += (row[j]! - mean) ** 2;
      const std = Math.sqrt(v / n);
      offset.push(f32(mean));
      scale.push(f32(std > 1e-12 ? 1 / std : 1));
    }
    // Fit on exactly the float32 standardisation the ONNX Scaler will apply.
    const Z = new Float64Array(n * F);
    X.forEach((row, i) => {
      for (let j = 0; j < F; j++) Z[i * F + j] = f32(f32(f32(row[j]!) - offset[j]!) * scale[j]!);
    });
    // l2 weighs the summed log loss (scikit-learn's 1/C); the objective below is the mean, so l2/n. With
    // two classes only the difference of the two weight rows matters, and scikit-learn penalises that one
    // log-odds vector: its penalty is twice the one on two opposite rows, hence the factor 2.
    const perRow = ((C === 2 ? 2 : 1) * p.l2) / n;
    const theta = minimise(
      (t, g) => lossAndGradient(t, Z, y, F, C, perRow, g),
      C * (F + 1),
      p.maxIter,
      p.tol,
    );
    const state: LogregState = {
      offset,
      scale,
      coefficients: Array.from(theta.subarray(0, C * F), f32),
      intercepts: Array.from(theta.subarray(C * F), f32),
    };
    return new LogisticRegression(
      [...ctx.classes],
      [...ctx.featureNames],
      { l2: p.l2, max_iter: p.maxIter, tol: p.tol },
      state,
    );
  }

  static load(json: ModelJson): LogisticRegression {
    if (json?.name !== 'logreg' || json.version !== LOGREG_VERSION) {
      throw new ModelFormatError(`expected logreg v${LOGREG_VERSION}, got ${json?.name} v${json?.version}`);
    }
    const s = json.state as LogregState;
    const F = json.featureNames.length;
    const C = json.classes.length;
    if (
      s?.offset?.length !== F ||
      s.scale?.length !== F ||
      s.coefficients?.length !== C * F ||
      s.intercepts?.length !== C
    ) {
      throw new ModelFormatError('logreg state does not match its classes/features');
    }
    return new LogisticRegression(json.classes, json.featureNames, json.params, s);
  }

  predictProba(X: number[][]): number[][] {
    const F = this.featureNames.length;
    const C = this.classes.length;
    checkMatrix(X, F);
    const { offset, scale, coefficients, intercepts } = this.state;
    return X.map((row) => {
      const z = row.map((x, j) => f32(f32(f32(x) - offset[j]!) * scale[j]!));
      const scores = intercepts.map((b, c) => {
        let s = b;
        for (let j = 0; j < F; j++) s += coefficients[c * F + j]! * z[j]!;
        return s;
      });
      const max = Math.max(...scores);
      const exps = scores.map((s) => Math.exp(s - max));
      const sum = exps.reduce((a, b) => a + b, 0);
      return exps.slice(0, C).map((e) => f32(e / sum));
    });
  }

  predict(X: number[][]): number[] {
    return this.predictProba(X).map(argmax);
  }

  toOnnx(): Uint8Array {
    return linearClassifierOnnx({
      algorithm: 'logreg',
      featureNames: this.featureNames,
      classes: this.classes,
      ...this.state,
    });
  }

  toJSON(): ModelJson {
    return {
      name: 'logreg',
      version: LOGREG_VERSION,
      classes: [...this.classes],
      featureNames: [...this.featureNames],
      params: { ...this.params },
      state: structuredClone(this.state),
    };
  }
}

/**
 * cpu forward kernels of softmax cross-entropy, dense and sparse labels
 * (kernels/FORMULAS.md). Per row, the online log-sum-exp and the weighted
 * target mass W' = Σ_{ŷ≠0} w·ŷ and S = Σ_{ŷ≠0} w·ŷ·z, so that
 * L = W'·lse − S + λ·lse² needs no [rows, C] intermediate (float64
 * accumulation: no cancellation concern). Sparse rows need only lse and the
 * target logit (a second pass over the row only with label smoothing).
 *
 * Where WebAssembly SIMD runs (simd/flags_simd.ts, FUSED_CE_CPU_SIMD), both
 * kernels hand over to the SIMD module instead (softmax_simd.ts); the loops
 * here are the fallback.
 *
 * Each kernel has a plain loop (T = 1, ε = 0, no class weights: row_math.isPlain)
 * and a general one; both read Float32Array rows only (row_math.F32Rows).
 * Most of the kernels' time is fastExp (see fast_exp.ts); the rest is
 * reading logits and labels (timings: README.md, "Softmax forward").
 */
import {fastExp} from './fast_exp';
import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';
import {SoftmaxCrossEntropy, SoftmaxCrossEntropyAttrs, SoftmaxCrossEntropyInputs, SparseSoftmaxCrossEntropy, SparseSoftmaxCrossEntropyInputs} from '../kernel_names';
import {classWeightArray, F32Rows, isPlain, keepLabelRows, labelRowsCapacity, rowLse, saveRowStats, sumOf} from './row_math';
import {cpuSimdEnabled} from '../simd/flags_simd';
import {denseForwardSimd, sparseForwardSimd} from './softmax_simd';
import {sparseRowsForward} from './sparse_softmax_rows';
import {isUnreduced, reduceRowLoss} from '../softmax_reduction';

function values(backend: MathBackendCPU, t: TensorInfo): ArrayLike<number> {
  return backend.data.get(t.dataId).values as ArrayLike<number>;
}

/** The outputs: loss [rows] and the saved (m, s) per row, [rows, 2] (row_math.ROW_STATS). */
function outputs(backend: MathBackendCPU, rows: number, loss: Float32Array, stats: Float32Array): TensorInfo[] {
  return [backend.makeTensorInfo([rows], 'float32', loss), backend.makeTensorInfo([rows, 2], 'float32', stats)];
}

/**
 * Dense rows, T = 1, ε = 0, no weights: W' = Σ_{y≠0} y, S = Σ_{y≠0} y·x.
 * Two loops per row: the lse loop (row_math.rowLse), then the label loop
 * over y with the x row still in L1, in two interleaved partial sums (two
 * chains of dependent adds, for soft-label rows where every y ≠ 0).
 * This beat one loop doing both (README.md, "Softmax forward"). While they
 * fit, the label loop also keeps the nonzero labels for the backward
 * (row_math.LabelRows).
 * Returns whether they fit.
 */
function denseForwardPlain(x: F32Rows, y: F32Rows, rows: number, C: number, zLoss: number, loss: Float32Array,
    lseOut: Float32Array, kept: {start: Int32Array, cls: Int32Array, val: Float32Array}): boolean {
  const xa = x.array, ya = y.array;
  const cap = kept.cls.length;
  let n = 0;  // nonzero labels kept so far, or cap + 1 once they no longer fit
  for (let i = 0; i < rows; i++) {
    const xo = x.row(i), yo = y.row(i);
    const lse = rowLse(xa, xo, C);
    n = n <= cap ? labelTermsKept(xa, xo, ya, yo, C, kept, n) : labelTerms(xa, xo, ya, yo, C, n);
    kept.start[i + 1] = n;
    saveRowStats(lseOut, i);
    loss[i] = TERMS[0] * lse - TERMS[1] + zLoss * lse * lse;
  }
  return n <= cap;
}

/** W' and S of the last row (label loops below), without allocating a pair per row. */
const TERMS = new Float64Array(2);

/** TERMS ← Σ_{y≠0} y, Σ_{y≠0} y·x over one row, in two interleaved partial sums. Returns n. */
function labelTerms(xa: Float32Array, xo: number, ya: Float32Array, yo: number, C: number, n: number): number {
  let mass0 = 0, dot0 = 0, mass1 = 0, dot1 = 0;
  let c = 0;
  for (; c + 1 < C; c += 2) {
    const y0 = ya[yo + c], y1 = ya[yo + c + 1];
    if (y0 !== 0) {  // skipped, not multiplied: 0·(−∞) would be NaN
      mass0 += y0;
      dot0 += y0 * xa[xo + c];
    }
    if (y1 !== 0) {
      mass1 += y1;
      dot1 += y1 * xa[xo + c + 1];
    }
  }
  if (c < C) {
    const y0 = ya[yo + c];
    if (y0 !== 0) {
      mass0 += y0;
      dot0 += y0 * xa[xo + c];
    }
  }
  TERMS[0] = mass0 + mass1;
  TERMS[1] = dot0 + dot1;
  return n;
}

/**
 * The same, also appending the row's nonzero labels to `kept` from entry n on.
 * Returns the new n: cap + 1 when they no longer fit (the caller then stops
 * keeping; what was appended is unused).
 */
function labelTermsKept(xa: Float32Array, xo: number, ya: Float32Array, yo: number, C: number,
    kept: {cls: Int32Array, val: Float32Array}, n: number): number {
  const {cls, val} = kept;
  const cap = cls.length;
  let mass = 0, dot = 0;
  let c = 0;
  for (; c + 1 < C; c += 2) {  // by two: one-hot rows are a scan for one nonzero
    const y0 = ya[yo + c], y1 = ya[yo + c + 1];
    if (y0 !== 0 || y1 !== 0) {
      if (n + 2 > cap) {
        return labelTerms(xa, xo, ya, yo, C, cap + 1);  // may not fit: this row again, plainly; keep no more
      }
      if (y0 !== 0) {
        mass += y0;
        dot += y0 * xa[xo + c];
        cls[n] = c;
        val[n++] = y0;
      }
      if (y1 !== 0) {
        mass += y1;
        dot += y1 * xa[xo + c + 1];
        cls[n] = c + 1;
        val[n++] = y1;
      }
    }
  }
  if (c < C) {
    const y0 = ya[yo + c];
    if (y0 !== 0) {
      if (n + 1 > cap) {
        return labelTerms(xa, xo, ya, yo, C, cap + 1);
      }
      mass += y0;
      dot += y0 * xa[xo + c];
      cls[n] = c;
      val[n++] = y0;
    }
  }
  TERMS[0] = mass;
  TERMS[1] = dot;
  return n;
}

/** Dense rows, any attributes: z = x/T, ŷ = (1 − ε)·y + ε/C, weights w[c]. */
function denseForwardGeneral(x: F32Rows, y: F32Rows, rows: number, C: number, attrs: SoftmaxCrossEntropyAttrs,
    loss: Float32Array, lseOut: Float32Array): void {
  const invT = 1 / attrs.temperature;
  const keep = 1 - attrs.labelSmoothing, base = attrs.labelSmoothing / C;
  const zLoss = attrs.zLoss;
  const w = classWeightArray(attrs, C);
  const xa = x.array, ya = y.array;
  for (let i = 0; i < rows; i++) {
    const xo = x.row(i), yo = y.row(i);
    let m = -Infinity, s = 0, mass = 0, dot = 0;
    for (let c = 0; c < C; c++) {
      const v = xa[xo + c];  // m and the rescaling in logit units (row_math.ROW_STATS)
      if (v > m) {
        s = s * fastExp((m - v) * invT) + 1;
        m = v;
      } else if (v !== -Infinity) {
        s += fastExp((v - m) * invT);
      }
      const yh = keep * ya[yo + c] + base;
      if (yh !== 0) {
        const wy = w[c] * yh;
        mass += wy;
        dot += wy * (v * invT);
      }
    }
    if (m === Infinity) s = NaN;  // a +∞ logit: the row is NaN (FORMULAS.md)
    const lse = m * invT + Math.log(s);
    lseOut[2 * i] = m;
    lseOut[2 * i + 1] = s;
    loss[i] = mass * lse - dot + zLoss * lse * lse;
  }
}

function softmaxCrossEntropy(args: {inputs: SoftmaxCrossEntropyInputs, backend: MathBackendCPU, attrs: SoftmaxCrossEntropyAttrs}): TensorInfo[] {
  const {inputs, backend, attrs} = args;
  const [rows, C] = inputs.logits.shape;
  if (cpuSimdEnabled()) {
    return denseForwardSimd(backend, values(backend, inputs.logits), values(backend, inputs.labels), rows, C, attrs);
  }
  const x = new F32Rows(values(backend, inputs.logits), C);
  const y = new F32Rows(values(backend, inputs.labels), C);
  const loss = new Float32Array(rows);
  const lse = new Float32Array(2 * rows);
  if (!isPlain(attrs)) {
    denseForwardGeneral(x, y, rows, C, attrs, loss, lse);
    return outputs(backend, rows, loss, lse);
  }
  const cap = labelRowsCapacity(rows);
  const kept = {start: new Int32Array(rows + 1), cls: new Int32Array(cap), val: new Float32Array(cap)};
  const fits = denseForwardPlain(x, y, rows, C, attrs.zLoss, loss, lse, kept);
  const out = outputs(backend, rows, loss, lse);
  if (fits) {
    keepLabelRows(out[1].dataId, {labels: inputs.labels.dataId, rows, C, ...kept});
  }
  return out;
}

function sparseSoftmaxCrossEntropy(args: {inputs: SparseSoftmaxCrossEntropyInputs, backend: MathBackendCPU, attrs: SoftmaxCrossEntropyAttrs}): TensorInfo[] {
  const {inputs, backend, attrs} = args;
  const [rows, C] = inputs.logits.shape;
  const t = values(backend, inputs.labels);
  if (cpuSimdEnabled()) {
    return sparseForwardSimd(backend, values(backend, inputs.logits), t, rows, C, attrs);
  }
  const w = classWeightArray(attrs, C);
  const sumW = attrs.labelSmoothing === 0 ? 0 : sumOf(w);
  const loss = new Float32Array(rows);
  const lseOut = new Float32Array(2 * rows);
  const xv = values(backend, inputs.logits);
  if (xv instanceof Float32Array) {
    sparseRowsForward(xv, rows, C, t, 0, attrs, w, sumW, loss, lseOut);
  } else {
    // Not a Float32Array (a cast without copy): one row at a time through the F32Rows scratch.
    const x = new F32Rows(xv, C);
    for (let i = 0; i < rows; i++) {
      x.row(i);
      sparseRowsForward(x.array, 1, C, t, i, attrs, w, sumW, loss, lseOut);
    }
  }
  return outputs(backend, rows, loss, lseOut);
}

/**
 * A forward kernel with the contract's reduction applied to its per-row loss
 * (softmax_reduction.ts): the loops above always write [rows].
 */
function withReduction<A extends {backend: MathBackendCPU, attrs: SoftmaxCrossEntropyAttrs}>(
    kernel: string, perRow: (args: A) => TensorInfo[]): KernelFunc {
  return (args => {
    const {backend, attrs} = args as unknown as A;
    const out = perRow(args as unknown as A);
    if (isUnreduced(attrs)) {
      return out;
    }
    const r = reduceRowLoss(values(backend, out[0]), attrs, `${kernel} (cpu)`);
    backend.disposeData(out[0].dataId);
    return [backend.makeTensorInfo(r.shape, 'float32', r.values), out[1]];
  }) as KernelFunc;
}

export const softmaxCrossEntropyConfig: KernelConfig = {
  kernelName: SoftmaxCrossEntropy,
  backendName: 'cpu',
  kernelFunc: withReduction(SoftmaxCrossEntropy, softmaxCrossEntropy),
};

export const sparseSoftmaxCrossEntropyConfig: KernelConfig = {
  kernelName: SparseSoftmaxCrossEntropy,
  backendName: 'cpu',
  kernelFunc: withReduction(SparseSoftmaxCrossEntropy, sparseSoftmaxCrossEntropy),
};

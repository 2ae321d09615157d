/**
 * cpu backward kernels of softmax cross-entropy (kernels/FORMULAS.md):
 *   d/dlogits  dx[i,c] = dy[i]/T · ((W[i] + 2λ·lse[i])·p[i,c] − w[c]·ŷ[i,c])
 *   d/dlabels  dy[i]·(1 − ε)·w[c]·(lse[i] − z[i,c])          (dense only)
 * with p = exp(z − lse), lse rebuilt per row in float64 from the forward's
 * saved (m, s) (row_math.savedLse; a float32 lse would cost every p up to
 * ½ ulp(|lse|), FORMULAS.md "Precision"): one elementwise pass that
 * writes only the gradient, sequentially, one fastExp per element and nothing
 * else transcendental (dense d/dlogits first sums W[i] over the labels row,
 * which is then still in L1).
 *
 * Plain loops (T = 1, ε = 0, no class weights: row_math.isPlain) beside the
 * general ones; Float32Array rows only (row_math.F32Rows). The plain loops
 * are unrolled by 4, which was faster than the plain loop; part of each
 * median is the fresh output array's page faults, which no kernel can avoid:
 * tfjs owns the array it is given (README.md, "Softmax backward"). The unrolled sweep is one function
 * (expSweep) shared by both plain loops.
 *
 * Where WebAssembly SIMD runs (simd/flags_simd.ts, FUSED_CE_CPU_SIMD), the
 * kernels hand over to the SIMD module (softmax_simd.ts); the loops here are
 * the fallback.
 */
import {fastExp} from './fast_exp';
import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';
import {SoftmaxCrossEntropyGrad, SoftmaxCrossEntropyGradAttrs, SoftmaxCrossEntropyGradInputs, SparseSoftmaxCrossEntropyGrad, SparseSoftmaxCrossEntropyGradInPlace} from '../kernel_names';
import {checkInPlaceTarget} from '../linear_cross_entropy_checks';
import {checkSparseLabel, classWeightArray, F32Rows, isPlain, keptLabelRows, LabelRows, savedLse, sumOf} from './row_math';
import {cpuSimdEnabled} from '../simd/flags_simd';
import {denseGradSimd, sparseGradSimd} from './softmax_simd';
import {rowDy} from '../softmax_reduction';

interface GradArgs {
  inputs: SoftmaxCrossEntropyGradInputs;
  backend: MathBackendCPU;
  attrs: SoftmaxCrossEntropyGradAttrs;
}

/** The inputs' arrays; dy as one value per row, `scale·dy_b[i]` (the contract's reduction, softmax_reduction.ts). */
function read(args: GradArgs, kernel: string) {
  const {inputs, backend, attrs} = args;
  const get = (t: TensorInfo) => backend.data.get(t.dataId).values as ArrayLike<number>;
  const [rows, C] = inputs.logits.shape;
  return {rows, C, x: get(inputs.logits), y: get(inputs.labels), lse: get(inputs.lse),
          dy: rowDy(get(inputs.dy), rows, attrs, `${kernel} (cpu)`)};
}

/**
 * Σ of a row, in four independent float64 partial sums: one chain of
 * dependent adds is latency-bound (README.md, "Softmax backward").
 */
function rowSum(a: Float32Array, off: number, C: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let c = off;
  const end = off + C;
  for (; c + 3 < end; c += 4) {
    s0 += a[c];
    s1 += a[c + 1];
    s2 += a[c + 2];
    s3 += a[c + 3];
  }
  for (; c < end; c++) {
    s0 += a[c];
  }
  return (s0 + s1) + (s2 + s3);
}

/**
 * out[o + c] = gp·exp(x[xo + c] − l) over one row, unrolled by 4: the sweep of
 * the plain loops (dense with kept labels, sparse). It may write over the row
 * it reads (out = xa, o = xo): each element is read before it is written.
 */
function expSweep(xa: Float32Array, xo: number, C: number, l: number, gp: number, out: Float32Array, o: number): void {
  let c = 0;
  for (; c + 3 < C; c += 4) {
    out[o + c] = gp * fastExp(xa[xo + c] - l);
    out[o + c + 1] = gp * fastExp(xa[xo + c + 1] - l);
    out[o + c + 2] = gp * fastExp(xa[xo + c + 2] - l);
    out[o + c + 3] = gp * fastExp(xa[xo + c + 3] - l);
  }
  for (; c < C; c++) {
    out[o + c] = gp * fastExp(xa[xo + c] - l);
  }
}

/** d/dlogits, dense, T = 1, ε = 0, no weights: dx = dy·((W + 2λ·lse)·p − y), W = Σ_c y. */
function denseGradPlain(x: F32Rows, y: F32Rows, lse: ArrayLike<number>, dy: ArrayLike<number>, rows: number, C: number,
    zLoss: number, out: Float32Array): void {
  const xa = x.array, ya = y.array;
  for (let i = 0, o = 0; i < rows; i++, o += C) {
    const xo = x.row(i), yo = y.row(i);
    const l = savedLse(lse, i, 1), g = dy[i];
    const pScale = rowSum(ya, yo, C) + 2 * zLoss * l;
    let c = 0;
    for (; c + 3 < C; c += 4) {
      out[o + c] = g * (pScale * fastExp(xa[xo + c] - l) - ya[yo + c]);
      out[o + c + 1] = g * (pScale * fastExp(xa[xo + c + 1] - l) - ya[yo + c + 1]);
      out[o + c + 2] = g * (pScale * fastExp(xa[xo + c + 2] - l) - ya[yo + c + 2]);
      out[o + c + 3] = g * (pScale * fastExp(xa[xo + c + 3] - l) - ya[yo + c + 3]);
    }
    for (; c < C; c++) {
      out[o + c] = g * (pScale * fastExp(xa[xo + c] - l) - ya[yo + c]);
    }
  }
}

/**
 * d/dlogits, dense, T = 1, ε = 0, no weights, from the forward's kept nonzero
 * labels (row_math.LabelRows): the labels are not read. Every class gets
 * dy·(W + 2λ·lse)·p, then the classes with y ≠ 0 are written again in one
 * float64 expression (p − y must not cancel in float32).
 */
function denseGradKept(x: F32Rows, kept: LabelRows, lse: ArrayLike<number>, dy: ArrayLike<number>, rows: number, C: number,
    zLoss: number, out: Float32Array): void {
  const xa = x.array;
  const {start, cls, val} = kept;
  for (let i = 0, o = 0; i < rows; i++, o += C) {
    const xo = x.row(i);
    const l = savedLse(lse, i, 1), g = dy[i];
    const k0 = start[i], k1 = start[i + 1];
    let W = 0;
    for (let k = k0; k < k1; k++) {
      W += val[k];
    }
    const pScale = W + 2 * zLoss * l;
    expSweep(xa, xo, C, l, g * pScale, out, o);
    for (let k = k0; k < k1; k++) {
      const t = cls[k];
      out[o + t] = g * (pScale * fastExp(xa[xo + t] - l) - val[k]);
    }
  }
}

/** d/dlogits, dense, any attributes. */
function denseGradGeneral(x: F32Rows, y: F32Rows, lse: ArrayLike<number>, dy: ArrayLike<number>, rows: number, C: number,
    attrs: SoftmaxCrossEntropyGradAttrs, out: Float32Array): void {
  const invT = 1 / attrs.temperature;
  const keep = 1 - attrs.labelSmoothing, base = attrs.labelSmoothing / C;
  const zLoss = attrs.zLoss;
  const w = classWeightArray(attrs, C);
  const xa = x.array, ya = y.array;
  for (let i = 0, o = 0; i < rows; i++, o += C) {
    const xo = x.row(i), yo = y.row(i);
    const l = savedLse(lse, i, invT);
    let W = 0;  // Σ_c w[c]·ŷ[c]: label rows need not sum to 1
    for (let c = 0; c < C; c++) {
      W += w[c] * (keep * ya[yo + c] + base);
    }
    const g = dy[i] * invT;
    const pScale = W + 2 * zLoss * l;
    for (let c = 0; c < C; c++) {
      out[o + c] = g * (pScale * fastExp(xa[xo + c] * invT - l) - w[c] * (keep * ya[yo + c] + base));
    }
  }
}

/** d/dlabels, dense: dy·(1 − ε)·w[c]·(lse − x/T). No exp. */
function denseLabelsGrad(x: F32Rows, lse: ArrayLike<number>, dy: ArrayLike<number>, rows: number, C: number,
    attrs: SoftmaxCrossEntropyGradAttrs, out: Float32Array): void {
  const invT = 1 / attrs.temperature;
  const keep = 1 - attrs.labelSmoothing;
  const w = classWeightArray(attrs, C);
  const xa = x.array;
  for (let i = 0, o = 0; i < rows; i++, o += C) {
    const xo = x.row(i);
    const l = savedLse(lse, i, invT);
    const scale = dy[i] * keep;
    for (let c = 0; c < C; c++) {
      out[o + c] = scale * w[c] * (l - xa[xo + c] * invT);
    }
  }
}

function softmaxCrossEntropyGrad(args: GradArgs): TensorInfo {
  const {backend, attrs} = args;
  const {rows, C, x: xv, y: yv, lse, dy} = read(args, SoftmaxCrossEntropyGrad);
  if (cpuSimdEnabled()) {
    return backend.makeTensorInfo([rows, C], 'float32', denseGradSimd(xv, yv, lse, dy, rows, C, attrs));
  }
  const x = new F32Rows(xv, C);
  const out = new Float32Array(rows * C);
  if (attrs.wrt === 'labels') {
    denseLabelsGrad(x, lse, dy, rows, C, attrs, out);
  } else if (isPlain(attrs)) {
    const kept = keptLabelRows(args.inputs.lse.dataId, args.inputs.labels.dataId, rows, C);
    if (kept != null) {
      denseGradKept(x, kept, lse, dy, rows, C, attrs.zLoss, out);
    } else {
      denseGradPlain(x, new F32Rows(yv, C), lse, dy, rows, C, attrs.zLoss, out);
    }
  } else {
    denseGradGeneral(x, new F32Rows(yv, C), lse, dy, rows, C, attrs, out);
  }
  return backend.makeTensorInfo([rows, C], 'float32', out);
}

/**
 * The sparse gradient into `out`, which is a fresh zeroed array or the logits'
 * own array (`inPlace`: each element is read before it is written, the target
 * logit before the row's sweep, and ignored rows are zeroed explicitly).
 */
function sparseGradInto(args: GradArgs, out: Float32Array, inPlace: boolean, kernel: string): void {
  const {attrs} = args;
  if (attrs.wrt !== 'logits') {
    throw new Error('sparseSoftmaxCrossEntropyWithLogits: sparse labels are not differentiable');
  }
  const {rows, C, x: xv, y: t, lse, dy} = read(args, kernel);
  if (cpuSimdEnabled()) {
    sparseGradSimd(xv, t, lse, dy, rows, C, attrs, out);
    return;
  }
  const x = new F32Rows(xv, C);
  const xa = x.array;
  const plain = isPlain(attrs);
  const invT = 1 / attrs.temperature;
  const eps = attrs.labelSmoothing, zLoss = attrs.zLoss, ignore = attrs.ignoreIndex;
  const w = classWeightArray(attrs, C);
  const smoothMass = (eps / C) * sumOf(w);
  const base = eps / C;  // every class's share of the smoothed target
  for (let i = 0, o = 0; i < rows; i++, o += C) {
    const target = t[i];
    if (ignore != null && target === ignore) {
      if (inPlace) {
        out.fill(0, o, o + C);
      }
      continue;
    }
    checkSparseLabel(target, i, C);
    const xo = x.row(i);
    const l = savedLse(lse, i, invT);
    const g = dy[i] * invT;
    const pScale = (1 - eps) * w[target] + smoothMass + 2 * zLoss * l;
    // The target entry is recomputed after the sweep from its logit, read first (the sweep may overwrite it).
    const pt = fastExp(xa[xo + target] * invT - l);
    if (plain) {
      expSweep(xa, xo, C, l, g * pScale, out, o);
    } else {
      for (let c = 0; c < C; c++) {
        out[o + c] = g * (pScale * fastExp(xa[xo + c] * invT - l) - w[c] * base);
      }
    }
    // The target entry again, in one float64 expression: p − 1 must not cancel in float32.
    out[o + target] = g * (pScale * pt - w[target] * (1 - eps + base));
  }
}

function sparseSoftmaxCrossEntropyGrad(args: GradArgs): TensorInfo {
  const [rows, C] = args.inputs.logits.shape;
  const out = new Float32Array(rows * C);  // ignored rows stay 0
  sparseGradInto(args, out, false, SparseSoftmaxCrossEntropyGrad);
  return args.backend.makeTensorInfo([rows, C], 'float32', out);
}

/**
 * The same gradient written over the logits (SparseSoftmaxCrossEntropyGradInPlace,
 * aliasing rule in kernel_names.ts); the output shares the logits' dataId.
 */
function sparseSoftmaxCrossEntropyGradInPlace(args: GradArgs): TensorInfo {
  const {inputs, backend} = args;
  const {logits, labels, lse, dy} = inputs;
  checkInPlaceTarget(SparseSoftmaxCrossEntropyGradInPlace, logits, [labels, lse, dy], backend.refCount(logits.dataId));
  const values = backend.data.get(logits.dataId).values;
  if (!(values instanceof Float32Array) || values.length !== logits.shape[0] * logits.shape[1]) {
    throw new Error(`${SparseSoftmaxCrossEntropyGradInPlace} (cpu): the logits are not backed by their own Float32Array`);
  }
  sparseGradInto(args, values, true, SparseSoftmaxCrossEntropyGradInPlace);
  backend.incRef(logits.dataId);
  return {dataId: logits.dataId, shape: logits.shape, dtype: logits.dtype};
}

export const softmaxCrossEntropyGradConfig: KernelConfig = {
  kernelName: SoftmaxCrossEntropyGrad,
  backendName: 'cpu',
  kernelFunc: softmaxCrossEntropyGrad as unknown as KernelFunc,
};

export const sparseSoftmaxCrossEntropyGradConfig: KernelConfig = {
  kernelName: SparseSoftmaxCrossEntropyGrad,
  backendName: 'cpu',
  kernelFunc: sparseSoftmaxCrossEntropyGrad as unknown as KernelFunc,
};

export const sparseSoftmaxCrossEntropyGradInPlaceConfig: KernelConfig = {
  kernelName: SparseSoftmaxCrossEntropyGradInPlace,
  backendName: 'cpu',
  kernelFunc: sparseSoftmaxCrossEntropyGradInPlace as unknown as KernelFunc,
};

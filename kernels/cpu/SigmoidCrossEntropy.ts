/**
 * cpu kernels of sigmoid cross-entropy with logits, elementwise over
 * [rows, C] (kernels/FORMULAS.md), with softplus(v) = max(v,0) + log1p(exp(−|v|)):
 *   L  = q·ẑ·softplus(−x) + (1 − ẑ)·softplus(x),    ẑ = z·(1 − ε) + ε/2
 *   dx = dy·(σ(x)·(q·ẑ + 1 − ẑ) − q·ẑ)
 *   dz = dy·(1 − ε)·(q·softplus(−x) − softplus(x))
 * Where WebAssembly SIMD runs (simd/flags_simd.ts, FUSED_CE_CPU_SIMD) both
 * kernels hand over to the SIMD module (sigmoid_simd.ts); the loops here are
 * the fallback.
 */
import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';
import {fastExp} from './fast_exp';
import {cpuSimdEnabled} from '../simd/flags_simd';
import {dyStride, sigmoidOutputShape} from '../simd/sigmoid_host';
import {sigmoidForwardSimd, sigmoidGradSimd} from './sigmoid_simd';
import {SigmoidCrossEntropy, SigmoidCrossEntropyAttrs, SigmoidCrossEntropyGrad, SigmoidCrossEntropyGradAttrs, SigmoidCrossEntropyGradInputs, SigmoidCrossEntropyInputs} from '../kernel_names';

/** q[c] as a Float64Array over the class axis (scalar or absent q repeated): one array type in the loops. */
function posWeightArray(attrs: SigmoidCrossEntropyAttrs, C: number): Float64Array {
  const q = attrs.posWeight;
  return q != null && q.length === C ? Float64Array.from(q) : new Float64Array(C).fill(q == null ? 1 : q[0]);
}

/** True when every q[c] is 1 (no posWeight, or a posWeight of ones). */
function unitPosWeight(attrs: SigmoidCrossEntropyAttrs): boolean {
  return attrs.posWeight == null || attrs.posWeight.every(v => v === 1);
}

interface SigmoidArgs<I, A> {inputs: I; backend: MathBackendCPU; attrs: A;}

/**
 * Products of (1 + e) taken before one log: at most this many factors in
 * (1, 2], so the product stays below 2^512 (no overflow), with a relative
 * rounding error below 512·2⁻⁵³ ≈ 6e-14 (far below float32's 6e-8).
 */
const LOG_BATCH = 512;

/**
 * Σ_c L[i, c] of one row with q = 1, where L = max(x, 0) − x·ẑ + log1p(e),
 * e = exp(−|x|) (the contract's loss, rearranged): the log1p terms are summed
 * as log Π(1 + e), one Math.log per LOG_BATCH elements instead of a log1p per
 * element (faster: README.md, "Sigmoid").
 */
function rowSumUnitQ(x: ArrayLike<number>, z: ArrayLike<number>, k0: number, C: number, keep: number, half: number): number {
  let acc = 0, prod = 1, n = 0, lost = 0;
  for (let c = 0, k = k0; c < C; c++, k++) {
    const v = x[k];
    // max(x, 0) as (x + |x|)/2, exact and branch-free: a data-dependent branch
    // on the sign of random logits costs more than the rest of the loop.
    acc += 0.5 * (v + Math.abs(v)) - (z[k] * keep + half) * v;
    const e = fastExp(-Math.abs(v)), w = 1 + e;
    prod *= w;
    // What 1 + e rounded away, exactly (Fast2Sum: w − 1 is exact): log(1 + e) =
    // log w + lost/w + O(lost²), and lost/w = lost to 2⁻⁵²·e. Without it a
    // confident, correct logit lost its loss e ≈ exp(−|x|) to the rounding: the
    // row sum was 1e-3 off at |x| = 30 and 0 (not e) from |x| ≈ 37.
    lost += e - (w - 1);
    if (++n === LOG_BATCH) {
      acc += Math.log(prod);
      prod = 1;
      n = 0;
    }
  }
  return acc + Math.log(prod) + lost;
}

/** Σ_c L[i, c] of one row, any q (a log1p per element). */
function rowSum(x: ArrayLike<number>, z: ArrayLike<number>, q: Float64Array, k0: number, C: number, keep: number, half: number): number {
  let acc = 0;
  for (let c = 0, k = k0; c < C; c++, k++) {
    const v = x[k], zh = z[k] * keep + half;
    const sp = Math.log1p(fastExp(-Math.abs(v)));
    acc += q[c] * zh * (Math.max(-v, 0) + sp) + (1 - zh) * (Math.max(v, 0) + sp);
  }
  return acc;
}

/**
 * One pass over [rows, C]. Per element a single exp and a single log1p:
 * e = exp(−|x|) gives softplus(±x) = max(±x, 0) + log1p(e) and σ(x) =
 * 1/(1 + e) or e/(1 + e), much faster than a softplus call per term and a
 * closure per element (README.md, "Sigmoid"). With a
 * reduction the row sums accumulate in float64 and no [rows, C] output exists.
 */
function sigmoidCrossEntropy(args: SigmoidArgs<SigmoidCrossEntropyInputs, SigmoidCrossEntropyAttrs>): TensorInfo {
  const {inputs, backend, attrs} = args;
  const [rows, C] = inputs.logits.shape;
  const x = backend.data.get(inputs.logits.dataId).values as ArrayLike<number>;
  const z = backend.data.get(inputs.labels.dataId).values as ArrayLike<number>;
  const q = posWeightArray(attrs, C);
  const keep = 1 - attrs.labelSmoothing, half = attrs.labelSmoothing / 2;
  const reduction = attrs.reduction ?? 'none', scale = attrs.scale ?? 1;
  if (cpuSimdEnabled()) {
    return backend.makeTensorInfo(sigmoidOutputShape(reduction, rows, C), 'float32', sigmoidForwardSimd(x, z, rows, C, attrs));
  }
  if (reduction !== 'none') {
    // Fused reduction (FORMULAS.md): float64 row sums, no [rows, C] output.
    const unit = unitPosWeight(attrs);
    const sums = new Float32Array(reduction === 'rows' ? rows : 1);
    let total = 0;
    for (let i = 0; i < rows; i++) {
      const acc = unit ? rowSumUnitQ(x, z, i * C, C, keep, half) : rowSum(x, z, q, i * C, C, keep, half);
      if (reduction === 'rows') {
        sums[i] = acc * scale;
      } else {
        total += acc;
      }
    }
    if (reduction === 'all') {
      sums[0] = total * scale;
    }
    return backend.makeTensorInfo(reduction === 'rows' ? [rows] : [], 'float32', sums);
  }
  const out = new Float32Array(rows * C);
  for (let i = 0, k = 0; i < rows; i++) {
    for (let c = 0; c < C; c++, k++) {
      const v = x[k], zh = z[k] * keep + half;
      const sp = Math.log1p(fastExp(-Math.abs(v)));
      out[k] = scale * (q[c] * zh * (Math.max(-v, 0) + sp) + (1 - zh) * (Math.max(v, 0) + sp));
    }
  }
  return backend.makeTensorInfo([rows, C], 'float32', out);
}

/** d/dlogits of one row into out: g[c]·(σ(x)·(q·ẑ + 1 − ẑ) − q·ẑ), g = s·dy per element or gRow. */
function logitsGradRow(x: ArrayLike<number>, z: ArrayLike<number>, q: Float64Array, out: Float32Array, k0: number, C: number,
                       keep: number, half: number, dy: ArrayLike<number> | null, s: number, gRow: number): void {
  for (let c = 0, k = k0; c < C; c++, k++) {
    // σ(x) = 1/(1 + exp(−x)): accurate to a few ulps in float64 for every x
    // (exp(−x) overflows only below −709, where σ is 0 in float32 anyway), and
    // no branch on the sign of x (a branch mispredicted half the time was
    // three times slower: README.md, "Sigmoid"). NaN stays NaN.
    const sig = 1 / (1 + fastExp(-x[k]));
    const zh = z[k] * keep + half, qz = q[c] * zh;
    out[k] = (dy == null ? gRow : s * dy[k]) * (sig * (qz + 1 - zh) - qz);
  }
}

/** The same with q = 1 and one upstream value g for the row (the fused reductions' common case): g·(σ(x) − ẑ). */
function logitsGradRowUnitQ(x: ArrayLike<number>, z: ArrayLike<number>, out: Float32Array, k0: number, C: number,
                            keep: number, half: number, g: number): void {
  for (let c = 0, k = k0; c < C; c++, k++) {
    out[k] = g * (1 / (1 + fastExp(-x[k])) - (z[k] * keep + half));
  }
}

/** d/dlabels of one row into out: g·(1 − ε)·(q·softplus(−x) − softplus(x)). */
function labelsGradRow(x: ArrayLike<number>, q: Float64Array, out: Float32Array, k0: number, C: number,
                       keep: number, dy: ArrayLike<number> | null, s: number, gRow: number): void {
  for (let c = 0, k = k0; c < C; c++, k++) {
    const v = x[k];
    const sp = Math.log1p(fastExp(-Math.abs(v)));
    out[k] = (dy == null ? gRow : s * dy[k]) * keep * (q[c] * (Math.max(-v, 0) + sp) - (Math.max(v, 0) + sp));
  }
}

function sigmoidCrossEntropyGrad(args: SigmoidArgs<SigmoidCrossEntropyGradInputs, SigmoidCrossEntropyGradAttrs>): TensorInfo {
  const {inputs, backend, attrs} = args;
  const [rows, C] = inputs.logits.shape;
  const x = backend.data.get(inputs.logits.dataId).values as ArrayLike<number>;
  const z = backend.data.get(inputs.labels.dataId).values as ArrayLike<number>;
  const dy = backend.data.get(inputs.dy.dataId).values as ArrayLike<number>;
  const mode = dyStride(attrs.reduction, inputs.dy.shape.reduce((a, b) => a * b, 1), rows, C, SigmoidCrossEntropyGrad);
  const scale = attrs.scale ?? 1;
  if (cpuSimdEnabled()) {
    return backend.makeTensorInfo([rows, C], 'float32', sigmoidGradSimd(x, z, dy, mode, rows, C, attrs));
  }
  const q = posWeightArray(attrs, C);
  const keep = 1 - attrs.labelSmoothing, half = attrs.labelSmoothing / 2;
  const out = new Float32Array(rows * C);
  const perElement = mode === 2 ? dy : null;
  const unit = unitPosWeight(attrs);
  for (let i = 0; i < rows; i++) {
    const gRow = mode === 2 ? 0 : scale * dy[mode === 1 ? i : 0];
    if (attrs.wrt === 'labels') {
      labelsGradRow(x, q, out, i * C, C, keep, perElement, scale, gRow);
    } else if (unit && perElement == null) {
      logitsGradRowUnitQ(x, z, out, i * C, C, keep, half, gRow);
    } else {
      logitsGradRow(x, z, q, out, i * C, C, keep, half, perElement, scale, gRow);
    }
  }
  return backend.makeTensorInfo([rows, C], 'float32', out);
}

export const sigmoidCrossEntropyConfig: KernelConfig = {
  kernelName: SigmoidCrossEntropy,
  backendName: 'cpu',
  kernelFunc: sigmoidCrossEntropy as unknown as KernelFunc,
};

export const sigmoidCrossEntropyGradConfig: KernelConfig = {
  kernelName: SigmoidCrossEntropyGrad,
  backendName: 'cpu',
  kernelFunc: sigmoidCrossEntropyGrad as unknown as KernelFunc,
};

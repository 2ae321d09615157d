/**
 * cpu forward kernels of softmax cross-entropy, dense and sparse labels
 * (kernels/FORMULAS.md). One pass per row: the online log-sum-exp accumulates,
 * in the same loop, the weighted target mass W' = Σ_{ŷ≠0} w·ŷ and
 * S = Σ_{ŷ≠0} w·ŷ·z, so L = W'·lse − S + λ·lse² needs no second pass and no
 * [rows, C] intermediate (float64 accumulation: no cancellation concern).
 * Sparse rows need only lse and the target logit (a second pass over the row
 * only with label smoothing).
 */
import {fastExp} from './fast_exp';
import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';
import {SoftmaxCrossEntropy, SoftmaxCrossEntropyAttrs, SoftmaxCrossEntropyInputs, SparseSoftmaxCrossEntropy, SparseSoftmaxCrossEntropyInputs} from '../kernel_names';
import {checkSparseLabel, classWeightArray, isIgnored, rowLogSumExp, sumOf} from './row_math';

function values(backend: MathBackendCPU, t: TensorInfo): ArrayLike<number> {
  return backend.data.get(t.dataId).values as ArrayLike<number>;
}

function outputs(backend: MathBackendCPU, rows: number, loss: Float32Array, lse: Float32Array): TensorInfo[] {
  return [backend.makeTensorInfo([rows], 'float32', loss), backend.makeTensorInfo([rows], 'float32', lse)];
}

function softmaxCrossEntropy(args: {inputs: SoftmaxCrossEntropyInputs, backend: MathBackendCPU, attrs: SoftmaxCrossEntropyAttrs}): TensorInfo[] {
  const {inputs, backend, attrs} = args;
  const [rows, C] = inputs.logits.shape;
  const x = values(backend, inputs.logits);
  const y = values(backend, inputs.labels);
  const invT = 1 / attrs.temperature;
  const keep = 1 - attrs.labelSmoothing, base = attrs.labelSmoothing / C;
  const w = classWeightArray(attrs, C);
  const loss = new Float32Array(rows);
  const lseOut = new Float32Array(rows);
  for (let i = 0, off = 0; i < rows; i++, off += C) {
    let m = -Infinity, s = 0, mass = 0, dot = 0;
    for (let c = 0; c < C; c++) {
      const z = x[off + c] * invT;
      if (z > m) {
        s = s * fastExp(m - z) + 1;
        m = z;
      } else if (z !== -Infinity) {
        s += fastExp(z - m);
      }
      const yh = keep * y[off + c] + base;
      if (yh !== 0) {  // skipped, not multiplied: 0·(−∞) would be NaN
        const wy = w[c] * yh;
        mass += wy;
        dot += wy * z;
      }
    }
    const lse = m + Math.log(s);
    lseOut[i] = lse;
    loss[i] = mass * lse - dot + attrs.zLoss * lse * lse;
  }
  return outputs(backend, rows, loss, lseOut);
}

function sparseSoftmaxCrossEntropy(args: {inputs: SparseSoftmaxCrossEntropyInputs, backend: MathBackendCPU, attrs: SoftmaxCrossEntropyAttrs}): TensorInfo[] {
  const {inputs, backend, attrs} = args;
  const [rows, C] = inputs.logits.shape;
  const x = values(backend, inputs.logits);
  const t = values(backend, inputs.labels);
  const invT = 1 / attrs.temperature;
  const eps = attrs.labelSmoothing;
  const w = classWeightArray(attrs, C);
  const sumW = eps === 0 ? 0 : sumOf(w);
  const loss = new Float32Array(rows);
  const lseOut = new Float32Array(rows);
  for (let i = 0, off = 0; i < rows; i++, off += C) {
    const target = t[i];
    const ignored = isIgnored(attrs, target);
    if (!ignored) {
      checkSparseLabel(target, i, C);
    }
    const lse = rowLogSumExp(x, off, C, invT);
    lseOut[i] = lse;
    if (ignored) {
      loss[i] = 0;
      continue;
    }
    const wt = w[target];
    // Σ_c w[c]·ŷ[c]·(lse − z[c]) with ŷ = (1−ε)·[c=t] + ε/C.
    let l = (1 - eps) * wt * (lse - x[off + target] * invT);
    if (eps !== 0) {
      let smoothDot = 0;  // Σ_c w[c]·z[c], a second pass only when smoothing
      for (let c = 0; c < C; c++) {
        smoothDot += w[c] * x[off + c] * invT;
      }
      l += (eps / C) * (sumW * lse - smoothDot);
    }
    loss[i] = l + attrs.zLoss * lse * lse;
  }
  return outputs(backend, rows, loss, lseOut);
}

export const softmaxCrossEntropyConfig: KernelConfig = {
  kernelName: SoftmaxCrossEntropy,
  backendName: 'cpu',
  kernelFunc: softmaxCrossEntropy as unknown as KernelFunc,
};

export const sparseSoftmaxCrossEntropyConfig: KernelConfig = {
  kernelName: SparseSoftmaxCrossEntropy,
  backendName: 'cpu',
  kernelFunc: sparseSoftmaxCrossEntropy as unknown as KernelFunc,
};

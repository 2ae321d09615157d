/**
 * cpu backward kernels of softmax cross-entropy (kernels/FORMULAS.md):
 *   d/dlogits  dx[i,c] = dy[i]/T · ((W[i] + 2λ·lse[i])·p[i,c] − w[c]·ŷ[i,c])
 *   d/dlabels  dy[i]·(1 − ε)·w[c]·(lse[i] − z[i,c])          (dense only)
 * with p = exp(z − lse) from the saved per-row lse: one elementwise pass that
 * writes only the gradient (dense d/dlogits first sums W[i] over the labels row).
 */
import {fastExp} from './fast_exp';
import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';
import {SoftmaxCrossEntropyGrad, SoftmaxCrossEntropyGradAttrs, SoftmaxCrossEntropyGradInputs, SparseSoftmaxCrossEntropyGrad} from '../kernel_names';
import {checkSparseLabel, classWeightArray, isIgnored, sumOf} from './row_math';

interface GradArgs {
  inputs: SoftmaxCrossEntropyGradInputs;
  backend: MathBackendCPU;
  attrs: SoftmaxCrossEntropyGradAttrs;
}

function read(args: GradArgs) {
  const {inputs, backend} = args;
  const get = (t: TensorInfo) => backend.data.get(t.dataId).values as ArrayLike<number>;
  const [rows, C] = inputs.logits.shape;
  return {rows, C, x: get(inputs.logits), y: get(inputs.labels), lse: get(inputs.lse), dy: get(inputs.dy)};
}

function softmaxCrossEntropyGrad(args: GradArgs): TensorInfo {
  const {backend, attrs} = args;
  const {rows, C, x, y, lse, dy} = read(args);
  const invT = 1 / attrs.temperature;
  const keep = 1 - attrs.labelSmoothing, base = attrs.labelSmoothing / C;
  const w = classWeightArray(attrs, C);
  const out = new Float32Array(rows * C);
  for (let i = 0, off = 0; i < rows; i++, off += C) {
    const l = lse[i];
    if (attrs.wrt === 'labels') {
      const scale = dy[i] * keep;
      for (let c = 0; c < C; c++) {
        out[off + c] = scale * w[c] * (l - x[off + c] * invT);
      }
      continue;
    }
    let W = 0;  // Σ_c w[c]·ŷ[c]: label rows need not sum to 1
    for (let c = 0; c < C; c++) {
      W += w[c] * (keep * y[off + c] + base);
    }
    const g = dy[i] * invT;
    const pScale = W + 2 * attrs.zLoss * l;
    for (let c = 0; c < C; c++) {
      out[off + c] = g * (pScale * fastExp(x[off + c] * invT - l) - w[c] * (keep * y[off + c] + base));
    }
  }
  return backend.makeTensorInfo([rows, C], 'float32', out);
}

function sparseSoftmaxCrossEntropyGrad(args: GradArgs): TensorInfo {
  const {backend, attrs} = args;
  if (attrs.wrt !== 'logits') {
    throw new Error('sparseSoftmaxCrossEntropyWithLogits: sparse labels are not differentiable');
  }
  const {rows, C, x, y: t, lse, dy} = read(args);
  const invT = 1 / attrs.temperature;
  const eps = attrs.labelSmoothing;
  const w = classWeightArray(attrs, C);
  const smoothMass = (eps / C) * sumOf(w);
  const out = new Float32Array(rows * C);  // ignored rows stay 0
  for (let i = 0, off = 0; i < rows; i++, off += C) {
    const target = t[i];
    if (isIgnored(attrs, target)) {
      continue;
    }
    checkSparseLabel(target, i, C);
    const l = lse[i];
    const g = dy[i] * invT;
    const pScale = (1 - eps) * w[target] + smoothMass + 2 * attrs.zLoss * l;
    const base = eps / C;  // every class's share of the smoothed target
    for (let c = 0; c < C; c++) {
      out[off + c] = g * (pScale * fastExp(x[off + c] * invT - l) - w[c] * base);
    }
    // The target entry again, in one float64 expression: p − 1 must not cancel in float32.
    const pt = fastExp(x[off + target] * invT - l);
    out[off + target] = g * (pScale * pt - w[target] * (1 - eps + base));
  }
  return backend.makeTensorInfo([rows, C], 'float32', out);
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

/**
 * cpu kernels of sigmoid cross-entropy with logits, elementwise over
 * [rows, C] (kernels/FORMULAS.md), with softplus(v) = max(v,0) + log1p(exp(−|v|)):
 *   L  = q·ẑ·softplus(−x) + (1 − ẑ)·softplus(x),    ẑ = z·(1 − ε) + ε/2
 *   dx = dy·(σ(x)·(q·ẑ + 1 − ẑ) − q·ẑ)
 *   dz = dy·(1 − ε)·(q·softplus(−x) − softplus(x))
 */
import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';
import {SigmoidCrossEntropy, SigmoidCrossEntropyAttrs, SigmoidCrossEntropyGrad, SigmoidCrossEntropyGradAttrs, SigmoidCrossEntropyGradInputs, SigmoidCrossEntropyInputs} from '../kernel_names';

function softplus(v: number): number {
  return Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
}

function sigmoid(v: number): number {
  if (v >= 0) {
    return 1 / (1 + Math.exp(-v));
  }
  const e = Math.exp(v);
  return e / (1 + e);  // NaN also lands here and stays NaN
}

function posWeightAt(attrs: SigmoidCrossEntropyAttrs, c: number): number {
  const q = attrs.posWeight;
  return q == null ? 1 : q.length === 1 ? q[0] : q[c];
}

type Elementwise = (x: number, zh: number, q: number, i: number) => number;

function mapElements(backend: MathBackendCPU, logits: TensorInfo, labels: TensorInfo, attrs: SigmoidCrossEntropyAttrs, f: Elementwise): TensorInfo {
  const [rows, C] = logits.shape;
  const x = backend.data.get(logits.dataId).values as ArrayLike<number>;
  const z = backend.data.get(labels.dataId).values as ArrayLike<number>;
  const eps = attrs.labelSmoothing;
  const out = new Float32Array(rows * C);
  for (let i = 0; i < rows * C; i++) {
    out[i] = f(x[i], z[i] * (1 - eps) + eps / 2, posWeightAt(attrs, i % C), i);
  }
  return backend.makeTensorInfo([rows, C], 'float32', out);
}

function sigmoidCrossEntropy(args: {inputs: SigmoidCrossEntropyInputs, backend: MathBackendCPU, attrs: SigmoidCrossEntropyAttrs}): TensorInfo {
  const {inputs, backend, attrs} = args;
  return mapElements(backend, inputs.logits, inputs.labels, attrs,
      (x, zh, q) => q * zh * softplus(-x) + (1 - zh) * softplus(x));
}

function sigmoidCrossEntropyGrad(args: {inputs: SigmoidCrossEntropyGradInputs, backend: MathBackendCPU, attrs: SigmoidCrossEntropyGradAttrs}): TensorInfo {
  const {inputs, backend, attrs} = args;
  const dy = backend.data.get(inputs.dy.dataId).values as ArrayLike<number>;
  const eps = attrs.labelSmoothing;
  const f: Elementwise = attrs.wrt === 'labels' ?
      (x, _zh, q, i) => dy[i] * (1 - eps) * (q * softplus(-x) - softplus(x)) :
      (x, zh, q, i) => dy[i] * (sigmoid(x) * (q * zh + 1 - zh) - q * zh);
  return mapElements(backend, inputs.logits, inputs.labels, attrs, f);
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

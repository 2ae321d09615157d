/**
 * cpu kernels of binary (sigmoid) focal cross-entropy with logits, elementwise
 * over [rows, C] (kernels/FORMULAS.md, "Binary focal cross-entropy"):
 *   ẑ = z·(1 − ε) + ε/2,  p = σ(x),  bce = ẑ·softplus(−x) + (1 − ẑ)·softplus(x),
 *   u = 1 − p_t = ẑ·σ(−x) + (1 − ẑ)·σ(x),  b = α·ẑ + (1 − α)·(1 − ẑ) (balancing) or 1
 *   L  = b·u^γ·bce
 *   dx = dy·b·(γ·u^(γ−1)·(1 − 2ẑ)·p·(1 − p)·bce + u^γ·(p − ẑ))
 *   dz = dy·(1 − ε)·(b'·u^γ·bce + b·γ·u^(γ−1)·(1 − 2p)·bce − b·u^γ·x),  b' = 2α − 1 or 0
 * The γ terms are 0 when γ = 0 or u = 0 (their limit; the plain product is 0·∞ for γ < 1).
 * Under FUSED_CE_CPU_SIMD both kernels run the WebAssembly SIMD module instead
 * (focal_simd.ts, float64 lanes); these loops are its fallback.
 */
import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';
import {BinaryFocalCrossEntropy, BinaryFocalCrossEntropyAttrs, BinaryFocalCrossEntropyGrad, BinaryFocalCrossEntropyGradAttrs, SigmoidCrossEntropyGradInputs, SigmoidCrossEntropyInputs} from '../kernel_names';
import {cpuSimdEnabled} from '../simd/flags_simd';
import {dyStride} from '../simd/sigmoid_host';
import {binaryFocalForwardSimd, binaryFocalGradSimd} from './focal_simd';
import {sigmoid, softplus} from './focal_math';

/** The per-element quantities every formula above needs. */
interface Element {
  zh: number; p: number; bce: number; u: number; uG: number; uG1: number; b: number;
}

function element(x: number, z: number, attrs: BinaryFocalCrossEntropyAttrs, e: Element): void {
  const zh = z * (1 - attrs.labelSmoothing) + attrs.labelSmoothing / 2;
  const p = sigmoid(x);
  const u = zh * sigmoid(-x) + (1 - zh) * p;
  const g = attrs.gamma;
  e.zh = zh;
  e.p = p;
  e.bce = zh * softplus(-x) + (1 - zh) * softplus(x);
  e.u = u;
  e.uG = Math.pow(u, g);
  // γ·u^(γ−1): the limit 0 at γ = 0 or u = 0 (the product with bce ~ u vanishes).
  e.uG1 = g === 0 || u === 0 ? 0 : g * Math.pow(u, g - 1);
  e.b = attrs.applyClassBalancing ? attrs.alpha * zh + (1 - attrs.alpha) * (1 - zh) : 1;
}

type Elementwise = (x: number, e: Element, i: number) => number;

function mapElements(backend: MathBackendCPU, logits: TensorInfo, labels: TensorInfo, attrs: BinaryFocalCrossEntropyAttrs, f: Elementwise): TensorInfo {
  const [rows, C] = logits.shape;
  const x = backend.data.get(logits.dataId).values as ArrayLike<number>;
  const z = backend.data.get(labels.dataId).values as ArrayLike<number>;
  const out = new Float32Array(rows * C);
  const e: Element = {zh: 0, p: 0, bce: 0, u: 0, uG: 0, uG1: 0, b: 0};
  for (let i = 0; i < rows * C; i++) {
    element(x[i], z[i], attrs, e);
    out[i] = f(x[i], e, i);
  }
  return backend.makeTensorInfo([rows, C], 'float32', out);
}

function binaryFocalCrossEntropy(args: {inputs: SigmoidCrossEntropyInputs, backend: MathBackendCPU, attrs: BinaryFocalCrossEntropyAttrs}): TensorInfo {
  const {inputs, backend, attrs} = args;
  const reduction = attrs.reduction ?? 'none', scale = attrs.scale ?? 1;
  if (cpuSimdEnabled()) {
    const [rows, C] = inputs.logits.shape;
    const get = (v: TensorInfo) => backend.data.get(v.dataId).values as ArrayLike<number>;
    const out = binaryFocalForwardSimd(get(inputs.logits), get(inputs.labels), rows, C, attrs, BinaryFocalCrossEntropy);
    return backend.makeTensorInfo(reduction === 'none' ? [rows, C] : reduction === 'rows' ? [rows] : [], 'float32', out);
  }
  const loss = mapElements(backend, inputs.logits, inputs.labels, attrs,
      scale === 1 ? (_x, e) => e.b * e.uG * e.bce : (_x, e) => scale * e.b * e.uG * e.bce);
  if (reduction === 'none') {
    return loss;
  }
  // Fused reduction (FORMULAS.md): float64 row sums of the (scaled) loss. An
  // empty sum is 0·scale (NaN for the mean of nothing, as tf.mean).
  const [rows, C] = inputs.logits.shape;
  const values = backend.data.get(loss.dataId).values as Float32Array;
  const sums = new Float32Array(reduction === 'rows' ? rows : 1);
  let total = 0;
  for (let i = 0, k = 0; i < rows; i++) {
    let acc = 0;
    for (let c = 0; c < C; c++, k++) acc += values[k];
    if (reduction === 'rows') sums[i] = C === 0 ? 0 * scale : acc;
    else total += acc;
  }
  if (reduction === 'all') sums[0] = rows * C === 0 ? 0 * scale : total;
  backend.disposeIntermediateTensorInfo(loss);
  return backend.makeTensorInfo(reduction === 'rows' ? [rows] : [], 'float32', sums);
}

function binaryFocalCrossEntropyGrad(args: {inputs: SigmoidCrossEntropyGradInputs, backend: MathBackendCPU, attrs: BinaryFocalCrossEntropyGradAttrs}): TensorInfo {
  const {inputs, backend, attrs} = args;
  const [rows, C] = inputs.logits.shape;
  const dyValues = backend.data.get(inputs.dy.dataId).values as ArrayLike<number>;
  const mode = dyStride(attrs.reduction, inputs.dy.shape.reduce((a, b) => a * b, 1), rows, C, BinaryFocalCrossEntropyGrad);
  const scale = attrs.scale ?? 1;
  if (cpuSimdEnabled()) {
    const get = (v: TensorInfo) => backend.data.get(v.dataId).values as ArrayLike<number>;
    const out = binaryFocalGradSimd(get(inputs.logits), get(inputs.labels), dyValues, mode, rows, C, attrs);
    return backend.makeTensorInfo([rows, C], 'float32', out);
  }
  // The upstream value of element k (FORMULAS.md, "Fused reductions").
  const dyAt = mode === 2 ? (k: number) => scale * dyValues[k] :
      mode === 1 ? (k: number) => scale * dyValues[Math.floor(k / C)] : () => scale * dyValues[0];
  const db = attrs.applyClassBalancing ? 2 * attrs.alpha - 1 : 0;
  const f: Elementwise = attrs.wrt === 'labels' ?
      (x, e, i) => dyAt(i) * (1 - attrs.labelSmoothing) *
          (db * e.uG * e.bce + e.b * e.uG1 * (1 - 2 * e.p) * e.bce - e.b * e.uG * x) :
      (_x, e, i) => dyAt(i) * e.b *
          (e.uG1 * (1 - 2 * e.zh) * e.p * (1 - e.p) * e.bce + e.uG * (e.p - e.zh));
  return mapElements(backend, inputs.logits, inputs.labels, attrs, f);
}

export const binaryFocalCrossEntropyConfig: KernelConfig = {
  kernelName: BinaryFocalCrossEntropy,
  backendName: 'cpu',
  kernelFunc: binaryFocalCrossEntropy as unknown as KernelFunc,
};

export const binaryFocalCrossEntropyGradConfig: KernelConfig = {
  kernelName: BinaryFocalCrossEntropyGrad,
  backendName: 'cpu',
  kernelFunc: binaryFocalCrossEntropyGrad as unknown as KernelFunc,
};

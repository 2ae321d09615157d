/**
 * WebGPU kernels of sigmoid cross-entropy, forward and backward: host work
 * only; the WGSL lives in sigmoid_cross_entropy_webgpu.ts.
 */
import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import {
  SigmoidCrossEntropy, SigmoidCrossEntropyAttrs, SigmoidCrossEntropyGrad, SigmoidCrossEntropyGradAttrs,
  SigmoidCrossEntropyGradInputs, SigmoidCrossEntropyInputs,
} from '../kernel_names';
import {disposeTemp, launch, makeEmpty, makeOutput, storageType, UniformScalar, uploadVector} from './launch';
import {checkDy, reduceRows} from './elementwise_reduction_webgpu';
import {ELEMENTWISE_WG} from './row_layout';
import {SigmoidCrossEntropyProgram} from './sigmoid_cross_entropy_webgpu';

function run(
    backend: WebGPUBackend, mode: 'forward' | 'logits' | 'labels', inputs: TensorInfo[],
    attrs: SigmoidCrossEntropyAttrs, kernel: string): TensorInfo {
  const logits = inputs[0];
  if (inputs.some(t => t.dtype !== 'float32')) {
    throw new Error(`${kernel} (webgpu): inputs must be float32`);
  }
  const C = logits.shape.length === 0 ? 1 : logits.shape[logits.shape.length - 1];
  const size = logits.shape.reduce((p, d) => p * d, 1);
  const rows = C === 0 ? 0 : size / C;
  const q = attrs.posWeight;
  if (q != null && q.length !== 1 && q.length !== C) {
    throw new Error(`${kernel} (webgpu): posWeight has ${q.length} entries for ${C} classes`);
  }
  const dyMode = mode === 'forward' ? 'none' : checkDy(attrs.reduction, inputs[2], rows, C, kernel);
  if (size === 0) {
    return makeEmpty(backend, logits.shape);
  }
  const perClass = q != null && q.length === C && C > 1;
  const vec = C % 4 === 0 ? 4 : 1;
  const out = makeOutput(backend, logits.shape);
  const qBuffer = perClass ? uploadVector(backend, q as number[]) : null;
  const uniforms: UniformScalar[] = [
    {type: 'uint32', data: [rows]},
    {type: 'uint32', data: [C]},
    // 1 − ε and ε/2 in float64 on the host (ε near 1: 1 − ε in float32 loses its digits).
    {type: 'float32', data: [1 - attrs.labelSmoothing]},
    {type: 'float32', data: [attrs.labelSmoothing / 2]},
    {type: 'float32', data: [q == null || perClass ? 1 : q[0]]},
    {type: 'float32', data: [-Infinity]},
    {type: 'float32', data: [NaN]},
    {type: 'float32', data: [attrs.scale ?? 1]},
  ];
  launch(backend, new SigmoidCrossEntropyProgram({wg: ELEMENTWISE_WG, vec, weights: perClass}, mode,
          inputs.map(t => storageType(backend, t)), dyMode), [out],
      qBuffer ? [...inputs, qBuffer] : inputs, uniforms, Math.ceil(size / vec / ELEMENTWISE_WG));
  if (qBuffer) {
    disposeTemp(backend, qBuffer);
  }
  return out;
}

const forwardFunc: KernelFunc = ({inputs, backend, attrs}) => {
  const {logits, labels} = inputs as SigmoidCrossEntropyInputs;
  const a = attrs as unknown as SigmoidCrossEntropyAttrs;
  const b = backend as WebGPUBackend;
  return reduceRows(b, run(b, 'forward', [logits, labels], a, SigmoidCrossEntropy), a.reduction, a.scale);
};

const backwardFunc: KernelFunc = ({inputs, backend, attrs}) => {
  const {logits, labels, dy} = inputs as SigmoidCrossEntropyGradInputs;
  const a = attrs as unknown as SigmoidCrossEntropyGradAttrs;
  return run(backend as WebGPUBackend, a.wrt, [logits, labels, dy], a, SigmoidCrossEntropyGrad);
};

export const sigmoidCrossEntropyConfig: KernelConfig = {
  kernelName: SigmoidCrossEntropy,
  backendName: 'webgpu',
  kernelFunc: forwardFunc,
};

export const sigmoidCrossEntropyGradConfig: KernelConfig = {
  kernelName: SigmoidCrossEntropyGrad,
  backendName: 'webgpu',
  kernelFunc: backwardFunc,
};

/**
 * WebGPU kernels of binary (sigmoid) focal cross-entropy, forward and
 * backward: host work only; the elementwise WGSL is BinaryFocalProgram in
 * focal_cross_entropy_webgpu.ts.
 */
import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import {
  BinaryFocalCrossEntropy, BinaryFocalCrossEntropyAttrs, BinaryFocalCrossEntropyGrad, BinaryFocalCrossEntropyGradAttrs,
  SigmoidCrossEntropyGradInputs, SigmoidCrossEntropyInputs,
} from '../kernel_names';
import {BinaryFocalProgram, FocalMode} from './focal_cross_entropy_webgpu';
import {launch, makeEmpty, makeOutput, storageType, UniformScalar} from './launch';
import {checkDy, reduceRows} from './elementwise_reduction_webgpu';
import {ELEMENTWISE_WG} from './row_layout';

function run(backend: WebGPUBackend, mode: FocalMode, inputs: TensorInfo[], attrs: BinaryFocalCrossEntropyAttrs,
             kernel: string): TensorInfo {
  const logits = inputs[0];
  if (inputs.some(t => t.dtype !== 'float32')) {
    throw new Error(`${kernel} (webgpu): inputs must be float32`);
  }
  if (inputs.slice(0, 2).some(t => t.shape.length !== logits.shape.length || t.shape.some((d, i) => d !== logits.shape[i]))) {
    throw new Error(`${kernel} (webgpu): inputs must share the logits' shape [${logits.shape}]`);
  }
  const C = logits.shape.length === 0 ? 1 : logits.shape[logits.shape.length - 1];
  const size = logits.shape.reduce((p, d) => p * d, 1);
  const dyMode = mode === 'forward' ? 'none' : checkDy(attrs.reduction, inputs[2], C === 0 ? 0 : size / C, C, kernel);
  if (size === 0) {
    return makeEmpty(backend, logits.shape);
  }
  const vec = C % 4 === 0 ? 4 : 1;
  const out = makeOutput(backend, logits.shape);
  const uniforms: UniformScalar[] = [
    {type: 'uint32', data: [size / C]},
    {type: 'uint32', data: [C]},
    {type: 'float32', data: [attrs.labelSmoothing]},
    {type: 'float32', data: [1 - attrs.labelSmoothing]},
    {type: 'float32', data: [attrs.labelSmoothing / 2]},
    {type: 'float32', data: [attrs.gamma]},
    {type: 'float32', data: [attrs.alpha]},
    {type: 'uint32', data: [attrs.applyClassBalancing ? 1 : 0]},
    {type: 'float32', data: [-Infinity]},
    {type: 'float32', data: [NaN]},
    {type: 'float32', data: [attrs.scale ?? 1]},
  ];
  launch(backend, new BinaryFocalProgram({wg: ELEMENTWISE_WG, vec, weights: false}, mode,
      inputs.map(t => storageType(backend, t)), dyMode), [out], inputs, uniforms, Math.ceil(size / vec / ELEMENTWISE_WG));
  return out;
}

const forwardFunc: KernelFunc = ({inputs, backend, attrs}) => {
  const {logits, labels} = inputs as SigmoidCrossEntropyInputs;
  const a = attrs as unknown as BinaryFocalCrossEntropyAttrs;
  const b = backend as WebGPUBackend;
  return reduceRows(b, run(b, 'forward', [logits, labels], a, BinaryFocalCrossEntropy), a.reduction, a.scale);
};

const backwardFunc: KernelFunc = ({inputs, backend, attrs}) => {
  const {logits, labels, dy} = inputs as SigmoidCrossEntropyGradInputs;
  const a = attrs as unknown as BinaryFocalCrossEntropyGradAttrs;
  if (a.wrt !== 'logits' && a.wrt !== 'labels') {
    throw new Error(`${BinaryFocalCrossEntropyGrad} (webgpu): unknown wrt '${a.wrt}'`);
  }
  return run(backend as WebGPUBackend, a.wrt, [logits, labels, dy], a, BinaryFocalCrossEntropyGrad);
};

export const binaryFocalCrossEntropyConfig: KernelConfig = {
  kernelName: BinaryFocalCrossEntropy,
  backendName: 'webgpu',
  kernelFunc: forwardFunc,
};

export const binaryFocalCrossEntropyGradConfig: KernelConfig = {
  kernelName: BinaryFocalCrossEntropyGrad,
  backendName: 'webgpu',
  kernelFunc: backwardFunc,
};

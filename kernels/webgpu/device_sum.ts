/**
 * Sums on the device for the fused reductions of the WebGPU kernels
 * (kernels/FORMULAS.md, "Fused reductions"): tfjs-backend-webgpu's own Sum
 * kernel, called directly (one dispatch per call, nothing uploaded but its
 * uniforms), and the value of an empty sum. Used by the elementwise kernels'
 * reductions (elementwise_reduction_webgpu.ts) and the softmax forward's
 * 'all' (SoftmaxCrossEntropy.ts).
 */
import {getKernel, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';

/**
 * `x` summed over `axis` (keepDims false) by tfjs-backend-webgpu's Sum kernel.
 * That kernel gives each output element one workgroup: a total over many
 * elements in one call runs on a single workgroup (callers with rows·C
 * elements sum the rows first).
 */
export function deviceSum(backend: WebGPUBackend, x: TensorInfo, axis: number[]): TensorInfo {
  const sum = getKernel('Sum', 'webgpu');
  if (sum == null) {
    throw new Error('fused cross-entropy (webgpu): tfjs-backend-webgpu has no Sum kernel');
  }
  return (sum.kernelFunc as KernelFunc)({inputs: {x}, backend, attrs: {axis, keepDims: false}}) as TensorInfo;
}

/**
 * The result of a sum over nothing, times `scale`: a float32 tensor of `shape`
 * filled with 0·scale (NaN for scale = ±∞: the mean of nothing, as tf.mean).
 * No dispatch; its few bytes go up with the next submit.
 */
export function emptySum(backend: WebGPUBackend, shape: number[], scale: number): TensorInfo {
  const size = shape.reduce((a, b) => a * b, 1);
  return backend.makeTensorInfo(shape, 'float32', new Float32Array(size).fill(0 * scale));
}

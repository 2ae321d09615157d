/**
 * Host side of the fused reductions of the elementwise WebGPU kernels
 * (sigmoid, binary focal; kernels/FORMULAS.md, "Fused reductions"): the
 * forward writes `scale·L` elementwise and sums it with tfjs-backend-webgpu's
 * own Sum kernel (on the device, nothing uploaded but its uniforms); the
 * backward reads dy per element, per row or once (DyMode in the programs).
 */
import {getKernel, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import type {ElementwiseReduction} from '../kernel_names';
import type {DyMode} from './sigmoid_cross_entropy_webgpu';

/** The dy layout of a backward with `reduction`, after checking dy's size. */
export function checkDy(reduction: ElementwiseReduction | undefined, dy: TensorInfo, rows: number, C: number,
                        kernel: string): DyMode {
  const r = reduction ?? 'none';
  const expected: Record<string, number> = {none: rows * C, rows, all: 1};
  if (!(r in expected)) {
    throw new Error(`${kernel} (webgpu): unknown reduction '${r}'`);
  }
  const size = dy.shape.reduce((a, b) => a * b, 1);
  if (size !== expected[r]) {
    throw new Error(`${kernel} (webgpu): dy has ${size} elements, expected ${expected[r]} for reduction '${r}' of [${rows}, ${C}]`);
  }
  return r as DyMode;
}

/**
 * The forward's reduction of `loss` ([rows, C], already times scale): itself
 * for 'none', else its row sums ([rows]) or total ([]) by the backend's Sum
 * kernel. Disposes `loss` when it returns something else.
 */
export function reduceRows(backend: WebGPUBackend, loss: TensorInfo, reduction: ElementwiseReduction | undefined,
                           scale = 1): TensorInfo {
  const r = reduction ?? 'none';
  if (r === 'none') {
    return loss;
  }
  const [rows, C] = loss.shape;
  const outShape = r === 'rows' ? [rows] : [];
  let out: TensorInfo;
  if (rows * C === 0) {
    // Empty sums are 0, times scale (NaN for the mean of nothing, as tf.mean).
    out = backend.makeTensorInfo(outShape, 'float32', new Float32Array(r === 'rows' ? rows : 1).fill(0 * scale));
  } else {
    const sum = getKernel('Sum', 'webgpu');
    if (sum == null) {
      throw new Error('fused cross-entropy (webgpu): tfjs-backend-webgpu has no Sum kernel');
    }
    // Row sums first, then (for 'all') the sum of those: tfjs-backend-webgpu's
    // Sum gives each output one workgroup, so a total over all rows·C
    // elements in one go would run on a single workgroup.
    const sumOver = (x: TensorInfo, axis: number[]) =>
      (sum.kernelFunc as KernelFunc)({inputs: {x}, backend, attrs: {axis, keepDims: false}}) as TensorInfo;
    out = sumOver(loss, [1]);
    if (r === 'all') {
      const rowSums = out;
      out = sumOver(rowSums, [0]);
      backend.disposeData(rowSums.dataId);
    }
  }
  backend.disposeData(loss.dataId);
  return out;
}

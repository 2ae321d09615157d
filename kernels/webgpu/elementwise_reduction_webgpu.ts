/**
 * Host side of the fused reductions of the elementwise WebGPU kernels
 * (sigmoid, binary focal; kernels/FORMULAS.md, "Fused reductions"): the
 * forward writes `scale·L` elementwise and sums it with tfjs-backend-webgpu's
 * own Sum kernel (device_sum.ts: on the device, nothing uploaded but its uniforms); the
 * backward reads dy per element, per row or once (DyMode in the programs).
 */
import {TensorInfo} from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import type {ElementwiseReduction} from '../kernel_names';
import type {DyMode} from './elementwise_webgpu';
import {deviceSum, emptySum} from './device_sum';

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
    out = emptySum(backend, outShape, scale);
  } else {
    // Row sums first, then (for 'all') the sum of those (deviceSum: one
    // workgroup per output).
    out = deviceSum(backend, loss, [1]);
    if (r === 'all') {
      const rowSums = out;
      out = deviceSum(backend, rowSums, [0]);
      backend.disposeData(rowSums.dataId);
    }
  }
  backend.disposeData(loss.dataId);
  return out;
}

/**
 * Host side of the softmax kernels' fused reduction on WebGPU
 * (kernels/FORMULAS.md, "Fused reductions", softmax kernels): the `reduction`
 * attribute and dy's size checked (kernels/softmax_reduction.ts, shared with
 * cpu, wasm and webgl), the forward's 'all' summed on the device by
 * tfjs-backend-webgpu's own Sum kernel (device_sum.ts). The scale is a
 * uniform of every softmax program and the dy broadcast is baked into the
 * backward programs (`SoftmaxDyMode`, in their keys).
 */
import type {TensorInfo} from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import type {SoftmaxReduction} from '../kernel_names';
import {deviceSum, emptySum} from './device_sum';
import {makeEmpty} from './launch';
import {checkRowDy as checkDySize, rowReduction} from '../softmax_reduction';

/** `reduction` (default 'none'), after checking it is one the softmax kernels have (softmax_reduction.ts). */
export function softmaxReduction(reduction: unknown, kernel: string): SoftmaxReduction {
  return rowReduction({reduction: reduction as SoftmaxReduction}, `${kernel} (webgpu)`).reduction;
}

/** Throws unless dy has the size `reduction` fixes: `rows` for 'none', one element for 'all' (softmax_reduction.ts). */
export function checkRowDy(reduction: SoftmaxReduction, dy: TensorInfo, rows: number, kernel: string): void {
  checkDySize(dy.shape.reduce((a, b) => a * b, 1), rows, {reduction}, `${kernel} (webgpu)`);
}

/**
 * The forward's loss output from the per-row losses `loss` ([rows], already
 * times scale): itself for 'none'; for 'all' its sum, a scalar, by the
 * backend's Sum kernel (one more dispatch), `loss` disposed.
 */
export function reduceLoss(backend: WebGPUBackend, loss: TensorInfo, reduction: SoftmaxReduction): TensorInfo {
  if (reduction === 'none') {
    return loss;
  }
  const total = deviceSum(backend, loss, [0]);
  backend.disposeData(loss.dataId);
  return total;
}

/** The loss output of no rows: `[0]`, or for 'all' the scalar 0·scale (NaN for scale = ±∞). */
export function emptyLoss(backend: WebGPUBackend, reduction: SoftmaxReduction, scale: number): TensorInfo {
  return reduction === 'all' ? emptySum(backend, [], scale) : makeEmpty(backend, [0]);
}

/**
 * Host side of the softmax kernels' fused reduction (kernels/FORMULAS.md,
 * "Fused reductions", softmax kernels) on webgl: the attributes and dy
 * checked by kernels/softmax_reduction.ts (shared with cpu and wasm), dy
 * presented to the programs, which broadcast and scale it themselves, and the
 * forward's 'all' summed on the device by tfjs-backend-webgl's own Sum kernel
 * (elementwise_reduction_webgl.ts's `reduceRows`, as the sigmoid kernels do).
 */
import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';
import type {TensorInfo} from '@tensorflow/tfjs-core';

import type {SoftmaxCrossEntropyAttrs, SoftmaxReduction} from '../kernel_names';
import {checkRowDy, rowReduction} from '../softmax_reduction';

import {reduceRows} from './elementwise_reduction_webgl';

/** The reduction and scale (defaults 'none', 1), the reduction's name checked. */
export function softmaxReduction(attrs: SoftmaxCrossEntropyAttrs, kernel: string):
    {reduction: SoftmaxReduction, scale: number} {
  return rowReduction(attrs, `${kernel} (webgl)`);
}

/**
 * dy for the backward programs, after checking its size: [rows] for 'none';
 * for 'all' its one element as a [] view of the same data (any layout holds
 * it at flat index 0), which the programs read with `getDy()`.
 */
export function rowDy(attrs: SoftmaxCrossEntropyAttrs, dy: TensorInfo, rows: number, kernel: string): TensorInfo {
  checkRowDy(dy.shape.reduce((a, b) => a * b, 1), rows, attrs, `${kernel} (webgl)`);
  return (attrs.reduction ?? 'none') === 'all' ? {dataId: dy.dataId, shape: [], dtype: dy.dtype} : dy;
}

/**
 * The forward's loss: `loss` ([rows], already times scale) for 'none'; for
 * 'all' its sum, a scalar, by the backend's Sum kernel (0·scale for no
 * rows). Disposes `loss` when it returns something else.
 */
export function reduceLoss(backend: MathBackendWebGL, loss: TensorInfo, reduction: SoftmaxReduction,
                           scale: number): TensorInfo {
  if (reduction === 'none') return loss;
  // [rows] viewed as [rows, 1] (the same unpacked texture), summed over both axes.
  return reduceRows(backend, {dataId: loss.dataId, shape: [loss.shape[0], 1], dtype: loss.dtype}, 'all', scale);
}

/**
 * The `reduction` option of the ops. Elementwise ops (sigmoid and binary focal
 * cross-entropy) and, further down, the softmax ops (per-example losses):
 * which sum or mean the fused kernel pair applies itself, so
 * that its gradient is the kernel's broadcast of dy (kernels/FORMULAS.md,
 * "Fused reductions") and never tfjs's sum/mean gradient, which builds a ones
 * tensor of the logits' shape on the host.
 */
import {broadcastTo, customGrad, fill, GradSaveFunc, mul, reshape, sum, Tensor} from '@tensorflow/tfjs-core';
import type {ElementwiseReduction, ElementwiseReductionAttrs, SoftmaxReduction} from '../../kernels/kernel_names';
import {assertArg} from './validate';

/**
 * - 'none' (default): the elementwise loss, logits' shape;
 * - 'sum' / 'mean': over every element, a scalar;
 * - 'sumOverClasses' / 'meanOverClasses': over the last (class) axis, logits'
 *   shape without it (Keras's `BinaryCrossentropy` per example is the mean).
 */
export type ElementwiseLossReduction = 'none' | 'sum' | 'mean' | 'sumOverClasses' | 'meanOverClasses';
export const ELEMENTWISE_LOSS_REDUCTIONS: readonly ElementwiseLossReduction[] =
    ['none', 'sum', 'mean', 'sumOverClasses', 'meanOverClasses'];

/** The kernel attributes and the op's output shape for `reduction` of a loss of `shape`. */
export function elementwiseReduction(reduction: unknown, shape: number[], opName: string):
    {reduction: ElementwiseReduction, scale: number, outShape: number[]} {
  const r = reduction ?? 'none';
  assertArg((ELEMENTWISE_LOSS_REDUCTIONS as readonly unknown[]).includes(r), opName,
      () => `reduction must be one of ${ELEMENTWISE_LOSS_REDUCTIONS.map(v => `'${v}'`).join(', ')}, got ${typeof reduction === 'string' ? `'${reduction}'` : String(reduction)}`);
  const size = shape.reduce((a, b) => a * b, 1);
  const C = shape.length === 0 ? 1 : shape[shape.length - 1];
  switch (r as ElementwiseLossReduction) {
    case 'none':
      return {reduction: 'none', scale: 1, outShape: shape};
    case 'sum':
      return {reduction: 'all', scale: 1, outShape: []};
    case 'mean':
      return {reduction: 'all', scale: 1 / size, outShape: []};
    case 'sumOverClasses':
      return {reduction: 'rows', scale: 1, outShape: shape.slice(0, -1)};
    case 'meanOverClasses':
      return {reduction: 'rows', scale: 1 / C, outShape: shape.slice(0, -1)};
  }
}

/** The `reduction` option of the softmax ops: per example, or their sum or mean over every example. */
export type SoftmaxLossReduction = 'none' | 'sum' | 'mean';
export const SOFTMAX_LOSS_REDUCTIONS: readonly SoftmaxLossReduction[] = ['none', 'sum', 'mean'];

/**
 * The softmax kernels' reduction attributes for `reduction` of `rows` examples
 * (kernel_names.ts, `SoftmaxCrossEntropyAttrs.reduction`). `countRows`: the
 * mean divides by a count of examples the op computes itself (the rows not
 * ignored), so the kernels sum and the scale stays 1.
 */
export function softmaxReduction(reduction: unknown, rows: number, countRows: boolean, opName: string):
    {reduction: SoftmaxReduction, scale: number} {
  const r = reduction ?? 'none';
  assertArg((SOFTMAX_LOSS_REDUCTIONS as readonly unknown[]).includes(r), opName,
      () => `reduction must be one of ${SOFTMAX_LOSS_REDUCTIONS.map(v => `'${v}'`).join(', ')}, got ${typeof reduction === 'string' ? `'${reduction}'` : String(reduction)}`);
  if (r === 'none') {
    return {reduction: 'none', scale: 1};
  }
  return {reduction: 'all', scale: r === 'mean' && !countRows ? 1 / rows : 1};
}

/**
 * The composite path's forward of a softmax reduction: `scale·L` for 'none',
 * `scale·Σ_i L[i]` for 'all' (0·scale for no rows: NaN for the mean of nothing).
 */
export function reduceRowLosses(loss: Tensor, attrs: {reduction?: SoftmaxReduction, scale?: number}): Tensor {
  const scale = attrs.scale ?? 1;
  if ((attrs.reduction ?? 'none') === 'none') {
    return scale === 1 ? loss : mul(loss, scale);
  }
  if (loss.size === 0) {
    return fill([], 0 * scale);
  }
  const s = sum(loss);
  return scale === 1 ? s : mul(s, scale);
}

/** Its backward: dy as `[rows]` (a one-element dy broadcast for 'all'), times scale. */
export function rowLossDy(dy: Tensor, rows: number, attrs: {reduction?: SoftmaxReduction, scale?: number}): Tensor {
  const scale = attrs.scale ?? 1;
  const b = (attrs.reduction ?? 'none') === 'all' ? broadcastTo(reshape(dy, [1]), [rows]) : dy;
  return scale === 1 ? b : mul(b, scale);
}

/**
 * The composite paths' forward of a reduction (run inside their custom
 * gradient, so the tape never sees this sum): `scale·Σ` of the elementwise
 * `[rows, C]` loss over the class axis ('rows') or everything ('all').
 */
export function reduceElementwise(loss: Tensor, attrs: ElementwiseReductionAttrs): Tensor {
  const reduction = attrs.reduction ?? 'none', scale = attrs.scale ?? 1;
  if (reduction === 'none') {
    return scale === 1 ? loss : mul(loss, scale);
  }
  if (loss.size === 0) {
    // Empty sums are 0, times scale (NaN for the mean of nothing, as tf.mean);
    // tfjs-backend-webgpu's Sum fails on an empty input.
    return fill(reduction === 'rows' ? [loss.shape[0]] : [], 0 * scale);
  }
  // Row sums first, then their sum for 'all' (tfjs-backend-webgpu's Sum gives
  // each output one workgroup: a one-step total would run on one workgroup).
  const rows = sum(loss, 1);
  const s = reduction === 'rows' ? rows : sum(rows);
  return scale === 1 ? s : mul(s, scale);
}

/**
 * The composite paths' backward of that reduction: dy made broadcastable
 * against `[rows, C]` (`[rows, 1]` or a scalar) and times `scale`; their
 * elementwise gradient formulas then broadcast it in their own `mul`.
 */
export function broadcastDy(dy: Tensor, attrs: ElementwiseReductionAttrs): Tensor {
  const reduction = attrs.reduction ?? 'none', scale = attrs.scale ?? 1;
  const b = reduction === 'rows' ? reshape(dy, [-1, 1]) : reduction === 'all' ? reshape(dy, []) : dy;
  return scale === 1 ? b : mul(b, scale);
}

/**
 * `sum(x, axis)` (every element when `axis` is absent), whose gradient is dy
 * broadcast back to x's shape on the device (tfjs's Tile kernel) instead of
 * tfjs's `dy·ones(x.shape)`, whose ones are built on the host. For sums the
 * kernels cannot fuse (a weighted loss `L·w` with per-element weights, a KL
 * divergence of probabilities).
 */
export function sumBroadcastGrad(x: Tensor, axis?: number): Tensor {
  const f = customGrad((...args: Array<Tensor | GradSaveFunc>) => {
    const t = args[0] as Tensor;
    const ax = axis == null ? null : axis < 0 ? axis + t.rank : axis;
    return {
      value: ax == null ? sum(t) : sum(t, ax),
      gradFunc: (dy: Tensor) => broadcastTo(reshape(dy, t.shape.map((d, i) => (ax == null || i === ax ? 1 : d))), t.shape),
    };
  });
  return f(x);
}

/**
 * The cpu softmax cross-entropy kernels on the WebAssembly SIMD module
 * (kernels/simd): the inputs are copied into the module's own memory, the
 * kernel runs there, the outputs are copied out into fresh Float32Arrays (the
 * arrays tfjs takes ownership of). Same outputs, saved (m, s) and errors as the
 * JavaScript kernels beside it; SoftmaxCrossEntropy.ts and
 * SoftmaxCrossEntropyGrad.ts call these when simd/flags_simd.ts says so.
 */
import type {TensorInfo} from '@tensorflow/tfjs-core';
import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';
import type {SoftmaxCrossEntropyAttrs, SoftmaxCrossEntropyGradAttrs} from '../kernel_names';
import {SimdHeap, simdHeap} from '../simd/simd_module';
import {checkSparseLabel} from './row_math';

type Values = ArrayLike<number>;

/** The class weights (float32) in the heap, or 0 when there are none; and Σ w (C when none). */
function weightsIn(heap: SimdHeap, attrs: SoftmaxCrossEntropyAttrs, C: number): {w: number, sumW: number} {
  if (attrs.classWeights == null) {
    return {w: 0, sumW: C};
  }
  let sumW = 0;
  for (const v of attrs.classWeights) sumW += v;
  return {w: heap.f32In(attrs.classWeights), sumW};
}

/** Checks every sparse label (the JavaScript kernels' error, naming the row). */
function checkLabels(t: Values, rows: number, C: number, ignore: number | null): void {
  for (let i = 0; i < rows; i++) {
    const v = t[i];
    if (!(ignore != null && v === ignore)) checkSparseLabel(v, i, C);
  }
}

function forwardOutputs(backend: MathBackendCPU, heap: SimdHeap, rows: number, loss: number, stats: number): TensorInfo[] {
  return [backend.makeTensorInfo([rows], 'float32', heap.f32Out(loss, rows)),
          backend.makeTensorInfo([rows, 2], 'float32', heap.f32Out(stats, 2 * rows))];
}

export function denseForwardSimd(backend: MathBackendCPU, x: Values, y: Values, rows: number, C: number,
                                 attrs: SoftmaxCrossEntropyAttrs): TensorInfo[] {
  const heap = simdHeap();
  heap.reset();
  const xp = heap.f32In(x), yp = heap.f32In(y);
  const {w} = weightsIn(heap, attrs, C);
  const loss = heap.alloc(4 * rows), stats = heap.alloc(8 * rows);
  const eps = attrs.labelSmoothing;
  heap.kernels.denseForward(xp, yp, rows, C, 1 / attrs.temperature, 1 - eps, eps / C, w, attrs.zLoss, loss, stats);
  return forwardOutputs(backend, heap, rows, loss, stats);
}

export function sparseForwardSimd(backend: MathBackendCPU, x: Values, t: Values, rows: number, C: number,
                                  attrs: SoftmaxCrossEntropyAttrs): TensorInfo[] {
  const ignore = attrs.ignoreIndex;
  checkLabels(t, rows, C, ignore);
  const heap = simdHeap();
  heap.reset();
  const xp = heap.f32In(x), tp = heap.i32In(t);
  const {w, sumW} = weightsIn(heap, attrs, C);
  const loss = heap.alloc(4 * rows), stats = heap.alloc(8 * rows);
  heap.kernels.sparseForward(xp, tp, rows, C, 1 / attrs.temperature, attrs.labelSmoothing, w, sumW, attrs.zLoss,
                             ignore == null ? 0 : 1, ignore ?? 0, loss, stats);
  return forwardOutputs(backend, heap, rows, loss, stats);
}

/** Dense backward (d/dlogits or d/dlabels) into a fresh [rows, C] Float32Array. */
export function denseGradSimd(x: Values, y: Values, stats: Values, dy: Values, rows: number, C: number,
                              attrs: SoftmaxCrossEntropyGradAttrs): Float32Array {
  const heap = simdHeap();
  heap.reset();
  const xp = heap.f32In(x), sp = heap.f32In(stats), dyp = heap.f32In(dy);
  const {w} = weightsIn(heap, attrs, C);
  const invT = 1 / attrs.temperature, eps = attrs.labelSmoothing;
  let out: number;
  if (attrs.wrt === 'labels') {
    out = heap.alloc(4 * rows * C);
    heap.kernels.denseLabelsGrad(xp, sp, dyp, rows, C, invT, 1 - eps, w, out);
  } else {
    const yp = heap.f32In(y);
    out = heap.alloc(4 * rows * C);
    heap.kernels.denseGrad(xp, yp, sp, dyp, rows, C, invT, 1 - eps, eps / C, w, attrs.zLoss, out);
  }
  return heap.f32Out(out, rows * C);
}

/**
 * Sparse d/dlogits into `target` (a fresh array, or the logits' own for the
 * in-place kernel: the heap holds its own copy of x, so aliasing is moot here).
 */
export function sparseGradSimd(x: Values, t: Values, stats: Values, dy: Values, rows: number, C: number,
                               attrs: SoftmaxCrossEntropyGradAttrs, target: Float32Array): void {
  const ignore = attrs.ignoreIndex;
  checkLabels(t, rows, C, ignore);
  const heap = simdHeap();
  heap.reset();
  const xp = heap.f32In(x), tp = heap.i32In(t), sp = heap.f32In(stats), dyp = heap.f32In(dy);
  const {w, sumW} = weightsIn(heap, attrs, C);
  // The kernel writes over x (in place in the heap): no second [rows, C] buffer.
  heap.kernels.sparseGrad(xp, tp, sp, dyp, rows, C, 1 / attrs.temperature, attrs.labelSmoothing, w, sumW,
                          attrs.zLoss, ignore == null ? 0 : 1, ignore ?? 0, xp);
  heap.f32OutInto(xp, target);
}

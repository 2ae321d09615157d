/**
 * The cpu focal kernels on the WebAssembly SIMD module (kernels/simd,
 * assembly/focal_cross_entropy.ts), over copies of their inputs (as
 * softmax_simd.ts): softmax focal (dense and sparse, forward, d/dlogits,
 * dense d/dlabels) and binary focal (every reduction, both wrt).
 * FocalCrossEntropy.ts, FocalCrossEntropyGrad.ts and BinaryFocalCrossEntropy.ts
 * call these when simd/flags_simd.ts says so. The module's focal exports and
 * the arguments' conventions, shared with kernels/wasm, are in
 * simd/focal_host.ts and simd/sigmoid_host.ts.
 */
import type {BinaryFocalCrossEntropyAttrs, FocalCrossEntropyAttrs, FocalCrossEntropyGradAttrs} from '../kernel_names';
import {FocalSimdExports, focalClassWeights, focalScalars} from '../simd/focal_host';
import {reductionCode, sigmoidOutputShape} from '../simd/sigmoid_host';
import {SimdHeap, simdHeap} from '../simd/simd_module';

type Values = ArrayLike<number>;

function focalKernels(heap: SimdHeap): FocalSimdExports {
  return heap.kernels as unknown as FocalSimdExports;
}

/** a[c] = α[c]·w[c] as float64 in the heap. */
function classFactorsIn(heap: SimdHeap, attrs: FocalCrossEntropyAttrs, C: number): number {
  const a = focalClassWeights(attrs, C);
  const ptr = heap.alloc(8 * Math.max(C, 1));
  new Float64Array(heap.memory.buffer, ptr, C).set(a);
  return ptr;
}

/** Forward: [loss [rows], (m, s) [rows, 2]] as fresh Float32Arrays. t: sparse labels (checked by the caller), or null for dense y. */
export function focalForwardSimd(x: Values, y: Values | null, t: Values | null, rows: number, C: number,
                                 attrs: FocalCrossEntropyAttrs): [Float32Array, Float32Array] {
  const heap = simdHeap();
  heap.reset();
  const xp = heap.f32In(x);
  const yp = y == null ? 0 : heap.f32In(y), tp = t == null ? 0 : heap.i32In(t);
  const a = classFactorsIn(heap, attrs, C);
  const loss = heap.alloc(4 * rows), stats = heap.alloc(8 * rows);
  const k = focalScalars(attrs, C);
  focalKernels(heap).focalForward(xp, yp, tp, rows, C, k.invT, k.keep, k.base, a, k.gamma, k.hasIgnore, k.ignore,
                                  loss, stats);
  return [heap.f32Out(loss, rows), heap.f32Out(stats, 2 * rows)];
}

/** Backward into a fresh [rows, C] Float32Array: d/dlogits (dense y or sparse t), or d/dlabels (dense). */
export function focalGradSimd(x: Values, y: Values | null, t: Values | null, stats: Values, dy: Values, rows: number,
                              C: number, attrs: FocalCrossEntropyGradAttrs): Float32Array {
  const heap = simdHeap();
  heap.reset();
  const xp = heap.f32In(x), sp = heap.f32In(stats), dyp = heap.f32In(dy);
  const a = classFactorsIn(heap, attrs, C);
  const out = heap.alloc(4 * rows * C);
  const k = focalScalars(attrs, C);
  const kernels = focalKernels(heap);
  if (attrs.wrt === 'labels') {
    kernels.focalLabelsGrad(xp, sp, dyp, rows, C, k.invT, k.keep, a, k.gamma, out);
  } else {
    const yp = y == null ? 0 : heap.f32In(y), tp = t == null ? 0 : heap.i32In(t);
    const park = heap.alloc(16 * Math.max(C, 1));  // f + B and p of a row, float64
    kernels.focalGrad(xp, yp, tp, sp, dyp, rows, C, k.invT, k.keep, k.base, a, k.gamma, k.hasIgnore, k.ignore, park,
                      out);
  }
  return heap.f32Out(out, rows * C);
}

/** Binary focal forward into a fresh Float32Array of the reduction's shape. */
export function binaryFocalForwardSimd(x: Values, z: Values, rows: number, C: number, attrs: BinaryFocalCrossEntropyAttrs,
                                       kernelName: string): Float32Array {
  const code = reductionCode(attrs.reduction ?? 'none', kernelName);
  const heap = simdHeap();
  heap.reset();
  const n = sigmoidOutputShape(attrs.reduction ?? 'none', rows, C).reduce((a, b) => a * b, 1);
  const xp = heap.f32In(x), zp = heap.f32In(z);
  const out = heap.alloc(4 * Math.max(n, 1));
  const eps = attrs.labelSmoothing;
  focalKernels(heap).binaryFocalForward(xp, zp, rows, C, 1 - eps, eps / 2, attrs.gamma, attrs.alpha,
                                        attrs.applyClassBalancing ? 1 : 0, code, attrs.scale ?? 1, out);
  return heap.f32Out(out, n);
}

/** Binary focal backward ([rows, C]); dyMode as dyStride gives it. */
export function binaryFocalGradSimd(x: Values, z: Values, dy: Values, dyMode: number, rows: number, C: number,
                                    attrs: BinaryFocalCrossEntropyAttrs & {wrt: 'logits' | 'labels'}): Float32Array {
  const heap = simdHeap();
  heap.reset();
  const xp = heap.f32In(x), zp = heap.f32In(z), dyp = heap.f32In(dy);
  const out = heap.alloc(4 * rows * C);
  const eps = attrs.labelSmoothing;
  focalKernels(heap).binaryFocalGrad(xp, zp, dyp, dyMode, rows, C, 1 - eps, eps / 2, attrs.gamma, attrs.alpha,
                                     attrs.applyClassBalancing ? 1 : 0, attrs.scale ?? 1, attrs.wrt === 'labels' ? 1 : 0,
                                     out);
  return heap.f32Out(out, rows * C);
}

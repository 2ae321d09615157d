/**
 * The cpu focal kernels on the WebAssembly SIMD module (kernels/simd,
 * assembly/focal_cross_entropy.ts), over copies of their inputs (as
 * softmax_simd.ts): softmax focal (dense and sparse, forward, d/dlogits,
 * dense d/dlabels) and binary focal (every reduction, both wrt).
 * FocalCrossEntropy.ts, FocalCrossEntropyGrad.ts and BinaryFocalCrossEntropy.ts
 * call these when simd/flags_simd.ts says so. `FocalSimdExports` is the
 * module's focal half, shared with kernels/wasm/FocalCrossEntropy.ts.
 */
import type {BinaryFocalCrossEntropyAttrs, FocalCrossEntropyAttrs, FocalCrossEntropyGradAttrs} from '../kernel_names';
import {SimdHeap, simdHeap} from '../simd/simd_module';
import {focalClassWeights} from './focal_math';
import {reductionCode, sigmoidOutputShape} from './sigmoid_simd';

type Values = ArrayLike<number>;

/** The focal exports of the SIMD module (pointers are byte offsets; y = 0 selects sparse labels t). */
export interface FocalSimdExports {
  focalForward(x: number, y: number, t: number, rows: number, C: number, invT: number, keep: number, base: number,
               a: number, gamma: number, hasIgnore: number, ignore: number, loss: number, stats: number): void;
  focalGrad(x: number, y: number, t: number, stats: number, dy: number, rows: number, C: number, invT: number,
            keep: number, base: number, a: number, gamma: number, hasIgnore: number, ignore: number, park: number,
            out: number): void;
  focalLabelsGrad(x: number, stats: number, dy: number, rows: number, C: number, invT: number, keep: number, a: number,
                  gamma: number, out: number): void;
  binaryFocalForward(x: number, z: number, rows: number, C: number, keep: number, half: number, gamma: number,
                     alpha: number, balancing: number, reduction: number, scale: number, out: number): void;
  binaryFocalGrad(x: number, z: number, dy: number, dyMode: number, rows: number, C: number, keep: number, half: number,
                  gamma: number, alpha: number, balancing: number, scale: number, wrtLabels: number, out: number): void;
}

/** The scalars every softmax focal kernel takes: 1/T, keep = 1 − ε, base = ε/C, γ, and the ignore index. */
export function focalScalars(attrs: FocalCrossEntropyAttrs, C: number) {
  const eps = attrs.labelSmoothing, ignore = attrs.ignoreIndex;
  return {invT: 1 / attrs.temperature, keep: 1 - eps, base: eps / C, gamma: attrs.gamma,
          hasIgnore: ignore == null ? 0 : 1, ignore: ignore ?? 0};
}

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

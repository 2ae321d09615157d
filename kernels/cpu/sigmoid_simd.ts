/**
 * The cpu sigmoid cross-entropy kernels on the WebAssembly SIMD module
 * (kernels/simd), over copies of their inputs (as softmax_simd.ts): every
 * reduction ('none', 'rows', 'all') and both wrt. SigmoidCrossEntropy.ts calls
 * these when simd/flags_simd.ts says so. The arguments' conventions, shared
 * with kernels/wasm, are in simd/sigmoid_host.ts.
 */
import {SigmoidCrossEntropy, type SigmoidCrossEntropyAttrs} from '../kernel_names';
import {posWeightIn, reductionCode, sigmoidOutputShape} from '../simd/sigmoid_host';
import {SimdHeap, simdHeap} from '../simd/simd_module';

type Values = ArrayLike<number>;

/** The forward into a fresh Float32Array of the reduction's shape. */
export function sigmoidForwardSimd(x: Values, z: Values, rows: number, C: number, attrs: SigmoidCrossEntropyAttrs): Float32Array {
  const heap: SimdHeap = simdHeap();
  heap.reset();
  const reduction = attrs.reduction ?? 'none';
  const code = reductionCode(reduction, SigmoidCrossEntropy);
  const n = sigmoidOutputShape(reduction, rows, C).reduce((a, b) => a * b, 1);
  const xp = heap.f32In(x), zp = heap.f32In(z);
  const {q, q0} = posWeightIn(v => heap.f32In(v), attrs, C);
  const out = heap.alloc(4 * Math.max(n, 1));
  const eps = attrs.labelSmoothing;
  heap.kernels.sigmoidForward(xp, zp, rows, C, 1 - eps, eps / 2, q, q0, code, attrs.scale ?? 1, out);
  return heap.f32Out(out, n);
}

/** The backward ([rows, C]); dyMode as dyStride gives it (0: one value, 1: per row, 2: per element). */
export function sigmoidGradSimd(x: Values, z: Values, dy: Values, dyMode: number, rows: number, C: number,
                                attrs: SigmoidCrossEntropyAttrs & {wrt: 'logits' | 'labels'}): Float32Array {
  const heap = simdHeap();
  heap.reset();
  const xp = heap.f32In(x), zp = heap.f32In(z), dyp = heap.f32In(dy);
  const {q, q0} = posWeightIn(v => heap.f32In(v), attrs, C);
  const out = heap.alloc(4 * rows * C);
  const eps = attrs.labelSmoothing;
  heap.kernels.sigmoidGrad(xp, zp, dyp, dyMode, rows, C, 1 - eps, eps / 2, q, q0, attrs.scale ?? 1,
                           attrs.wrt === 'labels' ? 1 : 0, out);
  return heap.f32Out(out, rows * C);
}

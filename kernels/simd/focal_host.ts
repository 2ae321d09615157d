/**
 * Host side of the SIMD module's focal kernels
 * (assembly/focal_cross_entropy.ts), for both hosts of the module (kernels/cpu
 * over its own heap, kernels/wasm over tfjs-backend-wasm's): the focal half of
 * its exports, and the scalars and per-class factors the softmax focal
 * kernels take (kernels/FORMULAS.md, "Focal cross-entropy"). The cpu kernels'
 * JavaScript loops take the same class factors.
 */
import type {FocalCrossEntropyAttrs} from '../kernel_names';

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

/** a[c] = α[c]·w[c] (α scalar or per class, times the class weights), float64. */
export function focalClassWeights(attrs: FocalCrossEntropyAttrs, C: number): Float64Array {
  const {alpha, classWeights} = attrs;
  if (alpha.length !== 1 && alpha.length !== C) {
    throw new Error(`focal cross-entropy: alpha has length ${alpha.length}, expected 1 or ${C}`);
  }
  const a = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    a[c] = (alpha.length === 1 ? alpha[0] : alpha[c]) * (classWeights == null ? 1 : classWeights[c]);
  }
  return a;
}

/**
 * Host side of the SIMD module's sigmoid and binary focal kernels
 * (assembly/softmax_cross_entropy.ts, assembly/focal_cross_entropy.ts): how
 * their arguments are formed from the kernel attributes (kernel_names.ts;
 * FORMULAS.md, "Fused reductions"), for both hosts of the module (kernels/cpu
 * over its own heap, kernels/wasm over tfjs-backend-wasm's): the reduction's
 * code and output shape, dy's stride, and posWeight as a pointer or a value.
 * The cpu kernels' JavaScript loops read dy with the same stride.
 */
import type {SigmoidCrossEntropyAttrs} from '../kernel_names';

const REDUCTION_CODE: Record<string, number> = {none: 0, rows: 1, all: 2};

/** The module's code for a reduction of the elementwise loss (sigmoid and binary focal kernels, cpu and wasm); throws, naming the kernel, on an unknown one. */
export function reductionCode(reduction: string, kernelName: string): number {
  if (!(reduction in REDUCTION_CODE)) {
    throw new Error(`${kernelName}: unknown reduction '${reduction}'`);
  }
  return REDUCTION_CODE[reduction];
}

/** The forward output's shape and length for `reduction`. */
export function sigmoidOutputShape(reduction: string, rows: number, C: number): number[] {
  return reduction === 'none' ? [rows, C] : reduction === 'rows' ? [rows] : [];
}

/**
 * dy of a backward with `reduction` (FORMULAS.md, "Fused reductions"): the
 * index of element (i, c)'s upstream value is k, i or 0 (the module's dyMode
 * 2, 1 or 0). Checks the size.
 */
export function dyStride(reduction: string | undefined, dySize: number, rows: number, C: number, kernel: string): 0 | 1 | 2 {
  const r = reduction ?? 'none';
  const modes: Record<string, [0 | 1 | 2, number]> = {none: [2, rows * C], rows: [1, rows], all: [0, 1]};
  if (!(r in modes)) {
    throw new Error(`${kernel}: unknown reduction '${r}'`);
  }
  const [mode, expected] = modes[r];
  if (dySize !== expected) {
    throw new Error(`${kernel}: dy has ${dySize} elements, expected ${expected} for reduction '${r}' of [${rows}, ${C}]`);
  }
  return mode;
}

/**
 * posWeight as the kernels take it: a C-element float32 array (a pointer that
 * `alloc` places in the module's memory) or one value for every class.
 */
export function posWeightIn(alloc: (values: ArrayLike<number>) => number, attrs: SigmoidCrossEntropyAttrs, C: number): {q: number, q0: number} {
  const q = attrs.posWeight;
  if (q == null) return {q: 0, q0: 1};
  if (q.length === 1) return {q: 0, q0: q[0]};
  if (q.length !== C) throw new Error(`sigmoidCrossEntropyWithLogits: posWeight has ${q.length} values, expected 1 or ${C}`);
  return {q: alloc(q), q0: 1};
}

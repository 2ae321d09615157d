/**
 * The smoothed targets ŷ of the cpu focal kernels (FocalCrossEntropy.ts and
 * FocalCrossEntropyGrad.ts, their JavaScript loops) and their sparse-label
 * checks (kernels/FORMULAS.md, "Focal cross-entropy").
 */
import {checkSparseLabel} from './row_math';

/** Smoothed target ŷ of class c of row i; NaN marks an out-of-range sparse label. */
export type TargetFn = (i: number, off: number, c: number) => number;

/** ŷ for dense labels: (1 − ε)·y + ε/C. */
export function denseTarget(y: ArrayLike<number>, eps: number, C: number): TargetFn {
  return (_i, off, c) => (1 - eps) * y[off + c] + eps / C;
}

/** ŷ for sparse labels: (1 − ε)·[c = t] + ε/C. */
export function sparseTarget(t: ArrayLike<number>, eps: number, C: number): TargetFn {
  return (i, _off, c) => (c === t[i] ? 1 - eps : 0) + eps / C;
}

/** Whether sparse row i is ignored; throws for an out-of-range label that is not. */
export function sparseIgnored(t: ArrayLike<number>, ignoreIndex: number | null, C: number): (i: number) => boolean {
  return i => {
    if (ignoreIndex != null && t[i] === ignoreIndex) {
      return true;
    }
    checkSparseLabel(t[i], i, C);
    return false;
  };
}

/** Checks every sparse label first (the JavaScript kernels' error, naming the row). */
export function checkSparseLabels(t: ArrayLike<number>, ignoreIndex: number | null, C: number): void {
  const ignored = sparseIgnored(t, ignoreIndex, C);
  for (let i = 0; i < t.length; i++) ignored(i);
}

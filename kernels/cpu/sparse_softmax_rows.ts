/**
 * The sparse softmax cross-entropy row loop of the cpu kernels
 * (kernels/FORMULAS.md): SparseSoftmaxCrossEntropy's JavaScript fallback
 * (SoftmaxCrossEntropy.ts) and LinearSparseSoftmaxCrossEntropy's blocks of
 * logits (LinearSparseSoftmaxCrossEntropy.ts) run it. Per row, the online
 * log-sum-exp and the target logit (a second pass over the row only with
 * label smoothing).
 */
import type {SoftmaxCrossEntropyAttrs} from '../kernel_names';
import {checkSparseLabel, rowLse, rowLseScaled, saveRowStats} from './row_math';

/**
 * Sparse loss and (m, s) of `rows` rows of `xa` (row i at offset i·C) with labels
 * t[tOff + i], written to loss[tOff + i] and lseOut[2·(tOff + i) ..] ([rows, 2]). `w`, `sumW` from
 * classWeightArray / sumOf (sumW is only read when smoothing).
 */
export function sparseRowsForward(xa: Float32Array, rows: number, C: number, t: ArrayLike<number>, tOff: number,
                                  attrs: SoftmaxCrossEntropyAttrs, w: Float64Array, sumW: number,
                                  loss: Float32Array, lseOut: Float32Array): void {
  const invT = 1 / attrs.temperature;
  const eps = attrs.labelSmoothing, zLoss = attrs.zLoss, ignore = attrs.ignoreIndex;
  for (let i = 0; i < rows; i++) {
    const target = t[tOff + i];
    const ignored = ignore != null && target === ignore;
    if (!ignored) {
      checkSparseLabel(target, tOff + i, C);
    }
    const off = i * C;
    const lse = invT === 1 ? rowLse(xa, off, C) : rowLseScaled(xa, off, C, invT);
    saveRowStats(lseOut, tOff + i);
    if (ignored) {
      loss[tOff + i] = 0;
      continue;
    }
    const wt = w[target];
    // Σ_c w[c]·ŷ[c]·(lse − z[c]) with ŷ = (1−ε)·[c=t] + ε/C.
    let l = (1 - eps) * wt * (lse - xa[off + target] * invT);
    if (eps !== 0) {
      let smoothDot = 0;  // Σ_c w[c]·z[c], a second pass only when smoothing
      for (let c = 0; c < C; c++) {
        smoothDot += w[c] * xa[off + c] * invT;
      }
      l += (eps / C) * (sumW * lse - smoothDot);
    }
    loss[tOff + i] = l + zLoss * lse * lse;
  }
}

/**
 * Float64 reference of the Keras 3 loss classes, in plain JS numbers, written
 * from Keras 3's definitions (keras/src/losses/losses.py) and
 * /work/shared/notes/loss-formulas.md: probabilities are renormalised and
 * clipped to [1e-7, 1 − 1e-7]; reductions 'sum_over_batch_size' / 'mean'
 * divide by the number of (non-ignored) examples, at least 1.
 * Per-row softmax options (temperature, classWeights, zLoss) reuse the lead's
 * float64 reference (test/reference/reference.ts).
 */
import {refSigmoidCrossEntropy, refSoftmaxCrossEntropy, RefSoftmaxOptions} from '../reference/reference';

export const EPS = 1e-7;
const clip = (p: number) => Math.min(Math.max(p, EPS), 1 - EPS);

/** Keras's from_logits=False: −Σ ŷ·log(clip(p / Σp)) per row, with ŷ = (1 − ε)·y + ε/C. */
export function refCategoricalFromProbs(p: ArrayLike<number>, y: ArrayLike<number>, rows: number, C: number,
                                        labelSmoothing = 0): number[] {
  const out: number[] = [];
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += p[i * C + c];
    let L = 0;
    for (let c = 0; c < C; c++) {
      const yh = (1 - labelSmoothing) * y[i * C + c] + labelSmoothing / C;
      if (yh !== 0) L -= yh * Math.log(clip(p[i * C + c] / s));
    }
    out.push(L);
  }
  return out;
}

/**
 * Our definition for probabilities with the extra options: the float64 softmax
 * cross-entropy of logits log(clip(p / Σp)). Without clipping and options it
 * equals `refCategoricalFromProbs` (the log-sum-exp of log-probabilities is 0).
 */
export function refCategoricalProbsAsLogits(p: ArrayLike<number>, y: ArrayLike<number>, rows: number, C: number,
                                            o: RefSoftmaxOptions): number[] {
  const logits: number[] = [];
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += p[i * C + c];
    for (let c = 0; c < C; c++) logits.push(Math.log(clip(p[i * C + c] / s)));
  }
  return refSoftmaxCrossEntropy(logits, y, rows, C, o).loss;
}

/**
 * Keras binary cross-entropy per element, with PyTorch's pos_weight q:
 * from probabilities −(q·ẑ·log p + (1 − ẑ)·log(1 − p)), p clipped; from logits
 * the reference's softplus form. Then the mean over the last axis (length C).
 */
export function refBinary(pred: ArrayLike<number>, z: ArrayLike<number>, rows: number, C: number,
                          o: {fromLogits: boolean, labelSmoothing?: number, posWeight?: number[] | null}): number[] {
  const eps = o.labelSmoothing ?? 0;
  const q = (c: number) => (o.posWeight == null ? 1 : o.posWeight.length === 1 ? o.posWeight[0] : o.posWeight[c]);
  let elems: number[];
  if (o.fromLogits) {
    elems = refSigmoidCrossEntropy(pred, z, C, {labelSmoothing: eps, posWeight: o.posWeight ?? null}).loss;
  } else {
    elems = Array.from(pred, (p, i) => {
      const zh = z[i] * (1 - eps) + eps / 2, pc = clip(p);
      return -(q(i % C) * zh * Math.log(pc) + (1 - zh) * Math.log(1 - pc));
    });
  }
  const out: number[] = [];
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += elems[i * C + c];
    out.push(s / C);
  }
  return out;
}

export type RefReduction = 'sum_over_batch_size' | 'mean' | 'sum' | 'none';

/**
 * Keras 3 reduction of per-example losses L with optional sample weights s and
 * a validity mask (ignored examples count in no mean).
 */
export function refReduce(L: number[], r: RefReduction, s?: number[], valid?: boolean[]): number[] {
  const w = L.map((v, i) => v * (s ? s[i] : 1));
  if (r === 'none') return w;
  const total = w.reduce((a, b) => a + b, 0);
  if (r === 'sum') return [total];
  const count = valid ? valid.filter(Boolean).length : L.length;
  return [total / Math.max(count, valid ? 1 : 0)];
}

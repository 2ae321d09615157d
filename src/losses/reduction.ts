/**
 * Reductions: how per-example losses become the number a loss returns.
 *
 * Two families live here, on purpose kept apart:
 *  - `tf.Reduction` (NONE, MEAN, SUM, SUM_BY_NONZERO_WEIGHTS) for the drop-in
 *    `losses.*` functions. Those delegate to tfjs's own
 *    `tf.losses.computeWeightedLoss`, so weights, broadcasting and the
 *    non-zero-weight count are tfjs's semantics by construction, not by copy.
 *  - Keras 3 reduction names for the loss classes: 'sum_over_batch_size'
 *    (default), 'mean' (its synonym), 'sum' and 'none' (docs/loss-formulas:
 *    "Reductions"). With `ignoreClass`, ignored examples do not count in a
 *    mean, and a batch with no counted example gives 0 (Keras 3 divides by
 *    `count + ε` there; we divide by `max(count, 1)`, which is the same 0 and
 *    exact otherwise).
 */
import {
  cast, div, losses as tfLosses, maximum, mul, Rank, Reduction, reshape, scalar, sum, Tensor, tensor, TensorLike,
} from '@tensorflow/tfjs-core';

export {Reduction};

/** Keras 3 reduction names accepted by the loss classes. */
export const KERAS_REDUCTIONS = ['sum_over_batch_size', 'sum', 'mean', 'none'] as const;
export type KerasReduction = typeof KERAS_REDUCTIONS[number];

/** True for a Keras 3 reduction name. */
export function isKerasReduction(r: unknown): r is KerasReduction {
  return typeof r === 'string' && (KERAS_REDUCTIONS as readonly string[]).includes(r);
}

/**
 * tfjs's `computeWeightedLoss`, as `tf.losses.*` applies it: `weights` must be
 * broadcastable to `losses`; SUM_BY_NONZERO_WEIGHTS (the default) divides the
 * weighted sum by the number of non-zero broadcast weights (by `losses.size`
 * without weights); MEAN divides by Σ weights (times the broadcast factor).
 */
export function tfjsWeightedLoss(losses: Tensor, weights: Tensor | TensorLike | undefined, reduction: Reduction): Tensor {
  if (losses.size === 0 && reduction !== Reduction.NONE) {
    return emptyWeightedLoss(weights, reduction);
  }
  return tfLosses.computeWeightedLoss(losses, weights ?? undefined, reduction);
}

/**
 * computeWeightedLoss of an empty batch, as tfjs's cpu backend computes it
 * (SUM 0; MEAN 0, or 0 / Σ weights; SUM_BY_NONZERO_WEIGHTS 0 / 0 = NaN), without
 * tfjs's reductions of an empty tensor, which return uninitialised memory on
 * tfjs-wasm 4.22 (e.g. 3.6e-41 for a sum).
 */
function emptyWeightedLoss(weights: Tensor | TensorLike | undefined, reduction: Reduction): Tensor {
  switch (reduction) {
    case Reduction.SUM:
      return scalar(0);
    case Reduction.MEAN:
      return weights == null ? scalar(0) : div(0, sumOrZero(weights instanceof Tensor ? weights : tensor(weights)));
    default:
      return scalar(NaN);
  }
}

/**
 * sum(x) over every axis, 0 for an empty `x` (tfjs-wasm 4.22's Sum of an empty
 * tensor returns uninitialised memory; cpu and the GPUs give 0).
 */
export function sumOrZero(x: Tensor): Tensor {
  return x.size === 0 ? scalar(0) : sum(x);
}

/** What a Keras reduction needs besides the per-example values. */
export interface KerasReduceOptions {
  /**
   * Weights broadcastable to the values (Keras's `sample_weight`): multiplied
   * in before the reduction; the mean still divides by the number of examples,
   * as Keras 3 does.
   */
  sampleWeight?: Tensor;
  /**
   * 1 for an example that counts, 0 for an ignored one (same shape as the
   * values). Ignored examples already have loss 0; the mask only changes the
   * denominator of a mean.
   */
  valid?: Tensor;
}

/** The denominator of a Keras mean: #examples, or #counted examples (at least 1). */
function meanDenominator(values: Tensor, valid: Tensor | undefined): Tensor {
  if (valid == null) {
    return scalar(values.size);
  }
  return maximum(sumOrZero(cast(valid, 'float32')), scalar(1));
}

/**
 * Applies a Keras reduction to per-example losses `values`: 'none' returns them
 * (weighted), 'sum' their sum, 'sum_over_batch_size' / 'mean' the sum divided
 * by the number of (counted) examples.
 */
export function kerasReduce(values: Tensor, reduction: KerasReduction, options: KerasReduceOptions = {}): Tensor {
  const weighted = options.sampleWeight == null ? values : mul(values, options.sampleWeight);
  switch (reduction) {
    case 'none':
      return weighted;
    case 'sum':
      return sumOrZero(weighted);
    case 'sum_over_batch_size':
    case 'mean':
      if (values.size === 0) {
        // As on cpu: 0 / 0 without a mask, 0 with one (tfjs-webgl's division gives 1 for 0 / 0).
        return scalar(options.valid == null ? NaN : 0);
      }
      return div(sumOrZero(weighted), meanDenominator(values, options.valid));
  }
}

/**
 * The per-example contributions a tfjs-layers loss function must return so that
 * what tfjs-layers does next gives the configured Keras reduction.
 *
 * tfjs-layers (engine/training.ts) calls `loss(yTrue, yPred)`, multiplies the
 * result by the per-example weights it derives from `classWeight`, and takes
 * the mean. Returning the reduced scalar would make those weights scale the
 * whole batch instead of each example, so we return `c[i]` with
 * `mean_i(s[i]·c[i]) = reduction(s·L)` for any per-example `s`:
 *  - 'sum':  c[i] = N·L[i]
 *  - 'sum_over_batch_size' / 'mean': c[i] = N·L[i] / count (count = N, or the
 *    number of non-ignored examples; the same rescaling trick Keras 3 uses for
 *    masks)
 *  - 'none': L itself (tfjs-layers then averages it).
 * `L[i]` sums the losses of example i over any non-batch axes (e.g. tokens).
 */
export function layersContributions(values: Tensor, reduction: KerasReduction, valid?: Tensor): Tensor {
  if (reduction === 'none' || values.rank === 0) {
    return reduction === 'none' ? values : kerasReduce(values, reduction, {valid});
  }
  const n = values.shape[0];
  const perExample = values.rank === 1 ? values :
      sum(reshape(values, [n, -1]) as Tensor<Rank.R2>, 1);
  if (reduction === 'sum') {
    return mul(perExample, scalar(n));
  }
  if (valid == null) {
    // N / #examples is 1 for one loss per example: return the losses untouched.
    return values.size === n ? perExample : mul(perExample, scalar(n / values.size));
  }
  return div(mul(perExample, scalar(n)), meanDenominator(values, valid));
}

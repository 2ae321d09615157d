/**
 * tfjs's `computeWeightedLoss` for an elementwise loss whose op can reduce
 * inside its fused kernels (src/ops/elementwise_reduction.ts): the same values
 * as `tf.losses.computeWeightedLoss(loss, weights, reduction)`
 * (tfjs-core/src/ops/losses/compute_weighted_loss.ts), but no sum or mean of
 * a tensor of the loss's shape is differentiated by tfjs, whose sum/mean
 * gradients (and SUM_BY_NONZERO_WEIGHTS' forward) build a ones tensor of that
 * shape on the host:
 *  - no weights: the op's own 'sum' / 'mean';
 *  - a scalar weight: w·(the op's 'sum');
 *  - weights constant along the last axis (`[..., 1]`): Σ w·(the op's
 *    'sumOverClasses');
 *  - any other weights: L·w elementwise (as tfjs), summed with a gradient
 *    broadcast on the device;
 *  - SUM_BY_NONZERO_WEIGHTS counts the non-zero weights once and multiplies
 *    by how often broadcasting repeats each.
 * NONE (and an unknown reduction, for tfjs's own error) goes to tfjs.
 */
import {cast, div, mul, notEqual, Reduction, reshape, scalar, sum, Tensor, tensor, TensorLike} from '@tensorflow/tfjs-core';
import {ElementwiseLossReduction, sumBroadcastGrad} from '../ops/elementwise_reduction';
import {tfjsWeightedLoss} from './reduction';

/** The shape `a` and `b` broadcast to (numpy rules), or null when they do not. */
function broadcastShape(a: number[], b: number[]): number[] | null {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1, y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) {
      return null;
    }
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Σ L·w, for weights that broadcast to the loss's shape without growing it. */
function weightedSum(loss: (r: ElementwiseLossReduction) => Tensor, shape: number[], w: Tensor): Tensor {
  if (w.size === 1 && w.rank <= shape.length) {
    return mul(loss('sum'), reshape(w, []));
  }
  const out = broadcastShape(shape, w.shape);
  const sameShape = out != null && out.length === shape.length && out.every((d, i) => d === shape[i]);
  if (sameShape && w.rank >= 1 && w.shape[w.rank - 1] === 1 && shape.length >= 1) {
    const perRow = loss('sumOverClasses');
    return sumBroadcastGrad(mul(perRow, reshape(w, w.shape.slice(0, -1))));
  }
  return sumBroadcastGrad(mul(loss('none'), w));
}

/**
 * `tf.losses.computeWeightedLoss(loss('none'), weights, reduction)` with the
 * reductions fused as described above. `loss(r)` runs the op with reduction
 * `r`; `shape` is the shape of its elementwise result.
 */
export function fusedWeightedLoss(loss: (r: ElementwiseLossReduction) => Tensor, shape: number[],
                                  weights: Tensor | TensorLike | undefined, reduction: Reduction): Tensor {
  const known = reduction === Reduction.SUM || reduction === Reduction.MEAN || reduction === Reduction.SUM_BY_NONZERO_WEIGHTS;
  const empty = shape.some(d => d === 0);
  if (!known || empty) {
    // An empty loss: tfjsWeightedLoss gives cpu's values on every backend (tfjs-wasm's sums of nothing are uninitialised).
    return tfjsWeightedLoss(loss('none'), weights, reduction);
  }
  if (weights == null) {
    return loss(reduction === Reduction.SUM ? 'sum' : 'mean');
  }
  const w = weights instanceof Tensor ? weights : tensor(weights);
  const total = weightedSum(loss, shape, w);
  const size = shape.reduce((a, b) => a * b, 1);
  if (reduction === Reduction.SUM) {
    return total;
  }
  if (reduction === Reduction.MEAN) {
    const result = div(total, sum(w));
    const factor = size / w.size;
    return factor > 1 ? div(result, scalar(factor)) : result;
  }
  // SUM_BY_NONZERO_WEIGHTS: tfjs counts the non-zeros of weights·ones(shape).
  const out = broadcastShape(shape, w.shape);
  const repeats = out == null ? 1 : out.reduce((a, b) => a * b, 1) / w.size;
  const nonZeros = cast(sum(notEqual(w, scalar(0, w.dtype))), 'float32');
  return div(total, repeats === 1 ? nonZeros : mul(nonZeros, scalar(repeats)));
}

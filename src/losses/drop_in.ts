/**
 * Drop-in twins of `tf.losses.softmaxCrossEntropy` and
 * `tf.losses.sigmoidCrossEntropy`, plus the sparse variant tfjs lacks.
 *
 * Same signatures, defaults and results as tfjs 4.22
 * (tfjs-core/src/ops/losses/*.ts): per-example losses from the fused ops, then
 * tfjs's own `computeWeightedLoss` for `weights` and `reduction` — except the
 * reductions the ops can run in their kernels with the same values: the
 * softmax twins' unweighted sum and means, and every reduction of the sigmoid
 * twin (fused_weighted_loss.ts), where tfjs's sum/mean gradients would build a
 * ones tensor of the logits' shape on the host every step. Deliberate
 * differences, each a tfjs bug:
 *  - label smoothing spreads ε over the size of the class (last) axis; tfjs
 *    uses `shape[1]`, which differs for rank > 2;
 *  - the gradient with respect to `onehotLabels` is `−dy·(1 − ε)·log softmax`
 *    (tfjs returns `dy·(labels − softmax)`);
 *  - `labelSmoothing` must lie in [0, 1) (tfjs ignores a negative one and
 *    accepts ≥ 1 silently).
 */
import {op, Reduction, Tensor, tensor, TensorLike} from '@tensorflow/tfjs-core';
import {sigmoidCrossEntropyWithLogits} from '../ops/sigmoid_cross_entropy';
import {checkLossWeights} from '../ops/validate';
import {softmaxCrossEntropyWithLogits, sparseSoftmaxCrossEntropyWithLogits} from '../ops/softmax_cross_entropy';
import {ElementwiseLossReduction, SoftmaxLossReduction} from '../ops/elementwise_reduction';
import {fusedWeightedLoss} from './fused_weighted_loss';
import {tfjsWeightedLoss} from './reduction';

/**
 * Softmax cross-entropy between one-hot (or probability) labels and logits over
 * the last axis, weighted and reduced exactly like `tf.losses.softmaxCrossEntropy`.
 *
 * @param onehotLabels Labels, same shape as `logits`.
 * @param logits Unscaled log-probabilities `[batch, ..., classes]`.
 * @param weights Broadcastable to the per-example loss (`logits` without the last axis).
 * @param labelSmoothing ε in [0, 1): labels become `(1 − ε)·y + ε / classes`.
 * @param reduction A `tf.Reduction` (default SUM_BY_NONZERO_WEIGHTS).
 *
 * ```js
 * const labels = tf.tensor2d([[0, 1, 0], [1, 0, 0]]);
 * const logits = tf.tensor2d([[1, 2, 0.5], [3, -1, 0]]);
 * losses.softmaxCrossEntropy(labels, logits).print();  // 0.2651, the mean of 0.4644 and 0.0659
 * ```
 */
function softmaxCrossEntropy_<O extends Tensor = Tensor>(
    onehotLabels: Tensor | TensorLike, logits: Tensor | TensorLike, weights?: Tensor | TensorLike,
    labelSmoothing = 0, reduction: Reduction = Reduction.SUM_BY_NONZERO_WEIGHTS): O {
  checkLossWeights(weights, logits, 'per-example', 'softmaxCrossEntropy');
  const $logits = floatLogits(logits);
  const loss = (r: SoftmaxLossReduction) => softmaxCrossEntropyWithLogits(onehotLabels, $logits, {labelSmoothing, reduction: r});
  return softmaxWeightedLoss(loss, $logits.shape, weights, reduction) as O;
}

function floatLogits(logits: Tensor | TensorLike): Tensor {
  return logits instanceof Tensor ? logits : tensor(logits, undefined, 'float32');
}

/**
 * computeWeightedLoss of a softmax twin: without weights, the sum and the
 * means (MEAN and SUM_BY_NONZERO_WEIGHTS divide by the number of examples)
 * run inside the op's kernels, and so does their gradient; with weights, an
 * empty batch or NONE, tfjs's own computeWeightedLoss of the per-example loss.
 */
function softmaxWeightedLoss(loss: (r: SoftmaxLossReduction) => Tensor, logitsShape: number[],
                             weights: Tensor | TensorLike | undefined, reduction: Reduction): Tensor {
  const fused = weights == null && !logitsShape.some(d => d === 0) &&
      (reduction === Reduction.SUM || reduction === Reduction.MEAN || reduction === Reduction.SUM_BY_NONZERO_WEIGHTS);
  if (fused) {
    return loss(reduction === Reduction.SUM ? 'sum' : 'mean');
  }
  return tfjsWeightedLoss(loss('none'), weights, reduction);
}

/**
 * Softmax cross-entropy with integer class ids (`labels` has `logits`' shape
 * without the last axis), weighted and reduced like
 * `tf.losses.softmaxCrossEntropy` on the one-hot labels: the same numbers
 * without building the one-hot tensor.
 *
 * ```js
 * const logits = tf.tensor2d([[1, 2, 0.5], [3, -1, 0]]);
 * losses.sparseSoftmaxCrossEntropy(tf.tensor1d([1, 0], 'int32'), logits).print();  // 0.2651
 * ```
 */
function sparseSoftmaxCrossEntropy_<O extends Tensor = Tensor>(
    labels: Tensor | TensorLike, logits: Tensor | TensorLike, weights?: Tensor | TensorLike,
    labelSmoothing = 0, reduction: Reduction = Reduction.SUM_BY_NONZERO_WEIGHTS): O {
  checkLossWeights(weights, logits, 'per-example', 'sparseSoftmaxCrossEntropy');
  const $logits = floatLogits(logits);
  const loss = (r: SoftmaxLossReduction) => sparseSoftmaxCrossEntropyWithLogits(labels, $logits, {labelSmoothing, reduction: r});
  return softmaxWeightedLoss(loss, $logits.shape, weights, reduction) as O;
}

/**
 * Elementwise sigmoid cross-entropy between multi-label targets in [0, 1] and
 * logits, weighted and reduced exactly like `tf.losses.sigmoidCrossEntropy`.
 *
 * @param multiClassLabels Targets, same shape as `logits`.
 * @param weights Broadcastable to `logits`.
 * @param labelSmoothing ε in [0, 1): targets become `(1 − ε)·z + ε/2`.
 *
 * ```js
 * const labels = tf.tensor2d([[1, 0], [0, 1]]);
 * const logits = tf.tensor2d([[2, -1], [0.5, 3]]);
 * losses.sigmoidCrossEntropy(labels, logits).print();  // 0.3657, as tf.losses
 * ```
 */
function sigmoidCrossEntropy_<O extends Tensor = Tensor>(
    multiClassLabels: Tensor | TensorLike, logits: Tensor | TensorLike, weights?: Tensor | TensorLike,
    labelSmoothing = 0, reduction: Reduction = Reduction.SUM_BY_NONZERO_WEIGHTS): O {
  checkLossWeights(weights, logits, 'per-element', 'sigmoidCrossEntropy');
  // The reduction runs in the op's kernels (and their gradient): see fused_weighted_loss.ts.
  const $logits = logits instanceof Tensor ? logits : tensor(logits, undefined, 'float32');
  const loss = (r: ElementwiseLossReduction) => sigmoidCrossEntropyWithLogits(multiClassLabels, $logits, {labelSmoothing, reduction: r});
  return fusedWeightedLoss(loss, $logits.shape, weights, reduction) as O;
}

// `op` names the scope and tidies the intermediates (the per-example losses),
// as tfjs does for its own losses.
export const softmaxCrossEntropy = /* @__PURE__ */ op({softmaxCrossEntropy_});
export const sparseSoftmaxCrossEntropy = /* @__PURE__ */ op({sparseSoftmaxCrossEntropy_});
export const sigmoidCrossEntropy = /* @__PURE__ */ op({sigmoidCrossEntropy_});

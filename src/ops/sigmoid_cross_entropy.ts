/**
 * Sigmoid cross-entropy with logits, elementwise (kernels/FORMULAS.md):
 * L = q·ẑ·softplus(−x) + (1 − ẑ)·softplus(x), ẑ = z·(1 − ε) + ε/2.
 */
import {engine, op, Tensor, Tensor2D, TensorLike} from '@tensorflow/tfjs-core';
import {SigmoidCrossEntropy} from '../../kernels/kernel_names';
import {CompositeSigmoidAttrs, compositeSigmoidCrossEntropy} from './composite';
import {ElementwiseLossReduction, elementwiseReduction} from './elementwise_reduction';
import {useFusedKernel} from './fused';
import {checkLabelsShape, checkLabelSmoothing, checkOptions, ClassVector, classVector, denseLabels, floatTensor, isDeviceVector, reshapeTo} from './validate';

/** Options of `sigmoidCrossEntropyWithLogits`. */
export interface SigmoidCrossEntropyOptions {
  /** ε in [0, 1): targets become z·(1 − ε) + ε/2 (default 0). */
  labelSmoothing?: number;
  /**
   * Weight q ≥ 0 of the positive term (PyTorch's pos_weight): a number, or one
   * per class of the last axis (default 1). Values on the host are read once
   * and checked (a negative one throws); a tensor whose values live only on a
   * GPU is not read: the op then takes its composite path with it as a
   * tensor, and a negative or non-finite entry gives NaN where it applies.
   */
  posWeight?: ClassVector;
  /**
   * Reduce inside the fused kernels (default none): `sum` / `mean` over every
   * element (a scalar), `sumOverClasses` / `meanOverClasses` over the last axis.
   * The gradient of the reduction is then the kernels' own broadcast of dy:
   * no tensor of the logits' shape is built on the host, as `tf.mean(loss)`
   * does (kernels/FORMULAS.md, "Fused reductions").
   */
  reduction?: ElementwiseLossReduction;
}

const SIGMOID_OPTIONS = ['labelSmoothing', 'posWeight', 'reduction'] as const;

/**
 * Sigmoid cross-entropy between `logits` and `labels` in [0, 1], elementwise
 * (same shape as `logits`), computed stably as
 * `max(x, 0) − x·z + log1p(exp(−|x|))`, with an optional positive weight.
 * Differentiable with respect to `logits` and `labels`.
 *
 * ```js
 * const labels = tf.tensor2d([[1, 0], [0, 1]]);
 * const logits = tf.tensor2d([[2, -1], [0.5, 3]]);
 * sigmoidCrossEntropyWithLogits(labels, logits).print();  // [0.1269, 0.3133, 0.9741, 0.0486]
 * sigmoidCrossEntropyWithLogits(labels, logits, {posWeight: [3, 1]}).print();  // [0.3808, 0.3133, 0.9741, 0.0486]
 * ```
 */
function sigmoidCrossEntropyWithLogits_<T extends Tensor>(
    labels: Tensor | TensorLike, logits: T | TensorLike, opts?: SigmoidCrossEntropyOptions): Tensor {
  const opName = 'sigmoidCrossEntropyWithLogits';
  const options = checkOptions(opts, SIGMOID_OPTIONS, opName);
  const $logits = floatTensor(logits, 'logits', opName);
  const $labels = denseLabels(labels, opName);
  checkLabelsShape($labels, $logits.shape, 'logits shape', opName);
  const C = $logits.rank === 0 ? 1 : $logits.shape[$logits.rank - 1];
  const red = elementwiseReduction(options.reduction, $logits.shape, opName);
  const attrs: CompositeSigmoidAttrs = {
    reduction: red.reduction,
    scale: red.scale,
    labelSmoothing: checkLabelSmoothing(options.labelSmoothing ?? 0, opName),
    posWeight: options.posWeight == null ? null : classVector(options.posWeight, 'posWeight', opName, C === 1 ? [1] : [1, C]),
  };
  // Rows counted, not inferred: reshape cannot infer −1 when C = 0.
  const rows = $logits.shape.slice(0, -1).reduce((a: number, b: number) => a * b, 1);
  const x = reshapeTo<Tensor2D>($logits, [rows, C]);
  const z = reshapeTo<Tensor2D>($labels, [rows, C]);
  const loss = !isDeviceVector(attrs.posWeight) && useFusedKernel(SigmoidCrossEntropy, attrs) ?
      engine().runKernel(SigmoidCrossEntropy, {logits: x, labels: z}, attrs as unknown as {}) as Tensor :
      compositeSigmoidCrossEntropy(x, z, attrs);
  return reshapeTo(loss, red.outShape);
}

export const sigmoidCrossEntropyWithLogits = /* @__PURE__ */ op({sigmoidCrossEntropyWithLogits_});

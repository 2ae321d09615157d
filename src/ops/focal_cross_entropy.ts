/**
 * Focal cross-entropy ops (Lin et al. 2017, "Focal Loss for Dense Object
 * Detection"; Keras 3 definitions), per-example / elementwise results:
 *  - softmaxFocalCrossEntropyWithLogits: dense labels, loss per example
 *  - sparseSoftmaxFocalCrossEntropyWithLogits: int32 class ids, loss per example
 *  - sigmoidFocalCrossEntropyWithLogits: elementwise, logits' shape
 * Like the cross-entropy ops: move the class axis last, flatten to [rows, C],
 * run the fused kernel when the active backend registers one (kernels and
 * gradients register with all the others, when src/index.ts is imported;
 * `useFusedKernel` decides) and the composite path is not forced, else the
 * same formulas from tfjs ops (focal_composite.ts). Formulas:
 * kernels/FORMULAS.md.
 */
import {engine, NamedTensorMap, op, Tensor, Tensor1D, Tensor2D, TensorLike} from '@tensorflow/tfjs-core';
import {BinaryFocalCrossEntropy, BinaryFocalCrossEntropyAttrs, FocalCrossEntropy, OneHotFocalCrossEntropy, SparseFocalCrossEntropy} from '../../kernels/kernel_names';
import {compositeBinaryFocalCrossEntropy, CompositeFocalAttrs, compositeFocalCrossEntropy, compositeSparseFocalCrossEntropy} from './focal_composite';
import {ElementwiseLossReduction, elementwiseReduction} from './elementwise_reduction';
import {oneHotClassIds, useFusedKernel} from './fused';
import {assertArg, checkGamma, checkLabelsShape, checkLabelSmoothing, checkOptions, classAxis, ClassVector, denseLabels, describeValue, floatTensor, isDeviceVector, lossAttrs, reshapeTo, rowsView, sparseClassIds, sparseKernelThrows, sparseLabels, withoutAxis} from './validate';

/** Options of the softmax focal ops. */
export interface FocalCrossEntropyOptions {
  /** The class axis of `logits` (default −1). */
  axis?: number;
  /** T > 0: the loss is computed on logits / T (default 1). */
  temperature?: number;
  /** ε in [0, 1): targets (1 − ε)·y + ε/C (default 0). */
  labelSmoothing?: number;
  /** γ ≥ 0, the focusing parameter (default 2, as Keras). γ = 0 is weighted cross-entropy. */
  gamma?: number;
  /**
   * α ≥ 0: a scalar (default 0.25, as Keras) or one weight per class. Like
   * `classWeights`: checked when on the host, used as a tensor when its values
   * live only on a GPU (see SoftmaxCrossEntropyOptions.classWeights).
   */
  alpha?: ClassVector;
  /** Per-class weights ≥ 0, length C, multiplied into α (see SoftmaxCrossEntropyOptions.classWeights). */
  classWeights?: ClassVector;
}

/** Options of the sparse softmax focal op. */
export interface SparseFocalCrossEntropyOptions extends FocalCrossEntropyOptions {
  /** Examples with this label give loss 0 and gradient 0. */
  ignoreIndex?: number;
  /**
   * Check on the host that every label is an integer in [0, C) or the ignore
   * index. Without it a bad label (out of range, or not an integer) throws on
   * cpu and gives NaN for its example on webgl, webgpu and the composite path (wasm).
   */
  validateLabels?: boolean;
}

/** Options of the binary focal op. */
export interface BinaryFocalCrossEntropyOptions {
  /** ε in [0, 1): targets z·(1 − ε) + ε/2 (default 0). */
  labelSmoothing?: number;
  /** γ ≥ 0 (default 2). */
  gamma?: number;
  /** α in [0, 1], used with applyClassBalancing (default 0.25). */
  alpha?: number;
  /** Weight positives by α and negatives by 1 − α (default false, as Keras). */
  applyClassBalancing?: boolean;
  /**
   * Reduce inside the fused kernels (default none): `sum` / `mean` over every
   * element, `sumOverClasses` / `meanOverClasses` over the last axis (Keras's
   * BinaryFocalCrossentropy per example is the latter). The reduction's
   * gradient is the kernels' own broadcast of dy (kernels/FORMULAS.md).
   */
  reduction?: ElementwiseLossReduction;
}

const FOCAL_OPTIONS = ['axis', 'temperature', 'labelSmoothing', 'gamma', 'alpha', 'classWeights'] as const;
const SPARSE_FOCAL_OPTIONS = [...FOCAL_OPTIONS, 'ignoreIndex', 'validateLabels'] as const;
const BINARY_FOCAL_OPTIONS = ['labelSmoothing', 'gamma', 'alpha', 'applyClassBalancing', 'reduction'] as const;

const FOCAL_ATTRS = ['temperature', 'labelSmoothing', 'gamma', 'alpha', 'classWeights', 'ignoreIndex'] as const;

function focalAttrs(options: SparseFocalCrossEntropyOptions, C: number, opName: string): CompositeFocalAttrs {
  return lossAttrs(options, FOCAL_ATTRS, C, opName);
}

/** Whether the fused focal kernel runs (never with α or class weights left on the device). */
function fusedFocal(kernelName: string, attrs: CompositeFocalAttrs): boolean {
  return !isDeviceVector(attrs.alpha) && !isDeviceVector(attrs.classWeights) && useFusedKernel(kernelName);
}

function runSoftmaxFocal(kernelName: string, x: Tensor2D, y: Tensor, attrs: CompositeFocalAttrs): Tensor1D {
  if (fusedFocal(kernelName, attrs)) {
    // One-hot dense labels as class ids where the backend has the one-hot kernels (kernel_names.ts).
    const ids = kernelName === FocalCrossEntropy && fusedFocal(OneHotFocalCrossEntropy, attrs) ? oneHotClassIds(y as Tensor2D) : null;
    const inputs: NamedTensorMap = ids == null ? {logits: x, labels: y} : {logits: x, labels: y, classIds: ids};
    const [loss, lse] = engine().runKernel(ids == null ? kernelName : OneHotFocalCrossEntropy, inputs,
                                           attrs as unknown as {}) as Tensor[];
    lse.dispose();  // the tape keeps its own reference for the backward
    return loss as Tensor1D;
  }
  return kernelName === FocalCrossEntropy ? compositeFocalCrossEntropy(x, y as Tensor2D, attrs) :
                                            compositeSparseFocalCrossEntropy(x, y as Tensor1D, attrs);
}

/**
 * Softmax focal cross-entropy between dense `labels` and `logits`, per
 * example: `Σ_c α[c]·w[c]·ŷ[c]·(1 − p[c])^γ·(−log p[c])`, p = softmax(logits / T).
 * Differentiable w.r.t. logits and labels.
 *
 * ```js
 * softmaxFocalCrossEntropyWithLogits([[0, 1, 0]], [[1, 2, 0.5]], {gamma: 2, alpha: 0.25}).print();  // [0.0160]
 * ```
 */
function softmaxFocalCrossEntropyWithLogits_(labels: Tensor | TensorLike, logits: Tensor | TensorLike,
    opts?: FocalCrossEntropyOptions): Tensor {
  const opName = 'softmaxFocalCrossEntropyWithLogits';
  const options = checkOptions(opts, FOCAL_OPTIONS, opName);
  const $logits = floatTensor(logits, 'logits', opName);
  const $labels = denseLabels(labels, opName);
  const [axis, C] = classAxis(options.axis, $logits, opName);
  checkLabelsShape($labels, $logits.shape, 'logits shape', opName);
  const attrs = focalAttrs({...options, ignoreIndex: undefined}, C, opName);
  const loss = runSoftmaxFocal(FocalCrossEntropy, rowsView($logits, axis), rowsView($labels, axis), attrs);
  return reshapeTo(loss, withoutAxis($logits.shape, axis));
}

/**
 * Softmax focal cross-entropy with sparse int32 class ids (`labels` has
 * logits' shape without the class axis), per example. Supports ignoreIndex.
 * A label neither the ignore index nor an integer in [0, C) throws on cpu
 * (naming the row and the value) and gives NaN for its example on webgl,
 * webgpu and the composite path (wasm).
 */
function sparseSoftmaxFocalCrossEntropyWithLogits_(labels: Tensor | TensorLike, logits: Tensor | TensorLike,
    opts?: SparseFocalCrossEntropyOptions): Tensor {
  const opName = 'sparseSoftmaxFocalCrossEntropyWithLogits';
  const options = checkOptions(opts, SPARSE_FOCAL_OPTIONS, opName);
  const $logits = floatTensor(logits, 'logits', opName);
  const $labels = sparseLabels(labels, opName);
  const [axis, C] = classAxis(options.axis, $logits, opName);
  const outShape = withoutAxis($logits.shape, axis);
  checkLabelsShape($labels, outShape, 'logits shape without the class axis', opName);
  const attrs = focalAttrs(options, C, opName);
  const ids = sparseClassIds(labels, $labels, C, attrs.ignoreIndex, opName, options.validateLabels ?? false,
                             sparseKernelThrows(fusedFocal(SparseFocalCrossEntropy, attrs)));
  const loss = runSoftmaxFocal(SparseFocalCrossEntropy, rowsView($logits, axis), reshapeTo(ids, [ids.size]), attrs);
  return reshapeTo(loss, outShape);
}

/**
 * Binary (sigmoid) focal cross-entropy with logits, elementwise (logits'
 * shape): `b·(1 − p_t)^γ·bce(ẑ, x)`. Keras's BinaryFocalCrossentropy is its
 * mean over the last axis.
 */
function sigmoidFocalCrossEntropyWithLogits_(labels: Tensor | TensorLike, logits: Tensor | TensorLike,
    opts?: BinaryFocalCrossEntropyOptions): Tensor {
  const opName = 'sigmoidFocalCrossEntropyWithLogits';
  const options = checkOptions(opts, BINARY_FOCAL_OPTIONS, opName);
  const $logits = floatTensor(logits, 'logits', opName);
  const $labels = denseLabels(labels, opName);
  checkLabelsShape($labels, $logits.shape, 'logits shape', opName);
  const alpha = options.alpha ?? 0.25;
  assertArg(typeof alpha === 'number' && alpha >= 0 && alpha <= 1, opName, () => `alpha must be in [0, 1], got ${describeValue(alpha)}`);
  const balancing = options.applyClassBalancing ?? false;
  assertArg(typeof balancing === 'boolean', opName, () => `applyClassBalancing must be a boolean, got ${describeValue(balancing)}`);
  const attrs: BinaryFocalCrossEntropyAttrs = {
    labelSmoothing: checkLabelSmoothing(options.labelSmoothing ?? 0, opName),
    gamma: checkGamma(options.gamma ?? 2, opName),
    alpha,
    applyClassBalancing: balancing,
  };
  const C = $logits.rank === 0 ? 1 : $logits.shape[$logits.rank - 1];
  // Rows counted, not inferred: reshape cannot infer −1 when C = 0.
  const rows = $logits.shape.slice(0, -1).reduce((a: number, b: number) => a * b, 1);
  const x = reshapeTo<Tensor2D>($logits, [rows, C]);
  const z = reshapeTo<Tensor2D>($labels, [rows, C]);
  const red = elementwiseReduction(options.reduction, $logits.shape, opName);
  const reduced: BinaryFocalCrossEntropyAttrs = {...attrs, reduction: red.reduction, scale: red.scale};
  const loss = useFusedKernel(BinaryFocalCrossEntropy) ?
      engine().runKernel(BinaryFocalCrossEntropy, {logits: x, labels: z}, reduced as unknown as {}) as Tensor :
      compositeBinaryFocalCrossEntropy(x, z, reduced);
  return reshapeTo(loss, red.outShape);
}

export const softmaxFocalCrossEntropyWithLogits = /* @__PURE__ */ op({softmaxFocalCrossEntropyWithLogits_});
export const sparseSoftmaxFocalCrossEntropyWithLogits = /* @__PURE__ */ op({sparseSoftmaxFocalCrossEntropyWithLogits_});
export const sigmoidFocalCrossEntropyWithLogits = /* @__PURE__ */ op({sigmoidFocalCrossEntropyWithLogits_});

/**
 * Softmax cross-entropy ops (dense and sparse labels), per-example results.
 * Thin, validated wrappers: move the class axis last, flatten to [rows, C], run
 * the fused kernel when the active backend has one (else the composite path),
 * and reshape back. Formulas: kernels/FORMULAS.md.
 */
import {cast, div, engine, maximum, notEqual, op, scalar, sum, Tensor, Tensor1D, Tensor2D, TensorLike} from '@tensorflow/tfjs-core';
import {OneHotSoftmaxCrossEntropy, SoftmaxCrossEntropy, SparseSoftmaxCrossEntropy} from '../../kernels/kernel_names';
import {CompositeSoftmaxAttrs, compositeSoftmaxCrossEntropy, compositeSparseSoftmaxCrossEntropy} from './composite';
import {SoftmaxLossReduction, softmaxReduction} from './elementwise_reduction';
import {oneHotClassIds, useFusedKernel} from './fused';
import {checkLabelsShape, checkOptions, classAxis, ClassVector, denseLabels, floatTensor, hostKeptCount, isDeviceVector, lossAttrs, reshapeTo, rowsView, sparseClassIds, sparseKernelThrows, sparseLabels, withoutAxis} from './validate';

/** Options of the softmax cross-entropy ops. */
export interface SoftmaxCrossEntropyOptions {
  /** The class axis of `logits` (default −1, the last). */
  axis?: number;
  /** T > 0: the loss is computed on logits / T (default 1). */
  temperature?: number;
  /** ε in [0, 1): targets become (1 − ε)·y + ε/C, C the size of the class axis (default 0). */
  labelSmoothing?: number;
  /**
   * Per-class weights ≥ 0, length C: numbers, a typed array or a 1-D tensor.
   * Values on the host are read once and checked (a negative one throws); a
   * tensor whose values live only on a GPU is not read: the op then takes its
   * composite path with the weights as a tensor, and a negative or
   * non-finite entry gives NaN for the rows it weighs.
   */
  classWeights?: ClassVector;
  /** λ ≥ 0: adds λ·logsumexp² per example, as in PaLM / Liger-Kernel (default 0). */
  zLoss?: number;
  /**
   * 'none' (default): the loss per example, `logits`' shape without the class
   * axis; 'sum' / 'mean': their sum or mean over every example, a scalar.
   * The reduction runs inside the fused kernels, whose backward takes its
   * gradient (no tfjs sum/mean gradient, fewer dispatches on GPUs), so
   * `sparseSoftmaxCrossEntropyWithLogits(y, x, {reduction: 'mean'})` is the
   * cheapest training loss. The mean of no examples is NaN, as `tf.mean`.
   * With `ignoreIndex` (sparse), 'mean' divides by the number of examples not
   * ignored, as PyTorch does, and gives 0 when every example is ignored
   * (PyTorch gives NaN there, as does `linearSoftmaxCrossEntropy`).
   * Class weights do not change the divisor.
   */
  reduction?: SoftmaxLossReduction;
}

/** Options of the sparse op. */
export interface SparseSoftmaxCrossEntropyOptions extends SoftmaxCrossEntropyOptions {
  /** Examples with this label give loss 0 and gradient 0 (e.g. −100 for padding). */
  ignoreIndex?: number;
  /**
   * Check on any backend (reading the labels back) that every label is an
   * integer in [0, C) or the ignore index, and throw naming the first that is
   * not. Without it a label out of range, or not an integer (1.5, NaN), throws
   * on cpu (the fused kernel) and gives NaN for its example on the GPU
   * kernels (webgl, webgpu) and on the composite path (wasm).
   */
  validateLabels?: boolean;
}

const DENSE_OPTIONS = ['axis', 'temperature', 'labelSmoothing', 'classWeights', 'zLoss', 'reduction'] as const;
const SPARSE_OPTIONS = [...DENSE_OPTIONS, 'ignoreIndex', 'validateLabels'] as const;

const SOFTMAX_ATTRS = ['temperature', 'labelSmoothing', 'zLoss', 'classWeights', 'ignoreIndex'] as const;

/** The kernels' attributes; `countRows`: a mean the op divides by its own count of rows (the ignore index). */
function kernelAttrs(options: SparseSoftmaxCrossEntropyOptions, shape: number[], axis: number, C: number,
                     opName: string): CompositeSoftmaxAttrs {
  const attrs = lossAttrs(options, SOFTMAX_ATTRS, C, opName);
  const rows = sizeOf(withoutAxis(shape, axis));
  return {...attrs, ...softmaxReduction(options.reduction, rows, attrs.ignoreIndex != null, opName)};
}

function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The op's result: the per-example loss in `outShape`, or the scalar reduction as the kernels return it. */
function shaped(loss: Tensor, attrs: CompositeSoftmaxAttrs, outShape: number[]): Tensor {
  return attrs.reduction === 'all' ? loss : reshapeTo(loss, outShape);
}

/**
 * Whether the fused kernel runs: registered for the backend, supporting the
 * attributes, and no class weights left on the device (those take the
 * composite path, which uses them as a tensor).
 */
function fused(kernelName: string, attrs: CompositeSoftmaxAttrs): boolean {
  return !isDeviceVector(attrs.classWeights) && useFusedKernel(kernelName, attrs);
}

/**
 * Dense labels whose every row is one-hot, on a backend with the one-hot
 * kernels (kernel_names.ts): the loss with the labels as class ids
 * (`oneHotClassIds`). Null where those kernels are missing or a row is not
 * one-hot: then the dense kernel runs.
 */
function oneHotLoss(x: Tensor2D, y: Tensor2D, attrs: CompositeSoftmaxAttrs): Tensor1D | null {
  const ids = fused(OneHotSoftmaxCrossEntropy, attrs) ? oneHotClassIds(y) : null;
  if (ids == null) return null;
  const [loss] = engine().runKernel(OneHotSoftmaxCrossEntropy, {logits: x, labels: y, classIds: ids},
                                    attrs as unknown as {}) as Tensor[];
  return loss as Tensor1D;
}

function runSoftmax(kernelName: string, x: Tensor2D, y: Tensor, attrs: CompositeSoftmaxAttrs): Tensor1D {
  if (fused(kernelName, attrs)) {
    const oneHot = kernelName === SoftmaxCrossEntropy ? oneHotLoss(x, y as Tensor2D, attrs) : null;
    if (oneHot != null) return oneHot;
    const [loss] = engine().runKernel(kernelName, {logits: x, labels: y}, attrs as unknown as {}) as Tensor[];
    return loss as Tensor1D;
  }
  return kernelName === SoftmaxCrossEntropy ? compositeSoftmaxCrossEntropy(x, y as Tensor2D, attrs) :
                                              compositeSparseSoftmaxCrossEntropy(x, y as Tensor1D, attrs);
}

/**
 * Softmax cross-entropy between `logits` and dense `labels` (one-hot or any
 * probability rows), per example: the result has `logits`' shape without the
 * class axis (or, with `reduction`, their sum or mean). One fused pass for
 * the loss (and the per-row log-sum-exp kept for the backward), one for the
 * gradient. Differentiable with respect to
 * `logits` and `labels` (−dy·log softmax, which tfjs gets wrong). On `wasm`,
 * labels whose every row is one-hot run as class ids (one scan of the labels;
 * the backward then keeps no copy of them).
 *
 * ```js
 * const labels = tf.tensor2d([[0, 1, 0], [1, 0, 0]]);
 * const logits = tf.tensor2d([[1, 2, 0.5], [3, -1, 0]]);
 * softmaxCrossEntropyWithLogits(labels, logits).print();  // [0.4644, 0.0659]
 * softmaxCrossEntropyWithLogits(labels, logits, {labelSmoothing: 0.1, temperature: 2}).print();  // [0.7735, 0.4230]
 * softmaxCrossEntropyWithLogits(labels, logits, {reduction: 'mean'}).print();  // 0.2651
 * ```
 */
function softmaxCrossEntropyWithLogits_<T extends Tensor>(
    labels: Tensor | TensorLike, logits: T | TensorLike, opts?: SoftmaxCrossEntropyOptions): Tensor {
  const opName = 'softmaxCrossEntropyWithLogits';
  const options = checkOptions(opts, DENSE_OPTIONS, opName);
  const $logits = floatTensor(logits, 'logits', opName);
  const $labels = denseLabels(labels, opName);
  const [axis, C] = classAxis(options.axis, $logits, opName);
  checkLabelsShape($labels, $logits.shape, 'logits shape', opName);
  const attrs = kernelAttrs(options, $logits.shape, axis, C, opName);
  const loss = runSoftmax(SoftmaxCrossEntropy, rowsView($logits, axis), rowsView($labels, axis), attrs);
  return shaped(loss, attrs, withoutAxis($logits.shape, axis));
}

/**
 * Softmax cross-entropy with sparse integer labels (class ids), per example:
 * `labels` has `logits`' shape without the class axis. The op tfjs lacks.
 * Supports `ignoreIndex` (loss 0, gradient 0, e.g. for padding tokens).
 *
 * A label that is neither the ignore index nor an integer in [0, C) (out of
 * range, or 1.5, NaN, ±∞) throws on cpu, naming the row and the value, and
 * gives NaN for its example on the GPU kernels (webgl, webgpu) and on the
 * composite path (wasm, and wherever the composite path is forced); never a
 * silently truncated class id. `validateLabels: true` checks on every backend.
 *
 * ```js
 * const logits = tf.tensor2d([[1, 2, 0.5], [3, -1, 0]]);
 * sparseSoftmaxCrossEntropyWithLogits([1, 0], logits).print();  // [0.4644, 0.0659]
 * sparseSoftmaxCrossEntropyWithLogits([1, -100], logits, {ignoreIndex: -100}).print();  // [0.4644, 0]
 * sparseSoftmaxCrossEntropyWithLogits([1, -100], logits, {ignoreIndex: -100, reduction: 'mean'}).print();  // 0.4644
 * ```
 */
function sparseSoftmaxCrossEntropyWithLogits_<T extends Tensor>(
    labels: Tensor | TensorLike, logits: T | TensorLike, opts?: SparseSoftmaxCrossEntropyOptions): Tensor {
  const opName = 'sparseSoftmaxCrossEntropyWithLogits';
  const options = checkOptions(opts, SPARSE_OPTIONS, opName);
  const $logits = floatTensor(logits, 'logits', opName);
  const $labels = sparseLabels(labels, opName);
  const [axis, C] = classAxis(options.axis, $logits, opName);
  const outShape = withoutAxis($logits.shape, axis);
  checkLabelsShape($labels, outShape, 'logits shape without the class axis', opName);
  let attrs = kernelAttrs(options, $logits.shape, axis, C, opName);
  const ids = reshapeTo<Tensor1D>(sparseClassIds(labels, $labels, C, attrs.ignoreIndex, opName, options.validateLabels ?? false,
                                                 sparseKernelThrows(fused(SparseSoftmaxCrossEntropy, attrs))),
                                  [sizeOf(outShape)]);
  // The mean over the examples not ignored (at least one): labels on the host
  // are counted there and the kernels scale their sum; a tensor's are counted on
  // its device after the kernels summed.
  const meanOverKept = options.reduction === 'mean' && attrs.ignoreIndex != null;
  const hostKept = meanOverKept ? hostKeptCount(labels, attrs.ignoreIndex!) : null;
  if (hostKept != null) {
    attrs = {...attrs, scale: 1 / Math.max(hostKept, 1)};
  }
  const loss = runSoftmax(SparseSoftmaxCrossEntropy, rowsView($logits, axis), ids, attrs);
  if (meanOverKept && hostKept == null) {
    // (tfjs-wasm 4.22's Sum of an empty tensor returns uninitialised memory.)
    const counted = ids.size === 0 ? scalar(0) : sum(cast(notEqual(ids, scalar(attrs.ignoreIndex!, 'int32')), 'float32'));
    return div(loss, maximum(counted, scalar(1)));
  }
  return shaped(loss, attrs, outShape);
}

export const softmaxCrossEntropyWithLogits = /* @__PURE__ */ op({softmaxCrossEntropyWithLogits_});
export const sparseSoftmaxCrossEntropyWithLogits = /* @__PURE__ */ op({sparseSoftmaxCrossEntropyWithLogits_});

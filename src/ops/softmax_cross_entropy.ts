/**
 * Softmax cross-entropy ops (dense and sparse labels), per-example results.
 * Thin, validated wrappers: move the class axis last, flatten to [rows, C], run
 * the fused kernel when the active backend has one (else the composite path),
 * and reshape back. Formulas: kernels/FORMULAS.md.
 */
import {cast, engine, op, reshape, Tensor, Tensor1D, Tensor2D, TensorLike, transpose} from '@tensorflow/tfjs-core';
import {SoftmaxCrossEntropy, SparseSoftmaxCrossEntropy} from '../../kernels/kernel_names';
import {CompositeSoftmaxAttrs, compositeSoftmaxCrossEntropy, compositeSparseSoftmaxCrossEntropy} from './composite';
import {useFusedKernel} from './fused';
import {assertArg, checkIgnoreIndex, checkLabelSmoothing, checkOptions, checkTemperature, checkZLoss, ClassVector, classVector, isDeviceVector, normalizeAxis, sparseKernelThrows, sparseLabelIds, toTensor, validateSparseLabels} from './validate';

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

const DENSE_OPTIONS = ['axis', 'temperature', 'labelSmoothing', 'classWeights', 'zLoss'] as const;
const SPARSE_OPTIONS = [...DENSE_OPTIONS, 'ignoreIndex', 'validateLabels'] as const;

function kernelAttrs(options: SparseSoftmaxCrossEntropyOptions, C: number, opName: string): CompositeSoftmaxAttrs {
  return {
    temperature: checkTemperature(options.temperature ?? 1, opName),
    labelSmoothing: checkLabelSmoothing(options.labelSmoothing ?? 0, opName),
    zLoss: checkZLoss(options.zLoss ?? 0, opName),
    classWeights: options.classWeights == null ? null : classVector(options.classWeights, 'classWeights', opName, [C]),
    ignoreIndex: checkIgnoreIndex(options.ignoreIndex, opName),
  };
}

/**
 * Whether the fused kernel runs: registered for the backend, supporting the
 * attributes, and no class weights left on the device (those take the
 * composite path, which uses them as a tensor).
 */
function fused(kernelName: string, attrs: CompositeSoftmaxAttrs): boolean {
  return !isDeviceVector(attrs.classWeights) && useFusedKernel(kernelName, attrs);
}

/** Moves `axis` of `x` last (a transpose only when it is not last already). */
function moveAxisLast(x: Tensor, axis: number): Tensor {
  if (axis === x.rank - 1) {
    return x;
  }
  const perm = [...Array(x.rank).keys()].filter(d => d !== axis).concat(axis);
  // An empty tensor has nothing to move: a reshape (tfjs-wasm's Transpose of an
  // empty tensor throws "divide by zero").
  return x.size === 0 ? reshape(x, perm.map(d => x.shape[d])) : transpose(x, perm);
}

/** Shape of `shape` without `axis`. */
function withoutAxis(shape: number[], axis: number): number[] {
  return shape.filter((_, d) => d !== axis);
}

function runSoftmax(kernelName: string, x: Tensor2D, y: Tensor, attrs: CompositeSoftmaxAttrs): Tensor1D {
  if (fused(kernelName, attrs)) {
    const [loss] = engine().runKernel(kernelName, {logits: x, labels: y}, attrs as unknown as {}) as Tensor[];
    return loss as Tensor1D;
  }
  return kernelName === SoftmaxCrossEntropy ? compositeSoftmaxCrossEntropy(x, y as Tensor2D, attrs) :
                                              compositeSparseSoftmaxCrossEntropy(x, y as Tensor1D, attrs);
}

/**
 * Softmax cross-entropy between `logits` and dense `labels` (one-hot or any
 * probability rows), per example: the result has `logits`' shape without the
 * class axis. One fused pass for the loss (and the per-row log-sum-exp kept
 * for the backward), one for the gradient. Differentiable with respect to
 * `logits` and `labels` (−dy·log softmax, which tfjs gets wrong).
 *
 * ```js
 * const labels = tf.tensor2d([[0, 1, 0], [1, 0, 0]]);
 * const logits = tf.tensor2d([[1, 2, 0.5], [3, -1, 0]]);
 * softmaxCrossEntropyWithLogits(labels, logits).print();  // [0.4644, 0.0659]
 * softmaxCrossEntropyWithLogits(labels, logits, {labelSmoothing: 0.1, temperature: 2}).print();  // [0.7735, 0.4230]
 * ```
 */
function softmaxCrossEntropyWithLogits_<T extends Tensor>(
    labels: Tensor | TensorLike, logits: T | TensorLike, opts?: SoftmaxCrossEntropyOptions): Tensor {
  const opName = 'softmaxCrossEntropyWithLogits';
  const options = checkOptions(opts, DENSE_OPTIONS, opName);
  const $logits = toTensor(logits, 'logits', opName, 'float32');
  const $labels = toTensor(labels, 'labels', opName, 'float32');
  assertArg($logits.dtype === 'float32', opName, () => `logits must be float32, got ${$logits.dtype}`);
  assertArg($labels.dtype !== 'string' && $labels.dtype !== 'complex64', opName, () => `labels must be numeric, got ${$labels.dtype}`);
  const axis = normalizeAxis(options.axis ?? -1, $logits.rank, opName);
  assertArg($labels.rank === $logits.rank && $labels.shape.every((d: number, i: number) => d === $logits.shape[i]), opName,
      () => `labels shape [${$labels.shape}] must equal logits shape [${$logits.shape}]`);
  const C = $logits.shape[axis];
  assertArg(C > 0, opName, () => `the class axis (axis ${axis}) of logits must not be empty`);
  const attrs = kernelAttrs(options, C, opName);
  const x = reshape(moveAxisLast($logits, axis), [-1, C]) as Tensor2D;
  const y = reshape(moveAxisLast($labels.dtype === 'float32' ? $labels : cast($labels, 'float32'), axis), [-1, C]);
  const loss = runSoftmax(SoftmaxCrossEntropy, x, y, attrs);
  return reshape(loss, withoutAxis($logits.shape, axis));
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
 * ```
 */
function sparseSoftmaxCrossEntropyWithLogits_<T extends Tensor>(
    labels: Tensor | TensorLike, logits: T | TensorLike, opts?: SparseSoftmaxCrossEntropyOptions): Tensor {
  const opName = 'sparseSoftmaxCrossEntropyWithLogits';
  const options = checkOptions(opts, SPARSE_OPTIONS, opName);
  const $logits = toTensor(logits, 'logits', opName, 'float32');
  const $labels = toTensor(labels, 'labels', opName, 'int32');
  assertArg($logits.dtype === 'float32', opName, () => `logits must be float32, got ${$logits.dtype}`);
  assertArg($labels.dtype === 'int32' || $labels.dtype === 'float32', opName,
      () => `labels must be int32 class ids, got ${$labels.dtype}`);
  const axis = normalizeAxis(options.axis ?? -1, $logits.rank, opName);
  const outShape = withoutAxis($logits.shape, axis);
  assertArg($labels.rank === outShape.length && $labels.shape.every((d: number, i: number) => d === outShape[i]), opName,
      () => `labels shape [${$labels.shape}] must equal logits shape without the class axis [${outShape}]`);
  const C = $logits.shape[axis];
  assertArg(C > 0, opName, () => `the class axis (axis ${axis}) of logits must not be empty`);
  const attrs = kernelAttrs(options, C, opName);
  if (options.validateLabels) {
    validateSparseLabels(labels, $labels, C, attrs.ignoreIndex, opName);
  }
  const x = reshape(moveAxisLast($logits, axis), [-1, C]) as Tensor2D;
  const ids = sparseLabelIds(labels, $labels, C, attrs.ignoreIndex, opName,
                             sparseKernelThrows(fused(SparseSoftmaxCrossEntropy, attrs)));
  const t = reshape(ids, [-1]);
  const loss = runSoftmax(SparseSoftmaxCrossEntropy, x, t, attrs);
  return reshape(loss, outShape);
}

export const softmaxCrossEntropyWithLogits = /* @__PURE__ */ op({softmaxCrossEntropyWithLogits_});
export const sparseSoftmaxCrossEntropyWithLogits = /* @__PURE__ */ op({sparseSoftmaxCrossEntropyWithLogits_});

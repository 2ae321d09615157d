/**
 * Gradients of the fused softmax cross-entropy kernels: each runs the backward
 * kernel of the same backend (one elementwise pass over logits, labels, the
 * saved per-row lse and dy). Thunks are lazy: d/dlabels is computed only when
 * the labels are on the differentiation path.
 */
import {engine, GradConfig, NamedAttrMap, Tensor, zeros, zerosLike} from '@tensorflow/tfjs-core';
import {DenseLabelClassIds, DenseLabelClassIdsAttrs, OneHotSoftmaxCrossEntropy, SoftmaxCrossEntropy, SoftmaxCrossEntropyGrad, SoftmaxCrossEntropyGradAttrs, SparseSoftmaxCrossEntropy, SparseSoftmaxCrossEntropyGrad} from '../../kernels/kernel_names';
import {oneHotRows} from './one_hot_rows';

function backward(kernelName: string, saved: Tensor[], dy: Tensor | Tensor[], attrs: NamedAttrMap, wrt: 'logits' | 'labels'): Tensor {
  const [logits, labels, lse] = saved;
  // Two outputs (loss, lse): dy is an array; lse is internal, its dy unused.
  const dLoss = Array.isArray(dy) ? dy[0] : dy;
  const gradAttrs: SoftmaxCrossEntropyGradAttrs = {...(attrs as unknown as SoftmaxCrossEntropyGradAttrs), wrt};
  return engine().runKernel(kernelName, {logits, labels, lse, dy: dLoss}, gradAttrs as unknown as NamedAttrMap) as Tensor;
}

export const softmaxCrossEntropyGradConfig: GradConfig = {
  kernelName: SoftmaxCrossEntropy,
  inputsToSave: ['logits', 'labels'],
  outputsToSave: [false, true],
  gradFunc: (dy, saved, attrs) => ({
    logits: () => backward(SoftmaxCrossEntropyGrad, saved, dy, attrs, 'logits'),
    labels: () => backward(SoftmaxCrossEntropyGrad, saved, dy, attrs, 'labels'),
  }),
};

export const sparseSoftmaxCrossEntropyGradConfig: GradConfig = {
  kernelName: SparseSoftmaxCrossEntropy,
  inputsToSave: ['logits', 'labels'],
  outputsToSave: [false, true],
  gradFunc: (dy, saved, attrs) => ({
    logits: () => backward(SparseSoftmaxCrossEntropyGrad, saved, dy, attrs, 'logits'),
    // Class ids are not differentiable.
    labels: () => zerosLike(saved[1]),
  }),
};

/**
 * One-hot dense labels (kernel_names.ts): saved are the logits and the class
 * ids, not the [rows, C] labels. d/dlogits is the sparse backward on the ids;
 * d/dlabels the dense one (it reads logits and (m, s), not the labels' values),
 * given the one-hot rows rebuilt from the ids, and only when the labels are on
 * the differentiation path.
 */
export const oneHotSoftmaxCrossEntropyGradConfig: GradConfig = {
  kernelName: OneHotSoftmaxCrossEntropy,
  inputsToSave: ['logits', 'classIds'],
  outputsToSave: [false, true],
  gradFunc: (dy, saved, attrs) => {
    const [logits, classIds, lse] = saved;
    return {
      logits: () => backward(SparseSoftmaxCrossEntropyGrad, [logits, classIds, lse], dy, attrs, 'logits'),
      labels: () => backward(SoftmaxCrossEntropyGrad, [logits, oneHotRows(classIds, logits.shape[1] as number), lse],
                             dy, attrs, 'labels'),
      classIds: () => zeros(classIds.shape),
    };
  },
};

/** The one-hot scan: class ids are not differentiable (the labels' gradient comes through the loss kernel). */
export const denseLabelClassIdsGradConfig: GradConfig = {
  kernelName: DenseLabelClassIds,
  gradFunc: (dy, _saved, attrs) => {
    const ids = Array.isArray(dy) ? dy[0] : dy;
    const {classes} = attrs as unknown as DenseLabelClassIdsAttrs;
    return {labels: () => zeros([ids.shape[0], classes])};
  },
};

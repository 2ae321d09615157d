/**
 * Gradients of the fused softmax cross-entropy kernels: each runs the backward
 * kernel of the same backend (one elementwise pass over logits, labels, the
 * saved per-row lse and dy). Thunks are lazy: d/dlabels is computed only when
 * the labels are on the differentiation path.
 */
import {GradConfig, zeros, zerosLike} from '@tensorflow/tfjs-core';
import {DenseLabelClassIds, DenseLabelClassIdsAttrs, OneHotSoftmaxCrossEntropy, SoftmaxCrossEntropy, SoftmaxCrossEntropyGrad, SparseSoftmaxCrossEntropy, SparseSoftmaxCrossEntropyGrad} from '../../kernels/kernel_names';
import {oneHotGradConfig, rowBackward} from './row_backward';

export const softmaxCrossEntropyGradConfig: GradConfig = {
  kernelName: SoftmaxCrossEntropy,
  inputsToSave: ['logits', 'labels'],
  outputsToSave: [false, true],
  gradFunc: (dy, saved, attrs) => ({
    logits: () => rowBackward(SoftmaxCrossEntropyGrad, saved, dy, attrs, 'logits'),
    labels: () => rowBackward(SoftmaxCrossEntropyGrad, saved, dy, attrs, 'labels'),
  }),
};

export const sparseSoftmaxCrossEntropyGradConfig: GradConfig = {
  kernelName: SparseSoftmaxCrossEntropy,
  inputsToSave: ['logits', 'labels'],
  outputsToSave: [false, true],
  gradFunc: (dy, saved, attrs) => ({
    logits: () => rowBackward(SparseSoftmaxCrossEntropyGrad, saved, dy, attrs, 'logits'),
    // Class ids are not differentiable.
    labels: () => zerosLike(saved[1]),
  }),
};

/** One-hot dense labels as class ids (kernel_names.ts; row_backward.ts). */
export const oneHotSoftmaxCrossEntropyGradConfig: GradConfig =
    oneHotGradConfig(OneHotSoftmaxCrossEntropy, SparseSoftmaxCrossEntropyGrad, SoftmaxCrossEntropyGrad);

/** The one-hot scan: class ids are not differentiable (the labels' gradient comes through the loss kernel). */
export const denseLabelClassIdsGradConfig: GradConfig = {
  kernelName: DenseLabelClassIds,
  gradFunc: (dy, _saved, attrs) => {
    const ids = Array.isArray(dy) ? dy[0] : dy;
    const {classes} = attrs as unknown as DenseLabelClassIdsAttrs;
    return {labels: () => zeros([ids.shape[0], classes])};
  },
};

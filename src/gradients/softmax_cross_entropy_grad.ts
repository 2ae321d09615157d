/**
 * Gradients of the fused softmax cross-entropy kernels: each runs the backward
 * kernel of the same backend (one elementwise pass over logits, labels, the
 * saved per-row lse and dy). Thunks are lazy: d/dlabels is computed only when
 * the labels are on the differentiation path.
 */
import {engine, GradConfig, NamedAttrMap, Tensor, zerosLike} from '@tensorflow/tfjs-core';
import {SoftmaxCrossEntropy, SoftmaxCrossEntropyGrad, SoftmaxCrossEntropyGradAttrs, SparseSoftmaxCrossEntropy, SparseSoftmaxCrossEntropyGrad} from '../../kernels/kernel_names';

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

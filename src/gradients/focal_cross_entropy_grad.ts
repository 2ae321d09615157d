/**
 * Gradients of the fused focal kernels: each runs the backward kernel of the
 * same backend. Thunks are lazy: d/dlabels is computed only when the labels
 * are on the differentiation path. Registered by register_gradients.ts.
 */
import {engine, GradConfig, NamedAttrMap, Tensor, zerosLike} from '@tensorflow/tfjs-core';
import {BinaryFocalCrossEntropy, BinaryFocalCrossEntropyGrad, FocalCrossEntropy, FocalCrossEntropyGrad, OneHotFocalCrossEntropy, SparseFocalCrossEntropy, SparseFocalCrossEntropyGrad} from '../../kernels/kernel_names';
import {oneHotGradConfig, rowBackward} from './row_backward';

export const focalCrossEntropyGradConfig: GradConfig = {
  kernelName: FocalCrossEntropy,
  inputsToSave: ['logits', 'labels'],
  outputsToSave: [false, true],
  gradFunc: (dy, saved, attrs) => ({
    logits: () => rowBackward(FocalCrossEntropyGrad, saved, dy, attrs, 'logits'),
    labels: () => rowBackward(FocalCrossEntropyGrad, saved, dy, attrs, 'labels'),
  }),
};

export const sparseFocalCrossEntropyGradConfig: GradConfig = {
  kernelName: SparseFocalCrossEntropy,
  inputsToSave: ['logits', 'labels'],
  outputsToSave: [false, true],
  gradFunc: (dy, saved, attrs) => ({
    logits: () => rowBackward(SparseFocalCrossEntropyGrad, saved, dy, attrs, 'logits'),
    labels: () => zerosLike(saved[1]),  // class ids are not differentiable
  }),
};

/** One-hot dense labels as class ids (kernel_names.ts; row_backward.ts). */
export const oneHotFocalCrossEntropyGradConfig: GradConfig =
    oneHotGradConfig(OneHotFocalCrossEntropy, SparseFocalCrossEntropyGrad, FocalCrossEntropyGrad);

function binaryBackward(saved: Tensor[], dy: Tensor, attrs: NamedAttrMap, wrt: 'logits' | 'labels'): Tensor {
  const [logits, labels] = saved;
  return engine().runKernel(BinaryFocalCrossEntropyGrad, {logits, labels, dy}, {...attrs, wrt}) as Tensor;
}

export const binaryFocalCrossEntropyGradConfig: GradConfig = {
  kernelName: BinaryFocalCrossEntropy,
  inputsToSave: ['logits', 'labels'],
  gradFunc: (dy, saved, attrs) => ({
    logits: () => binaryBackward(saved, dy as Tensor, attrs, 'logits'),
    labels: () => binaryBackward(saved, dy as Tensor, attrs, 'labels'),
  }),
};

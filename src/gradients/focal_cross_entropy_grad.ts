/**
 * Gradients of the fused focal kernels: each runs the backward kernel of the
 * same backend. Thunks are lazy: d/dlabels is computed only when the labels
 * are on the differentiation path. Registered by register_gradients.ts.
 */
import {engine, GradConfig, NamedAttrMap, Tensor, zeros, zerosLike} from '@tensorflow/tfjs-core';
import {BinaryFocalCrossEntropy, BinaryFocalCrossEntropyGrad, FocalCrossEntropy, FocalCrossEntropyGrad, OneHotFocalCrossEntropy, SparseFocalCrossEntropy, SparseFocalCrossEntropyGrad} from '../../kernels/kernel_names';
import {oneHotRows} from './one_hot_rows';

function softmaxBackward(kernelName: string, saved: Tensor[], dy: Tensor | Tensor[], attrs: NamedAttrMap, wrt: 'logits' | 'labels'): Tensor {
  const [logits, labels, lse] = saved;
  // Two outputs (loss, lse): dy is an array; lse is internal, its dy unused.
  const dLoss = Array.isArray(dy) ? dy[0] : dy;
  return engine().runKernel(kernelName, {logits, labels, lse, dy: dLoss}, {...attrs, wrt}) as Tensor;
}

export const focalCrossEntropyGradConfig: GradConfig = {
  kernelName: FocalCrossEntropy,
  inputsToSave: ['logits', 'labels'],
  outputsToSave: [false, true],
  gradFunc: (dy, saved, attrs) => ({
    logits: () => softmaxBackward(FocalCrossEntropyGrad, saved, dy, attrs, 'logits'),
    labels: () => softmaxBackward(FocalCrossEntropyGrad, saved, dy, attrs, 'labels'),
  }),
};

export const sparseFocalCrossEntropyGradConfig: GradConfig = {
  kernelName: SparseFocalCrossEntropy,
  inputsToSave: ['logits', 'labels'],
  outputsToSave: [false, true],
  gradFunc: (dy, saved, attrs) => ({
    logits: () => softmaxBackward(SparseFocalCrossEntropyGrad, saved, dy, attrs, 'logits'),
    labels: () => zerosLike(saved[1]),  // class ids are not differentiable
  }),
};

/**
 * One-hot dense labels as class ids (kernel_names.ts): saved are the logits
 * and the ids; d/dlogits is the sparse backward, d/dlabels the dense one on
 * the one-hot rows rebuilt from the ids (only when the labels need it).
 */
export const oneHotFocalCrossEntropyGradConfig: GradConfig = {
  kernelName: OneHotFocalCrossEntropy,
  inputsToSave: ['logits', 'classIds'],
  outputsToSave: [false, true],
  gradFunc: (dy, saved, attrs) => {
    const [logits, classIds, lse] = saved;
    return {
      logits: () => softmaxBackward(SparseFocalCrossEntropyGrad, [logits, classIds, lse], dy, attrs, 'logits'),
      labels: () => softmaxBackward(FocalCrossEntropyGrad, [logits, oneHotRows(classIds, logits.shape[1] as number), lse],
                                    dy, attrs, 'labels'),
      classIds: () => zeros(classIds.shape),
    };
  },
};

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

/** Gradient of the fused sigmoid cross-entropy kernel: runs the backward kernel. */
import {engine, GradConfig, NamedAttrMap, Tensor} from '@tensorflow/tfjs-core';
import {SigmoidCrossEntropy, SigmoidCrossEntropyGrad, SigmoidCrossEntropyGradAttrs} from '../../kernels/kernel_names';

function backward(saved: Tensor[], dy: Tensor, attrs: NamedAttrMap, wrt: 'logits' | 'labels'): Tensor {
  const [logits, labels] = saved;
  const gradAttrs: SigmoidCrossEntropyGradAttrs = {...(attrs as unknown as SigmoidCrossEntropyGradAttrs), wrt};
  return engine().runKernel(SigmoidCrossEntropyGrad, {logits, labels, dy}, gradAttrs as unknown as NamedAttrMap) as Tensor;
}

export const sigmoidCrossEntropyGradConfig: GradConfig = {
  kernelName: SigmoidCrossEntropy,
  inputsToSave: ['logits', 'labels'],
  gradFunc: (dy, saved, attrs) => ({
    logits: () => backward(saved, dy as Tensor, attrs, 'logits'),
    labels: () => backward(saved, dy as Tensor, attrs, 'labels'),
  }),
};

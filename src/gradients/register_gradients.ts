/** Registers the gradients of every fused forward kernel (idempotent). */
import {getGradient, GradConfig, registerGradient} from '@tensorflow/tfjs-core';
import {sigmoidCrossEntropyGradConfig} from './sigmoid_cross_entropy_grad';
import {softmaxCrossEntropyGradConfig, sparseSoftmaxCrossEntropyGradConfig} from './softmax_cross_entropy_grad';

const gradConfigs: GradConfig[] = [softmaxCrossEntropyGradConfig, sparseSoftmaxCrossEntropyGradConfig, sigmoidCrossEntropyGradConfig];

export function registerGradients(): void {
  for (const config of gradConfigs) {
    if (getGradient(config.kernelName) == null) {
      registerGradient(config);
    }
  }
}

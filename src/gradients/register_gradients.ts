/** Registers the gradients of every fused forward kernel, the focal ones included (idempotent; src/index.ts calls it). */
import {getGradient, GradConfig, registerGradient} from '@tensorflow/tfjs-core';
import {binaryFocalCrossEntropyGradConfig, focalCrossEntropyGradConfig, oneHotFocalCrossEntropyGradConfig, sparseFocalCrossEntropyGradConfig} from './focal_cross_entropy_grad';
import {sigmoidCrossEntropyGradConfig} from './sigmoid_cross_entropy_grad';
import {denseLabelClassIdsGradConfig, oneHotSoftmaxCrossEntropyGradConfig, softmaxCrossEntropyGradConfig, sparseSoftmaxCrossEntropyGradConfig} from './softmax_cross_entropy_grad';

const gradConfigs: GradConfig[] = [
  softmaxCrossEntropyGradConfig, sparseSoftmaxCrossEntropyGradConfig, sigmoidCrossEntropyGradConfig,
  focalCrossEntropyGradConfig, sparseFocalCrossEntropyGradConfig, binaryFocalCrossEntropyGradConfig,
  oneHotSoftmaxCrossEntropyGradConfig, denseLabelClassIdsGradConfig, oneHotFocalCrossEntropyGradConfig,
];

export function registerGradients(): void {
  for (const config of gradConfigs) {
    if (getGradient(config.kernelName) == null) {
      registerGradient(config);
    }
  }
}

/** Registers every cpu kernel of the contract (idempotent: no re-registration warnings). */
import {getKernel, KernelConfig, registerKernel} from '@tensorflow/tfjs-core';
import {sigmoidCrossEntropyConfig, sigmoidCrossEntropyGradConfig} from './SigmoidCrossEntropy';
import {softmaxCrossEntropyConfig, sparseSoftmaxCrossEntropyConfig} from './SoftmaxCrossEntropy';
import {softmaxCrossEntropyGradConfig, sparseSoftmaxCrossEntropyGradConfig} from './SoftmaxCrossEntropyGrad';

export const cpuKernelConfigs: KernelConfig[] = [
  softmaxCrossEntropyConfig, sparseSoftmaxCrossEntropyConfig,
  softmaxCrossEntropyGradConfig, sparseSoftmaxCrossEntropyGradConfig,
  sigmoidCrossEntropyConfig, sigmoidCrossEntropyGradConfig,
];

export function registerCpuKernels(): void {
  for (const config of cpuKernelConfigs) {
    if (getKernel(config.kernelName, config.backendName) == null) {
      registerKernel(config);
    }
  }
}

/**
 * Registers every fused kernel of the contract for the `webgpu` backend.
 * Idempotent (checks getKernel first: no "already registered" warnings) and
 * free of Node-only imports, so it runs in browsers too. Registering does not
 * need the backend to be loaded; the kernels run once `tf.setBackend('webgpu')`
 * succeeds.
 */
import {KernelConfig} from '@tensorflow/tfjs-core';
import {registerKernelsOnce} from '../register_util';
import {registerWebGPUFlags} from './flags_webgpu';
import {sigmoidCrossEntropyConfig, sigmoidCrossEntropyGradConfig} from './SigmoidCrossEntropy';
import {softmaxCrossEntropyConfig, sparseSoftmaxCrossEntropyConfig} from './SoftmaxCrossEntropy';
import {softmaxCrossEntropyGradConfig, sparseSoftmaxCrossEntropyGradConfig} from './SoftmaxCrossEntropyGrad';

export const webgpuKernelConfigs: KernelConfig[] = [
  softmaxCrossEntropyConfig, sparseSoftmaxCrossEntropyConfig,
  softmaxCrossEntropyGradConfig, sparseSoftmaxCrossEntropyGradConfig,
  sigmoidCrossEntropyConfig, sigmoidCrossEntropyGradConfig,
];

export function registerWebGPUKernels(): void {
  registerWebGPUFlags();
  registerKernelsOnce(webgpuKernelConfigs);
}

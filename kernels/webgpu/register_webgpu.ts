/**
 * Registers every fused kernel of the contract for the `webgpu` backend,
 * the focal kernels included.
 * Idempotent (checks getKernel first: no "already registered" warnings) and
 * free of Node-only imports, so it runs in browsers too. Registering does not
 * need the backend to be loaded; the kernels run once `tf.setBackend('webgpu')`
 * succeeds.
 */
import {KernelConfig} from '@tensorflow/tfjs-core';
import {registerKernelsOnce} from '../register_util';
import {binaryFocalCrossEntropyConfig, binaryFocalCrossEntropyGradConfig} from './BinaryFocalCrossEntropy';
import {focalCrossEntropyConfig, sparseFocalCrossEntropyConfig} from './FocalCrossEntropy';
import {focalCrossEntropyGradConfig, sparseFocalCrossEntropyGradConfig} from './FocalCrossEntropyGrad';
import {registerWebGPUFlags} from './flags_webgpu';
import {linearSparseSoftmaxCrossEntropyConfig} from './LinearSparseSoftmaxCrossEntropy';
import {matMulAccumulateConfig, scaleInPlaceConfig} from './MatMulAccumulate';
import {sigmoidCrossEntropyConfig, sigmoidCrossEntropyGradConfig} from './SigmoidCrossEntropy';
import {softmaxCrossEntropyConfig, sparseSoftmaxCrossEntropyConfig} from './SoftmaxCrossEntropy';
import {softmaxCrossEntropyGradConfig, sparseSoftmaxCrossEntropyGradConfig, sparseSoftmaxCrossEntropyGradInPlaceConfig} from './SoftmaxCrossEntropyGrad';

export const webgpuKernelConfigs: KernelConfig[] = [
  softmaxCrossEntropyConfig, sparseSoftmaxCrossEntropyConfig,
  softmaxCrossEntropyGradConfig, sparseSoftmaxCrossEntropyGradConfig,
  sigmoidCrossEntropyConfig, sigmoidCrossEntropyGradConfig,
  // in place, internal to linearSoftmaxCrossEntropy
  matMulAccumulateConfig, scaleInPlaceConfig, sparseSoftmaxCrossEntropyGradInPlaceConfig,
  linearSparseSoftmaxCrossEntropyConfig,  // linearSoftmaxCrossEntropy without gradients
];

/** The focal kernels (FOCAL_KERNEL_NAMES of kernel_names.ts). */
export const webgpuFocalKernelConfigs: KernelConfig[] = [
  focalCrossEntropyConfig, sparseFocalCrossEntropyConfig,
  focalCrossEntropyGradConfig, sparseFocalCrossEntropyGradConfig,
  binaryFocalCrossEntropyConfig, binaryFocalCrossEntropyGradConfig,
];

export function registerWebGPUKernels(): void {
  registerWebGPUFlags();
  registerKernelsOnce(webgpuKernelConfigs);
  registerKernelsOnce(webgpuFocalKernelConfigs);
}

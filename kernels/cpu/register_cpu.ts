/** Registers every cpu kernel of the contract, the focal ones included, and declares the backend's capabilities (idempotent: no re-registration warnings). */
import {KernelConfig} from '@tensorflow/tfjs-core';
import {declareCapabilities} from '../capabilities';
import {registerKernelsOnce} from '../register_util';
import {binaryFocalCrossEntropyConfig, binaryFocalCrossEntropyGradConfig} from './BinaryFocalCrossEntropy';
import {focalCrossEntropyConfig, sparseFocalCrossEntropyConfig} from './FocalCrossEntropy';
import {focalCrossEntropyGradConfig, sparseFocalCrossEntropyGradConfig} from './FocalCrossEntropyGrad';
import {linearSparseSoftmaxCrossEntropyConfig} from './LinearSparseSoftmaxCrossEntropy';
import {matMulAccumulateConfig, scaleInPlaceConfig} from './MatMulAccumulate';
import {sigmoidCrossEntropyConfig, sigmoidCrossEntropyGradConfig} from './SigmoidCrossEntropy';
import {softmaxCrossEntropyConfig, sparseSoftmaxCrossEntropyConfig} from './SoftmaxCrossEntropy';
import {softmaxCrossEntropyGradConfig, sparseSoftmaxCrossEntropyGradConfig, sparseSoftmaxCrossEntropyGradInPlaceConfig} from './SoftmaxCrossEntropyGrad';

export const cpuKernelConfigs: KernelConfig[] = [
  softmaxCrossEntropyConfig, sparseSoftmaxCrossEntropyConfig,
  softmaxCrossEntropyGradConfig, sparseSoftmaxCrossEntropyGradConfig,
  sigmoidCrossEntropyConfig, sigmoidCrossEntropyGradConfig,
  // in place, internal to linearSoftmaxCrossEntropy
  matMulAccumulateConfig, scaleInPlaceConfig, sparseSoftmaxCrossEntropyGradInPlaceConfig,
  linearSparseSoftmaxCrossEntropyConfig,  // linearSoftmaxCrossEntropy without gradients
];

/** The focal kernels (FOCAL_KERNEL_NAMES). */
export const focalCpuKernelConfigs: KernelConfig[] = [
  focalCrossEntropyConfig, sparseFocalCrossEntropyConfig,
  focalCrossEntropyGradConfig, sparseFocalCrossEntropyGradConfig,
  binaryFocalCrossEntropyConfig, binaryFocalCrossEntropyGradConfig,
];

export function registerCpuKernels(): void {
  registerKernelsOnce(cpuKernelConfigs);
  registerKernelsOnce(focalCpuKernelConfigs);
  declareCapabilities('cpu', {
    hostMemory: true,
    compositeOnHost: true,
    sparseKernelThrows: true,
    // Our blocked loops beat tfjs-backend-cpu's generic strided matMul (benchmarks/results).
    ownLogitsGemm: true,
  });
}

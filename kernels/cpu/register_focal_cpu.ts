/** The cpu focal kernels (FOCAL_KERNEL_NAMES), registered idempotently. */
import {KernelConfig} from '@tensorflow/tfjs-core';
import {registerKernelsOnce} from '../register_util';
import {binaryFocalCrossEntropyConfig, binaryFocalCrossEntropyGradConfig} from './BinaryFocalCrossEntropy';
import {focalCrossEntropyConfig, sparseFocalCrossEntropyConfig} from './FocalCrossEntropy';
import {focalCrossEntropyGradConfig, sparseFocalCrossEntropyGradConfig} from './FocalCrossEntropyGrad';

export const focalCpuKernelConfigs: KernelConfig[] = [
  focalCrossEntropyConfig, sparseFocalCrossEntropyConfig,
  focalCrossEntropyGradConfig, sparseFocalCrossEntropyGradConfig,
  binaryFocalCrossEntropyConfig, binaryFocalCrossEntropyGradConfig,
];

export function registerFocalCpuKernels(): void {
  registerKernelsOnce(focalCpuKernelConfigs);
}

/** The cpu focal kernels (FOCAL_KERNEL_NAMES); register_cpu.ts registers them. */
import {KernelConfig} from '@tensorflow/tfjs-core';
import {binaryFocalCrossEntropyConfig, binaryFocalCrossEntropyGradConfig} from './BinaryFocalCrossEntropy';
import {focalCrossEntropyConfig, sparseFocalCrossEntropyConfig} from './FocalCrossEntropy';
import {focalCrossEntropyGradConfig, sparseFocalCrossEntropyGradConfig} from './FocalCrossEntropyGrad';

export const focalCpuKernelConfigs: KernelConfig[] = [
  focalCrossEntropyConfig, sparseFocalCrossEntropyConfig,
  focalCrossEntropyGradConfig, sparseFocalCrossEntropyGradConfig,
  binaryFocalCrossEntropyConfig, binaryFocalCrossEntropyGradConfig,
];

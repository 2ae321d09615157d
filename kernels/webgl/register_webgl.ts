/**
 * Registers the fused cross-entropy kernels for the `webgl` backend.
 * Idempotent: a kernel already registered (by an earlier call) is skipped, so
 * tfjs never warns "already registered". Safe to call where the webgl backend
 * itself is absent (Node): kernels are registered by name and only ever run
 * when a webgl backend exists (a browser or worker).
 */
import {KernelConfig} from '@tensorflow/tfjs-core';
import {registerKernelsOnce} from '../register_util';

import {binaryFocalCrossEntropyConfig, binaryFocalCrossEntropyGradConfig} from './BinaryFocalCrossEntropy';
import {focalCrossEntropyConfig, sparseFocalCrossEntropyConfig} from './FocalCrossEntropy';
import {focalCrossEntropyGradConfig, sparseFocalCrossEntropyGradConfig} from './FocalCrossEntropyGrad';
import {sigmoidCrossEntropyConfig, sigmoidCrossEntropyGradConfig} from './SigmoidCrossEntropy';
import {softmaxCrossEntropyConfig, sparseSoftmaxCrossEntropyConfig} from './SoftmaxCrossEntropy';
import {softmaxCrossEntropyGradConfig, sparseSoftmaxCrossEntropyGradConfig} from './SoftmaxCrossEntropyGrad';

export const webglKernelConfigs: readonly KernelConfig[] = [
  softmaxCrossEntropyConfig,
  sparseSoftmaxCrossEntropyConfig,
  softmaxCrossEntropyGradConfig,
  sparseSoftmaxCrossEntropyGradConfig,
  sigmoidCrossEntropyConfig,
  sigmoidCrossEntropyGradConfig,
];

/** The focal kernels (FOCAL_KERNEL_NAMES) for webgl. */
export const webglFocalKernelConfigs: readonly KernelConfig[] = [
  focalCrossEntropyConfig,
  sparseFocalCrossEntropyConfig,
  focalCrossEntropyGradConfig,
  sparseFocalCrossEntropyGradConfig,
  binaryFocalCrossEntropyConfig,
  binaryFocalCrossEntropyGradConfig,
];

export function registerWebGLKernels(): void {
  registerKernelsOnce(webglKernelConfigs);
  registerKernelsOnce(webglFocalKernelConfigs);
}

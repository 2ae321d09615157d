/**
 * Registers the fused cross-entropy kernels for the `webgl` backend and
 * declares its capabilities (kernels/capabilities.ts).
 * Idempotent: a kernel already registered (by an earlier call) is skipped, so
 * tfjs never warns "already registered". Safe to call where the webgl backend
 * itself is absent (Node): kernels are registered by name and only ever run
 * when a webgl backend exists (a browser or worker).
 */
import {KernelBackend, KernelConfig, Tensor} from '@tensorflow/tfjs-core';
import {declareCapabilities} from '../capabilities';
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
  declareCapabilities('webgl', {hasHostCopy: (t, b) => hostCopyOf(t, b) != null});
}

/**
 * The host values tfjs-webgl keeps for a tensor made from an array until a
 * program needs its texture (its private texData); readSync returns them
 * without touching the GPU.
 */
function hostCopyOf(t: Tensor, b: KernelBackend): unknown {
  return (b as unknown as {texData?: {get(id: object): {values?: unknown} | undefined}}).texData?.get(t.dataId)?.values;
}

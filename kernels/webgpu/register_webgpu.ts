/**
 * Registers every fused kernel of the contract for the `webgpu` backend,
 * the focal kernels included, and declares the backend's capabilities
 * (kernels/capabilities.ts).
 * Idempotent (checks getKernel first: no "already registered" warnings) and
 * free of Node-only imports, so it runs in browsers too. Registering does not
 * need the backend to be loaded; the kernels run once `tf.setBackend('webgpu')`
 * succeeds.
 */
import {KernelBackend, KernelConfig, Tensor} from '@tensorflow/tfjs-core';
import {declareCapabilities} from '../capabilities';
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
  declareCapabilities('webgpu', {
    hasHostCopy: (t, b) => hostCopyOf(t, b) != null,
    // A synchronous read of a GPU-only tensor goes through a canvas: it fails in Node and, in Chromium,
    // lost the WebGPU device for the rest of the page (seen in the browser suite).
    syncReadRefusal: (t, b) => hostCopyOf(t, b) != null ? null :
        'the labels live on the GPU, and a synchronous GPU read goes through a canvas',
    // tfjs's matMul has no vec4 path when B is transposed (the logits h·Wᵀ of a [V, H] weight);
    // matmul_accumulate_webgpu.ts stages vec4 in every layout (benchmarks/results).
    ownLogitsGemm: true,
    flushQueue: submitQueue,
  });
}

/**
 * The host values tfjs-webgpu keeps for a tensor made from an array until a
 * kernel needs its GPU buffer (its private tensorMap); readSync returns them
 * without touching the GPU.
 */
function hostCopyOf(t: Tensor, b: KernelBackend): unknown {
  return (b as unknown as {tensorMap?: {get(id: object): {values?: unknown} | undefined}}).tensorMap?.get(t.dataId)?.values;
}

/**
 * Ends the compute pass and submits the recorded commands. tfjs-webgpu defers
 * disposal: a buffer used by recorded but unsubmitted commands (it submits
 * every WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE = 15 kernels) stays in use until
 * the next submit, so the linear cross-entropy's chunks would pile up their
 * logits and G (kernels/LINEAR_CE_MEMORY.md). Duck-typed on the backend's own
 * submitQueue (tfjs-backend-webgpu 4.22).
 */
function submitQueue(backend: KernelBackend): void {
  const b = backend as unknown as {commandEncoder?: unknown, endComputePassEncoder?: () => void, submitQueue?: () => void};
  if (b.commandEncoder != null && b.endComputePassEncoder != null && b.submitQueue != null) {
    b.endComputePassEncoder();
    b.submitQueue();
  }
}

/**
 * tf.env flags of the fused WebGPU kernels.
 *
 * `FUSED_CE_WEBGPU_SUBGROUPS` (default true): row reductions use WGSL subgroup
 * operations (`subgroupMax`, `subgroupAdd`) when the backend's device was
 * created with the `subgroups` feature; false forces the workgroup-memory tree
 * reduction. Both paths give the same results up to float32 summation order;
 * the flag exists so that tests cover both on one device.
 *
 * ```js
 * tf.env().set('FUSED_CE_WEBGPU_SUBGROUPS', false);
 * ```
 *
 * tfjs does not request `subgroups` when it creates its device: use
 * `registerWebGPUBackend()` from `./backend_factory` (or the Node helper
 * `tfjs-fused-cross-entropy/node-webgpu`, which calls it) to get a device that
 * has it.
 */
import {env} from '@tensorflow/tfjs-core';

export const SUBGROUPS_FLAG = 'FUSED_CE_WEBGPU_SUBGROUPS';

/** Registers the flags once (the registry is process-global). */
export function registerWebGPUFlags(): void {
  const registered = (env() as unknown as {flagRegistry: Record<string, unknown>}).flagRegistry;
  if (registered[SUBGROUPS_FLAG] == null) {
    env().registerFlag(SUBGROUPS_FLAG, () => true);
  }
}

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
import {registerFlagOnce} from '../register_util';

export const SUBGROUPS_FLAG = 'FUSED_CE_WEBGPU_SUBGROUPS';

/**
 * The softmax focal backward w.r.t. logits runs as two dispatches (a row pass
 * writing per-row stats, then an elementwise pass) when the batch has at most
 * `FUSED_CE_WEBGPU_FOCAL_SPLIT_MAX_ROWS` rows (default 512) of at least
 * `FUSED_CE_WEBGPU_FOCAL_SPLIT_MIN_C` classes (default 16384); otherwise one
 * row program does it all. Rows of at most THREAD_PER_ROW_MAX_C classes always
 * take one dispatch. The measurements behind the defaults are in README.md
 * ("Focal backward: split or one dispatch").
 */
export const FOCAL_SPLIT_MIN_C_FLAG = 'FUSED_CE_WEBGPU_FOCAL_SPLIT_MIN_C';
export const FOCAL_SPLIT_MIN_C_DEFAULT = 16384;
export const FOCAL_SPLIT_MAX_ROWS_FLAG = 'FUSED_CE_WEBGPU_FOCAL_SPLIT_MAX_ROWS';
export const FOCAL_SPLIT_MAX_ROWS_DEFAULT = 512;

/** Registers the flags once (the registry is process-global). */
export function registerWebGPUFlags(): void {
  registerFlagOnce(SUBGROUPS_FLAG, () => true);
  registerFlagOnce(FOCAL_SPLIT_MIN_C_FLAG, () => FOCAL_SPLIT_MIN_C_DEFAULT);
  registerFlagOnce(FOCAL_SPLIT_MAX_ROWS_FLAG, () => FOCAL_SPLIT_MAX_ROWS_DEFAULT);
}

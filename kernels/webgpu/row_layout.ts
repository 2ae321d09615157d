/**
 * How the row programs map rows to threads, chosen from C alone (so the
 * choice, like everything baked into a shader, changes only at a few
 * thresholds of C, never with the number of rows).
 *
 * Constants measured on SwiftShader (Dawn in Node, Vulkan SwiftShader from
 * Debian's chromium, 2 shared cores), forward kernel, see
 * test/kernels/webgpu/tune_row_layout.ts; re-measure on real GPUs before trusting
 * them there. Numbers are ms per call (median of 5) at 2^20 logits per call.
 */
import {env} from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import {deviceHasSubgroups} from './launch';
import {SUBGROUPS_FLAG} from './flags_webgpu';
import type {RowVariant} from './softmax_cross_entropy_webgpu';

/**
 * Up to this many classes a single thread owns a row (no reduction, no
 * barriers): TUNE_SMALL_C.
 */
export const THREAD_PER_ROW_MAX_C = 32;
/** Threads per workgroup (= per row) above THREAD_PER_ROW_MAX_C and below LARGE_C. */
export const ROW_WG_SMALL = 64;
/** From this C on, rows get ROW_WG_LARGE threads. */
export const LARGE_C = 4096;
export const ROW_WG_LARGE = 256;
/** Workgroup of the thread-per-row layout (rows per workgroup). */
export const THREAD_PER_ROW_WG = 64;

/** Whether the subgroup reductions are enabled for `backend` (device feature and flag). */
export function useSubgroups(backend: WebGPUBackend): boolean {
  return env().getBool(SUBGROUPS_FLAG) && deviceHasSubgroups(backend);
}

/** The row-program variant for C classes. */
export function rowVariant(backend: WebGPUBackend, C: number, weights: boolean): RowVariant {
  const vec = C % 4 === 0 ? 4 : 1;
  if (C <= THREAD_PER_ROW_MAX_C) {
    return {wg: THREAD_PER_ROW_WG, team: 1, vec, subgroups: false, weights};
  }
  const wg = C >= LARGE_C ? ROW_WG_LARGE : ROW_WG_SMALL;
  return {wg, team: wg, vec, subgroups: useSubgroups(backend), weights};
}

/** Workgroups needed for `rows` rows. */
export function rowWorkgroups(v: RowVariant, rows: number): number {
  return Math.ceil(rows / (v.wg / v.team));
}

/** Threads per workgroup of the elementwise programs. */
export const ELEMENTWISE_WG = 64;

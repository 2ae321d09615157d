/**
 * How the row programs map rows to threads, chosen from C alone (so the
 * choice, like everything baked into a shader, changes only at one threshold
 * of C, never with the number of rows).
 *
 * Measured on SwiftShader only (Dawn in Node, the Vulkan SwiftShader of
 * Debian's chromium, 2 shared CPU cores; no GPU was available), with
 * test/kernels/webgpu/tune_row_layout.ts: forward, dense labels, 2^18 logits
 * per call, median of 5, ms per call ('-': not run, team wider than the row or
 * minutes per point):
 *
 *     C      team1/wg64  team16/wg64  team64/wg64  team64/wg64/sg  team256/wg256  team256/wg256/sg
 *     8         40.4        -            -             -              -               -
 *     32        12.1      794.2          -             -              -               -
 *     64        27.9      763.8       1746.5         780.6            -               -
 *     256       19.9      111.4        384.1         203.9         4187.8          5045.1
 *     1024      74.7       89.0        168.1         107.8         1523.9           860.1
 *     4096      29.4       40.0         67.9          46.0          304.0           228.0
 *     32768     34.8       34.2         36.4          28.9           60.0            83.2
 *
 * SwiftShader runs workgroups on CPU threads, where every workgroupBarrier is
 * a switch between all the workgroup's fibers: barrier count dominates, so
 * a thread per row wins there up to C = 4096 and subgroup reductions (two
 * barriers per reduction instead of log2(team)) run 1.5-2.2x faster than the
 * workgroup-memory tree. On GPUs a thread per row leaves the machine idle
 * (rows threads in all) and reads rows uncoalesced, so the threshold below is
 * set where the two layouts are equal-ish here *and* a thread-per-row layout is
 * still the usual choice on GPUs (C <= 64), not at SwiftShader's optimum.
 * Re-measure on real hardware before tuning further (e.g. 256-thread
 * workgroups for C >= 4096, tfjs's choice for its softmax, lost on
 * SwiftShader at every C measured).
 */
import {env} from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import {deviceHasSubgroups} from './launch';
import {registerWebGPUFlags, SUBGROUPS_FLAG} from './flags_webgpu';
import type {RowVariant} from './softmax_cross_entropy_webgpu';

/** Up to this many classes one thread owns a row (no reduction, no barrier). */
export const THREAD_PER_ROW_MAX_C = 64;
/** Rows per workgroup in the thread-per-row layout. */
export const THREAD_PER_ROW_WG = 64;
/** Threads per row (= per workgroup) above THREAD_PER_ROW_MAX_C: 64 beat 256 at every C above. */
export const ROW_WG = 64;

/** Whether the subgroup reductions are enabled for `backend` (device feature and flag). */
export function useSubgroups(backend: WebGPUBackend): boolean {
  registerWebGPUFlags();
  return env().getBool(SUBGROUPS_FLAG) && deviceHasSubgroups(backend);
}

/** The row-program variant for C classes. */
export function rowVariant(backend: WebGPUBackend, C: number, weights: boolean): RowVariant {
  const vec = C % 4 === 0 ? 4 : 1;
  if (C <= THREAD_PER_ROW_MAX_C) {
    return {wg: THREAD_PER_ROW_WG, team: 1, vec, subgroups: false, weights};
  }
  return {wg: ROW_WG, team: ROW_WG, vec, subgroups: useSubgroups(backend), weights};
}

/** Workgroups needed for `rows` rows. */
export function rowWorkgroups(v: RowVariant, rows: number): number {
  return Math.ceil(rows / (v.wg / v.team));
}

/** Threads per workgroup of the elementwise programs: tfjs's default for its own (not tuned here). */
export const ELEMENTWISE_WG = 64;

/**
 * How the row programs map rows to threads, chosen from C alone (so the
 * choice, like everything baked into a shader, changes only at one threshold
 * of C, never with the number of rows).
 *
 * Chosen from SwiftShader measurements only (table in README.md, "Row
 * layouts"): there a thread per row wins up to large C because every barrier
 * is a fiber switch; on GPUs a thread per row idles the machine, so the
 * threshold is where the two were about equal and a thread-per-row layout is
 * still the usual GPU choice (C <= 64). Re-measure on real hardware before
 * tuning further.
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

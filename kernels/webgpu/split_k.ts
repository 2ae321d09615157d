/**
 * The split-K plan of the WebGPU in-place matmul (MatMulAccumulate.ts) and the
 * vocabulary slices of the linear-CE tile program
 * (LinearSparseSoftmaxCrossEntropy.ts): how many slices cut a long serial loop.
 */
import {MM_TILE} from './matmul_accumulate_webgpu';

/**
 * Split-K plan (see matmul_accumulate_webgpu.ts): a product of fewer than
 * SPLIT_K_MIN_WORKGROUPS output tiles has its k range cut into slices of at
 * least SPLIT_K_MIN_SLICE, enough slices to reach that many workgroups.
 *
 * Why these numbers: a per-chunk cost seen on an NVIDIA H200 fits dh = G·W
 * running too few workgroups through a long serial k loop; 1024 workgroups
 * keep every SM busy, and a slice of 256 (8 tile steps) keeps the partial
 * products' traffic well below the reads it saves (the model and its
 * measurements: README.md, "Split-K"). The scratch is at most
 * (SPLIT_K_MIN_WORKGROUPS + tiles) · 32² floats (8 MiB) and lives for one call.
 */
export const SPLIT_K_MIN_WORKGROUPS = 1024;
export const SPLIT_K_MIN_SLICE = 8 * MM_TILE;

/**
 * How many slices of what length cut a loop of K steps that `tiles`
 * workgroups would otherwise each run whole (the rule above): {splits: 1,
 * kSlice: K} means no split. Also the vocabulary slices of the linear-CE tile
 * program (LinearSparseSoftmaxCrossEntropy.ts).
 */
export function sliceLongLoop(tiles: number, K: number): {splits: number, kSlice: number} {
  if (tiles >= SPLIT_K_MIN_WORKGROUPS || K < 2 * SPLIT_K_MIN_SLICE) {
    return {splits: 1, kSlice: K};
  }
  const wanted = Math.min(Math.ceil(SPLIT_K_MIN_WORKGROUPS / tiles), Math.floor(K / SPLIT_K_MIN_SLICE));
  const kSlice = Math.ceil(K / wanted / MM_TILE) * MM_TILE;
  const splits = Math.ceil(K / kSlice);
  return splits > 1 ? {splits, kSlice} : {splits: 1, kSlice: K};
}

/** The split-K plan of an M × P product over K. */
export function splitKPlan(M: number, P: number, K: number): {splits: number, kSlice: number} {
  return sliceLongLoop(Math.ceil(M / MM_TILE) * Math.ceil(P / MM_TILE), K);
}

/**
 * The cpu `MatMulAccumulate` loops on the WebAssembly SIMD module
 * (assembly/matmul_accumulate.ts): c[rowOffset + i, j] += Σ_k A(i,k)·B(k,j),
 * the contract of matmul_accumulate.ts.
 *
 * The module works on its own memory (kernels/simd/simd_module.ts, SimdHeap),
 * so the operands are copied in a tile at a time: for each tile of c (rows ×
 * columns) its values in, then for each k tile the matching tiles of A and B
 * packed contiguous (A as [rows, k], or [k, rows] when A is transposed and B
 * is not; B as [k, columns] or, transposed, as [columns, k]; every copy of
 * whole rows, except A transposed under B transposed, gathered), one module
 * call, and the tile of c copied back out. A tile of B that is all of B is
 * packed once. The heap
 * then holds three tiles, never a whole operand: the linear CE's memory bound
 * (kernels/LINEAR_CE_MEMORY.md) is unchanged.
 */
import type {MatMulAccumulateShape} from '../linear_cross_entropy_checks';
import {cpuSimdEnabled} from '../simd/flags_simd';
import {simdHeap} from '../simd/simd_module';
import {matMulAccumulateInto} from './matmul_accumulate';

/** The module's GEMM exports (pointers: byte offsets in its memory). */
export interface GemmExports {
  gemmAxpy(c: number, a: number, b: number, M: number, K: number, P: number, transA: number): void;
  gemmDot(c: number, a: number, b: number, M: number, K: number, P: number): void;
}

/** What the loops need of a SimdHeap. */
export interface GemmHeap {
  readonly memory: WebAssembly.Memory;
  readonly kernels: GemmExports;
  reset(): void;
  alloc(bytes: number): number;
}

/** Tile sizes: rows of c, columns of c, k. */
export interface Tiles {
  rows: number;
  cols: number;
  k: number;
}

/**
 * Tiles of the axpy order (B not transposed) and of the dot order (B
 * transposed): B's tile (k × columns) within L2, few enough tiles that the
 * packing stays a small share of the time. A coarse sweep on a loaded 2-core
 * host (/tmp scripts, not kept) found no clear optimum among tiles of
 * 64–512 rows, 128–1024 columns and k 64–1024; heap use is three tiles
 * (under 1 MiB).
 */
export const AXPY_TILES: Tiles = {rows: 128, cols: 512, k: 128};
export const DOT_TILES: Tiles = {rows: 128, cols: 128, k: 512};

/** dst[r·cols + q] = src[off + r·stride + q], r < rows, q < cols. */
function packRows(dst: Float32Array, dstOff: number, src: ArrayLike<number>, off: number, stride: number, rows: number, cols: number): void {
  if (src instanceof Float32Array) {
    for (let r = 0; r < rows; r++) {
      dst.set(src.subarray(off + r * stride, off + r * stride + cols), dstOff + r * cols);
    }
    return;
  }
  for (let r = 0; r < rows; r++) {
    const s = off + r * stride, d = dstOff + r * cols;
    for (let q = 0; q < cols; q++) dst[d + q] = src[s + q];
  }
}

/** dst[r·cols + q] = src[off + q·stride + r], r < rows, q < cols (a transposed tile). */
function packColumns(dst: Float32Array, dstOff: number, src: ArrayLike<number>, off: number, stride: number, rows: number, cols: number): void {
  for (let q = 0; q < cols; q++) {
    const s = off + q * stride;
    for (let r = 0; r < rows; r++) dst[dstOff + r * cols + q] = src[s + r];
  }
}

/** c[rowOffset + i, j] += Σ_k A(i,k)·B(k,j), in place, on the SIMD module. */
export function matMulAccumulateSimd(c: Float32Array, a: ArrayLike<number>, b: ArrayLike<number>, s: MatMulAccumulateShape,
                                     heap: GemmHeap, tiles?: Tiles): void {
  const {M, K, P, transposeA, transposeB} = s;
  if (M === 0 || K === 0 || P === 0) return;
  const t = tiles ?? (transposeB ? DOT_TILES : AXPY_TILES);
  const mb = Math.min(t.rows, M), pb = Math.min(t.cols, P), kb = Math.min(t.k, K);
  heap.reset();
  const cPtr = heap.alloc(4 * mb * pb), aPtr = heap.alloc(4 * mb * kb), bPtr = heap.alloc(4 * kb * pb);
  // After the allocations: the memory may have grown (a new buffer).
  const mem = new Float32Array(heap.memory.buffer);
  const cAt = cPtr >> 2, aAt = aPtr >> 2, bAt = bPtr >> 2;
  const cBase = s.rowOffset * P;
  const {gemmAxpy, gemmDot} = heap.kernels;
  // Which (k0, j0) tile of B the heap holds (-1: none).
  let packedB = -1;
  for (let i0 = 0; i0 < M; i0 += mb) {
    const m = Math.min(mb, M - i0);
    for (let j0 = 0; j0 < P; j0 += pb) {
      const p = Math.min(pb, P - j0);
      packRows(mem, cAt, c, cBase + i0 * P + j0, P, m, p);
      for (let k0 = 0; k0 < K; k0 += kb) {
        const k = Math.min(kb, K - k0);
        // A(i, k): a is [M, K], or [K, M] transposed: its tile as [m, k], or as [k, m] for gemmAxpy.
        if (!transposeA) {
          packRows(mem, aAt, a, i0 * K + k0, K, m, k);
        } else if (!transposeB) {
          packRows(mem, aAt, a, k0 * M + i0, M, k, m);
        } else {
          packColumns(mem, aAt, a, k0 * M + i0, M, m, k);
        }
        // B as [k, p] (b is [K, P]) or, transposed, as [p, k] (b is [P, K]).
        if (packedB !== k0 * P + j0 || !(k === K && p === P)) {
          if (transposeB) {
            packRows(mem, bAt, b, j0 * K + k0, K, p, k);
          } else {
            packRows(mem, bAt, b, k0 * P + j0, P, k, p);
          }
          packedB = k0 * P + j0;
        }
        if (transposeB) {
          gemmDot(cPtr, aPtr, bPtr, m, k, p);
        } else {
          gemmAxpy(cPtr, aPtr, bPtr, m, k, p, transposeA ? 1 : 0);
        }
      }
      const out = mem.subarray(cAt, cAt + m * p);
      for (let r = 0; r < m; r++) {
        c.set(out.subarray(r * p, (r + 1) * p), cBase + (i0 + r) * P + j0);
      }
    }
  }
}

/**
 * The cpu kernels' GEMM accumulate: the SIMD module when `FUSED_CE_CPU_SIMD`
 * is true (kernels/simd/flags_simd.ts), the JavaScript loops
 * (matmul_accumulate.ts) when false.
 */
export function matMulAccumulate(c: Float32Array, a: ArrayLike<number>, b: ArrayLike<number>, s: MatMulAccumulateShape): void {
  if (cpuSimdEnabled()) {
    matMulAccumulateSimd(c, a, b, s, simdHeap());
  } else {
    matMulAccumulateInto(c, a, b, s);
  }
}

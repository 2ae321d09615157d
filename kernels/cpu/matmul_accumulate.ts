/**
 * The arithmetic of the cpu `MatMulAccumulate` kernel (MatMulAccumulate.ts):
 *
 *     c[(rowOffset + i)·P + j] += Σ_k A(i, k)·B(k, j)      i < M, j < P, k < K
 *
 * with A = a ([M, K]) or aᵀ (a is [K, M]) and B = b ([K, P]) or bᵀ (b is
 * [P, K]), written into `c` itself (no output array).
 *
 * Two loop orders, chosen by where B's inner index is contiguous:
 *  - B not transposed (row k of B is contiguous): "axpy" order. For each row i
 *    of C and a group of 4 k's, c[i, :] += a0·B[k] + a1·B[k+1] + a2·B[k+2] +
 *    a3·B[k+3]: one load and one store of c per 4 multiply-adds, the 4-term sum
 *    in float64 (JavaScript numbers), rounded to float32 once per group. Rows of
 *    C are taken in blocks of ROW_BLOCK and k in blocks of K_BLOCK so that the
 *    K_BLOCK rows of B being streamed stay in L2 while a block of C rows is hot.
 *  - B transposed (row j of b is contiguous in k): "dot" order, 2 rows of C ×
 *    2 columns per step (4 float64 accumulators, 4 loads per 4 multiply-adds),
 *    k in blocks of K_BLOCK so the two a rows and two b rows stay in L1/L2.
 *
 * Measured with benchmarks/matmul_accumulate.cpu.ts against tfjs's cpu matMul at
 * the chunk shape of the target (128 × 512 × 32000): 2.5–2.8× faster in
 * all three products (benchmarks/matmul_accumulate.cpu.results.md).
 */
import type {MatMulAccumulateShape} from '../in_place';

/**
 * Rows of C per block (axpy order): 32 rows × H = 512 floats = 64 KiB; k per
 * block: 64 rows of B × 512 floats = 128 KiB, within a 512 KiB L2. Sweep at
 * 128 × 512 × 32000: rows of 32 with k blocks of 16–256 all ran in 2.1 s,
 * 8 × 16 took 6.3 s (benchmarks/matmul_accumulate.cpu.results.md).
 */
const ROW_BLOCK = 32;
const K_BLOCK = 64;

/** Block sizes (exposed for the tuning benchmark). */
export interface Blocks {
  rowBlock: number;
  kBlock: number;
}

/** c[rowOffset + i, j] += Σ_k A(i,k)·B(k,j), in place. */
export function matMulAccumulateInto(c: Float32Array, a: ArrayLike<number>, b: ArrayLike<number>, s: MatMulAccumulateShape,
                                     blocks: Blocks = {rowBlock: ROW_BLOCK, kBlock: K_BLOCK}): void {
  if (s.transposeB) {
    dotOrder(c, a, b, s, blocks);
  } else {
    axpyOrder(c, a, b, s, blocks);
  }
}

function axpyOrder(c: Float32Array, a: ArrayLike<number>, b: ArrayLike<number>, s: MatMulAccumulateShape, blocks: Blocks): void {
  const {M, K, P, transposeA} = s;
  const {rowBlock, kBlock} = blocks;
  // A(i, k) = a[i·aRow + k·aCol]
  const aRow = transposeA ? 1 : K, aCol = transposeA ? M : 1;
  const cBase = s.rowOffset * P;
  for (let i0 = 0; i0 < M; i0 += rowBlock) {
    const i1 = Math.min(i0 + rowBlock, M);
    for (let k0 = 0; k0 < K; k0 += kBlock) {
      const k1 = Math.min(k0 + kBlock, K);
      const k4 = k0 + ((k1 - k0) & ~3);
      for (let i = i0; i < i1; i++) {
        const ci = cBase + i * P;
        const ai = i * aRow;
        let k = k0;
        for (; k < k4; k += 4) {
          const a0 = a[ai + k * aCol], a1 = a[ai + (k + 1) * aCol];
          const a2 = a[ai + (k + 2) * aCol], a3 = a[ai + (k + 3) * aCol];
          const b0 = k * P, b1 = b0 + P, b2 = b1 + P, b3 = b2 + P;
          for (let j = 0; j < P; j++) {
            c[ci + j] += a0 * b[b0 + j] + a1 * b[b1 + j] + a2 * b[b2 + j] + a3 * b[b3 + j];
          }
        }
        for (; k < k1; k++) {
          const a0 = a[ai + k * aCol];
          const b0 = k * P;
          for (let j = 0; j < P; j++) {
            c[ci + j] += a0 * b[b0 + j];
          }
        }
      }
    }
  }
}

function dotOrder(c: Float32Array, a: ArrayLike<number>, b: ArrayLike<number>, s: MatMulAccumulateShape, blocks: Blocks): void {
  const {M, K, P, transposeA} = s;
  const kSpan = blocks.kBlock * 16;
  const aRow = transposeA ? 1 : K, aCol = transposeA ? M : 1;
  const cBase = s.rowOffset * P;
  // B(k, j) = b[j·K + k]
  for (let k0 = 0; k0 < K; k0 += kSpan) {
    const k1 = Math.min(k0 + kSpan, K);
    for (let i = 0; i < M; i += 2) {
      const two = i + 1 < M;
      const a0 = i * aRow, a1 = two ? (i + 1) * aRow : a0;
      for (let j = 0; j < P; j += 2) {
        const twoJ = j + 1 < P;
        const b0 = j * K, b1 = twoJ ? (j + 1) * K : b0;
        let s00 = 0, s01 = 0, s10 = 0, s11 = 0;
        for (let k = k0; k < k1; k++) {
          const x0 = a[a0 + k * aCol], x1 = a[a1 + k * aCol];
          const y0 = b[b0 + k], y1 = b[b1 + k];
          s00 += x0 * y0;
          s01 += x0 * y1;
          s10 += x1 * y0;
          s11 += x1 * y1;
        }
        const c0 = cBase + i * P + j;
        c[c0] += s00;
        if (twoJ) c[c0 + 1] += s01;
        if (two) {
          c[c0 + P] += s10;
          if (twoJ) c[c0 + P + 1] += s11;
        }
      }
    }
  }
}

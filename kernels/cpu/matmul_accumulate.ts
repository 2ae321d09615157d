/**
 * The arithmetic of the cpu `MatMulAccumulate` kernel (MatMulAccumulate.ts):
 *
 *     c[(rowOffset + i)·P + j] += Σ_k A(i, k)·B(k, j)      i < M, j < P, k < K
 *
 * with A = a ([M, K]) or aᵀ (a is [K, M]) and B = b ([K, P]) or bᵀ (b is
 * [P, K]), written into `c` itself (no output array).
 *
 * Two loop orders, chosen by where B's inner index is contiguous:
 *  - B not transposed (row k of B is contiguous): "axpy" order. For 4 rows i
 *    of C and a group of 4 k's, c[i, :] += a(i,k)·B[k] + … + a(i,k+3)·B[k+3]:
 *    the 4 loaded elements of B feed 4 rows (16 multiply-adds per 4 loads of
 *    B and 4 loads and stores of c), each 4-term sum in float64 (JavaScript
 *    numbers), rounded to float32 once per group. Rows of C are taken in
 *    blocks of ROW_BLOCK and k in blocks of K_BLOCK so that the K_BLOCK rows
 *    of B being streamed stay in L2 while a block of C rows is hot.
 *  - B transposed (row j of b is contiguous in k): "dot" order, 2 rows of C ×
 *    4 columns per sweep of k (8 float64 accumulators, 6 loads per 8
 *    multiply-adds), k in spans of 16·K_BLOCK so the rows stay in L1/L2.
 * Every element of c receives the same sums in the same order whatever the
 * blocking (the register blocks only share loads), so results are bitwise
 * those of the one-row loops that came before.
 *
 * The blocks were chosen by measurement (benchmarks/matmul_accumulate.cpu.ts;
 * figures in kernels/cpu/README.md, "GEMM blocks").
 */
import type {MatMulAccumulateShape} from '../linear_cross_entropy_checks';

/**
 * Rows of C per block (axpy order): 32 rows × H = 512 floats = 64 KiB; k per
 * block: 64 rows of B × 512 floats = 128 KiB, within a 512 KiB L2 (the sweep:
 * kernels/cpu/README.md, "GEMM blocks").
 */
const ROW_BLOCK = 32;
const K_BLOCK = 64;

/**
 * Columns of C per block in the dot order: 64 rows of b (64 × H = 512 floats =
 * 128 KiB). Without it, the chunk's logits h·Wᵀ (128 × 512 × 32000) streamed
 * all of W (62.5 MiB, beyond the caches) once per pair of rows (the sweep:
 * kernels/cpu/README.md, "GEMM blocks").
 */
const DOT_COL_BLOCK = 64;

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
    const i4 = i0 + ((i1 - i0) & ~3);
    for (let k0 = 0; k0 < K; k0 += kBlock) {
      const k1 = Math.min(k0 + kBlock, K);
      const k4 = k0 + ((k1 - k0) & ~3);
      // 4 rows of C × 4 k per sweep of j: each loaded row element of B feeds 4 rows.
      for (let i = i0; i < i4; i += 4) {
        const ci = cBase + i * P, ai = i * aRow;
        for (let k = k0; k < k4; k += 4) {
          const p0 = ai + k * aCol, p1 = p0 + aRow, p2 = p1 + aRow, p3 = p2 + aRow;
          const a00 = a[p0], a01 = a[p0 + aCol], a02 = a[p0 + 2 * aCol], a03 = a[p0 + 3 * aCol];
          const a10 = a[p1], a11 = a[p1 + aCol], a12 = a[p1 + 2 * aCol], a13 = a[p1 + 3 * aCol];
          const a20 = a[p2], a21 = a[p2 + aCol], a22 = a[p2 + 2 * aCol], a23 = a[p2 + 3 * aCol];
          const a30 = a[p3], a31 = a[p3 + aCol], a32 = a[p3 + 2 * aCol], a33 = a[p3 + 3 * aCol];
          const b0 = k * P, b1 = b0 + P, b2 = b1 + P, b3 = b2 + P;
          for (let j = 0; j < P; j++) {
            const y0 = b[b0 + j], y1 = b[b1 + j], y2 = b[b2 + j], y3 = b[b3 + j];
            c[ci + j] += a00 * y0 + a01 * y1 + a02 * y2 + a03 * y3;
            c[ci + P + j] += a10 * y0 + a11 * y1 + a12 * y2 + a13 * y3;
            c[ci + 2 * P + j] += a20 * y0 + a21 * y1 + a22 * y2 + a23 * y3;
            c[ci + 3 * P + j] += a30 * y0 + a31 * y1 + a32 * y2 + a33 * y3;
          }
        }
      }
      // The rest: the k tail of those rows, and the last < 4 rows of the block.
      for (let i = i0; i < i1; i++) {
        axpyRow(c, a, b, cBase + i * P, i * aRow, aCol, P, i < i4 ? k4 : k0, k1);
      }
    }
  }
}

/** c[ci + j] += Σ_{k ∈ [kFrom, kTo)} a[ai + k·aCol]·b[k·P + j], 4 k per sweep of j, then single k. */
function axpyRow(c: Float32Array, a: ArrayLike<number>, b: ArrayLike<number>, ci: number, ai: number, aCol: number, P: number,
                 kFrom: number, kTo: number): void {
  let k = kFrom;
  for (; k + 3 < kTo; k += 4) {
    const a0 = a[ai + k * aCol], a1 = a[ai + (k + 1) * aCol];
    const a2 = a[ai + (k + 2) * aCol], a3 = a[ai + (k + 3) * aCol];
    const b0 = k * P, b1 = b0 + P, b2 = b1 + P, b3 = b2 + P;
    for (let j = 0; j < P; j++) {
      c[ci + j] += a0 * b[b0 + j] + a1 * b[b1 + j] + a2 * b[b2 + j] + a3 * b[b3 + j];
    }
  }
  for (; k < kTo; k++) {
    const a0 = a[ai + k * aCol];
    const b0 = k * P;
    for (let j = 0; j < P; j++) {
      c[ci + j] += a0 * b[b0 + j];
    }
  }
}

function dotOrder(c: Float32Array, a: ArrayLike<number>, b: ArrayLike<number>, s: MatMulAccumulateShape, blocks: Blocks): void {
  const {M, K, P, transposeA} = s;
  const kSpan = blocks.kBlock * 16;
  const aRow = transposeA ? 1 : K, aCol = transposeA ? M : 1;
  const cBase = s.rowOffset * P;
  const i2 = M & ~1, j4 = P & ~3;
  // B(k, j) = b[j·K + k]
  for (let k0 = 0; k0 < K; k0 += kSpan) {
    const k1 = Math.min(k0 + kSpan, K);
    // Columns in blocks of DOT_COL_BLOCK (their rows of b stay in L2 while every row of C passes),
    // 2 rows of C × 4 columns per sweep of k: 8 float64 sums from 6 loads.
    for (let jb = 0; jb < j4; jb += DOT_COL_BLOCK) {
      const jEnd = Math.min(jb + DOT_COL_BLOCK, j4);
      for (let i = 0; i < i2; i += 2) {
        const p0 = i * aRow, p1 = p0 + aRow;
        for (let j = jb; j < jEnd; j += 4) {
          const q0 = j * K, q1 = q0 + K, q2 = q1 + K, q3 = q2 + K;
          let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
          for (let k = k0; k < k1; k++) {
            const x0 = a[p0 + k * aCol], x1 = a[p1 + k * aCol];
            const y0 = b[q0 + k], y1 = b[q1 + k], y2 = b[q2 + k], y3 = b[q3 + k];
            s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3;
            s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3;
          }
          const c0 = cBase + i * P + j, c1 = c0 + P;
          c[c0] += s00; c[c0 + 1] += s01; c[c0 + 2] += s02; c[c0 + 3] += s03;
          c[c1] += s10; c[c1 + 1] += s11; c[c1 + 2] += s12; c[c1 + 3] += s13;
        }
      }
    }
    // The edges (the last odd row, the last < 4 columns): one output at a time.
    for (let i = 0; i < M; i++) {
      const ai = i * aRow;
      for (let j = i < i2 ? j4 : 0; j < P; j++) {
        const bj = j * K;
        let sum = 0;
        for (let k = k0; k < k1; k++) {
          sum += a[ai + k * aCol] * b[bj + k];
        }
        c[cBase + i * P + j] += sum;
      }
    }
  }
}

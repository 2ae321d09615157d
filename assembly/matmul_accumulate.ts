/**
 * The linear cross-entropy's GEMM accumulate, c += A·B, in WebAssembly
 * 128-bit SIMD: the loops of kernels/cpu/matmul_accumulate.ts over packed
 * tiles. The host (kernels/cpu/matmul_accumulate_simd.ts) copies a tile of
 * each operand into the module's memory, contiguous, and calls one of:
 *
 *  - gemmAxpy: c [M, P] += A · b [K, P]  (B's row k contiguous), A = a [M, K]
 *    or, with transA, aᵀ (a is [K, M])
 *  - gemmDot:  c [M, P] += a [M, K] · bᵀ, b [P, K]  (B's column j contiguous)
 *
 * Arithmetic: products and sums in float32 lanes; each element of c gets
 * the sum over this call's k (at most the host's k tile) in registers, then
 * one add into c. No data, globals or stack (the module's memory contract:
 * kernels/simd/README.md).
 */

/** c[i, j] += Σ_k A(i, k)·b[k, j]; 4 rows × 8 columns of c per register block. */
export function gemmAxpy(c: usize, a: usize, b: usize, M: i32, K: i32, P: i32, transA: i32): void {
  const P8 = P & ~7;
  const M4 = M & ~3;
  // A(i, k) at a + i·rowA + k·colA (bytes).
  const rowA: usize = transA ? 4 : <usize>K << 2, colA: usize = transA ? <usize>M << 2 : 4;
  const rowB = <usize>P << 2, rowC = <usize>P << 2;
  let i = 0;
  for (; i < M4; i += 4) {
    const a0 = a + <usize>i * rowA, c0 = c + <usize>i * rowC;
    for (let j = 0; j < P8; j += 8) {
      const bj = b + (<usize>j << 2), cj = c0 + (<usize>j << 2);
      let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s10 = f32x4.splat(0), s11 = f32x4.splat(0);
      let s20 = f32x4.splat(0), s21 = f32x4.splat(0), s30 = f32x4.splat(0), s31 = f32x4.splat(0);
      for (let k = 0; k < K; k++) {
        const pb = bj + <usize>k * rowB;
        const y0 = v128.load(pb), y1 = v128.load(pb, 16);
        const pa = a0 + <usize>k * colA;
        const x0 = f32x4.splat(load<f32>(pa)), x1 = f32x4.splat(load<f32>(pa + rowA));
        const x2 = f32x4.splat(load<f32>(pa + 2 * rowA)), x3 = f32x4.splat(load<f32>(pa + 3 * rowA));
        s00 = f32x4.add(s00, f32x4.mul(x0, y0)); s01 = f32x4.add(s01, f32x4.mul(x0, y1));
        s10 = f32x4.add(s10, f32x4.mul(x1, y0)); s11 = f32x4.add(s11, f32x4.mul(x1, y1));
        s20 = f32x4.add(s20, f32x4.mul(x2, y0)); s21 = f32x4.add(s21, f32x4.mul(x2, y1));
        s30 = f32x4.add(s30, f32x4.mul(x3, y0)); s31 = f32x4.add(s31, f32x4.mul(x3, y1));
      }
      v128.store(cj, f32x4.add(v128.load(cj), s00)); v128.store(cj, f32x4.add(v128.load(cj, 16), s01), 16);
      const cj1 = cj + rowC, cj2 = cj1 + rowC, cj3 = cj2 + rowC;
      v128.store(cj1, f32x4.add(v128.load(cj1), s10)); v128.store(cj1, f32x4.add(v128.load(cj1, 16), s11), 16);
      v128.store(cj2, f32x4.add(v128.load(cj2), s20)); v128.store(cj2, f32x4.add(v128.load(cj2, 16), s21), 16);
      v128.store(cj3, f32x4.add(v128.load(cj3), s30)); v128.store(cj3, f32x4.add(v128.load(cj3, 16), s31), 16);
    }
    for (let r = 0; r < 4; r++) axpyTail(c + <usize>(i + r) * rowC, a + <usize>(i + r) * rowA, colA, b, K, P, P8);
  }
  for (; i < M; i++) {
    const ai = a + <usize>i * rowA, ci = c + <usize>i * rowC;
    for (let j = 0; j < P8; j += 8) {
      const bj = b + (<usize>j << 2), cj = ci + (<usize>j << 2);
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
      for (let k = 0; k < K; k++) {
        const pb = bj + <usize>k * rowB;
        const x = f32x4.splat(load<f32>(ai + <usize>k * colA));
        s0 = f32x4.add(s0, f32x4.mul(x, v128.load(pb)));
        s1 = f32x4.add(s1, f32x4.mul(x, v128.load(pb, 16)));
      }
      v128.store(cj, f32x4.add(v128.load(cj), s0));
      v128.store(cj, f32x4.add(v128.load(cj, 16), s1), 16);
    }
    axpyTail(ci, ai, colA, b, K, P, P8);
  }
}

/** The last P − P8 (< 8) columns of one row of c, one at a time. */
// @ts-ignore: decorator
@inline
function axpyTail(ci: usize, ai: usize, colA: usize, b: usize, K: i32, P: i32, P8: i32): void {
  for (let j = P8; j < P; j++) {
    let s: f32 = 0;
    for (let k = 0; k < K; k++) {
      s += load<f32>(ai + <usize>k * colA) * load<f32>(b + ((<usize>k * <usize>P + <usize>j) << 2));
    }
    store<f32>(ci + (<usize>j << 2), load<f32>(ci + (<usize>j << 2)) + s);
  }
}

/** Σ of the four lanes. */
// @ts-ignore: decorator
@inline
function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** Four float32 values as one vector. */
// @ts-ignore: decorator
@inline
function lanes(x0: f32, x1: f32, x2: f32, x3: f32): v128 {
  return f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(x0), 1, x1), 2, x2), 3, x3);
}

/** c[i, j] += Σ_k a[i, k]·b[j, k]; 2 rows × 4 columns of c per register block, 4 k per lane step. */
export function gemmDot(c: usize, a: usize, b: usize, M: i32, K: i32, P: i32): void {
  const K4 = K & ~3;
  const M2 = M & ~1, P4 = P & ~3;
  const row = <usize>K << 2, rowC = <usize>P << 2;
  for (let i = 0; i < M2; i += 2) {
    const a0 = a + <usize>i * row, a1 = a0 + row;
    const c0 = c + <usize>i * rowC, c1 = c0 + rowC;
    for (let j = 0; j < P4; j += 4) {
      const b0 = b + <usize>j * row, b1 = b0 + row, b2 = b1 + row, b3 = b2 + row;
      let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s02 = f32x4.splat(0), s03 = f32x4.splat(0);
      let s10 = f32x4.splat(0), s11 = f32x4.splat(0), s12 = f32x4.splat(0), s13 = f32x4.splat(0);
      for (let k = 0; k < K4; k += 4) {
        const o = <usize>k << 2;
        const x0 = v128.load(a0 + o), x1 = v128.load(a1 + o);
        const y0 = v128.load(b0 + o), y1 = v128.load(b1 + o), y2 = v128.load(b2 + o), y3 = v128.load(b3 + o);
        s00 = f32x4.add(s00, f32x4.mul(x0, y0)); s01 = f32x4.add(s01, f32x4.mul(x0, y1));
        s02 = f32x4.add(s02, f32x4.mul(x0, y2)); s03 = f32x4.add(s03, f32x4.mul(x0, y3));
        s10 = f32x4.add(s10, f32x4.mul(x1, y0)); s11 = f32x4.add(s11, f32x4.mul(x1, y1));
        s12 = f32x4.add(s12, f32x4.mul(x1, y2)); s13 = f32x4.add(s13, f32x4.mul(x1, y3));
      }
      let t00 = hsum(s00), t01 = hsum(s01), t02 = hsum(s02), t03 = hsum(s03);
      let t10 = hsum(s10), t11 = hsum(s11), t12 = hsum(s12), t13 = hsum(s13);
      for (let k = K4; k < K; k++) {
        const o = <usize>k << 2;
        const x0 = load<f32>(a0 + o), x1 = load<f32>(a1 + o);
        const y0 = load<f32>(b0 + o), y1 = load<f32>(b1 + o), y2 = load<f32>(b2 + o), y3 = load<f32>(b3 + o);
        t00 += x0 * y0; t01 += x0 * y1; t02 += x0 * y2; t03 += x0 * y3;
        t10 += x1 * y0; t11 += x1 * y1; t12 += x1 * y2; t13 += x1 * y3;
      }
      const p0 = c0 + (<usize>j << 2), p1 = c1 + (<usize>j << 2);
      v128.store(p0, f32x4.add(v128.load(p0), lanes(t00, t01, t02, t03)));
      v128.store(p1, f32x4.add(v128.load(p1), lanes(t10, t11, t12, t13)));
    }
  }
  // The edges: the last odd row, the last < 4 columns.
  for (let i = 0; i < M; i++) {
    const ai = a + <usize>i * row, ci = c + <usize>i * rowC;
    for (let j = i < M2 ? P4 : 0; j < P; j++) {
      const bj = b + <usize>j * row;
      let s = f32x4.splat(0);
      for (let k = 0; k < K4; k += 4) {
        const o = <usize>k << 2;
        s = f32x4.add(s, f32x4.mul(v128.load(ai + o), v128.load(bj + o)));
      }
      let t = hsum(s);
      for (let k = K4; k < K; k++) t += load<f32>(ai + (<usize>k << 2)) * load<f32>(bj + (<usize>k << 2));
      store<f32>(ci + (<usize>j << 2), load<f32>(ci + (<usize>j << 2)) + t);
    }
  }
}

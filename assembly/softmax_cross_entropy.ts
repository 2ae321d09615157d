/**
 * Softmax cross-entropy, forward and backward, dense and sparse labels, in
 * WebAssembly 128-bit SIMD (AssemblyScript). The same math and the same saved
 * per-row statistics as the cpu kernels (kernels/FORMULAS.md,
 * kernels/cpu/row_math.ts): the forward writes loss [rows] and (m, s) [rows, 2],
 * m = max_c x (raw logit), s = Σ_c exp((x − m)/T); the backward rebuilds the
 * row's lse from them.
 *
 * Memory: every array is a byte offset into the one imported memory
 * (`env.memory`). The module has no data segment, no stack and no globals that
 * live in memory: it reads and writes only the arrays it is given, so it can run
 * on another module's heap (tfjs-backend-wasm's) as well as on its own.
 *
 * exp: exp(x) = 2^u, u = x·log2(e), split u = n + f, n = round(u), |f| ≤ ½;
 * 2^f by a degree-6 polynomial in float32 lanes, 2^n built in the exponent
 * bits. The argument is formed as (x − m)·k, k = log2(e)/T, with m the row max:
 * x − m is exact wherever the term matters (Sterbenz) and otherwise off by
 * ½ ulp of itself, so each term carries a relative error of a few float32
 * ulps, independent of the logits' scale. u below −127 gives exactly 0 (the
 * 2^n bits are 0); NaN stays NaN. Row sums and the label terms accumulate in
 * float64 lanes; per-row scalars (lse, loss, gradient scales) are float64.
 */

import {exp2d, exp2ds, exp2neg, exp2s, expMinus, expMinusS, expNonPos, expNonPosS, laneMax, ldTail, ln, log1pUnitS, log1pUnitV, LOG2E,
        rowMax} from './row_math';

// The focal kernels (their own file; they share row_math.ts with these).
export * from './focal_cross_entropy';

// The linear cross-entropy's GEMM accumulate (its own file; no shared helpers).
export * from './matmul_accumulate';

// The one-hot scan of dense labels (its own file; no shared helpers).
export * from './one_hot_labels';


/** (e0 + e1) + (e2 + e3), e_j = 2^((x − m)·k) of the four vectors at p (16 floats). */
// @ts-ignore: decorator
@inline
function expTree16(p: usize, mv: v128, kv: v128): v128 {
  const e0 = exp2neg(f32x4.mul(f32x4.sub(v128.load(p), mv), kv));
  const e1 = exp2neg(f32x4.mul(f32x4.sub(v128.load(p, 16), mv), kv));
  const e2 = exp2neg(f32x4.mul(f32x4.sub(v128.load(p, 32), mv), kv));
  const e3 = exp2neg(f32x4.mul(f32x4.sub(v128.load(p, 48), mv), kv));
  return f32x4.add(f32x4.add(e0, e1), f32x4.add(e2, e3));
}

/** The max of four vectors at q (16 floats) folded into acc, in order (as rowMax folds them). */
// @ts-ignore: decorator
@inline
function maxFold16(acc: v128, q: usize): v128 {
  acc = f32x4.pmax(acc, v128.load(q));
  acc = f32x4.pmax(acc, v128.load(q, 16));
  acc = f32x4.pmax(acc, v128.load(q, 32));
  return f32x4.pmax(acc, v128.load(q, 48));
}

/**
 * s = Σ_c 2^((x − m)·k) over the row. Four vectors (16 terms) are added in
 * float32 as a tree (at most 3 roundings per term), their sum in float64.
 *
 * The same loop reads the row at `next` and stores its max at `nextMax`,
 * bitwise rowMax(next, C) (the same pmax folds in the same order): the
 * forward passes the next row, so that row's loads overlap this row's exps
 * instead of a max pass of their own (about a tenth of the forward).
 *
 * The sweeps here take 8 or 4 vectors per loop iteration, not one: V8
 * (TurboFan) builds every v128 constant of the exp (three instructions each)
 * inside the loop, in every iteration, so one vector per iteration spends
 * about a third of its instructions on constants. The unrolled loops do the
 * same arithmetic in the same order (results bitwise those of one vector
 * per iteration).
 */
function rowSumExp(x: usize, C: i32, m: f32, k: f32, next: usize, nextMax: usize): f64 {
  const mv = f32x4.splat(m), kv = f32x4.splat(k);
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
  let acc = f32x4.splat(-Infinity);
  let c = 0;
  for (; c + 32 <= C; c += 32) {
    const p = x + (<usize>c << 2), q = next + (<usize>c << 2);
    acc = maxFold16(maxFold16(acc, q), q + 64);
    const e = expTree16(p, mv, kv), g = expTree16(p + 64, mv, kv);
    s0 = f64x2.add(s0, f64x2.promote_low_f32x4(e));
    s1 = f64x2.add(s1, f64x2.promote_low_f32x4(v128.shuffle<f32>(e, e, 2, 3, 0, 1)));
    s0 = f64x2.add(s0, f64x2.promote_low_f32x4(g));
    s1 = f64x2.add(s1, f64x2.promote_low_f32x4(v128.shuffle<f32>(g, g, 2, 3, 0, 1)));
  }
  for (; c + 16 <= C; c += 16) {
    acc = maxFold16(acc, next + (<usize>c << 2));
    const e = expTree16(x + (<usize>c << 2), mv, kv);
    s0 = f64x2.add(s0, f64x2.promote_low_f32x4(e));
    s1 = f64x2.add(s1, f64x2.promote_low_f32x4(v128.shuffle<f32>(e, e, 2, 3, 0, 1)));
  }
  for (; c + 4 <= C; c += 4) {
    acc = f32x4.pmax(acc, v128.load(next + (<usize>c << 2)));
    const e = exp2neg(f32x4.mul(f32x4.sub(v128.load(x + (<usize>c << 2)), mv), kv));
    s0 = f64x2.add(s0, f64x2.promote_low_f32x4(e));
    s1 = f64x2.add(s1, f64x2.promote_low_f32x4(v128.shuffle<f32>(e, e, 2, 3, 0, 1)));
  }
  s0 = f64x2.add(s0, s1);
  let s = f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1);
  let mn = laneMax(acc);
  for (; c < C; c++) {
    s += <f64>exp2s((load<f32>(x + (<usize>c << 2)) - m) * k);
    const v = load<f32>(next + (<usize>c << 2));
    if (v > mn) mn = v;
  }
  store<f32>(nextMax, mn);
  return s;
}

/**
 * (m, s) of row x, m its max (rowMax), with the scalar kernels' special rows:
 * +∞ max → s NaN; all −∞ → s 0. Stores the max of the row at `next` at
 * `nextMax` (see rowSumExp). Returns lse.
 */
function rowStats(x: usize, C: i32, m: f32, invT: f64, stats: usize, next: usize, nextMax: usize): f64 {
  let s: f64;
  if (m == Infinity) {
    s = NaN;
    store<f32>(nextMax, rowMax(next, C));
  } else if (m == -Infinity) {
    s = 0;
    store<f32>(nextMax, rowMax(next, C));
  } else {
    s = rowSumExp(x, C, m, <f32>(LOG2E * invT), next, nextMax);
  }
  store<f32>(stats, m);
  store<f32>(stats, <f32>s, 4);
  return <f64>m * invT + ln(s);
}

/**
 * rowStats of row i of the forward's x [rows, C] (rowBytes = 4C), with stats
 * [rows, 2]: m comes from the slot where row i − 1 stored it (row 0 takes
 * rowMax), and row i + 1's max goes into its own m slot; the last row
 * reads itself again and stores its own max (bitwise m) in its own slot.
 */
// @ts-ignore: decorator
@inline
function forwardRowStats(x: usize, i: i32, rows: i32, rowBytes: usize, invT: f64, stats: usize): f64 {
  const xr = x + <usize>i * rowBytes, st = stats + (<usize>i << 3);
  const C = <i32>(rowBytes >> 2);
  const m = i == 0 ? rowMax(xr, C) : load<f32>(st);
  const last = i + 1 == rows;
  return rowStats(xr, C, m, invT, st, last ? xr : xr + rowBytes, last ? st : st + 8);
}

/** lse = m/T + log s from a saved (m, s). */
// @ts-ignore: decorator
@inline
function savedLse(stats: usize, invT: f64): f64 {
  return <f64>load<f32>(stats) * invT + ln(<f64>load<f32>(stats, 4));
}

/**
 * Dense forward. x, y: [rows, C] f32; w: C f32 class weights or 0 (none);
 * ŷ = keep·y + base. Writes loss [rows] f32 and stats [rows, 2] f32.
 * loss = W'·lse − S + λ·lse², W' = Σ_{ŷ≠0} w·ŷ, S = Σ_{ŷ≠0} w·ŷ·x/T.
 */
export function denseForward(x: usize, y: usize, rows: i32, C: i32, invT: f64, keep: f32, base: f32, w: usize,
                             zLoss: f64, loss: usize, stats: usize): void {
  const rowBytes = <usize>C << 2;
  const keepv = f32x4.splat(keep), basev = f32x4.splat(base), zero = f32x4.splat(0);
  for (let i = 0; i < rows; i++) {
    const xr = x + <usize>i * rowBytes, yr = y + <usize>i * rowBytes;
    const lse = forwardRowStats(x, i, rows, rowBytes, invT, stats);
    let mass0 = f64x2.splat(0), dot0 = f64x2.splat(0), mass1 = f64x2.splat(0), dot1 = f64x2.splat(0);
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const off = <usize>c << 2;
      let yh = v128.load(yr + off);
      if (base == 0) {
        if (!v128.any_true(f32x4.ne(yh, zero))) continue;  // one-hot rows: a scan
        if (keep != 1) yh = f32x4.mul(yh, keepv);
      } else {
        yh = f32x4.add(f32x4.mul(yh, keepv), basev);
      }
      if (w != 0) yh = f32x4.mul(yh, v128.load(w + off));
      const nz = f32x4.ne(yh, zero);  // ŷ = 0 skipped, not multiplied: 0·(−∞) would be NaN
      const xv = v128.and(v128.load(xr + off), nz);
      yh = v128.and(yh, nz);
      const ylo = f64x2.promote_low_f32x4(yh), yhi = f64x2.promote_low_f32x4(v128.shuffle<f32>(yh, yh, 2, 3, 0, 1));
      const xlo = f64x2.promote_low_f32x4(xv), xhi = f64x2.promote_low_f32x4(v128.shuffle<f32>(xv, xv, 2, 3, 0, 1));
      mass0 = f64x2.add(mass0, ylo);
      mass1 = f64x2.add(mass1, yhi);
      dot0 = f64x2.add(dot0, f64x2.mul(ylo, xlo));
      dot1 = f64x2.add(dot1, f64x2.mul(yhi, xhi));
    }
    mass0 = f64x2.add(mass0, mass1);
    dot0 = f64x2.add(dot0, dot1);
    let mass = f64x2.extract_lane(mass0, 0) + f64x2.extract_lane(mass0, 1);
    let dot = f64x2.extract_lane(dot0, 0) + f64x2.extract_lane(dot0, 1);
    for (; c < C; c++) {
      let yh = keep * load<f32>(yr + (<usize>c << 2)) + base;
      if (w != 0) yh *= load<f32>(w + (<usize>c << 2));
      if (yh != 0) {
        mass += <f64>yh;
        dot += <f64>yh * <f64>load<f32>(xr + (<usize>c << 2));
      }
    }
    store<f32>(loss + (<usize>i << 2), <f32>(mass * lse - dot * invT + zLoss * lse * lse));
  }
}

/**
 * Sparse forward. t: [rows] i32 labels; rows whose label is `ignore` (when
 * hasIgnore) give loss 0, a label outside [0, C) gives NaN for its row (the
 * cpu backend's caller checks the labels first and throws instead). w: C f32 weights or 0;
 * sumW = Σ w (or C). eps: label smoothing.
 */
export function sparseForward(x: usize, t: usize, rows: i32, C: i32, invT: f64, eps: f64, w: usize, sumW: f64,
                              zLoss: f64, hasIgnore: bool, ignore: i32, loss: usize, stats: usize): void {
  const rowBytes = <usize>C << 2;
  for (let i = 0; i < rows; i++) {
    const xr = x + <usize>i * rowBytes;
    const lse = forwardRowStats(x, i, rows, rowBytes, invT, stats);
    const target = load<i32>(t + (<usize>i << 2));
    if (hasIgnore && target == ignore) {
      store<f32>(loss + (<usize>i << 2), 0);
      continue;
    }
    if (<u32>target >= <u32>C) {
      store<f32>(loss + (<usize>i << 2), NaN);
      continue;
    }
    const wt: f64 = w != 0 ? <f64>load<f32>(w + (<usize>target << 2)) : 1;
    let l = (1 - eps) * wt * (lse - <f64>load<f32>(xr + (<usize>target << 2)) * invT);
    if (eps != 0) {
      let smoothDot: f64 = 0;
      for (let c = 0; c < C; c++) {
        const wc: f64 = w != 0 ? <f64>load<f32>(w + (<usize>c << 2)) : 1;
        smoothDot += wc * <f64>load<f32>(xr + (<usize>c << 2));
      }
      l += (eps / <f64>C) * (sumW * lse - smoothDot * invT);
    }
    store<f32>(loss + (<usize>i << 2), <f32>(l + zLoss * lse * lse));
  }
}

/**
 * out[c] = a·2^((x[c] − m)·k) − b·v[c] over one row (v = 0: no second term),
 * out[c] may alias x[c] (each element is read before it is written).
 * Needs (x[c] − m)·k ≤ 127 (exp2neg): m the row max (or any bound above it).
 */
function rowExpAxpy(x: usize, out: usize, C: i32, m: f32, k: f32, a: f32, v: usize, b: f32): void {
  const mv = f32x4.splat(m), kv = f32x4.splat(k), av = f32x4.splat(a), bv = f32x4.splat(b);
  let c = 0;
  if (v == 0) {
    // eight vectors per iteration (see rowSumExp)
    for (; c + 32 <= C; c += 32) {
      const p = x + (<usize>c << 2), o = out + (<usize>c << 2);
      const e0 = exp2neg(f32x4.mul(f32x4.sub(v128.load(p), mv), kv));
      const e1 = exp2neg(f32x4.mul(f32x4.sub(v128.load(p, 16), mv), kv));
      const e2 = exp2neg(f32x4.mul(f32x4.sub(v128.load(p, 32), mv), kv));
      const e3 = exp2neg(f32x4.mul(f32x4.sub(v128.load(p, 48), mv), kv));
      const e4 = exp2neg(f32x4.mul(f32x4.sub(v128.load(p, 64), mv), kv));
      const e5 = exp2neg(f32x4.mul(f32x4.sub(v128.load(p, 80), mv), kv));
      const e6 = exp2neg(f32x4.mul(f32x4.sub(v128.load(p, 96), mv), kv));
      const e7 = exp2neg(f32x4.mul(f32x4.sub(v128.load(p, 112), mv), kv));
      v128.store(o, f32x4.mul(av, e0));
      v128.store(o, f32x4.mul(av, e1), 16);
      v128.store(o, f32x4.mul(av, e2), 32);
      v128.store(o, f32x4.mul(av, e3), 48);
      v128.store(o, f32x4.mul(av, e4), 64);
      v128.store(o, f32x4.mul(av, e5), 80);
      v128.store(o, f32x4.mul(av, e6), 96);
      v128.store(o, f32x4.mul(av, e7), 112);
    }
    for (; c + 4 <= C; c += 4) {
      const off = <usize>c << 2;
      const e = exp2neg(f32x4.mul(f32x4.sub(v128.load(x + off), mv), kv));
      v128.store(out + off, f32x4.mul(av, e));
    }
    for (; c < C; c++) {
      const off = <usize>c << 2;
      store<f32>(out + off, a * exp2s((load<f32>(x + off) - m) * k));
    }
  } else {
    for (; c + 32 <= C; c += 32) {
      const off = <usize>c << 2;
      const p = x + off, o = out + off, q = v + off;
      const e0 = exp2neg(f32x4.mul(f32x4.sub(v128.load(p), mv), kv));
      const e1 = exp2neg(f32x4.mul(f32x4.sub(v128.load(p, 16), mv), kv));
      const e2 = exp2neg(f32x4.mul(f32x4.sub(v128.load(p, 32), mv), kv));
      const e3 = exp2neg(f32x4.mul(f32x4.sub(v128.load(p, 48), mv), kv));
      const e4 = exp2neg(f32x4.mul(f32x4.sub(v128.load(p, 64), mv), kv));
      const e5 = exp2neg(f32x4.mul(f32x4.sub(v128.load(p, 80), mv), kv));
      const e6 = exp2neg(f32x4.mul(f32x4.sub(v128.load(p, 96), mv), kv));
      const e7 = exp2neg(f32x4.mul(f32x4.sub(v128.load(p, 112), mv), kv));
      v128.store(o, f32x4.sub(f32x4.mul(av, e0), f32x4.mul(bv, v128.load(q))));
      v128.store(o, f32x4.sub(f32x4.mul(av, e1), f32x4.mul(bv, v128.load(q, 16))), 16);
      v128.store(o, f32x4.sub(f32x4.mul(av, e2), f32x4.mul(bv, v128.load(q, 32))), 32);
      v128.store(o, f32x4.sub(f32x4.mul(av, e3), f32x4.mul(bv, v128.load(q, 48))), 48);
      v128.store(o, f32x4.sub(f32x4.mul(av, e4), f32x4.mul(bv, v128.load(q, 64))), 64);
      v128.store(o, f32x4.sub(f32x4.mul(av, e5), f32x4.mul(bv, v128.load(q, 80))), 80);
      v128.store(o, f32x4.sub(f32x4.mul(av, e6), f32x4.mul(bv, v128.load(q, 96))), 96);
      v128.store(o, f32x4.sub(f32x4.mul(av, e7), f32x4.mul(bv, v128.load(q, 112))), 112);
    }
    for (; c + 4 <= C; c += 4) {
      const off = <usize>c << 2;
      const e = exp2neg(f32x4.mul(f32x4.sub(v128.load(x + off), mv), kv));
      v128.store(out + off, f32x4.sub(f32x4.mul(av, e), f32x4.mul(bv, v128.load(v + off))));
    }
    for (; c < C; c++) {
      const off = <usize>c << 2;
      store<f32>(out + off, a * exp2s((load<f32>(x + off) - m) * k) - b * load<f32>(v + off));
    }
  }
}

/**
 * out[c] = a·2^((x[c] − m)·k) − b·v[c] over one row, where the two terms may
 * cancel (v = the labels, w·ŷ): four lanes whose v are all 0 take the float32
 * exp; the others exp and difference in float64 lanes (p − y must not lose
 * digits in float32), as the scalar kernels do. One-hot rows are thus almost
 * all float32; soft-label rows float64. out may alias x or v.
 */
function rowExpAxpyExact(x: usize, out: usize, C: i32, m: f32, k: f64, a: f64, v: usize, b: f64): void {
  const mv = f32x4.splat(m), kv = f32x4.splat(<f32>k), av = f32x4.splat(<f32>a), zero = f32x4.splat(0);
  const md = f64x2.splat(<f64>m), kd = f64x2.splat(k), ad = f64x2.splat(a), bd = f64x2.splat(b);
  let c = 0;
  for (; c + 4 <= C; c += 4) {
    const off = <usize>c << 2;
    const xv = v128.load(x + off), vv = v128.load(v + off);
    if (!v128.any_true(f32x4.ne(vv, zero))) {
      v128.store(out + off, f32x4.mul(av, exp2neg(f32x4.mul(f32x4.sub(xv, mv), kv))));
      continue;
    }
    const xh = v128.shuffle<f32>(xv, xv, 2, 3, 0, 1), vh = v128.shuffle<f32>(vv, vv, 2, 3, 0, 1);
    const lo = f64x2.sub(f64x2.mul(ad, exp2d(f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(xv), md), kd))),
                         f64x2.mul(bd, f64x2.promote_low_f32x4(vv)));
    const hi = f64x2.sub(f64x2.mul(ad, exp2d(f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(xh), md), kd))),
                         f64x2.mul(bd, f64x2.promote_low_f32x4(vh)));
    v128.store(out + off, v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5));
  }
  for (; c < C; c++) {
    const off = <usize>c << 2;
    store<f32>(out + off, <f32>(a * exp2ds((<f64>load<f32>(x + off) - <f64>m) * k) - b * <f64>load<f32>(v + off)));
  }
}

/**
 * After a float32 sweep out[c] = a·2^((x[c] − m)·k) − b·v[c] (rowExpAxpy),
 * the four-lane groups where v ≠ 0 again in float64 (rowExpAxpyExact's
 * float64 branch). v must not alias out. One-hot rows: one group per row.
 */
function fixNonzeroExact(x: usize, out: usize, C: i32, m: f32, k: f64, a: f64, v: usize, b: f64): void {
  const zero = f32x4.splat(0);
  const md = f64x2.splat(<f64>m), kd = f64x2.splat(k), ad = f64x2.splat(a), bd = f64x2.splat(b);
  let c = 0;
  while (c + 4 <= C) {
    // 16 entries whose v are all ±0 at a time (most of a one-hot row)
    if (c + 16 <= C) {
      const q = v + (<usize>c << 2);
      const any = v128.or(v128.or(v128.load(q), v128.load(q, 16)), v128.or(v128.load(q, 32), v128.load(q, 48)));
      if (!v128.any_true(f32x4.ne(any, zero))) {
        c += 16;
        continue;
      }
    }
    const off = <usize>c << 2;
    c += 4;
    const vv = v128.load(v + off);
    if (!v128.any_true(f32x4.ne(vv, zero))) continue;
    const xv = v128.load(x + off);
    const xh = v128.shuffle<f32>(xv, xv, 2, 3, 0, 1), vh = v128.shuffle<f32>(vv, vv, 2, 3, 0, 1);
    const lo = f64x2.sub(f64x2.mul(ad, exp2d(f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(xv), md), kd))),
                         f64x2.mul(bd, f64x2.promote_low_f32x4(vv)));
    const hi = f64x2.sub(f64x2.mul(ad, exp2d(f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(xh), md), kd))),
                         f64x2.mul(bd, f64x2.promote_low_f32x4(vh)));
    v128.store(out + off, v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5));
  }
  for (; c < C; c++) {
    const off = <usize>c << 2;
    if (load<f32>(v + off) != 0) {
      store<f32>(out + off, <f32>(a * exp2ds((<f64>load<f32>(x + off) - <f64>m) * k) - b * <f64>load<f32>(v + off)));
    }
  }
}

/** Σ of a row of f32, float64 accumulation. */
function rowSum(a: usize, C: i32): f64 {
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
  let c = 0;
  for (; c + 4 <= C; c += 4) {
    const v = v128.load(a + (<usize>c << 2));
    // Four +0 (most of a one-hot row) add nothing: the sums start at +0 and so
    // are never −0, and s + (+0) is s bitwise. Skipping them also cuts the
    // loop-carried float64 additions.
    if (!v128.any_true(v)) continue;
    s0 = f64x2.add(s0, f64x2.promote_low_f32x4(v));
    s1 = f64x2.add(s1, f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)));
  }
  s0 = f64x2.add(s0, s1);
  let s = f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1);
  for (; c < C; c++) s += <f64>load<f32>(a + (<usize>c << 2));
  return s;
}

/**
 * Dense d/dlogits: dx = dy/T·((W + 2λ·lse)·p − w·ŷ), p = 2^((x − m)·k)/s.
 * Plain rows (keep = 1, base = 0, no weights) run one float32 sweep and redo
 * the entries with y ≠ 0 in float64 (p − y cancels there); the general rows
 * first build w·ŷ into `out`, then sweep with it as the second term, float64
 * wherever it is nonzero.
 */
export function denseGrad(x: usize, y: usize, stats: usize, dy: usize, rows: i32, C: i32, invT: f64, keep: f32,
                          base: f32, w: usize, zLoss: f64, out: usize): void {
  const rowBytes = <usize>C << 2;
  const k = <f32>(LOG2E * invT);
  const plain = keep == 1 && base == 0 && w == 0;
  const keepv = f32x4.splat(keep), basev = f32x4.splat(base);
  for (let i = 0; i < rows; i++) {
    const xr = x + <usize>i * rowBytes, yr = y + <usize>i * rowBytes, or = out + <usize>i * rowBytes;
    const st = stats + (<usize>i << 3);
    const lse = savedLse(st, invT);
    const g = <f64>load<f32>(dy + (<usize>i << 2)) * invT;
    const m = load<f32>(st), s = <f64>load<f32>(st, 4);
    let W: f64;
    if (plain) {
      W = rowSum(yr, C);
    } else {
      // out ← w·ŷ (then read back by the sweep as its second term), W = Σ w·ŷ.
      let c = 0;
      for (; c + 4 <= C; c += 4) {
        const off = <usize>c << 2;
        let yh = f32x4.add(f32x4.mul(v128.load(yr + off), keepv), basev);
        if (w != 0) yh = f32x4.mul(yh, v128.load(w + off));
        v128.store(or + off, yh);
      }
      for (; c < C; c++) {
        const off = <usize>c << 2;
        let yh = keep * load<f32>(yr + off) + base;
        if (w != 0) yh *= load<f32>(w + off);
        store<f32>(or + off, yh);
      }
      W = rowSum(or, C);
    }
    const pScale = W + 2 * zLoss * lse;
    const a = g * pScale / s;
    if (plain) {
      // float32 sweep, then the label entries (y ≠ 0) again in float64
      rowExpAxpy(xr, or, C, m, k, <f32>a, yr, <f32>g);
      fixNonzeroExact(xr, or, C, m, LOG2E * invT, a, yr, g);
    } else {
      rowExpAxpyExact(xr, or, C, m, LOG2E * invT, a, or, g);
    }
  }
}

/**
 * Dense d/dlabels: dy·(1 − ε)·w[c]·(lse − x/T), in float64 lanes (lse and x/T
 * cancel at large logit scales: a float32 difference would lose their digits).
 */
export function denseLabelsGrad(x: usize, stats: usize, dy: usize, rows: i32, C: i32, invT: f64, keep: f64,
                                w: usize, out: usize): void {
  const rowBytes = <usize>C << 2;
  const tv = f64x2.splat(invT);
  for (let i = 0; i < rows; i++) {
    const xr = x + <usize>i * rowBytes, or = out + <usize>i * rowBytes;
    const lse = savedLse(stats + (<usize>i << 3), invT);
    const scale = <f64>load<f32>(dy + (<usize>i << 2)) * keep;
    const lv = f64x2.splat(lse), sv = f64x2.splat(scale);
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const off = <usize>c << 2;
      const xv = v128.load(xr + off);
      let lo = f64x2.mul(sv, f64x2.sub(lv, f64x2.mul(f64x2.promote_low_f32x4(xv), tv)));
      let hi = f64x2.mul(sv, f64x2.sub(lv, f64x2.mul(f64x2.promote_low_f32x4(v128.shuffle<f32>(xv, xv, 2, 3, 0, 1)), tv)));
      if (w != 0) {
        const wv = v128.load(w + off);
        lo = f64x2.mul(lo, f64x2.promote_low_f32x4(wv));
        hi = f64x2.mul(hi, f64x2.promote_low_f32x4(v128.shuffle<f32>(wv, wv, 2, 3, 0, 1)));
      }
      const l32 = f32x4.demote_f64x2_zero(lo), h32 = f32x4.demote_f64x2_zero(hi);
      v128.store(or + off, v128.shuffle<f32>(l32, h32, 0, 1, 4, 5));
    }
    for (; c < C; c++) {
      const off = <usize>c << 2;
      const wc: f64 = w != 0 ? <f64>load<f32>(w + off) : 1;
      store<f32>(or + off, <f32>(scale * (lse - <f64>load<f32>(xr + off) * invT) * wc));
    }
  }
}

/**
 * Sparse d/dlogits: dx = dy/T·(pScale·p − w[c]·ε/C), target entry
 * dy/T·(pScale·p_t − w_t·(1 − ε + ε/C)), pScale = (1 − ε)·w_t + ε/C·Σw + 2λ·lse.
 * out may be x itself (in place); ignored rows are written 0, rows with a
 * label outside [0, C) NaN.
 */
export function sparseGrad(x: usize, t: usize, stats: usize, dy: usize, rows: i32, C: i32, invT: f64, eps: f64,
                           w: usize, sumW: f64, zLoss: f64, hasIgnore: bool, ignore: i32, out: usize): void {
  const rowBytes = <usize>C << 2;
  const k = <f32>(LOG2E * invT);
  const base = eps / <f64>C;
  for (let i = 0; i < rows; i++) {
    const xr = x + <usize>i * rowBytes, or = out + <usize>i * rowBytes;
    const target = load<i32>(t + (<usize>i << 2));
    if (hasIgnore && target == ignore) {
      memory.fill(or, 0, rowBytes);
      continue;
    }
    if (<u32>target >= <u32>C) {
      const nan = f32x4.splat(NaN);
      let c = 0;
      for (; c + 4 <= C; c += 4) v128.store(or + (<usize>c << 2), nan);
      for (; c < C; c++) store<f32>(or + (<usize>c << 2), NaN);
      continue;
    }
    const st = stats + (<usize>i << 3);
    const lse = savedLse(st, invT);
    const g = <f64>load<f32>(dy + (<usize>i << 2)) * invT;
    const m = load<f32>(st), s = <f64>load<f32>(st, 4);
    const wt: f64 = w != 0 ? <f64>load<f32>(w + (<usize>target << 2)) : 1;
    const pScale = (1 - eps) * wt + base * sumW + 2 * zLoss * lse;
    // The target's p in float64 before the sweep (which may overwrite its logit): p − 1 must not cancel in float32.
    const xt = load<f32>(xr + (<usize>target << 2));
    const pt = exp2ds((<f64>xt - <f64>m) * (LOG2E * invT)) / s;
    if (eps != 0 || w != 0) {
      rowExpAxpy(xr, or, C, m, k, <f32>(g * pScale / s), w, w != 0 ? <f32>(g * base) : 0);
      if (w == 0 && eps != 0) {
        // − g·ε/C on every entry (no weights: w = 1)
        const d = f32x4.splat(<f32>(g * base));
        let c = 0;
        for (; c + 4 <= C; c += 4) v128.store(or + (<usize>c << 2), f32x4.sub(v128.load(or + (<usize>c << 2)), d));
        for (; c < C; c++) store<f32>(or + (<usize>c << 2), load<f32>(or + (<usize>c << 2)) - <f32>(g * base));
      }
    } else {
      rowExpAxpy(xr, or, C, m, k, <f32>(g * pScale / s), 0, 0);
    }
    store<f32>(or + (<usize>target << 2), <f32>(g * (pScale * pt - wt * (1 - eps + base))));
  }
}

// ---------------------------------------------------------------------------
// Sigmoid cross-entropy, elementwise over [rows, C] (kernels/FORMULAS.md):
//   L  = q·ẑ·softplus(−x) + (1 − ẑ)·softplus(x),   ẑ = z·(1 − ε) + ε/2
//   dx = g·(σ(x)·(q·ẑ + 1 − ẑ) − q·ẑ)
//   dz = g·(1 − ε)·(q·softplus(−x) − softplus(x))
// softplus(±x) = max(±x, 0) + log1p(e), σ(x) = 1/(1 + exp(−x)), e = exp(−|x|).
// The exps are expNonPos / expMinus (row_math.ts: reduced in natural units), so a
// tiny e = exp(−|x|), the whole loss of a confident, correct logit, keeps a few
// ulps of relative accuracy at every |x|.
// ---------------------------------------------------------------------------

/** The elementwise loss of four lanes (q·ẑ given as qz). */
// @ts-ignore: decorator
@inline
function sigmoidLossV(xv: v128, zh: v128, qz: v128): v128 {
  const sp = log1pUnitV(expNonPos(v128.or(xv, f32x4.splat(-0.0))));
  const zero = f32x4.splat(0);
  return f32x4.add(f32x4.mul(qz, f32x4.add(f32x4.pmax(f32x4.neg(xv), zero), sp)),
                   f32x4.mul(f32x4.sub(f32x4.splat(1.0), zh), f32x4.add(f32x4.pmax(xv, zero), sp)));
}

// @ts-ignore: decorator
@inline
function sigmoidLossS(x: f32, zh: f32, qz: f32): f64 {
  const sp = <f64>log1pUnitS(expNonPosS(-abs<f32>(x)));
  return <f64>qz * (<f64>max<f32>(-x, 0) + sp) + (1 - <f64>zh) * (<f64>max<f32>(x, 0) + sp);
}

/**
 * The elementwise loss of the four lanes at byte offset off of the row (ẑ = z·keep + half, q·ẑ).
 * plain (q = 1, no smoothing; a constant where it is inlined): r·(1 − z) + max(−x, 0)·z + log1p(e)
 * with r = max(x, 0) and max(−x, 0) = max(0, r − x) (exact, and 0 at x = +∞, where r − x is NaN),
 * so an infinite logit gives what the general loop gives.
 */
// @ts-ignore: decorator
@inline
function sigmoidLossAt(xr: usize, zr: usize, q: usize, off: usize, keepv: v128, halfv: v128, q0v: v128, plain: bool): v128 {
  if (plain) {
    const xv = v128.load(xr + off);
    return f32x4.add(plainMaxTerms(xv, v128.load(zr + off)), log1pUnitV(expNonPos(v128.or(xv, f32x4.splat(-0.0)))));
  }
  const zh = f32x4.add(f32x4.mul(v128.load(zr + off), keepv), halfv);
  const qz = f32x4.mul(q != 0 ? v128.load(q + off) : q0v, zh);
  return sigmoidLossV(v128.load(xr + off), zh, qz);
}

/**
 * The plain loss's terms besides log1p(e), four lanes: r·(1 − z) + max(−x, 0)·z with r = max(x, 0)
 * and max(−x, 0) = max(0, r − x) (exact, and 0 at x = +∞, where r − x is NaN).
 */
// @ts-ignore: decorator
@inline
function plainMaxTerms(xv: v128, zv: v128): v128 {
  const r = f32x4.pmax(xv, f32x4.splat(0));
  const rn = f32x4.pmax(f32x4.splat(0), f32x4.sub(r, xv));  // pmax keeps its first operand for NaN
  return f32x4.add(f32x4.mul(r, f32x4.sub(f32x4.splat(1.0), zv)), f32x4.mul(rn, zv));
}

/** Whether the sigmoid kernels' arguments are the default options (q = 1, no smoothing): the plain loops. */
// @ts-ignore: decorator
@inline
function plainSigmoid(keep: f32, half: f32, q: usize, q0: f32): bool {
  return q == 0 && q0 == 1 && keep == 1 && half == 0;
}

/**
 * Sigmoid forward. q: C f32 positive-class weights, or 0 for q0 everywhere.
 * reduction 0: out [rows, C] = scale·L; 1: out [rows] = scale·Σ_c L;
 * 2: out [1] = scale·Σ L. Sums four vectors in float32, then in float64.
 * Without weights or smoothing (the default) the loop is its own instance,
 * with those constants folded and the plain loss (kernels/simd/README.md,
 * "Loop shape").
 */
export function sigmoidForward(x: usize, z: usize, rows: i32, C: i32, keep: f32, half: f32, q: usize, q0: f32,
                               reduction: i32, scale: f64, out: usize): void {
  if (plainSigmoid(keep, half, q, q0)) {
    if (reduction == 0) {
      sigmoidForwardPlain(x, z, rows, C, scale, out);
    } else {
      sigmoidSumPlain(x, z, rows, C, reduction, scale, out);
    }
  } else {
    sigmoidForwardRows(x, z, rows, C, keep, half, q, q0, reduction, scale, out, false);
  }
}

/** sigmoidForward's loop with q = 1, keep = 1, half = 0 as constants, the plain loss and reduction 0. */
function sigmoidForwardPlain(x: usize, z: usize, rows: i32, C: i32, scale: f64, out: usize): void {
  sigmoidForwardRows(x, z, rows, C, 1, 0, 0, 1, 0, scale, out, true);
}

/**
 * The plain loss of four lanes without its log term (plainMaxTerms), plus
 * e − (w − 1), what the rounding of w = 1 + e took from e (exact: Fast2Sum,
 * 1 ≥ e). x = z = 0 gives 0 (and w = 2).
 */
// @ts-ignore: decorator
@inline
function plainLinear(xv: v128, zv: v128, e: v128, w: v128): v128 {
  return f32x4.add(plainMaxTerms(xv, zv), f32x4.sub(e, f32x4.sub(w, f32x4.splat(1.0))));
}

/** log of the product of the four float64 lanes of p0 and p1 (together at most 2^1023). */
// @ts-ignore: decorator
@inline
function lnProduct(p0: v128, p1: v128): f64 {
  const pp = f64x2.mul(p0, p1);
  return ln(f64x2.extract_lane(pp, 0) * f64x2.extract_lane(pp, 1));
}

/** The products of the low (mulLow) or high (mulHigh) float32 lanes of a and b, in two float64 lanes (exact). */
// @ts-ignore: decorator
@inline
function mulLow(a: v128, b: v128): v128 {
  return f64x2.mul(f64x2.promote_low_f32x4(a), f64x2.promote_low_f32x4(b));
}
// @ts-ignore: decorator
@inline
function mulHigh(a: v128, b: v128): v128 {
  return mulLow(v128.shuffle<f32>(a, a, 2, 3, 0, 1), v128.shuffle<f32>(b, b, 2, 3, 0, 1));
}

/**
 * sigmoidForward with q = 1, no smoothing and reduction 1 or 2: the log1p
 * terms of a row summed as log Π w, w = 1 + e, as the JavaScript kernel does
 * (kernels/cpu/SigmoidCrossEntropy.ts, rowSumUnitQ): the products in float64
 * lanes (a product of two float32 values is exact there), one float64 log per
 * 512 elements instead of a log1p (a division and a polynomial) per element,
 * and what each w rounded off added back to the terms. log(1 + e) =
 * log w + c/w + O(c²) with c = e − (w − 1), |c| ≤ 2⁻²⁴; c stands for c/w,
 * off by c·e/(1 + e), below 6e-8 of log1p(e). The row's last 0 … 15
 * elements go a vector at a time, the last one masked.
 */
function sigmoidSumPlain(x: usize, z: usize, rows: i32, C: i32, reduction: i32, scale: f64, out: usize): void {
  const rowBytes = <usize>C << 2;
  const one = f32x4.splat(1.0), negZero = f32x4.splat(-0.0);
  let total: f64 = 0;
  for (let i = 0; i < rows; i++) {
    const xr = x + <usize>i * rowBytes, zr = z + <usize>i * rowBytes;
    let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
    // Π w in four float64 lanes, each at most 2^132 (4 factors ≤ 2 per
    // iteration, 32 iterations, 4 more from the tail) before the log of
    // their product (≤ 2^528).
    let p0 = f64x2.splat(1), p1 = f64x2.splat(1);
    let logs: f64 = 0;
    let c = 0, n = 0;
    for (; c + 16 <= C; c += 16) {
      const p = xr + (<usize>c << 2), q = zr + (<usize>c << 2);
      const x0 = v128.load(p), x1 = v128.load(p, 16), x2 = v128.load(p, 32), x3 = v128.load(p, 48);
      const e0 = expNonPos(v128.or(x0, negZero)), e1 = expNonPos(v128.or(x1, negZero));
      const e2 = expNonPos(v128.or(x2, negZero)), e3 = expNonPos(v128.or(x3, negZero));
      const w0 = f32x4.add(one, e0), w1 = f32x4.add(one, e1), w2 = f32x4.add(one, e2), w3 = f32x4.add(one, e3);
      const L = f32x4.add(f32x4.add(plainLinear(x0, v128.load(q), e0, w0), plainLinear(x1, v128.load(q, 16), e1, w1)),
                          f32x4.add(plainLinear(x2, v128.load(q, 32), e2, w2), plainLinear(x3, v128.load(q, 48), e3, w3)));
      a0 = f64x2.add(a0, f64x2.promote_low_f32x4(L));
      a1 = f64x2.add(a1, f64x2.promote_low_f32x4(v128.shuffle<f32>(L, L, 2, 3, 0, 1)));
      // a tree, so that each accumulator takes one dependent product per iteration
      p0 = f64x2.mul(p0, f64x2.mul(mulLow(w0, w1), mulLow(w2, w3)));
      p1 = f64x2.mul(p1, f64x2.mul(mulHigh(w0, w1), mulHigh(w2, w3)));
      if (++n == 32) {
        logs += lnProduct(p0, p1);
        p0 = f64x2.splat(1);
        p1 = f64x2.splat(1);
        n = 0;
      }
    }
    // the last 0 … 15 elements a vector at a time, lanes past the row's end
    // read as x = z = 0 (no loss) with w set to 1
    for (; c < C; c += 4) {
      const off = <usize>c << 2;
      const k = min(C - c, 4);
      const xv = k == 4 ? v128.load(xr + off) : ldTail(xr + off, k);
      const e = expNonPos(v128.or(xv, negZero));
      let w = f32x4.add(one, e);
      const L = plainLinear(xv, k == 4 ? v128.load(zr + off) : ldTail(zr + off, k), e, w);
      if (k < 4) w = v128.bitselect(w, one, i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(k)));
      a0 = f64x2.add(a0, f64x2.promote_low_f32x4(L));
      a1 = f64x2.add(a1, f64x2.promote_low_f32x4(v128.shuffle<f32>(L, L, 2, 3, 0, 1)));
      p0 = f64x2.mul(p0, f64x2.promote_low_f32x4(w));
      p1 = f64x2.mul(p1, f64x2.promote_low_f32x4(v128.shuffle<f32>(w, w, 2, 3, 0, 1)));
    }
    a0 = f64x2.add(a0, a1);
    const acc = f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1) + (logs + lnProduct(p0, p1));
    if (reduction == 1) {
      store<f32>(out + (<usize>i << 2), <f32>(acc * scale));
    } else {
      total += acc;
    }
  }
  if (reduction == 2) {
    store<f32>(out, <f32>(total * scale));
  }
}

/** sigmoidForward's loop, inlined into its two callers. */
// @ts-ignore: decorator
@inline
function sigmoidForwardRows(x: usize, z: usize, rows: i32, C: i32, keep: f32, half: f32, q: usize, q0: f32,
                            reduction: i32, scale: f64, out: usize, plain: bool): void {
  const rowBytes = <usize>C << 2;
  const keepv = f32x4.splat(keep), halfv = f32x4.splat(half), q0v = f32x4.splat(q0), sv = f32x4.splat(<f32>scale);
  let total: f64 = 0;
  for (let i = 0; i < rows; i++) {
    const xr = x + <usize>i * rowBytes, zr = z + <usize>i * rowBytes, or = out + <usize>i * rowBytes;
    let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
    let c = 0;
    // four vectors per iteration (see rowSumExp), summed pairwise in float32
    for (; c + 16 <= C; c += 16) {
      const off = <usize>c << 2;
      const L0 = sigmoidLossAt(xr, zr, q, off, keepv, halfv, q0v, plain);
      const L1 = sigmoidLossAt(xr, zr, q, off + 16, keepv, halfv, q0v, plain);
      const L2 = sigmoidLossAt(xr, zr, q, off + 32, keepv, halfv, q0v, plain);
      const L3 = sigmoidLossAt(xr, zr, q, off + 48, keepv, halfv, q0v, plain);
      if (reduction == 0) {
        v128.store(or + off, f32x4.mul(sv, L0));
        v128.store(or + off, f32x4.mul(sv, L1), 16);
        v128.store(or + off, f32x4.mul(sv, L2), 32);
        v128.store(or + off, f32x4.mul(sv, L3), 48);
      } else {
        const L = f32x4.add(f32x4.add(L0, L1), f32x4.add(L2, L3));
        a0 = f64x2.add(a0, f64x2.promote_low_f32x4(L));
        a1 = f64x2.add(a1, f64x2.promote_low_f32x4(v128.shuffle<f32>(L, L, 2, 3, 0, 1)));
      }
    }
    for (; c + 4 <= C; c += 4) {
      const off = <usize>c << 2;
      const L = sigmoidLossAt(xr, zr, q, off, keepv, halfv, q0v, plain);
      if (reduction == 0) {
        v128.store(or + off, f32x4.mul(sv, L));
      } else {
        a0 = f64x2.add(a0, f64x2.promote_low_f32x4(L));
        a1 = f64x2.add(a1, f64x2.promote_low_f32x4(v128.shuffle<f32>(L, L, 2, 3, 0, 1)));
      }
    }
    a0 = f64x2.add(a0, a1);
    let acc = f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1);
    for (; c < C; c++) {
      const off = <usize>c << 2;
      const zh = load<f32>(zr + off) * keep + half;
      const L = sigmoidLossS(load<f32>(xr + off), zh, (q != 0 ? load<f32>(q + off) : q0) * zh);
      if (reduction == 0) {
        store<f32>(or + off, <f32>(scale * L));
      } else {
        acc += L;
      }
    }
    if (reduction == 1) {
      store<f32>(out + (<usize>i << 2), <f32>(acc * scale));
    } else if (reduction == 2) {
      total += acc;
    }
  }
  if (reduction == 2) {
    store<f32>(out, <f32>(total * scale));
  }
}

/**
 * dx (or dz when wrtLabels) of the four lanes at byte offset off of the row, upstream g;
 * plain (dx, q = 1, no smoothing; a constant where it is inlined): g·(σ(x) − z).
 */
// @ts-ignore: decorator
@inline
function sigmoidGradAt(xr: usize, zr: usize, q: usize, off: usize, g: v128, wrtLabels: bool, keepv: v128, halfv: v128,
                       q0v: v128, plain: bool): v128 {
  const one = f32x4.splat(1.0), zero = f32x4.splat(0);
  const xv = v128.load(xr + off);
  const qv = q != 0 ? v128.load(q + off) : q0v;
  if (wrtLabels) {
    const sp = log1pUnitV(expNonPos(v128.or(xv, f32x4.splat(-0.0))));
    return f32x4.mul(f32x4.mul(g, keepv), f32x4.sub(f32x4.mul(qv, f32x4.add(f32x4.pmax(f32x4.neg(xv), zero), sp)),
                                                    f32x4.add(f32x4.pmax(xv, zero), sp)));
  }
  if (plain) {
    return f32x4.mul(g, f32x4.sub(f32x4.div(one, f32x4.add(one, expMinus(xv))), v128.load(zr + off)));
  }
  const zh = f32x4.add(f32x4.mul(v128.load(zr + off), keepv), halfv);
  const qz = f32x4.mul(qv, zh);
  const sig = f32x4.div(one, f32x4.add(one, expMinus(xv)));
  return f32x4.mul(g, f32x4.sub(f32x4.mul(sig, f32x4.sub(f32x4.add(qz, one), zh)), qz));
}

/**
 * Sigmoid backward. dyMode 0: one upstream value dy[0] (reduction 'all');
 * 1: dy[i] per row ('rows'); 2: dy per element ('none'); g = scale·dy.
 * wrtLabels: dz instead of dx.
 */
export function sigmoidGrad(x: usize, z: usize, dy: usize, dyMode: i32, rows: i32, C: i32, keep: f32, half: f32, q: usize,
                            q0: f32, scale: f64, wrtLabels: bool, out: usize): void {
  if (!wrtLabels && plainSigmoid(keep, half, q, q0)) {
    sigmoidGradPlain(x, z, dy, dyMode, rows, C, scale, out);
  } else {
    sigmoidGradRows(x, z, dy, dyMode, rows, C, keep, half, q, q0, scale, wrtLabels, out, false);
  }
}

/** dx of sigmoidGrad with q = 1, keep = 1, half = 0 as constants: g·(σ(x) − z). */
function sigmoidGradPlain(x: usize, z: usize, dy: usize, dyMode: i32, rows: i32, C: i32, scale: f64, out: usize): void {
  sigmoidGradRows(x, z, dy, dyMode, rows, C, 1, 0, 0, 1, scale, false, out, true);
}

/** sigmoidGrad's loop, inlined into its two callers. */
// @ts-ignore: decorator
@inline
function sigmoidGradRows(x: usize, z: usize, dy: usize, dyMode: i32, rows: i32, C: i32, keep: f32, half: f32, q: usize,
                         q0: f32, scale: f64, wrtLabels: bool, out: usize, plain: bool): void {
  const rowBytes = <usize>C << 2;
  const keepv = f32x4.splat(keep), halfv = f32x4.splat(half), q0v = f32x4.splat(q0), sv = f32x4.splat(<f32>scale);
  for (let i = 0; i < rows; i++) {
    const xr = x + <usize>i * rowBytes, zr = z + <usize>i * rowBytes, or = out + <usize>i * rowBytes;
    const dr = dy + <usize>i * rowBytes;
    const gRow: f32 = dyMode == 2 ? 0 : <f32>(scale * <f64>load<f32>(dy + (dyMode == 1 ? <usize>i << 2 : 0)));
    const gRowV = f32x4.splat(gRow);
    let c = 0;
    // four vectors per iteration (see rowSumExp)
    for (; c + 16 <= C; c += 16) {
      const off = <usize>c << 2;
      const g0 = dyMode == 2 ? f32x4.mul(sv, v128.load(dr + off)) : gRowV;
      const g1 = dyMode == 2 ? f32x4.mul(sv, v128.load(dr + off, 16)) : gRowV;
      const g2 = dyMode == 2 ? f32x4.mul(sv, v128.load(dr + off, 32)) : gRowV;
      const g3 = dyMode == 2 ? f32x4.mul(sv, v128.load(dr + off, 48)) : gRowV;
      const r0 = sigmoidGradAt(xr, zr, q, off, g0, wrtLabels, keepv, halfv, q0v, plain);
      const r1 = sigmoidGradAt(xr, zr, q, off + 16, g1, wrtLabels, keepv, halfv, q0v, plain);
      const r2 = sigmoidGradAt(xr, zr, q, off + 32, g2, wrtLabels, keepv, halfv, q0v, plain);
      const r3 = sigmoidGradAt(xr, zr, q, off + 48, g3, wrtLabels, keepv, halfv, q0v, plain);
      v128.store(or + off, r0);
      v128.store(or + off, r1, 16);
      v128.store(or + off, r2, 32);
      v128.store(or + off, r3, 48);
    }
    for (; c + 4 <= C; c += 4) {
      const off = <usize>c << 2;
      const g = dyMode == 2 ? f32x4.mul(sv, v128.load(dr + off)) : gRowV;
      v128.store(or + off, sigmoidGradAt(xr, zr, q, off, g, wrtLabels, keepv, halfv, q0v, plain));
    }
    for (; c < C; c++) {
      const off = <usize>c << 2;
      const xs = load<f32>(xr + off);
      const qs: f64 = q != 0 ? <f64>load<f32>(q + off) : <f64>q0;
      const g: f64 = dyMode == 2 ? scale * <f64>load<f32>(dr + off) : <f64>gRow;
      let r: f64;
      if (wrtLabels) {
        const sp = <f64>log1pUnitS(expNonPosS(-abs<f32>(xs)));
        r = g * <f64>keep * (qs * (<f64>max<f32>(-xs, 0) + sp) - (<f64>max<f32>(xs, 0) + sp));
      } else {
        const zh = <f64>(load<f32>(zr + off) * keep + half);
        const sig = 1 / (1 + <f64>expMinusS(xs));
        r = g * (sig * (qs * zh + 1 - zh) - qs * zh);
      }
      store<f32>(or + off, <f32>r);
    }
  }
}

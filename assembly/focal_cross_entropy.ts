/**
 * Focal cross-entropy in WebAssembly 128-bit SIMD (AssemblyScript): the softmax
 * focal kernels (dense and sparse labels, forward, d/dlogits, dense d/dlabels)
 * and the binary (sigmoid) focal kernels (forward with the fused reductions,
 * d/dlogits, d/dlabels). Formulas: kernels/FORMULAS.md ("Focal cross-entropy,
 * softmax", "Binary focal cross-entropy", "Fused reductions"); the same
 * saved per-row (m, s) as the softmax kernels (softmax_cross_entropy.ts).
 *
 * Memory contract as the entry file's: every array is a byte offset into the
 * imported memory; no data, no globals, no stack. The per-class factors
 * a[c] = α[c]·w[c] arrive as a float64 array [C] (the host multiplies them in
 * float64); the softmax backward parks f + B and p of a row in a float64
 * scratch array [2·C] the caller provides.
 *
 * Precision. The focal factors need 1 − p to its own relative accuracy as
 * p → 1, where the float32 (m, s) is not enough (s's rounding is an error of
 * 6e-8 in log p, hence of 6e-8/(1 − p) in 1 − p). So the focal kernels sum
 * s = Σ 2^((x − m)·log2(e)/T) with the float64 exp (exp2d, float64 lanes) and
 * take q = 1 − p = (s − e)/s in float64: for the row's max e = 1 exactly, and
 * s − 1 is the sum of the other terms to float64 accuracy. Every quantity of
 * an entry with ŷ ≠ 0 (q, q^γ = 2^(γ·log2 q), g = log s − (x − m)/T, p) is
 * float64, in two lanes; the entries with ŷ = 0 (most of a one-hot row) get
 * only p·(A + Bs) in the backward, in float32 from the s pass's terms. q^γ is
 * a product for an integer γ ≤ 8 (the Keras default 2), 2^(γ·log2 q) else.
 * The binary focal kernels are float32 lanes, with the sigmoid kernels' exp
 * and log1p; u^γ by products for an integer γ ≤ 8 (times √u for a
 * half-integer γ ≤ 8½), else in float64 lanes.
 */
import {exp2d, expNonPos, ldTail, ln, log1pUnitV, rowMax, stTail} from './row_math';

const LOG2E_D: f64 = 1.4426950408889634;
const LN2_D: f64 = 0.6931471805599453;
const SQRT2_D: f64 = 1.4142135623730951;
const MIN_NORMAL: f64 = 2.2250738585072014e-308;
const TWO54: f64 = 18014398509481984.0;
// reinterpret(0x4330000000000000 + e) = 2^52 + e for a small integer e ≥ 0.
const MAGIC_BITS: i64 = 0x4330000000000000;
const MAGIC_SUB: f64 = 4503599627370496.0 + 1023.0;

/** Natural log in two float64 lanes (0 → −∞, +∞ → +∞, negative or NaN → NaN; subnormals scaled first). */
// @ts-ignore: decorator
@inline
function lnd(x: v128): v128 {
  const tiny = f64x2.lt(x, f64x2.splat(MIN_NORMAL));
  const xs = v128.bitselect(f64x2.mul(x, f64x2.splat(TWO54)), x, tiny);
  let e = v128.and(i64x2.shr_u(xs, 52), i64x2.splat(0x7ff));
  let a = v128.or(v128.and(xs, i64x2.splat(0x000fffffffffffff)), i64x2.splat(0x3ff0000000000000));
  const big = f64x2.gt(a, f64x2.splat(SQRT2_D));
  a = v128.bitselect(f64x2.mul(a, f64x2.splat(0.5)), a, big);
  e = i64x2.sub(e, big);  // big is −1 (all ones) where a was halved
  let k = f64x2.sub(i64x2.add(e, i64x2.splat(MAGIC_BITS)), f64x2.splat(MAGIC_SUB));
  k = f64x2.sub(k, v128.and(f64x2.splat(54.0), tiny));
  let r = f64x2.add(f64x2.mul(k, f64x2.splat(LN2_D)), lnMantissa(a));
  r = v128.bitselect(f64x2.splat(-Infinity), r, f64x2.eq(x, f64x2.splat(0)));
  r = v128.bitselect(x, r, f64x2.eq(x, f64x2.splat(Infinity)));
  // NaN and negative x: NaN
  return v128.bitselect(f64x2.splat(NaN), r, v128.not(f64x2.ge(x, f64x2.splat(0))));
}

/** log a for a in [√½, √2], float64 lanes: 2·atanh(t), t = (a − 1)/(a + 1), |t| ≤ 0.1716, by its series to t²³. */
// @ts-ignore: decorator
@inline
function lnMantissa(a: v128): v128 {
  const one = f64x2.splat(1.0);
  const t = f64x2.div(f64x2.sub(a, one), f64x2.add(a, one));
  const t2 = f64x2.mul(t, t);
  let q = f64x2.add(f64x2.mul(f64x2.splat(1.0 / 23), t2), f64x2.splat(1.0 / 21));
  q = f64x2.add(f64x2.mul(q, t2), f64x2.splat(1.0 / 19));
  q = f64x2.add(f64x2.mul(q, t2), f64x2.splat(1.0 / 17));
  q = f64x2.add(f64x2.mul(q, t2), f64x2.splat(1.0 / 15));
  q = f64x2.add(f64x2.mul(q, t2), f64x2.splat(1.0 / 13));
  q = f64x2.add(f64x2.mul(q, t2), f64x2.splat(1.0 / 11));
  q = f64x2.add(f64x2.mul(q, t2), f64x2.splat(1.0 / 9));
  q = f64x2.add(f64x2.mul(q, t2), f64x2.splat(1.0 / 7));
  q = f64x2.add(f64x2.mul(q, t2), f64x2.splat(1.0 / 5));
  q = f64x2.add(f64x2.mul(q, t2), f64x2.splat(1.0 / 3));
  q = f64x2.add(f64x2.mul(q, t2), one);
  return f64x2.mul(f64x2.add(t, t), q);
}

/** 2^u in float64 lanes, exactly 0 below 2^−1022 (exp2d clamps there). */
// @ts-ignore: decorator
@inline
function exp2z(u: v128): v128 {
  return v128.andnot(exp2d(u), f64x2.lt(u, f64x2.splat(-1022.0)));
}

/** v^γ for v ≥ 0 and γ > 0, float64 lanes (0 at v = 0; NaN stays NaN). */
// @ts-ignore: decorator
@inline
function powd(v: v128, gamma: f64): v128 {
  return exp2z(f64x2.mul(lnd(v), f64x2.splat(gamma * LOG2E_D)));
}

/** v^n for a small integer n ≥ 0 by n − 1 products (the integer γ of the Keras defaults: no log or exp). */
// @ts-ignore: decorator
@inline
function powi(v: v128, n: i32): v128 {
  let r = f64x2.splat(1.0);
  for (let k = 0; k < n; k++) r = f64x2.mul(r, v);
  return r;
}

/**
 * 2γ for the binary kernels' products (binaryQuad): 2γ where γ is an integer
 * or half-integer in [½, 8½] (u^γ = u^⌊γ⌋·√u), else 0 (u^γ through float64).
 */
function halfGamma(gamma: f64): i32 {
  const g2 = gamma * 2;
  return g2 >= 1 && g2 <= 17 && g2 == floor<f64>(g2) ? <i32>g2 : 0;
}

/** γ as a small integer (1 … 8) for powi, or 0 where it is not one (or is 0). */
function intGamma(gamma: f64): i32 {
  const g2 = halfGamma(gamma);
  return g2 & 1 ? 0 : g2 >> 1;
}

/** Two float32 at p (or one, the other lane 0) as float64 lanes. */
// @ts-ignore: decorator
@inline
function ld(p: usize, two: bool): v128 {
  return f64x2.promote_low_f32x4(two ? v128.load64_zero(p) : v128.load32_zero(p));
}

/** Stores two float64 lanes at p as float32 (or lane 0 only). */
// @ts-ignore: decorator
@inline
function st(p: usize, v: v128, two: bool): void {
  const f = f32x4.demote_f64x2_zero(v);
  if (two) {
    v128.store64_lane(p, f, 0);
  } else {
    v128.store32_lane(p, f, 0);
  }
}

/** Σ_c 2^((x − m)·k) over a row, float64 exp and sum; out ≠ 0: also writes each term there as float32. */
function rowSumExpD(x: usize, C: i32, m: f32, k: f64, out: usize): f64 {
  const md = f64x2.splat(<f64>m), kd = f64x2.splat(k);
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
  let c = 0;
  for (; c + 4 <= C; c += 4) {
    const v = v128.load(x + (<usize>c << 2));
    const lo = f64x2.promote_low_f32x4(v), hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
    const elo = exp2d(f64x2.mul(f64x2.sub(lo, md), kd)), ehi = exp2d(f64x2.mul(f64x2.sub(hi, md), kd));
    s0 = f64x2.add(s0, elo);
    s1 = f64x2.add(s1, ehi);
    if (out != 0) {
      v128.store(out + (<usize>c << 2),
                 v128.shuffle<f32>(f32x4.demote_f64x2_zero(elo), f32x4.demote_f64x2_zero(ehi), 0, 1, 4, 5));
    }
  }
  for (; c < C; c += 2) {
    const two = c + 2 <= C;
    let e = exp2d(f64x2.mul(f64x2.sub(ld(x + (<usize>c << 2), two), md), kd));
    if (!two) e = f64x2.replace_lane(e, 1, 0);
    s0 = f64x2.add(s0, e);
    if (out != 0) st(out + (<usize>c << 2), e, two);
  }
  s0 = f64x2.add(s0, s1);
  return f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1);
}

/**
 * s of a row whose max is m (the scalar kernels' special rows: +∞ max → NaN,
 * all −∞ → 0); out ≠ 0: also writes the terms 2^((x − m)·k) there (float32),
 * for finite m only.
 */
function rowS(x: usize, C: i32, m: f32, invT: f64, out: usize): f64 {
  if (m == Infinity) return NaN;
  if (m == -Infinity) return 0;
  return rowSumExpD(x, C, m, LOG2E_D * invT, out);
}

/** out[c] *= a over a row (float32). */
function rowScale(out: usize, C: i32, a: f32): void {
  const av = f32x4.splat(a);
  let c = 0;
  for (; c + 4 <= C; c += 4) v128.store(out + (<usize>c << 2), f32x4.mul(av, v128.load(out + (<usize>c << 2))));
  for (; c < C; c++) store<f32>(out + (<usize>c << 2), a * load<f32>(out + (<usize>c << 2)));
}

/** ŷ of the pair (c, c + 1): dense keep·y + base, or sparse base + keep·[c = t]; lane 1 is 0 when !two. */
// @ts-ignore: decorator
@inline
function pairTargets(y: usize, t: i32, c: i32, two: bool, keep: f64, base: f64): v128 {
  let v: v128;
  if (y != 0) {
    v = f64x2.add(f64x2.mul(ld(y + (<usize>c << 2), two), f64x2.splat(keep)), f64x2.splat(base));
  } else {
    v = f64x2.splat(base);
    if (t == c) v = f64x2.replace_lane(v, 0, base + keep);
    else if (t == c + 1) v = f64x2.replace_lane(v, 1, base + keep);
  }
  if (!two) v = f64x2.replace_lane(v, 1, 0);
  return v;
}

/** Whether the pair (c, c + 1) of dense labels y is all zeros (bit patterns: −0 counts as nonzero, harmlessly). */
// @ts-ignore: decorator
@inline
function zeroPair(y: usize, c: i32, two: bool): bool {
  return two ? load<u64>(y + (<usize>c << 2)) == 0 : load<u32>(y + (<usize>c << 2)) == 0;
}

/**
 * One row's focal terms over the entries with ŷ ≠ 0 (dense labels y, or the
 * sparse label t when y = 0). park = 0: returns the loss Σ f·g. Otherwise
 * returns A + Bs = Σ (f + B) and writes f + B of each visited pair into
 * park[0 .. C) and p into park[C .. 2C) (float64); pairs with y = 0 (dense,
 * base = 0) are skipped, not written. ni: intGamma(gamma).
 */
function focalRow(x: usize, y: usize, t: i32, C: i32, m: f32, s: f64, invT: f64, keep: f64, base: f64, a: usize,
                  gamma: f64, ni: i32, park: usize): f64 {
  const md = f64x2.splat(<f64>m), kd = f64x2.splat(LOG2E_D * invT), iv = f64x2.splat(invT);
  const sv = f64x2.splat(s), lnS = f64x2.splat(ln(s)), zero = f64x2.splat(0), gv = f64x2.splat(gamma);
  let acc = f64x2.splat(0);
  let c = 0, end = C;
  if (y == 0 && base == 0) {
    c = t & ~1;  // sparse one-hot: the target's pair only
    end = min<i32>(c + 2, C);
  }
  const skipZeros = y != 0 && base == 0;
  const pPark = park + (<usize>C << 3);
  for (; c < end; c += 2) {
    const two = c + 2 <= C;
    if (skipZeros) {
      if (c + 4 <= C && !v128.any_true(v128.load(y + (<usize>c << 2)))) {
        c += 2;  // and 2 more by the loop
        continue;
      }
      if (zeroPair(y, c, two)) continue;
    }
    const xd = ld(x + (<usize>c << 2), two);
    const yh = pairTargets(y, t, c, two, keep, base);
    const av = two ? v128.load(a + (<usize>c << 3)) : v128.load64_zero(a + (<usize>c << 3));
    const nz = f64x2.ne(yh, zero);
    const d = f64x2.sub(xd, md);
    const e = exp2z(f64x2.mul(d, kd));
    const q = f64x2.div(f64x2.sub(sv, e), sv);
    const g = f64x2.sub(lnS, f64x2.mul(d, iv));
    const ay = f64x2.mul(av, yh);
    // q^γ, and q^(γ−1) where the backward needs it
    let qg1 = f64x2.splat(1.0), qg = qg1;
    if (ni > 0) {
      qg1 = powi(q, ni - 1);
      qg = f64x2.mul(qg1, q);
    } else if (gamma != 0) {
      qg = powd(q, gamma);
      if (park != 0) qg1 = f64x2.div(qg, q);
    }
    // masked after the product: a lane with ŷ = 0 (the tail's second lane among them) may hold NaN
    const f = v128.and(f64x2.mul(ay, qg), nz);
    if (park == 0) {
      acc = f64x2.add(acc, v128.and(f64x2.mul(f, g), nz));
    } else {
      let fb = f;
      const p = f64x2.div(e, sv);
      if (gamma != 0) {
        // B = a·ŷ·γ·q^(γ−1)·p·g, 0 where q = 0 or p = 0 (its limits) or ŷ = 0
        const B = f64x2.mul(f64x2.mul(ay, gv), f64x2.mul(qg1, f64x2.mul(p, g)));
        const live = v128.and(nz, v128.and(f64x2.ne(q, zero), f64x2.ne(p, zero)));
        fb = f64x2.add(f, v128.and(B, live));
      }
      acc = f64x2.add(acc, fb);
      if (two) {
        v128.store(park + (<usize>c << 3), fb);
        v128.store(pPark + (<usize>c << 3), p);
      } else {
        v128.store64_lane(park + (<usize>c << 3), fb, 0);
        v128.store64_lane(pPark + (<usize>c << 3), p, 0);
      }
    }
  }
  return f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
}

/**
 * Softmax focal forward. Dense: y [rows, C] f32 labels, t unused; sparse
 * (y = 0): t [rows] i32 labels, rows with t = ignore (when hasIgnore) give 0,
 * a label outside [0, C) NaN. ŷ = keep·y + base (keep = 1 − ε, base = ε/C);
 * a: float64 [C] α·w. Writes loss [rows] f32 and stats (m, s) [rows, 2] f32.
 */
export function focalForward(x: usize, y: usize, t: usize, rows: i32, C: i32, invT: f64, keep: f64, base: f64,
                             a: usize, gamma: f64, hasIgnore: bool, ignore: i32, loss: usize, stats: usize): void {
  const rowBytes = <usize>C << 2;
  const ni = intGamma(gamma);
  for (let i = 0; i < rows; i++) {
    const xr = x + <usize>i * rowBytes;
    const st = stats + (<usize>i << 3);
    const m = rowMax(xr, C);
    const s = rowS(xr, C, m, invT, 0);
    store<f32>(st, m);
    store<f32>(st, <f32>s, 4);
    let target = -1;
    if (y == 0) {
      target = load<i32>(t + (<usize>i << 2));
      if (hasIgnore && target == ignore) {
        store<f32>(loss + (<usize>i << 2), 0);
        continue;
      }
      if (<u32>target >= <u32>C) {
        store<f32>(loss + (<usize>i << 2), NaN);
        continue;
      }
    }
    const yr: usize = y == 0 ? 0 : y + <usize>i * rowBytes;
    store<f32>(loss + (<usize>i << 2), <f32>focalRow(xr, yr, target, C, m, s, invT, keep, base, a, gamma, ni, 0));
  }
}

/**
 * Softmax focal d/dlogits: dx = dy/T·(p·(A + Bs) − f − B). Arguments as the
 * forward's, plus stats (the forward's (m, s); m is used, s recomputed in
 * float64), dy [rows], park: float64 scratch [2·C]. Ignored rows are written 0, out-of-range labels NaN.
 * The entries with ŷ = 0 take the float32 sweep p·(A + Bs); the others are
 * rewritten in float64 (p − 1 cancels there).
 */
export function focalGrad(x: usize, y: usize, t: usize, stats: usize, dy: usize, rows: i32, C: i32, invT: f64,
                          keep: f64, base: f64, a: usize, gamma: f64, hasIgnore: bool, ignore: i32, park: usize,
                          out: usize): void {
  const rowBytes = <usize>C << 2;
  const k = LOG2E_D * invT;
  const ni = intGamma(gamma);
  const pPark = park + (<usize>C << 3);
  for (let i = 0; i < rows; i++) {
    const xr = x + <usize>i * rowBytes, or = out + <usize>i * rowBytes;
    let target = -1;
    if (y == 0) {
      target = load<i32>(t + (<usize>i << 2));
      if (hasIgnore && target == ignore) {
        memory.fill(or, 0, rowBytes);
        continue;
      }
      if (<u32>target >= <u32>C) {
        for (let c = 0; c < C; c++) store<f32>(or + (<usize>c << 2), NaN);
        continue;
      }
    }
    const yr: usize = y == 0 ? 0 : y + <usize>i * rowBytes;
    const m = load<f32>(stats + (<usize>i << 3));
    // base = 0: the terms 2^((x − m)·k) land in the output row, scaled below into g·S·p
    const s = rowS(xr, C, m, invT, base == 0 ? or : 0);
    if (!(s > 0 && s < Infinity)) {
      // a NaN, +∞ or all −∞ row: NaN throughout (as every formula gives there)
      const nan = f32x4.splat(NaN);
      let c = 0;
      for (; c + 4 <= C; c += 4) v128.store(or + (<usize>c << 2), nan);
      for (; c < C; c++) store<f32>(or + (<usize>c << 2), NaN);
      continue;
    }
    const g = <f64>load<f32>(dy + (<usize>i << 2)) * invT;
    if (yr == 0 && base == 0) {
      // sparse one-hot: A + Bs = f_t + B_t; dx = g·S·p off the target, −g·S·q_t on it
      const S = focalRow(xr, 0, target, C, m, s, invT, keep, base, a, gamma, ni, park);
      rowScale(or, C, <f32>(g * S / s));
      const xt = <f64>load<f32>(xr + (<usize>target << 2));
      const e = f64x2.extract_lane(exp2z(f64x2.splat((xt - <f64>m) * k)), 0);
      store<f32>(or + (<usize>target << 2), <f32>(-g * S * ((s - e) / s)));
      continue;
    }
    const S = focalRow(xr, yr, target, C, m, s, invT, keep, base, a, gamma, ni, park);
    if (base == 0) {
      rowScale(or, C, <f32>(g * S / s));
    }
    // float64: every entry when base ≠ 0, else the pairs with y ≠ 0 (those focalRow parked)
    const Sv = f64x2.splat(S), gv = f64x2.splat(g);
    for (let c = 0; c < C; c += 2) {
      const two = c + 2 <= C;
      if (base == 0) {
        if (c + 4 <= C && !v128.any_true(v128.load(yr + (<usize>c << 2)))) {
          c += 2;
          continue;
        }
        if (zeroPair(yr, c, two)) continue;
      }
      const p = two ? v128.load(pPark + (<usize>c << 3)) : v128.load64_zero(pPark + (<usize>c << 3));
      const fb = two ? v128.load(park + (<usize>c << 3)) : v128.load64_zero(park + (<usize>c << 3));
      st(or + (<usize>c << 2), f64x2.mul(gv, f64x2.sub(f64x2.mul(p, Sv), fb)), two);
    }
  }
}

/** Softmax focal d/dlabels (dense): dy·(1 − ε)·a[c]·q[c]^γ·g[c], float64 lanes. */
export function focalLabelsGrad(x: usize, stats: usize, dy: usize, rows: i32, C: i32, invT: f64, keep: f64, a: usize,
                                gamma: f64, out: usize): void {
  const rowBytes = <usize>C << 2;
  const kd = f64x2.splat(LOG2E_D * invT), iv = f64x2.splat(invT);
  const ni = intGamma(gamma);
  for (let i = 0; i < rows; i++) {
    const xr = x + <usize>i * rowBytes, or = out + <usize>i * rowBytes;
    const m = load<f32>(stats + (<usize>i << 3));
    const s = rowS(xr, C, m, invT, 0);
    const md = f64x2.splat(<f64>m), sv = f64x2.splat(s), lnS = f64x2.splat(ln(s));
    const scale = f64x2.splat(<f64>load<f32>(dy + (<usize>i << 2)) * keep);
    for (let c = 0; c < C; c += 2) {
      const two = c + 2 <= C;
      const d = f64x2.sub(ld(xr + (<usize>c << 2), two), md);
      const g = f64x2.sub(lnS, f64x2.mul(d, iv));
      const av = two ? v128.load(a + (<usize>c << 3)) : v128.load64_zero(a + (<usize>c << 3));
      let r = f64x2.mul(f64x2.mul(scale, av), g);
      if (gamma != 0) {
        const e = exp2z(f64x2.mul(d, kd));
        const q = f64x2.div(f64x2.sub(sv, e), sv);
        r = f64x2.mul(r, ni > 0 ? powi(q, ni) : powd(q, gamma));
      }
      st(or + (<usize>c << 2), r, two);
    }
  }
}

// ---------------------------------------------------------------------------
// Binary focal cross-entropy, elementwise over [rows, C], in four float32 lanes:
//   ẑ = z·keep + half, p = σ(x), bce = ẑ·softplus(−x) + (1 − ẑ)·softplus(x),
//   u = ẑ·σ(−x) + (1 − ẑ)·σ(x), b = α·ẑ + (1 − α)·(1 − ẑ) (balancing) or 1
//   L  = b·u^γ·bce
//   dx = g·b·(γ·u^(γ−1)·(1 − 2ẑ)·p·(1 − p)·bce + u^γ·(p − ẑ))
//   dz = g·keep·(b'·u^γ·bce + b·γ·u^(γ−1)·(1 − 2p)·bce − b·u^γ·x)
// e = exp(−|x|) and log1p(e) as the sigmoid kernels take them (row_math.ts),
// σ(±x) from one division, and the terms arranged so that none cancels but
// where the result itself does: p − ẑ as (1 − ẑ)·p − ẑ·σ(−x), exact for ẑ = 0
// or 1. u^γ: products for an integer γ ≤ 8 (Keras's default is 2), times √u
// for a half-integer γ ≤ 8½, else 2^(γ·log2 u) in float64 lanes (float32's log2 u would carry γ·|log2 u|·6e-8).
// ---------------------------------------------------------------------------

/** u^γ for a γ > 0 that is no multiple of ½ up to 8½, four float32 lanes through float64 (powd): 0 at u = 0. */
function powQuad(u: v128, gamma: f64): v128 {
  const lo = powd(f64x2.promote_low_f32x4(u), gamma);
  const hi = powd(f64x2.promote_low_f32x4(v128.shuffle<f32>(u, u, 2, 3, 0, 1)), gamma);
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

/** The loss (wrt < 0), dx (wrt 0) or dz (wrt 1) of four lanes, before the upstream factor; n = 2γ (halfGamma). */
// @ts-ignore: decorator
@inline
function binaryQuad(xv: v128, zv: v128, keepv: v128, halfv: v128, gamma: f64, n: i32, alphav: v128, balancing: bool,
                    wrt: i32): v128 {
  const one = f32x4.splat(1.0), zero = f32x4.splat(0);
  const zh = f32x4.add(f32x4.mul(zv, keepv), halfv);
  const omz = f32x4.sub(one, zh);
  const e = expNonPos(v128.or(xv, f32x4.splat(-0.0)));  // exp(−|x|) in (0, 1]
  const r = f32x4.div(one, f32x4.add(one, e));
  const er = f32x4.mul(e, r);
  const pos = f32x4.ge(xv, zero);
  const p = v128.bitselect(r, er, pos);   // σ(x)
  const pn = v128.bitselect(er, r, pos);  // σ(−x)
  const l1p = log1pUnitV(e);
  const rx = f32x4.pmax(xv, zero);
  const spp = f32x4.add(rx, l1p);                    // softplus(x)
  // softplus(−x): max(−x, 0) = max(0, max(x, 0) − x) exactly, 0 at x = +∞ (pmax keeps its first operand for NaN)
  const spn = f32x4.add(f32x4.pmax(zero, f32x4.sub(rx, xv)), l1p);
  const bce = f32x4.add(f32x4.mul(zh, spn), f32x4.mul(omz, spp));
  const u = f32x4.add(f32x4.mul(zh, pn), f32x4.mul(omz, p));
  // u^γ, and u^(γ−1) for the gradients: products of u (and √u, correctly
  // rounded, for a half-integer γ) where n = 2γ (halfGamma), else float64
  let uG1p = one, uG = one;
  if (n > 1) {
    if (n & 1) uG1p = f32x4.sqrt(u);
    for (let k = 1; k < n >> 1; k++) uG1p = f32x4.mul(uG1p, u);
    uG = f32x4.mul(uG1p, u);
  } else if (n == 1) {
    uG = f32x4.sqrt(u);
    if (wrt >= 0) uG1p = f32x4.div(uG, u);
  } else if (gamma != 0) {
    uG = powQuad(u, gamma);
    if (wrt >= 0) uG1p = f32x4.div(uG, u);
  }
  const b = balancing ? f32x4.add(f32x4.mul(alphav, zh), f32x4.mul(f32x4.sub(one, alphav), omz)) : one;
  if (wrt < 0) return f32x4.mul(f32x4.mul(b, uG), bce);
  // γ·u^(γ−1): 0 at γ = 0 or u = 0 (the limit for γ > 1; where u = 0, p·(1 − p) = 0 anyway)
  const uG1 = gamma == 0 ? zero : v128.and(f32x4.mul(f32x4.splat(<f32>gamma), uG1p), f32x4.ne(u, zero));
  if (wrt == 0) {
    const t1 = f32x4.mul(f32x4.mul(uG1, f32x4.sub(omz, zh)), f32x4.mul(f32x4.mul(p, pn), bce));
    const pz = f32x4.sub(f32x4.mul(omz, p), f32x4.mul(zh, pn));  // p − ẑ
    return f32x4.mul(b, f32x4.add(t1, f32x4.mul(uG, pz)));
  }
  const db = balancing ? f32x4.sub(f32x4.add(alphav, alphav), one) : zero;
  const t0 = f32x4.mul(f32x4.mul(db, uG), bce);
  const t1 = f32x4.mul(f32x4.mul(b, uG1), f32x4.mul(f32x4.sub(pn, p), bce));
  const t2 = f32x4.mul(f32x4.mul(b, uG), xv);
  return f32x4.mul(keepv, f32x4.sub(f32x4.add(t0, t1), t2));
}

/**
 * Binary focal forward. reduction 0: out [rows, C] = scale·L; 1: out [rows] =
 * scale·Σ_c L; 2: out [1] = scale·Σ L (pairs of vectors summed in float32,
 * then in float64 lanes).
 */
export function binaryFocalForward(x: usize, z: usize, rows: i32, C: i32, keep: f64, half: f64, gamma: f64, alpha: f64,
                                   balancing: bool, reduction: i32, scale: f64, out: usize): void {
  const rowBytes = <usize>C << 2;
  const n = halfGamma(gamma);
  const keepv = f32x4.splat(<f32>keep), halfv = f32x4.splat(<f32>half), alphav = f32x4.splat(<f32>alpha);
  const sv = f32x4.splat(<f32>scale);
  let total: f64 = 0;
  for (let i = 0; i < rows; i++) {
    const xr = x + <usize>i * rowBytes, zr = z + <usize>i * rowBytes, or = out + <usize>i * rowBytes;
    let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
    let c = 0;
    // two vectors per iteration, summed in float32, then in float64 lanes
    for (; c + 8 <= C; c += 8) {
      const off = <usize>c << 2;
      const L0 = binaryQuad(v128.load(xr + off), v128.load(zr + off), keepv, halfv, gamma, n, alphav, balancing, -1);
      const L1 = binaryQuad(v128.load(xr + off, 16), v128.load(zr + off, 16), keepv, halfv, gamma, n, alphav, balancing, -1);
      if (reduction == 0) {
        v128.store(or + off, f32x4.mul(sv, L0));
        v128.store(or + off, f32x4.mul(sv, L1), 16);
      } else {
        const L = f32x4.add(L0, L1);
        a0 = f64x2.add(a0, f64x2.promote_low_f32x4(L));
        a1 = f64x2.add(a1, f64x2.promote_low_f32x4(v128.shuffle<f32>(L, L, 2, 3, 0, 1)));
      }
    }
    for (; c < C; c += 4) {
      const off = <usize>c << 2;
      const k = min(C - c, 4);
      const xv = k == 4 ? v128.load(xr + off) : ldTail(xr + off, k);
      const zv = k == 4 ? v128.load(zr + off) : ldTail(zr + off, k);
      const L = binaryQuad(xv, zv, keepv, halfv, gamma, n, alphav, balancing, -1);
      if (reduction == 0) {
        if (k == 4) v128.store(or + off, f32x4.mul(sv, L));
        else stTail(or + off, f32x4.mul(sv, L), k);
      } else {
        // lanes past the row's end hold the loss of x = z = 0: cleared
        const Lk = k == 4 ? L : v128.and(L, i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(k)));
        a0 = f64x2.add(a0, f64x2.promote_low_f32x4(Lk));
        a1 = f64x2.add(a1, f64x2.promote_low_f32x4(v128.shuffle<f32>(Lk, Lk, 2, 3, 0, 1)));
      }
    }
    a0 = f64x2.add(a0, a1);
    const rowSum = f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1);
    if (reduction == 1) {
      store<f32>(out + (<usize>i << 2), <f32>(rowSum * scale));
    } else if (reduction == 2) {
      total += rowSum;
    }
  }
  if (reduction == 2) {
    store<f32>(out, <f32>(total * scale));
  }
}

/**
 * Binary focal backward into out [rows, C]. dyMode 0: one upstream value dy[0]
 * ('all'); 1: dy[i] per row ('rows'); 2: dy per element ('none'); the
 * upstream factor is scale·dy. wrtLabels: dz instead of dx.
 */
export function binaryFocalGrad(x: usize, z: usize, dy: usize, dyMode: i32, rows: i32, C: i32, keep: f64, half: f64,
                                gamma: f64, alpha: f64, balancing: bool, scale: f64, wrtLabels: bool, out: usize): void {
  const rowBytes = <usize>C << 2;
  const n = halfGamma(gamma), wrt = wrtLabels ? 1 : 0;
  const keepv = f32x4.splat(<f32>keep), halfv = f32x4.splat(<f32>half), alphav = f32x4.splat(<f32>alpha);
  const sv = f32x4.splat(<f32>scale);
  for (let i = 0; i < rows; i++) {
    const xr = x + <usize>i * rowBytes, zr = z + <usize>i * rowBytes, or = out + <usize>i * rowBytes;
    const dr = dy + <usize>i * rowBytes;
    const gRow = f32x4.splat(dyMode == 2 ? 0 : <f32>(scale * <f64>load<f32>(dy + (dyMode == 1 ? <usize>i << 2 : 0))));
    let c = 0;
    for (; c + 8 <= C; c += 8) {
      const off = <usize>c << 2;
      const g0 = dyMode == 2 ? f32x4.mul(sv, v128.load(dr + off)) : gRow;
      const g1 = dyMode == 2 ? f32x4.mul(sv, v128.load(dr + off, 16)) : gRow;
      const r0 = binaryQuad(v128.load(xr + off), v128.load(zr + off), keepv, halfv, gamma, n, alphav, balancing, wrt);
      const r1 = binaryQuad(v128.load(xr + off, 16), v128.load(zr + off, 16), keepv, halfv, gamma, n, alphav, balancing, wrt);
      v128.store(or + off, f32x4.mul(g0, r0));
      v128.store(or + off, f32x4.mul(g1, r1), 16);
    }
    for (; c < C; c += 4) {
      const off = <usize>c << 2;
      const k = min(C - c, 4);
      const xv = k == 4 ? v128.load(xr + off) : ldTail(xr + off, k);
      const zv = k == 4 ? v128.load(zr + off) : ldTail(zr + off, k);
      const g = dyMode != 2 ? gRow : f32x4.mul(sv, k == 4 ? v128.load(dr + off) : ldTail(dr + off, k));
      const r = f32x4.mul(g, binaryQuad(xv, zv, keepv, halfv, gamma, n, alphav, balancing, wrt));
      if (k == 4) v128.store(or + off, r);
      else stTail(or + off, r, k);
    }
  }
}

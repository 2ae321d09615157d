/**
 * The row math shared by the module's kernels (softmax_cross_entropy.ts,
 * focal_cross_entropy.ts): the float32 and float64 lane exps, a table-free
 * float64 log and the row max. Not re-exported from the entry, so none of it is
 * a module export (the kernels inline or call it).
 */
// 2^f on |f| ≤ ½: degree-6 polynomial fitted for relative error (2.0e-9;
// evaluated in float32: 1e-7, below 2 ulp).
const P1: f32 = 0.6931472028580795;
const P2: f32 = 0.240226479132281;
const P3: f32 = 0.05550332465968261;
const P4: f32 = 0.009618437383353055;
const P5: f32 = 0.001339887616410379;
const P6: f32 = 0.00015353359027307951;
export const LOG2E: f64 = 1.4426950408889634;
// 1.5·2^23: u + ROUND − ROUND rounds u to an integer n, and the low bits of
// u + ROUND hold n, so (bits << 23) is n in the exponent field.
const ROUND: f32 = 12582912.0;

/** 2^u in four float32 lanes: 0 for u ≤ −127 (and −∞), NaN for NaN. */
// @ts-ignore: decorator
@inline
export function exp2v(u: v128): v128 {
  // pmin (one x86 instruction; min is several) with u first keeps a NaN u.
  return exp2neg(f32x4.pmin(u, f32x4.splat(127.0)));
}

/**
 * exp2v for u ≤ 127 (bitwise the same there): no upper clamp, one
 * instruction less per four lanes. The softmax sweeps take it: their
 * u = (x − m)·k ≤ 0 with m the row max.
 */
// @ts-ignore: decorator
@inline
export function exp2neg(u: v128): v128 {
  u = f32x4.pmax(u, f32x4.splat(-127.0));
  const t = f32x4.add(u, f32x4.splat(ROUND));
  const f = f32x4.sub(u, f32x4.sub(t, f32x4.splat(ROUND)));
  let p = f32x4.add(f32x4.mul(f32x4.splat(P6), f), f32x4.splat(P5));
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(P4));
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(P3));
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(P2));
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(P1));
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(1.0));
  return f32x4.mul(p, i32x4.add(i32x4.shl(t, 23), i32x4.splat(127 << 23)));
}

// e^r on |r| ≤ ½·ln 2: degree-6 polynomial fitted for relative error (1.9e-9).
const E0: f32 = 1.0000000005554983;
const E1: f32 = 1.0000000363851138;
const E2: f32 = 0.4999999206525993;
const E3: f32 = 0.1666641988844465;
const E4: f32 = 0.041668227562968396;
const E5: f32 = 0.008374839555773603;
const E6: f32 = 0.0013836804971314046;
// ln 2 = LN2_HI + LN2_LO, LN2_HI with 16 significant bits: n·LN2_HI is exact for |n| < 2^8.
const LN2_HI: f32 = 0.693145751953125;
const LN2_LO: f32 = 1.428606765330187e-6;
const LOG2E_F: f32 = <f32>LOG2E;
// 127·ln 2: the clamp of the argument (n within ±127).
const EXP_MAX: f32 = 88.02969193111305;

/**
 * e^v in four float32 lanes, v ≤ 0. The argument is reduced in natural units
 * (Cody–Waite): v = n·ln 2 + r with n = round(v·log2 e),
 * r = (v − n·LN2_HI) − n·LN2_LO, the first difference exact, so r carries a
 * rounding of r, not of v, and the result a few float32 ulps at every |v|.
 * exp2neg(v·log2 e) carries the rounding of the product instead: |v|·6e-8
 * relative (1.8e-6 at |v| = 30), harmless in a softmax row sum, whose tiny
 * terms never decide it, but not where a tiny e^v is the result (the sigmoid
 * loss of a confident, correct logit is about e^−|x|). v ≤ −127·ln 2 gives 0;
 * NaN stays NaN.
 */
// @ts-ignore: decorator
@inline
export function expNonPos(v: v128): v128 {
  v = f32x4.pmax(v, f32x4.splat(-EXP_MAX));
  const t = f32x4.add(f32x4.mul(v, f32x4.splat(LOG2E_F)), f32x4.splat(ROUND));
  const n = f32x4.sub(t, f32x4.splat(ROUND));
  return expPoly(f32x4.sub(f32x4.sub(v, f32x4.mul(n, f32x4.splat(LN2_HI))), f32x4.mul(n, f32x4.splat(LN2_LO))), t);
}

/**
 * e^−x in four float32 lanes, any x (clamped to ±127·ln 2: 0 above, 2^127·e^r
 * below), reduced as expNonPos with the negation folded into the constants:
 * bitwise e^v of v = −x (a separate negation costs the sigmoid backward a
 * tenth of its time).
 */
// @ts-ignore: decorator
@inline
export function expMinus(x: v128): v128 {
  x = f32x4.pmin(f32x4.pmax(x, f32x4.splat(-EXP_MAX)), f32x4.splat(EXP_MAX));
  const t = f32x4.add(f32x4.mul(x, f32x4.splat(-LOG2E_F)), f32x4.splat(ROUND));
  const n = f32x4.sub(t, f32x4.splat(ROUND));
  return expPoly(f32x4.sub(f32x4.sub(f32x4.mul(n, f32x4.splat(-LN2_HI)), x), f32x4.mul(n, f32x4.splat(LN2_LO))), t);
}

/** e^r·2^n, |r| ≤ ½·ln 2 (plus rounding), n in the low bits of t = n + ROUND. */
// @ts-ignore: decorator
@inline
function expPoly(r: v128, t: v128): v128 {
  let p = f32x4.add(f32x4.mul(f32x4.splat(E6), r), f32x4.splat(E5));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(E4));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(E3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(E2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(E1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(E0));
  return f32x4.mul(p, i32x4.add(i32x4.shl(t, 23), i32x4.splat(127 << 23)));
}

/** expNonPos in one lane (the same lane arithmetic: bitwise its lanes). */
// @ts-ignore: decorator
@inline
export function expNonPosS(v: f32): f32 {
  return f32x4.extract_lane(expNonPos(f32x4.splat(v)), 0);
}

/** expMinus in one lane (bitwise its lanes). */
// @ts-ignore: decorator
@inline
export function expMinusS(x: f32): f32 {
  return f32x4.extract_lane(expMinus(f32x4.splat(x)), 0);
}

/** The same in one lane (the same lane arithmetic: results bitwise those of exp2v). */
// @ts-ignore: decorator
@inline
export function exp2s(u: f32): f32 {
  return f32x4.extract_lane(exp2v(f32x4.splat(u)), 0);
}

// log1p(e) = 2·atanh(u), u = e/(2 + e) in [0, ⅓]: atanh(u)/u as a degree-4
// polynomial in u², fitted for relative error on u² in [0, 1/9] (4.0e-9; the
// series to u¹³, which it replaces, was 2e-8 and two steps longer). Evaluated in
// float32 the whole log1p is within 2.3e-7 relative over [0, 1], as before.
const A0: f32 = 1.0000000039603751;
const A1: f32 = 0.33333157345245773;
const A2: f32 = 0.20012454949771627;
const A3: f32 = 0.1398030412979118;
const A4: f32 = 0.1408915507279218;

/** log1p(e) for e in [0, 1], four lanes (A0..A4 above). */
// @ts-ignore: decorator
@inline
export function log1pUnitV(e: v128): v128 {
  const u = f32x4.div(e, f32x4.add(e, f32x4.splat(2.0)));
  const u2 = f32x4.mul(u, u);
  let p = f32x4.add(f32x4.mul(u2, f32x4.splat(A4)), f32x4.splat(A3));
  p = f32x4.add(f32x4.mul(p, u2), f32x4.splat(A2));
  p = f32x4.add(f32x4.mul(p, u2), f32x4.splat(A1));
  p = f32x4.add(f32x4.mul(p, u2), f32x4.splat(A0));
  return f32x4.mul(f32x4.add(u, u), p);
}

/** The same in one lane (the same arithmetic, so bitwise log1pUnitV's lanes). */
// @ts-ignore: decorator
@inline
export function log1pUnitS(e: f32): f32 {
  const u = e / (e + 2);
  const u2 = u * u;
  let p: f32 = u2 * A4 + A3;
  p = p * u2 + A2;
  p = p * u2 + A1;
  p = p * u2 + A0;
  return (u + u) * p;
}

// 2^f on |f| ≤ ½ in float64 lanes: Σ (f·ln2)^k / k!, k ≤ 10 (truncation 2e-13).
const Q1: f64 = 0.6931471805599453;
const Q2: f64 = 0.2402265069591007;
const Q3: f64 = 0.05550410866482158;
const Q4: f64 = 0.009618129107628477;
const Q5: f64 = 0.0013333558146428443;
const Q6: f64 = 0.00015403530393381608;
const Q7: f64 = 0.000015252733804059841;
const Q8: f64 = 0.0000013215486790144307;
const Q9: f64 = 1.0178086009239699e-7;
const Q10: f64 = 7.054911620801123e-9;
// 1.5·2^52: u + ROUND64 − ROUND64 rounds u, and (bits << 52) is n in the exponent field.
const ROUND64: f64 = 6755399441055744.0;

/** 2^u in two float64 lanes (u clamped to [−1022, 1023]; NaN stays NaN): the accurate exp of the gradient entries that cancel. */
// @ts-ignore: decorator
@inline
export function exp2d(u: v128): v128 {
  u = f64x2.pmin(f64x2.pmax(u, f64x2.splat(-1022.0)), f64x2.splat(1023.0));
  const t = f64x2.add(u, f64x2.splat(ROUND64));
  const f = f64x2.sub(u, f64x2.sub(t, f64x2.splat(ROUND64)));
  let p = f64x2.add(f64x2.mul(f64x2.splat(Q10), f), f64x2.splat(Q9));
  p = f64x2.add(f64x2.mul(p, f), f64x2.splat(Q8));
  p = f64x2.add(f64x2.mul(p, f), f64x2.splat(Q7));
  p = f64x2.add(f64x2.mul(p, f), f64x2.splat(Q6));
  p = f64x2.add(f64x2.mul(p, f), f64x2.splat(Q5));
  p = f64x2.add(f64x2.mul(p, f), f64x2.splat(Q4));
  p = f64x2.add(f64x2.mul(p, f), f64x2.splat(Q3));
  p = f64x2.add(f64x2.mul(p, f), f64x2.splat(Q2));
  p = f64x2.add(f64x2.mul(p, f), f64x2.splat(Q1));
  p = f64x2.add(f64x2.mul(p, f), f64x2.splat(1.0));
  return i64x2.add(p, i64x2.shl(t, 52));
}

/** The same in one lane. */
export function exp2ds(u: f64): f64 {
  return f64x2.extract_lane(exp2d(f64x2.splat(u)), 0);
}

/** Natural log in float64 (no tables: the module has no data). */
export function ln(s: f64): f64 {
  if (!(s > 0) || s == Infinity) {
    return s == 0 ? -Infinity : (s == Infinity ? Infinity : NaN);
  }
  let bits = reinterpret<u64>(s);
  let k = <i32>((bits >> 52) & 0x7ff) - 1023;
  // s = 2^k·a, a in [√½, √2)
  let a = reinterpret<f64>((bits & 0x000fffffffffffff) | 0x3ff0000000000000);
  if (a > 1.4142135623730951) {
    a *= 0.5;
    k += 1;
  }
  // log a = 2·atanh(t), t = (a − 1)/(a + 1), |t| ≤ 0.1716
  const t = (a - 1) / (a + 1);
  const t2 = t * t;
  let q = 1.0 / 23;
  q = q * t2 + 1.0 / 21;
  q = q * t2 + 1.0 / 19;
  q = q * t2 + 1.0 / 17;
  q = q * t2 + 1.0 / 15;
  q = q * t2 + 1.0 / 13;
  q = q * t2 + 1.0 / 11;
  q = q * t2 + 1.0 / 9;
  q = q * t2 + 1.0 / 7;
  q = q * t2 + 1.0 / 5;
  q = q * t2 + 1.0 / 3;
  q = q * t2 + 1.0;
  return <f64>k * 0.6931471805599453 + 2 * t * q;
}

/** The k < 4 float32 at p as lanes 0 … k − 1 of a vector (the rest 0). */
// @ts-ignore: decorator
@inline
export function ldTail(p: usize, k: i32): v128 {
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (k > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (k > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

/** Stores lanes 0 … k − 1 of v at p (k < 4). */
// @ts-ignore: decorator
@inline
export function stTail(p: usize, v: v128, k: i32): void {
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (k > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (k > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

/** The max of four float32 lanes, (0 ∨ 1) ∨ (2 ∨ 3) (rowMax's reduction). */
// @ts-ignore: decorator
@inline
export function laneMax(acc: v128): f32 {
  return max<f32>(max<f32>(f32x4.extract_lane(acc, 0), f32x4.extract_lane(acc, 1)),
                  max<f32>(f32x4.extract_lane(acc, 2), f32x4.extract_lane(acc, 3)));
}

/** Max of the row x[0 .. C) (NaN entries ignored, as the scalar kernels do). */
export function rowMax(x: usize, C: i32): f32 {
  let acc = f32x4.splat(-Infinity);
  let c = 0;
  for (; c + 4 <= C; c += 4) {
    acc = f32x4.pmax(acc, v128.load(x + (<usize>c << 2)));
  }
  let m = laneMax(acc);
  for (; c < C; c++) {
    const v = load<f32>(x + (<usize>c << 2));
    if (v > m) m = v;
  }
  return m;
}

/**
 * GLSL building blocks of the WebGL focal kernels (kernels/FORMULAS.md,
 * "Focal cross-entropy" and "Binary focal"). Text pasted into each program's
 * `userCode`, hence part of tfjs's shader cache key. The helpers read the
 * custom uniform `gamma` (γ), which every focal program declares.
 */

/**
 * expm1 is not in GLSL ES, and exp(x) − 1 loses every digit of 1 − p as
 * p → 1 (x = log p → 0). For |x| < 0.5 a Taylor series through x⁹/9!
 * (truncation below 1e-9 relative; Horner form, no cancellation: all terms of
 * one sign for x > 0, alternating and decreasing for x < 0); outside,
 * exp(x) − 1 cancels at most one bit (|expm1(−0.5)| = 0.39).
 */
export const EXPM1 = `
  float expm1Acc(float x) {
    if (abs(x) < 0.5) {
      return x * (1.0 + x * (0.5 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x * (1.0 / 120.0 +
             x * (1.0 / 720.0 + x * (1.0 / 5040.0 + x * (1.0 / 40320.0 + x * (1.0 / 362880.0)))))))));
    }
    return exp(x) - 1.0;
  }`;

/**
 * u^γ and γ·u^(γ−1) with the conventions of the formulas: u^0 = 1 (also at
 * u = 0), 0^γ = 0 for γ > 0, and γ·u^(γ−1) = 0 when γ = 0 or u = 0 (its limit
 * in every product it appears in; GLSL leaves pow(0, y) undefined and
 * pow(0, y < 0) would be +∞). A negative u (only from labels outside [0, 1])
 * follows Math.pow, as the cpu kernels do: real for integer exponents, NaN
 * otherwise.
 */
export const POW_GAMMA = `
  float powReal(float u, float e) {
    if (u > 0.0) return pow(u, e);
    float r = pow(-u, e);
    if (floor(e) != e) return NAN;
    return mod(e, 2.0) == 0.0 ? r : -r;
  }
  float powGamma(float u) {
    if (gamma == 0.0) return 1.0;
    if (u == 0.0) return 0.0;
    return powReal(u, gamma);
  }
  float gammaPowGamma1(float u) {
    if (gamma == 0.0 || u == 0.0) return 0.0;
    return gamma * powReal(u, gamma - 1.0);
  }`;

/**
 * Softmax focal terms of one class (needs EXPM1, POW_GAMMA):
 *
 *     focalTerms(d, ay) = (f, B, g, p) with d = log p = z − lse ≤ 0, ay = a[c]·ŷ[c]
 *     p = exp(d),  q = 1 − p = −expm1(d),  g = −d,
 *     f = ay·q^γ,  B = ay·γ·q^(γ−1)·p·g      (0 when γ = 0, q = 0 or p = 0)
 *
 * Callers pass d = min(z − lse, 0): log p ≤ 0, and a saved lse read back
 * from a half-float texture can fall below the row's max logit, where a
 * negative q would make q^γ NaN. They test d for NaN before the min(), which
 * may drop it. exp(d) underflows to 0 below d ≈ −104 in float32: p and q are
 * set exactly there (also for d = −∞, a masked logit: p = 0, q = 1, g = +∞,
 * B = 0 by its limit).
 */
export const FOCAL_TERMS = `
  vec4 focalTerms(float d, float ay) {
    bool under = d < -104.0;
    float p = under ? 0.0 : exp(d);
    float q = under ? 1.0 : -expm1Acc(d);
    float g = -d;
    float f = ay * powGamma(q);
    float b = p == 0.0 ? 0.0 : ay * gammaPowGamma1(q) * p * g;
    return vec4(f, b, g, p);
  }`;

/**
 * Per-element focal terms shared by the cpu focal kernels (kernels/FORMULAS.md,
 * "Focal cross-entropy"). Plain float64 JS numbers; the kernels only round
 * their outputs to float32. The class factors a = α·w: simd/focal_host.ts.
 */

/**
 * Focal terms of one class of one row, given z = x/T, the row's lse, the
 * smoothed target ŷ ≠ 0 and a = α·w:
 *   q = 1 − p = −expm1(z − lse) (accurate as p → 1),  g = lse − z = −log p,
 *   f = a·ŷ·q^γ,  B = a·ŷ·γ·q^(γ−1)·p·g.
 * B's limits: 0 when γ = 0, when q = 0 (g ~ q there, so B ~ q^γ → 0) and when
 * p = 0 (p·g = −p·log p → 0), where the plain product would be 0·∞.
 * Writes [f, B] into `out` (no allocation in the inner loop).
 */
export function focalTerms(z: number, lse: number, yh: number, a: number, gamma: number, out: Float64Array): void {
  const logp = z - lse;
  const q = -Math.expm1(logp);
  const g = -logp;
  const ay = a * yh;
  out[0] = ay * Math.pow(q, gamma);
  if (gamma === 0 || q === 0) {
    out[1] = 0;
  } else {
    const p = Math.exp(logp);
    out[1] = p === 0 ? 0 : ay * gamma * Math.pow(q, gamma - 1) * p * g;
  }
}

/** softplus(v) = max(v, 0) + log1p(exp(−|v|)), stable for any v. */
export function softplus(v: number): number {
  return Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
}

/** σ(v) without overflow: 1/(1+e^−v) for v ≥ 0, e^v/(1+e^v) otherwise (NaN stays NaN). */
export function sigmoid(v: number): number {
  if (v >= 0) {
    return 1 / (1 + Math.exp(-v));
  }
  const e = Math.exp(v);
  return e / (1 + e);
}

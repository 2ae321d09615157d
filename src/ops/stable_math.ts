/**
 * Elementwise math shared by the composite paths (composite.ts,
 * focal_composite.ts), from tfjs ops only.
 */
import {abs, add, exp, log, neg, relu, sub, Tensor} from '@tensorflow/tfjs-core';

/**
 * log1p(e) for e in [0, 1] from log alone: log(w) + (e − (w − 1)), w = 1 + e.
 * w − 1 is exact, so e − (w − 1) is exactly what the rounding of 1 + e took,
 * and log(1 + e) = log(w) + log1p(δ), δ = (e − (w − 1))/w, |δ| ≤ 2⁻²⁴; taking δ
 * as e − (w − 1) is off by at most 6e-8 of the result (e itself where w rounds
 * to 1). tfjs-webgl's and tfjs-webgpu's log1p are log(1 + e), 0 for e below
 * 6e-8: the whole loss of a confident, correct logit. Five elementwise ops
 * where log1p is one (Goldberg's log(w)·e/(w − 1) takes seven): the cost of
 * the composite path's accuracy on backends whose log1p is not accurate.
 */
export function log1pUnit(e: Tensor): Tensor {
  const w = add(e, 1);
  return add(log(w), sub(e, sub(w, 1)));
}

/**
 * log1p(exp(−|v|)) = softplus(−|v|) by log1pUnit: the term both softplus(v)
 * and softplus(−v) share, so the composite losses add it once, last.
 */
export function log1pExpNegAbs(v: Tensor): Tensor {
  return log1pUnit(exp(neg(abs(v))));
}

/** softplus(v) = max(v, 0) + log1p(exp(−|v|)). */
export function softplus(v: Tensor): Tensor {
  return add(relu(v), log1pExpNegAbs(v));
}

/**
 * Temperature scaling (Guo et al. 2017): one scalar T > 0 that minimises the
 * mean negative log-likelihood of softmax(logits / T) on held-out data. T
 * rescales every row by the same factor, so the argmax (and the accuracy) does
 * not change; T > 1 softens overconfident predictions.
 *
 * Search on β = 1/T. NLL(β) = mean_i [lse(β·x_i) − β·x_i,y_i] is convex in β
 * (a log-sum-exp of functions linear in β, minus a linear term), so its
 * derivative g(β) = mean_i Σ_c (p_ic − y_ic)·x_ic is increasing and the
 * optimum is its root. g comes from the package's fused op and its gradient:
 * with L = mean CE(x; T), dL/dx = β·(p − y)/N, so g = T·Σ (dL/dx ⊙ x). The root
 * is bracketed by doubling / halving β from 1, then found by regula falsi with
 * the Illinois modification (superlinear, never leaves the bracket): about
 * 6–12 forward+backward passes over the logits (measured in
 * test/calibration/temperature_scaling.test.ts).
 */
import {mean, mul, sum, Tensor, tidy, valueAndGrad} from '@tensorflow/tfjs-core';
import {softmaxCrossEntropyWithLogits, sparseSoftmaxCrossEntropyWithLogits} from '../ops/softmax_cross_entropy';

export interface TemperatureScalingOptions {
  /** Stop when the bracket on β is narrower than tol·β (default 1e-5). */
  tol?: number;
  /** At most this many NLL evaluations (default 60). */
  maxEvaluations?: number;
  /** Search T within [minTemperature, maxTemperature] (default [0.01, 100]). */
  minTemperature?: number;
  maxTemperature?: number;
}

export interface TemperatureScalingResult {
  /** The fitted temperature: use softmax(logits / temperature). */
  temperature: number;
  /** Mean NLL at T = 1 and at the fitted T (never larger: T = 1 is kept otherwise). */
  nllBefore: number;
  nllAfter: number;
  /** NLL evaluations (forward + backward passes) used. */
  evaluations: number;
  /** False when the optimum lies outside [minTemperature, maxTemperature] (T is then the bound). */
  converged: boolean;
}

/**
 * Fits the temperature on held-out `logits` [N, C] and `labels` (class ids
 * [N], int32, or probability / one-hot rows [N, C]).
 *
 * ```js
 * const valLogits = tf.tensor2d([[4, 0, -2], [3, 1, 0], [0, 5, 1], [2, 2.5, 0]]);   // held-out [N, C]
 * const valLabels = tf.tensor1d([0, 1, 1, 0], 'int32');
 * const {temperature} = await fitTemperature(valLogits, valLabels);
 * const calibrated = tf.softmax(tf.div(valLogits, temperature));   // use it on new logits the same way
 * ```
 */
export async function fitTemperature(logits: Tensor, labels: Tensor, options: TemperatureScalingOptions = {}): Promise<TemperatureScalingResult> {
  const fn = 'fitTemperature';
  if (logits.rank !== 2) {
    throw new Error(`${fn}: logits must be [N, C], got shape [${logits.shape}]`);
  }
  const sparse = labels.rank === 1;
  if (!(sparse ? labels.shape[0] === logits.shape[0] : labels.shape.every((d, i) => d === logits.shape[i]))) {
    throw new Error(`${fn}: labels must be [${logits.shape[0]}] class ids or [${logits.shape}] rows, got shape [${labels.shape}]`);
  }
  const tol = options.tol ?? 1e-5;
  const maxEvaluations = options.maxEvaluations ?? 60;
  const betaMin = 1 / (options.maxTemperature ?? 100), betaMax = 1 / (options.minTemperature ?? 0.01);
  if (!(betaMin > 0 && betaMin < 1 && betaMax > 1)) {
    throw new Error(`${fn}: need 0 < minTemperature < 1 < maxTemperature`);
  }

  let evaluations = 0;
  /** Mean NLL and its derivative in β at β. */
  const evaluate = async (beta: number): Promise<{f: number, g: number}> => {
    evaluations++;
    const T = 1 / beta;
    const [value, slope] = tidy(() => {
      const nll = (x: Tensor) => mean(sparse ? sparseSoftmaxCrossEntropyWithLogits(labels, x, {temperature: T}) :
                                               softmaxCrossEntropyWithLogits(labels, x, {temperature: T}));
      const {value: v, grad} = valueAndGrad(nll)(logits);
      return [v, mul(sum(mul(grad, logits)), T)];
    });
    const [f, g] = [(await value.data())[0], (await slope.data())[0]];
    value.dispose();
    slope.dispose();
    return {f, g};
  };

  const start = await evaluate(1);
  let best = {beta: 1, ...start};
  const consider = (beta: number, e: {f: number, g: number}) => {
    if (e.f < best.f) best = {beta, ...e};
  };

  // Bracket the root of the increasing g: g(lo) < 0 < g(hi).
  let lo = 1, hi = 1, gLo = start.g, gHi = start.g;
  let converged = start.g === 0;
  if (start.g > 0) {  // NLL falls as β falls: overconfident, T > 1
    while (gLo > 0 && lo > betaMin && evaluations < maxEvaluations) {
      hi = lo; gHi = gLo;
      lo = Math.max(lo / 2, betaMin);
      const e = await evaluate(lo);
      consider(lo, e);
      gLo = e.g;
    }
  } else if (start.g < 0) {  // underconfident, T < 1
    while (gHi < 0 && hi < betaMax && evaluations < maxEvaluations) {
      lo = hi; gLo = gHi;
      hi = Math.min(hi * 2, betaMax);
      const e = await evaluate(hi);
      consider(hi, e);
      gHi = e.g;
    }
  }
  const bracketed = gLo <= 0 && gHi >= 0 && lo < hi;
  // Regula falsi, Illinois variant: halve the stale end's g when the same end
  // is kept twice, so the bracket shrinks from both sides.
  let side = 0;
  while (bracketed && !converged && evaluations < maxEvaluations) {
    const beta = (lo * gHi - hi * gLo) / (gHi - gLo);
    const e = await evaluate(beta);
    consider(beta, e);
    if (e.g === 0 || hi - lo < tol * beta) {
      converged = true;
      break;
    }
    if (e.g < 0) {
      lo = beta; gLo = e.g;
      if (side === -1) gHi /= 2;
      side = -1;
    } else {
      hi = beta; gHi = e.g;
      if (side === 1) gLo /= 2;
      side = 1;
    }
    if (Math.abs(e.g) < 1e-9) {
      converged = true;
    }
  }
  // A root found at a bound is the bound itself (e.g. separable data, where the
  // NLL keeps falling as T → 0 until float32 flushes its slope to 0).
  const atBound = best.beta <= betaMin || best.beta >= betaMax;
  return {temperature: 1 / best.beta, nllBefore: start.f, nllAfter: best.f, evaluations,
          converged: start.g === 0 || (bracketed && converged && !atBound)};
}

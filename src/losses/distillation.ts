/**
 * Kullback–Leibler divergence and knowledge distillation (Hinton et al. 2015,
 * "Distilling the Knowledge in a Neural Network") on the soft-label (dense)
 * softmax cross-entropy op.
 *
 * `KL(y ‖ softmax(x / T)) = CE(y, x; T) − H(y)`: the fused dense kernel with
 * `temperature = T` gives the cross-entropy and its gradient
 * `(p_T − y) / T`; the entropy H(y) = −Σ y·log y does not depend on the
 * prediction and is subtracted so that the value is the divergence
 * (≥ 0, 0 when the distributions match).
 */
import {add, argMax, cast, clipByValue, exp, greater, log, logSoftmax, mul, neg, notEqual, oneHot, reshape, serialization, sub, sum, Tensor, tidy, where, zerosLike} from '@tensorflow/tfjs-core';
import {sumBroadcastGrad} from '../ops/elementwise_reduction';
import {softmaxCrossEntropyWithLogits} from '../ops/softmax_cross_entropy';
import {BaseLossArgs, checks, Loss, PerExample, PROBABILITY_EPSILON, validateArgs} from './loss';
import {KerasReduction} from './reduction';

/** −Σ_axis y·log y with 0·log 0 = 0 (the entropy of target rows). */
function entropy(y: Tensor, logY: Tensor, axis: number): Tensor {
  // notEqual, not cast(y, 'bool'): tfjs-wasm 4.22 casts float32 to bool by truncation (0.3 -> false, 2.5 -> 2).
  return neg(sum(where(notEqual(y, 0), mul(y, logY), zerosLike(y)), axis));
}

/** Arguments of `KLDivergence` (Keras 3 semantics by default). */
export interface KLDivergenceArgs extends BaseLossArgs {
  /**
   * `yPred` holds logits (or log-probabilities, whose softmax is themselves):
   * no clipping, the fused op computes log-softmax exactly. Default false:
   * probabilities, clipped to [1e-7, 1] as Keras does.
   */
  fromLogits?: boolean;
  /** `yTrue` holds log-probabilities (PyTorch's `log_target`). Default false. */
  logTarget?: boolean;
  /** The class axis (default −1). */
  axis?: number;
}

/**
 * KL divergence `Σ y·log(y / p)` per example, Keras 3's `KLDivergence`
 * (`yTrue`, `yPred` probabilities, both clipped to [1e-7, 1]); with
 * `fromLogits: true`, `yPred` are logits and the loss runs on the fused
 * soft-label kernel without clipping.
 *
 * ```js
 * const kl = new KLDivergence({fromLogits: true});
 * const teacherProbs = tf.tensor2d([[0.7, 0.2, 0.1]]);
 * const studentLogits = tf.tensor2d([[2, 1, 0]]);
 * kl.call(teacherProbs, studentLogits).print();   // 0.0058
 * ```
 */
export class KLDivergence extends Loss {
  static readonly className = 'KLDivergence';
  declare readonly fromLogits: boolean;
  declare readonly logTarget: boolean;
  declare readonly axis: number;

  constructor(args: KLDivergenceArgs = {}) {
    validateArgs(KLDivergence.className, args, {
      fromLogits: checks.boolean, logTarget: checks.boolean, axis: checks.integer,
      reduction: checks.reduction, name: checks.nonEmptyString,
    });
    const a = args ?? {};
    super(a.name ?? 'kl_divergence', (a.reduction ?? 'sum_over_batch_size') as KerasReduction);
    this.fromLogits = a.fromLogits ?? false;
    this.logTarget = a.logTarget ?? false;
    this.axis = a.axis ?? -1;
  }

  perExample(yTrue: Tensor, yPred: Tensor): PerExample {
    if (!this.fromLogits) {
      // Keras: clip both to [ε, 1], then Σ y·log(y / p).
      const y = clipByValue(this.logTarget ? exp(yTrue) : yTrue, PROBABILITY_EPSILON, 1);
      const p = clipByValue(yPred, PROBABILITY_EPSILON, 1);
      // The class-axis sum's gradient broadcasts dy on the device (no host ones of yPred's shape).
      return {values: sumBroadcastGrad(mul(y, sub(log(y), log(p))), this.axis)};
    }
    const y = this.logTarget ? exp(yTrue) : yTrue;
    const logY = this.logTarget ? yTrue : log(y);
    const ce = softmaxCrossEntropyWithLogits(y, yPred, {axis: this.axis});
    return {values: sub(ce, entropy(y, logY, this.axis))};
  }

  override getConfig(): serialization.ConfigDict {
    return {...super.getConfig(), fromLogits: this.fromLogits, logTarget: this.logTarget, axis: this.axis};
  }
}

/** Arguments of `DistillationLoss`. */
export interface DistillationLossArgs extends BaseLossArgs {
  /** T > 0: both teacher and student logits are divided by T in the soft term (default 2). */
  temperature?: number;
  /**
   * Weight of the hard-label cross-entropy; 1 − alpha weighs the soft term
   * (default 0.1).
   */
  alpha?: number;
  /** Label smoothing of the hard-label term (default 0). */
  labelSmoothing?: number;
}

/**
 * Knowledge distillation on student logits `yPred` [N, C]:
 * `L = α·CE(y_hard, x_s) + (1 − α)·T²·KL(softmax(x_t / T) ‖ softmax(x_s / T))`
 * (loss-formulas.md, Distillation). The T² keeps the soft term's gradient,
 * `T·(p_T − q)`, on the scale of the hard term's.
 *
 * `yTrue` carries both targets in the student's own shape `[N, C]`, as
 * `model.fit` requires, built by `distillationTargets(teacherLogits, labels)`:
 * the teacher's log-probabilities `ℓ = logSoftmax(x_t)` (all ≤ 0), except at
 * the hard label t, which holds `1 − ℓ_t` (≥ 1, the row's only positive
 * entry). The loss decodes t as the positive entry and ℓ_t = 1 − y_t.
 * Log-probabilities differ from the logits by a per-row constant, so
 * `softmax(ℓ / T) = softmax(x_t / T)` for every T; the round trip through
 * `1 − ℓ_t` costs at most one float32 ulp of 1 (6e-8) in log space. And since
 * the hard label is each row's argmax, tfjs-layers' `classWeight` (which
 * weighs an example by the argmax of its target row) sees the hard label.
 *
 * ```js
 * const x = tf.randomNormal([32, 4]);
 * const labels = tf.randomUniformInt([32], 0, 3);                      // hard class ids [N]
 * const teacher = tf.sequential({layers: [tf.layers.dense({inputShape: [4], units: 3})]});   // logits
 * const student = tf.sequential({layers: [tf.layers.dense({inputShape: [4], units: 3})]});   // logits
 * const teacherLogits = teacher.predict(x);
 * const loss = new DistillationLoss({temperature: 4, alpha: 0.1});
 * student.compile({optimizer: 'adam', loss});
 * await student.fit(x, distillationTargets(teacherLogits, labels), {epochs: 2});
 * ```
 */
export class DistillationLoss extends Loss {
  static readonly className = 'DistillationLoss';
  declare readonly temperature: number;
  declare readonly alpha: number;
  declare readonly labelSmoothing: number;

  constructor(args: DistillationLossArgs = {}) {
    validateArgs(DistillationLoss.className, args, {
      temperature: checks.positive,
      alpha: (v: unknown) => typeof v === 'number' && v >= 0 && v <= 1 ? null : `must be a number in [0, 1], got ${String(v)}`,
      labelSmoothing: checks.labelSmoothing, reduction: checks.reduction, name: checks.nonEmptyString,
    });
    const a = args ?? {};
    super(a.name ?? 'distillation', (a.reduction ?? 'sum_over_batch_size') as KerasReduction);
    this.temperature = a.temperature ?? 2;
    this.alpha = a.alpha ?? 0.1;
    this.labelSmoothing = a.labelSmoothing ?? 0;
  }

  perExample(yTrue: Tensor, yPred: Tensor): PerExample {
    const fn = DistillationLoss.className;
    if (yPred.rank !== 2) {
      throw new Error(`${fn}: student logits must be [N, C], got shape [${yPred.shape}]`);
    }
    if (!(yTrue.rank === 2 && yTrue.shape[0] === yPred.shape[0] && yTrue.shape[1] === yPred.shape[1])) {
      throw new Error(`${fn}: targets must have the student's shape [${yPred.shape}] (see distillationTargets), got shape [${yTrue.shape}]`);
    }
    const T = this.temperature;
    const isHard = greater(yTrue, 0);
    const teacherLogProbs = where(isHard, sub(1, yTrue), yTrue);
    const logQ = logSoftmax(mul(teacherLogProbs, 1 / T));
    const q = exp(logQ);
    // T²·KL(q ‖ p_T) = T²·(CE(q, x_s; T) − H(q)).
    const soft = mul(sub(softmaxCrossEntropyWithLogits(q, yPred, {temperature: T}), entropy(q, logQ, 1)), T * T);
    if (this.alpha === 0) {
      return {values: soft};
    }
    const hard = softmaxCrossEntropyWithLogits(cast(isHard, 'float32'), yPred, {labelSmoothing: this.labelSmoothing});
    return {values: add(mul(hard, this.alpha), mul(soft, 1 - this.alpha))};
  }

  override getConfig(): serialization.ConfigDict {
    return {...super.getConfig(), temperature: this.temperature, alpha: this.alpha, labelSmoothing: this.labelSmoothing};
  }
}

/**
 * Packs hard class ids [N] (default: the teacher's own argmax, for alpha = 0)
 * and the teacher's logits [N, C] into the `[N, C]` targets
 * `DistillationLoss` reads: `logSoftmax(teacherLogits)`, with the hard
 * label's entry ℓ_t replaced by `1 − ℓ_t`.
 *
 * ```js
 * const teacherLogits = tf.tensor2d([[2, 0.5, -1], [0, 1, 3]]);
 * const targets = distillationTargets(teacherLogits, tf.tensor1d([0, 2], 'int32'));
 * targets.print();   // log-softmax of the teacher, 1 − ℓ at each hard label
 * ```
 */
export function distillationTargets(teacherLogits: Tensor, labels?: Tensor): Tensor {
  return tidy(() => {
    const [n, C] = teacherLogits.shape;
    if (teacherLogits.rank !== 2 || (labels != null && labels.size !== n)) {
      throw new Error(`distillationTargets: need teacher logits [N, C] and N labels, got [${teacherLogits.shape}] and ${labels?.size} labels`);
    }
    const ids = labels == null ? argMax(teacherLogits, 1) : cast(reshape(labels, [-1]), 'int32');
    const hard = cast(oneHot(ids, C), 'bool');
    const l = logSoftmax(cast(teacherLogits, 'float32'));
    return where(hard, sub(1, l), l);
  });
}

serialization.registerClass(KLDivergence, 'FusedCE');
serialization.registerClass(DistillationLoss, 'FusedCE');

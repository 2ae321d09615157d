/**
 * Keras 3 `BinaryCrossentropy` on the fused sigmoid cross-entropy op.
 *
 * Per element `L = q·ẑ·softplus(−x) + (1 − ẑ)·softplus(x)` (docs/loss-formulas),
 * then, as in Keras, the mean over `axis` gives one loss per example.
 * `fromLogits: false` (the Keras default) takes probabilities, clips them to
 * [1e-7, 1 − 1e-7] (Keras's epsilon) and feeds `log p − log1p(−p)` to the op
 * as logits, for which softplus(−x) = −log p exactly: the same loss as Keras,
 * computed by the same kernel as for logits. Logits are never clipped.
 */
import {clipByValue, log, log1p, mean, neg, serialization, sub, Tensor} from '@tensorflow/tfjs-core';
import {sigmoidCrossEntropyWithLogits} from '../ops/sigmoid_cross_entropy';
import {BaseLossArgs, checks, Loss, PerExample, PROBABILITY_EPSILON, toNumberArray, validateArgs} from './loss';
import {KerasReduction} from './reduction';

/**
 * Whether `axis` is the last axis of a rank ≥ 1 tensor: the per-example mean
 * of the elementwise losses then runs as the op's 'meanOverClasses'
 * reduction, fused with its gradient (no ones tensor of the logits' shape).
 */
export function overLastAxis(axis: number, rank: number): boolean {
  return rank >= 1 && (axis === -1 || axis === rank - 1);
}

/** Arguments of `BinaryCrossentropy` (Keras 3 names, camelCase) plus `posWeight`. */
export interface BinaryCrossentropyArgs extends BaseLossArgs {
  /** Whether `yPred` holds logits (true) or probabilities (false, the default). */
  fromLogits?: boolean;
  /** ε in [0, 1): targets become z·(1 − ε) + ε/2 (default 0). */
  labelSmoothing?: number;
  /** The axis averaged into one loss per example (default −1). */
  axis?: number;
  /**
   * Weight q > 0 of the positive term (PyTorch's `pos_weight`): one number, or
   * one per entry of the last axis (default 1). A tensor is read once with
   * dataSync.
   */
  posWeight?: number | number[] | Float32Array | Tensor | null;
}

const BINARY_SPEC = {
  fromLogits: checks.boolean,
  labelSmoothing: checks.labelSmoothing,
  axis: checks.integer,
  reduction: checks.reduction,
  name: checks.nonEmptyString,
  posWeight: (v: unknown) => typeof v === 'number' ? checks.positive(v) : checks.vectorOrNull(true)(v),
};

/**
 * Binary (multi-label) cross-entropy, Keras 3's `BinaryCrossentropy` on the
 * fused sigmoid kernel, with PyTorch's `pos_weight` as `posWeight`.
 *
 * ```js
 * const model = tf.sequential({layers: [tf.layers.dense({inputShape: [4], units: 2})]});   // logits [N, K]
 * const loss = new BinaryCrossentropy({fromLogits: true, posWeight: 3});
 * model.compile({optimizer: 'adam', loss});
 * await model.fit(tf.randomNormal([16, 4]), tf.tensor2d([0, 1, 1, 1, 0, 0, 1, 0], [4, 2]).tile([4, 1]), {epochs: 2});
 * loss.call(tf.tensor2d([[1, 0]]), tf.tensor2d([[2, -1]])).print();   // 0.3470, the mean of 3·softplus(−2) and softplus(−1)
 * ```
 */
export class BinaryCrossentropy extends Loss {
  static readonly className = 'BinaryCrossentropy';
  declare readonly fromLogits: boolean;
  declare readonly labelSmoothing: number;
  declare readonly axis: number;
  declare readonly posWeight: number | number[] | null;

  constructor(args: BinaryCrossentropyArgs = {}) {
    validateArgs(BinaryCrossentropy.className, args, BINARY_SPEC);
    const a = args ?? {};
    super(a.name ?? 'binary_crossentropy', (a.reduction ?? 'sum_over_batch_size') as KerasReduction);
    this.fromLogits = a.fromLogits ?? false;
    this.labelSmoothing = a.labelSmoothing ?? 0;
    this.axis = a.axis ?? -1;
    this.posWeight = (toNumberArray(a.posWeight) as number | number[] | null | undefined) ?? null;
  }

  perExample(yTrue: Tensor, yPred: Tensor): PerExample {
    let logits = yPred;
    if (!this.fromLogits) {
      const p = clipByValue(yPred, PROBABILITY_EPSILON, 1 - PROBABILITY_EPSILON);
      logits = sub(log(p), log1p(neg(p)));
    }
    const options = {
      labelSmoothing: this.labelSmoothing,
      ...(this.posWeight == null ? {} : {posWeight: this.posWeight}),
    };
    if (overLastAxis(this.axis, logits.rank)) {
      // The mean over the classes inside the fused kernels, and in their gradient.
      return {values: sigmoidCrossEntropyWithLogits(yTrue, logits, {...options, reduction: 'meanOverClasses'})};
    }
    const perElement = sigmoidCrossEntropyWithLogits(yTrue, logits, options);
    return {values: perElement.rank === 0 ? perElement : mean(perElement, this.axis)};
  }

  override getConfig(): serialization.ConfigDict {
    return {
      ...super.getConfig(),
      fromLogits: this.fromLogits,
      labelSmoothing: this.labelSmoothing,
      axis: this.axis,
      posWeight: this.posWeight,
    };
  }
}

serialization.registerClass(BinaryCrossentropy, 'FusedCE');

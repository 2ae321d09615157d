/**
 * Keras 3 focal losses (Lin et al. 2017) on the focal ops
 * (src/ops/focal_cross_entropy.ts: fused on cpu, webgl and webgpu, composite elsewhere):
 *  - CategoricalFocalCrossentropy: one-hot / probability targets
 *  - SparseCategoricalFocalCrossentropy: integer class ids (our addition; Keras has none)
 *  - BinaryFocalCrossentropy: sigmoid, mean over `axis` per example
 * Per example `Σ_c α[c]·w[c]·ŷ[c]·(1 − p[c])^γ·(−log p[c])`; binary
 * `mean_axis b·(1 − p_t)^γ·bce` (kernels/FORMULAS.md).
 *
 * `fromLogits: false` (the Keras default) takes probabilities, treated as the
 * other classes of this package do (src/losses/categorical.ts, binary.ts):
 * renormalised and clipped to [1e-7, 1 − 1e-7] as Keras does, then fed to the
 * op as logits (log p, resp. log p − log1p(−p)), whose softmax / sigmoid gives
 * back those clipped probabilities.
 */
import {clipByValue, div, log, log1p, mean, neg, notEqual, scalar, serialization, squeeze, sub, sum, Tensor} from '@tensorflow/tfjs-core';
import {sigmoidFocalCrossEntropyWithLogits, softmaxFocalCrossEntropyWithLogits, sparseSoftmaxFocalCrossEntropyWithLogits} from '../ops/focal_cross_entropy';
import {BaseLossArgs, checks, Loss, PerExample, PROBABILITY_EPSILON, toNumberArray, validateArgs} from './loss';
import {overLastAxis} from './binary';
import {KerasReduction} from './reduction';

/** Arguments of `CategoricalFocalCrossentropy` (Keras 3 names, camelCase) plus ours. */
export interface CategoricalFocalCrossentropyArgs extends BaseLossArgs {
  /** α: one number (default 0.25, as Keras) or one weight per class. */
  alpha?: number | number[] | Float32Array | Tensor;
  /** γ ≥ 0, the focusing parameter (default 2). γ = 0 gives α-weighted cross-entropy. */
  gamma?: number;
  /** Whether `yPred` holds logits (true) or probabilities (false, the default). */
  fromLogits?: boolean;
  /** ε in [0, 1): targets become (1 − ε)·y + ε/C (default 0). */
  labelSmoothing?: number;
  /** The class axis (default −1). */
  axis?: number;
  /** Per-class weights w[c], multiplied into α (default none). */
  classWeights?: number[] | Float32Array | Tensor | null;
}

/** Arguments of `SparseCategoricalFocalCrossentropy`. */
export interface SparseCategoricalFocalCrossentropyArgs extends CategoricalFocalCrossentropyArgs {
  /** A label value whose examples give loss 0 and do not count in a mean (default none). */
  ignoreClass?: number | null;
}

/** Arguments of `BinaryFocalCrossentropy` (Keras 3 names, camelCase). */
export interface BinaryFocalCrossentropyArgs extends BaseLossArgs {
  /** Weight positives by α and negatives by 1 − α (default false). */
  applyClassBalancing?: boolean;
  /** α in [0, 1] (default 0.25), used with applyClassBalancing. */
  alpha?: number;
  /** γ ≥ 0 (default 2). */
  gamma?: number;
  fromLogits?: boolean;
  /** ε in [0, 1): targets become z·(1 − ε) + ε/2 (default 0). */
  labelSmoothing?: number;
  /** The axis averaged into one loss per example (default −1). */
  axis?: number;
}

const alphaCheck = (v: unknown) => typeof v === 'number' ? checks.nonNegative(v) : checks.vectorOrNull(false)(v);
const CATEGORICAL_SPEC = {
  alpha: alphaCheck,
  gamma: checks.nonNegative,
  fromLogits: checks.boolean,
  labelSmoothing: checks.labelSmoothing,
  axis: checks.integer,
  classWeights: checks.vectorOrNull(false),
  reduction: checks.reduction,
  name: checks.nonEmptyString,
};
const SPARSE_SPEC = {...CATEGORICAL_SPEC, ignoreClass: checks.integerOrNull};
const BINARY_SPEC = {
  applyClassBalancing: checks.boolean,
  alpha: (v: unknown) => typeof v === 'number' && v >= 0 && v <= 1 ? null : `must be a number in [0, 1], got ${String(v)}`,
  gamma: checks.nonNegative,
  fromLogits: checks.boolean,
  labelSmoothing: checks.labelSmoothing,
  axis: checks.integer,
  reduction: checks.reduction,
  name: checks.nonEmptyString,
};

abstract class SoftmaxFocalLoss extends Loss {
  declare readonly alpha: number | number[];
  declare readonly gamma: number;
  declare readonly fromLogits: boolean;
  declare readonly labelSmoothing: number;
  declare readonly axis: number;
  declare readonly classWeights: number[] | null;

  protected constructor(className: string, defaultName: string, args: CategoricalFocalCrossentropyArgs, spec: typeof CATEGORICAL_SPEC) {
    validateArgs(className, args, spec);
    const a = args ?? {};
    super(a.name ?? defaultName, (a.reduction ?? 'sum_over_batch_size') as KerasReduction);
    this.alpha = (toNumberArray(a.alpha) as number | number[] | undefined) ?? 0.25;
    this.gamma = a.gamma ?? 2;
    this.fromLogits = a.fromLogits ?? false;
    this.labelSmoothing = a.labelSmoothing ?? 0;
    this.axis = a.axis ?? -1;
    this.classWeights = (toNumberArray(a.classWeights) as number[] | null | undefined) ?? null;
  }

  protected logitsOf(yPred: Tensor): Tensor {
    if (this.fromLogits) {
      return yPred;
    }
    const normalised = div(yPred, sum(yPred, this.axis, true));
    return log(clipByValue(normalised, PROBABILITY_EPSILON, 1 - PROBABILITY_EPSILON));
  }

  protected opOptions() {
    return {
      axis: this.axis, alpha: this.alpha, gamma: this.gamma, labelSmoothing: this.labelSmoothing,
      ...(this.classWeights == null ? {} : {classWeights: this.classWeights}),
    };
  }

  override getConfig(): serialization.ConfigDict {
    return {
      ...super.getConfig(), alpha: this.alpha, gamma: this.gamma, fromLogits: this.fromLogits,
      labelSmoothing: this.labelSmoothing, axis: this.axis, classWeights: this.classWeights,
    };
  }
}

/**
 * Softmax focal cross-entropy, Keras 3's `CategoricalFocalCrossentropy`
 * (defaults α = 0.25, γ = 2), fused on cpu, webgl and webgpu.
 *
 * ```js
 * const loss = new CategoricalFocalCrossentropy({fromLogits: true, gamma: 2, alpha: [0.25, 0.5, 1]});
 * const model = tf.sequential({layers: [tf.layers.dense({inputShape: [4], units: 3})]});  // outputs logits
 * model.compile({optimizer: 'adam', loss});
 * await model.fit(tf.randomNormal([16, 4]), tf.oneHot(tf.randomUniformInt([16], 0, 3), 3), {epochs: 2});  // one-hot [N, C]
 * ```
 */
export class CategoricalFocalCrossentropy extends SoftmaxFocalLoss {
  static readonly className = 'CategoricalFocalCrossentropy';

  constructor(args: CategoricalFocalCrossentropyArgs = {}) {
    super(CategoricalFocalCrossentropy.className, 'categorical_focal_crossentropy', args, CATEGORICAL_SPEC);
  }

  perExample(yTrue: Tensor, yPred: Tensor): PerExample {
    return {values: softmaxFocalCrossEntropyWithLogits(yTrue, this.logitsOf(yPred), this.opOptions())};
  }
}

/**
 * Softmax focal cross-entropy with integer class ids (`yTrue` [N] or [N, 1]),
 * with `ignoreClass`. In tfjs-layers, compile it with `compileWithSparseLabels`
 * (src/losses/layers_sparse.ts) so that [N, 1] targets are accepted.
 */
export class SparseCategoricalFocalCrossentropy extends SoftmaxFocalLoss {
  static readonly className = 'SparseCategoricalFocalCrossentropy';
  /** Takes class ids: compileWithSparseLabels accepts it. */
  static readonly sparseLabels = true;
  declare readonly ignoreClass: number | null;

  constructor(args: SparseCategoricalFocalCrossentropyArgs = {}) {
    super(SparseCategoricalFocalCrossentropy.className, 'sparse_categorical_focal_crossentropy', args, SPARSE_SPEC);
    this.ignoreClass = args?.ignoreClass ?? null;
  }

  perExample(yTrue: Tensor, yPred: Tensor): PerExample {
    let labels = yTrue;
    if (labels.rank === yPred.rank && labels.rank > 0) {
      const axis = this.axis < 0 ? this.axis + yPred.rank : this.axis;
      if (labels.shape[axis] === 1) {
        labels = squeeze(labels, [axis]);
      }
    }
    // Float labels go to the op as they are: it never truncates a non-integer label (1.5, NaN)
    // to a class id, but throws (cpu) or gives NaN (GPU kernels, composite path) for it.
    const options = {...this.opOptions(), ...(this.ignoreClass == null ? {} : {ignoreIndex: this.ignoreClass})};
    const values = sparseSoftmaxFocalCrossEntropyWithLogits(labels, this.logitsOf(yPred), options);
    const valid = this.ignoreClass == null ? undefined : notEqual(labels, scalar(this.ignoreClass, labels.dtype));
    return {values, valid};
  }

  override getConfig(): serialization.ConfigDict {
    return {...super.getConfig(), ignoreClass: this.ignoreClass};
  }
}

/**
 * Sigmoid focal cross-entropy, Keras 3's `BinaryFocalCrossentropy`: the
 * elementwise focal loss averaged over `axis`.
 *
 * ```js
 * const loss = new BinaryFocalCrossentropy({fromLogits: true, applyClassBalancing: true, alpha: 0.25});
 * loss.call(tf.tensor2d([[1, 0, 0]]), tf.tensor2d([[2, -1, 0.5]])).print();   // 0.1002, the mean over the 3 outputs
 * ```
 */
export class BinaryFocalCrossentropy extends Loss {
  static readonly className = 'BinaryFocalCrossentropy';
  declare readonly applyClassBalancing: boolean;
  declare readonly alpha: number;
  declare readonly gamma: number;
  declare readonly fromLogits: boolean;
  declare readonly labelSmoothing: number;
  declare readonly axis: number;

  constructor(args: BinaryFocalCrossentropyArgs = {}) {
    validateArgs(BinaryFocalCrossentropy.className, args, BINARY_SPEC);
    const a = args ?? {};
    super(a.name ?? 'binary_focal_crossentropy', (a.reduction ?? 'sum_over_batch_size') as KerasReduction);
    this.applyClassBalancing = a.applyClassBalancing ?? false;
    this.alpha = a.alpha ?? 0.25;
    this.gamma = a.gamma ?? 2;
    this.fromLogits = a.fromLogits ?? false;
    this.labelSmoothing = a.labelSmoothing ?? 0;
    this.axis = a.axis ?? -1;
  }

  perExample(yTrue: Tensor, yPred: Tensor): PerExample {
    let logits = yPred;
    if (!this.fromLogits) {
      const p = clipByValue(yPred, PROBABILITY_EPSILON, 1 - PROBABILITY_EPSILON);
      logits = sub(log(p), log1p(neg(p)));
    }
    const options = {
      applyClassBalancing: this.applyClassBalancing, alpha: this.alpha, gamma: this.gamma, labelSmoothing: this.labelSmoothing,
    };
    if (overLastAxis(this.axis, logits.rank)) {
      // The mean over the last axis inside the fused kernels, and in their gradient.
      return {values: sigmoidFocalCrossEntropyWithLogits(yTrue, logits, {...options, reduction: 'meanOverClasses'})};
    }
    const perElement = sigmoidFocalCrossEntropyWithLogits(yTrue, logits, options);
    return {values: perElement.rank === 0 ? perElement : mean(perElement, this.axis)};
  }

  override getConfig(): serialization.ConfigDict {
    return {
      ...super.getConfig(), applyClassBalancing: this.applyClassBalancing, alpha: this.alpha, gamma: this.gamma,
      fromLogits: this.fromLogits, labelSmoothing: this.labelSmoothing, axis: this.axis,
    };
  }
}

serialization.registerClass(CategoricalFocalCrossentropy, 'FusedCE');
serialization.registerClass(SparseCategoricalFocalCrossentropy, 'FusedCE');
serialization.registerClass(BinaryFocalCrossentropy, 'FusedCE');

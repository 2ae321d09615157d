/**
 * Keras 3 `CategoricalCrossentropy` and `SparseCategoricalCrossentropy` on the
 * fused softmax cross-entropy ops.
 *
 * `fromLogits: false` (the Keras default) takes probabilities: like Keras's
 * TensorFlow backend, they are renormalised along the class axis, clipped to
 * [1e-7, 1 − 1e-7] and their log is fed to the fused op as logits (the op's
 * log-sum-exp of log-probabilities is ≈ 0, so the loss is −Σ y·log p). Logits
 * (`fromLogits: true`) are never clipped (tfjs-layers' own sparse loss clips
 * them: a bug).
 */
import {
  clipByValue, div, log, notEqual, scalar, serialization, squeeze, sum, Tensor, tidy,
} from '@tensorflow/tfjs-core';
import {SoftmaxLossReduction} from '../ops/elementwise_reduction';
import {softmaxCrossEntropyWithLogits, sparseSoftmaxCrossEntropyWithLogits} from '../ops/softmax_cross_entropy';
import {BaseLossArgs, checks, Loss, PerExample, PROBABILITY_EPSILON, toNumberArray, validateArgs} from './loss';
import {KerasReduction} from './reduction';

/** Arguments of `CategoricalCrossentropy` (Keras 3 names, camelCase) plus ours. */
export interface CategoricalCrossentropyArgs extends BaseLossArgs {
  /** Whether `yPred` holds logits (true) or probabilities (false, the default). */
  fromLogits?: boolean;
  /** ε in [0, 1): targets become (1 − ε)·y + ε/C (default 0). */
  labelSmoothing?: number;
  /** The class axis (default −1). */
  axis?: number;
  /** T > 0: the loss uses logits / T (default 1). */
  temperature?: number;
  /**
   * Per-class weights w[c], length C (default none): PyTorch's `weight`. A
   * tensor is read once with dataSync (on WebGPU in Node, where dataSync
   * fails, pass numbers).
   */
  classWeights?: number[] | Float32Array | Tensor | null;
  /** λ ≥ 0: adds λ·logsumexp² per example (default 0). */
  zLoss?: number;
}

/** Arguments of `SparseCategoricalCrossentropy`. */
export interface SparseCategoricalCrossentropyArgs extends CategoricalCrossentropyArgs {
  /** A label value whose examples give loss 0 and do not count in a mean (default none). */
  ignoreClass?: number | null;
}

const CATEGORICAL_SPEC = {
  fromLogits: checks.boolean,
  labelSmoothing: checks.labelSmoothing,
  axis: checks.integer,
  reduction: checks.reduction,
  name: checks.nonEmptyString,
  temperature: checks.positive,
  classWeights: checks.vectorOrNull(false),
  zLoss: checks.nonNegative,
};
const SPARSE_SPEC = {...CATEGORICAL_SPEC, ignoreClass: checks.integerOrNull};

/** Log of renormalised, clipped probabilities along `axis` (Keras's from_logits=False). */
function probabilitiesToLogits(p: Tensor, axis: number): Tensor {
  const normalised = div(p, sum(p, axis, true));
  return log(clipByValue(normalised, PROBABILITY_EPSILON, 1 - PROBABILITY_EPSILON));
}

/** Shared fields and option plumbing of the two softmax losses. */
abstract class SoftmaxLoss extends Loss {
  declare readonly fromLogits: boolean;
  declare readonly labelSmoothing: number;
  declare readonly axis: number;
  declare readonly temperature: number;
  declare readonly classWeights: number[] | null;
  declare readonly zLoss: number;

  protected constructor(className: string, defaultName: string, args: CategoricalCrossentropyArgs,
                        spec: typeof CATEGORICAL_SPEC) {
    validateArgs(className, args, spec);
    const a = {...args, classWeights: toNumberArray(args?.classWeights)} as CategoricalCrossentropyArgs;
    super(a.name ?? defaultName, (a.reduction ?? 'sum_over_batch_size') as KerasReduction);
    this.fromLogits = a.fromLogits ?? false;
    this.labelSmoothing = a.labelSmoothing ?? 0;
    this.axis = a.axis ?? -1;
    this.temperature = a.temperature ?? 1;
    this.classWeights = (a.classWeights as number[] | null | undefined) ?? null;
    this.zLoss = a.zLoss ?? 0;
  }

  /** The op's loss with `reduction` ('none': per example). */
  protected abstract lossOf(yTrue: Tensor, yPred: Tensor, reduction: SoftmaxLossReduction): Tensor;

  /**
   * Without sample weights, 'sum' and the means run inside the op's kernels
   * (and so does their gradient: kernels/FORMULAS.md, "Fused reductions"),
   * with Keras's values: the mean over the examples that count (the ignore
   * class excluded, at least one), NaN for no examples without an ignore class.
   */
  override call(yTrue: Tensor, yPred: Tensor, sampleWeight?: Tensor): Tensor {
    if (sampleWeight != null || this.reduction === 'none') {
      return super.call(yTrue, yPred, sampleWeight);
    }
    return tidy(() => this.lossOf(yTrue, yPred, this.reduction === 'sum' ? 'sum' : 'mean'));
  }

  /** `yPred` as logits. */
  protected logitsOf(yPred: Tensor): Tensor {
    return this.fromLogits ? yPred : probabilitiesToLogits(yPred, this.axis);
  }

  protected opOptions() {
    return {
      axis: this.axis,
      temperature: this.temperature,
      labelSmoothing: this.labelSmoothing,
      zLoss: this.zLoss,
      ...(this.classWeights == null ? {} : {classWeights: this.classWeights}),
    };
  }

  override getConfig(): serialization.ConfigDict {
    return {
      ...super.getConfig(),
      fromLogits: this.fromLogits,
      labelSmoothing: this.labelSmoothing,
      axis: this.axis,
      temperature: this.temperature,
      classWeights: this.classWeights,
      zLoss: this.zLoss,
    };
  }
}

/**
 * Cross-entropy between one-hot (or probability) targets and predictions,
 * Keras 3's `CategoricalCrossentropy` on the fused kernel.
 *
 * ```js
 * const loss = new CategoricalCrossentropy({fromLogits: true, labelSmoothing: 0.1});
 * const yTrue = tf.tensor2d([[0, 1, 0], [1, 0, 0]]);                 // one-hot (or probability) rows [N, C]
 * const logits = tf.tensor2d([[1, 2, 0.5], [3, -1, 0]]);
 * loss.call(yTrue, logits).print();                                   // 0.4235, the batch mean
 * const model = tf.sequential({layers: [tf.layers.dense({inputShape: [4], units: 3})]});  // outputs logits
 * model.compile({optimizer: 'adam', loss});
 * ```
 */
export class CategoricalCrossentropy extends SoftmaxLoss {
  static readonly className = 'CategoricalCrossentropy';

  constructor(args: CategoricalCrossentropyArgs = {}) {
    super(CategoricalCrossentropy.className, 'categorical_crossentropy', args, CATEGORICAL_SPEC);
  }

  perExample(yTrue: Tensor, yPred: Tensor): PerExample {
    return {values: this.lossOf(yTrue, yPred, 'none')};
  }

  protected lossOf(yTrue: Tensor, yPred: Tensor, reduction: SoftmaxLossReduction): Tensor {
    return softmaxCrossEntropyWithLogits(yTrue, this.logitsOf(yPred), {...this.opOptions(), reduction});
  }
}

/**
 * Cross-entropy with integer class ids, Keras 3's
 * `SparseCategoricalCrossentropy` on the fused sparse kernel (no one-hot
 * tensor is built). `yTrue` has `yPred`'s shape without the class axis, or
 * with a class axis of size 1 (`[N, 1]`, as tfjs-layers passes targets);
 * float labels holding class ids are fine; a float label that is not an
 * integer (1.5, NaN) is never truncated to a class: it throws on cpu and
 * gives NaN for its example on the GPU kernels and the composite path.
 *
 * In tfjs-layers, `model.compile({loss})` accepts the instance, but `fit`,
 * `evaluate` and `trainOnBatch` only accept `[N]` / `[N, 1]` targets, and
 * `metrics: ['accuracy']` only means sparse accuracy, for tfjs's own sparse
 * loss (an identity check). Compile with `compileWithSparseLabels(model,
 * args)` to get both (see layers_sparse.ts).
 *
 * ```js
 * const model = tf.sequential({layers: [tf.layers.dense({inputShape: [4], units: 3})]});  // outputs logits
 * const loss = new SparseCategoricalCrossentropy({fromLogits: true, ignoreClass: -1});
 * compileWithSparseLabels(model, {optimizer: 'adam', loss, metrics: ['accuracy']});
 * const labels = tf.tensor1d([0, 2, 1, -1, 0, 1, 2, -1], 'int32');   // [N] or [N, 1]; -1 adds no loss
 * await model.fit(tf.randomNormal([8, 4]), labels, {epochs: 2});
 * ```
 */
export class SparseCategoricalCrossentropy extends SoftmaxLoss {
  static readonly className = 'SparseCategoricalCrossentropy';
  declare readonly ignoreClass: number | null;

  constructor(args: SparseCategoricalCrossentropyArgs = {}) {
    super(SparseCategoricalCrossentropy.className, 'sparse_categorical_crossentropy', args, SPARSE_SPEC);
    this.ignoreClass = args?.ignoreClass ?? null;
  }

  perExample(yTrue: Tensor, yPred: Tensor): PerExample {
    const labels = this.classIds(yTrue, yPred);
    const values = this.lossOf(labels, yPred, 'none');
    const valid = this.ignoreClass == null ? undefined : notEqual(labels, scalar(this.ignoreClass, labels.dtype));
    return {values, valid};
  }

  protected lossOf(yTrue: Tensor, yPred: Tensor, reduction: SoftmaxLossReduction): Tensor {
    // Float labels go to the op as they are: it never truncates a non-integer label (1.5, NaN)
    // to a class id, but throws (cpu) or gives NaN (GPU kernels, composite path) for it.
    const options = {...this.opOptions(), ...(this.ignoreClass == null ? {} : {ignoreIndex: this.ignoreClass}), reduction};
    return sparseSoftmaxCrossEntropyWithLogits(this.classIds(yTrue, yPred), this.logitsOf(yPred), options);
  }

  /** `yTrue` without a class axis of size 1 (`[N, 1]`, as tfjs-layers passes targets). */
  private classIds(yTrue: Tensor, yPred: Tensor): Tensor {
    if (yTrue.rank === yPred.rank && yTrue.rank > 0) {
      const axis = this.axis < 0 ? this.axis + yPred.rank : this.axis;
      if (yTrue.shape[axis] === 1) {
        return squeeze(yTrue, [axis]);
      }
    }
    return yTrue;
  }

  override getConfig(): serialization.ConfigDict {
    return {...super.getConfig(), ignoreClass: this.ignoreClass};
  }
}

serialization.registerClass(CategoricalCrossentropy, 'FusedCE');
serialization.registerClass(SparseCategoricalCrossentropy, 'FusedCE');

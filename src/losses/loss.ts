/**
 * The base of the Keras-style loss classes: argument validation, config,
 * serialization, the reduction, and the callable instance tfjs-layers needs.
 *
 * An instance is a function. `model.compile({optimizer, loss: instance})`
 * accepts any function `(yTrue, yPred) => Tensor` (tfjs-layers' `losses.get`
 * returns it unchanged), so the constructor returns a function object whose
 * prototype is the class's: `instance instanceof CategoricalCrossentropy`,
 * `instance.getConfig()` and `instance.call(yTrue, yPred)` all work, and
 * `instance(yTrue, yPred)` is what tfjs-layers calls. Such an object does not
 * inherit `Function.prototype` (no `bind` / `apply`; call it directly), and
 * its `name` is the loss name, which is also what tfjs-layers shows when the
 * loss is used as a metric.
 */
import {serialization, Tensor, tidy} from '@tensorflow/tfjs-core';
import {checkKnownKeys, readableOnHost} from '../ops/validate';
import {isKerasReduction, KERAS_REDUCTIONS, kerasReduce, KerasReduction, layersContributions} from './reduction';

/** Arguments every loss class takes. */
export interface BaseLossArgs {
  /** 'sum_over_batch_size' (default), 'mean' (same), 'sum' or 'none'. */
  reduction?: KerasReduction;
  /** The loss name (defaults to the Keras name, e.g. 'categorical_crossentropy'). */
  name?: string;
}

/** Per-example losses and, where examples can be ignored, which ones count. */
export interface PerExample {
  values: Tensor;
  /** 1 where the example counts in a mean, 0 where it is ignored. */
  valid?: Tensor;
}

/** A check for one constructor argument: returns an error text, or null when fine. */
export type ArgCheck = (value: unknown) => string | null;

const fmt = (v: unknown): string => {
  if (typeof v === 'string') {
    return `'${v}'`;
  }
  if (Array.isArray(v)) {
    return `[${v.map(fmt).join(', ')}]`;
  }
  if (v instanceof Tensor) {
    return `a Tensor of shape [${v.shape}]`;
  }
  return String(v);
};

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Argument checks shared by the classes; each message says what is expected and what came. */
export const checks = {
  boolean: (v: unknown) => typeof v === 'boolean' ? null : `must be a boolean, got ${fmt(v)}`,
  integer: (v: unknown) => Number.isInteger(v) ? null : `must be an integer, got ${fmt(v)}`,
  integerOrNull: (v: unknown) => v === null || Number.isInteger(v) ? null : `must be an integer or null, got ${fmt(v)}`,
  nonEmptyString: (v: unknown) => typeof v === 'string' && v.length > 0 ? null : `must be a non-empty string, got ${fmt(v)}`,
  labelSmoothing: (v: unknown) => isFiniteNumber(v) && v >= 0 && v < 1 ? null : `must be a number in [0, 1), got ${fmt(v)}`,
  positive: (v: unknown) => isFiniteNumber(v) && v > 0 ? null : `must be a finite number > 0, got ${fmt(v)}`,
  nonNegative: (v: unknown) => isFiniteNumber(v) && v >= 0 ? null : `must be a finite number ≥ 0, got ${fmt(v)}`,
  reduction: (v: unknown) => isKerasReduction(v) ? null :
      `must be one of ${KERAS_REDUCTIONS.map(r => `'${r}'`).join(', ')}, got ${fmt(v)}`,
  /** A non-empty vector of finite numbers ≥ 0 (`positive`: > 0), or null. */
  vectorOrNull: (positive: boolean) => (raw: unknown) => {
    if (raw === null) {
      return null;
    }
    if (raw instanceof Tensor && !readableOnHost(raw)) {
      // A config is numbers; reading these would be a synchronous GPU read (webgpu in Node throws).
      return `must be numbers: got a tensor whose values live only on the GPU; pass Array.from(await t.data())`;
    }
    const v = toNumberArray(raw);
    const ok = Array.isArray(v) && v.length > 0 &&
        v.every(x => isFiniteNumber(x) && (positive ? x > 0 : x >= 0));
    return ok ? null :
        `must be a non-empty array of finite numbers ${positive ? '> 0' : '≥ 0'} (or a Float32Array / 1-D tensor), got ${fmt(v)}`;
  },
};

/**
 * A per-class vector argument as plain numbers (a config must be JSON):
 * arrays and typed arrays are copied, a 1-D tensor is read once with dataSync.
 */
export function toNumberArray(v: unknown): unknown {
  if (v instanceof Tensor) {
    return v.rank === 1 ? Array.from(v.dataSync()) : v;
  }
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    return Array.from(v as unknown as ArrayLike<number>);
  }
  return v;
}

/**
 * Validates constructor arguments against `spec` (argument name → check).
 * Throws `${className}: ${arg} ${problem}`; unknown keys are refused, with a
 * hint when a Keras snake_case name or a near miss was used (the ops' own
 * check, validate.ts `checkKnownKeys`).
 */
export function validateArgs(className: string, args: object | undefined, spec: Record<string, ArgCheck>): void {
  if (args == null) {
    return;
  }
  if (typeof args !== 'object' || Array.isArray(args)) {
    throw new Error(`${className}: arguments must be an object, got ${fmt(args)}`);
  }
  checkKnownKeys(className, 'argument', args, Object.keys(spec));
  for (const [key, value] of Object.entries(args)) {
    if (value === undefined) {
      continue;
    }
    const problem = spec[key](value);
    if (problem != null) {
      throw new Error(`${className}: ${key} ${problem}`);
    }
  }
}

/** Keras's epsilon for probabilities (tfjs-layers `epsilon()`): 1e-7. */
export const PROBABILITY_EPSILON = 1e-7;

/** The instance type: a function tfjs-layers can call, plus the class's members. */
export interface Loss {
  /**
   * The tfjs-layers loss function (what `model.compile` calls): per-example
   * contributions whose mean is this loss under its reduction, so that
   * per-example weights tfjs-layers applies afterwards (`classWeight` in
   * `fit`) weigh examples. Use `call` for the reduced value.
   */
  (yTrue: Tensor, yPred: Tensor): Tensor;
}

/**
 * Keras-style loss base class. Subclasses validate their arguments, compute
 * per-example values with the fused ops (`perExample`), and describe
 * themselves (`getConfig`).
 */
export abstract class Loss extends serialization.Serializable {
  /** The loss name (also the function's `name`). */
  declare readonly name: string;
  /** The Keras reduction applied by `call`. */
  declare readonly reduction: KerasReduction;

  protected constructor(name: string, reduction: KerasReduction) {
    super();
    const fn = (yTrue: Tensor, yPred: Tensor): Tensor => (fn as unknown as Loss).layersLoss(yTrue, yPred);
    Object.setPrototypeOf(fn, new.target.prototype);
    Object.defineProperty(fn, 'name', {value: name, configurable: true});
    Object.defineProperty(fn, 'reduction', {value: reduction, enumerable: true});
    // A constructor that returns an object makes it `this` for the subclass
    // constructors, which then set their own fields on the function.
    return fn as unknown as Loss;
  }

  /**
   * Per-example losses, unreduced (`yPred`'s shape without the class axis for
   * the categorical losses; without `axis` for binary).
   */
  abstract perExample(yTrue: Tensor, yPred: Tensor): PerExample;

  /**
   * The loss, reduced: a scalar, or the per-example losses for 'none'.
   * `sampleWeight` (broadcastable to the per-example losses) is Keras's
   * `sample_weight`.
   */
  call(yTrue: Tensor, yPred: Tensor, sampleWeight?: Tensor): Tensor {
    return tidy(() => {
      const {values, valid} = this.perExample(yTrue, yPred);
      return kerasReduce(values, this.reduction, {sampleWeight, valid});
    });
  }

  /** What `instance(yTrue, yPred)` returns; see the call signature. */
  layersLoss(yTrue: Tensor, yPred: Tensor): Tensor {
    return tidy(() => {
      const {values, valid} = this.perExample(yTrue, yPred);
      return layersContributions(values, this.reduction, valid);
    });
  }

  /** Keras-style config: camelCase constructor arguments. */
  getConfig(): serialization.ConfigDict {
    return {name: this.name, reduction: this.reduction};
  }

  override toString(): string {
    return `${this.getClassName()}(${JSON.stringify(this.getConfig())})`;
  }
}

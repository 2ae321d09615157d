/**
 * Sparse integer labels end to end in tfjs-layers with our
 * `SparseCategoricalCrossentropy`.
 *
 * Why a helper: tfjs-layers 4.22 (engine/training.ts) decides two things by
 * comparing the compiled loss function, by identity, with its own
 * `losses.sparseCategoricalCrossentropy`:
 *  1. `standardizeUserDataXY` (fit, evaluate, trainOnBatch) expects targets of
 *     the output's shape, `[N, C]`, unless the loss is that function, in which
 *     case it expects `[N, 1]` (and `[N]`, which it expands to `[N, 1]`);
 *  2. `compile` resolves `metrics: ['accuracy']` to `sparseCategoricalAccuracy`
 *     only for that function, else to `categoricalAccuracy`, which is wrong for
 *     class ids.
 * No other loss function can pass those checks. `fitDataset` skips check 1
 * but not 2.
 *
 * What the helper does: it compiles the model with tfjs's sparse loss *name*
 * in the place of each of our sparse losses, so that tfjs-layers records its
 * own function where it checks identity (the target-shape check and the
 * metric resolution), then puts our loss in `lossFunctions` (public in
 * tfjs-layers' typings), which is what the train and test functions call, and
 * restores `loss` to what was passed. tfjs's sparse loss is never computed.
 * Dense losses and other outputs are compiled unchanged. A `Sequential`
 * model delegates all of this to an internal functional model (the private
 * field `model` of tfjs-layers' Sequential); the swap happens there, and the
 * helper throws if it finds no compiled loss function to replace.
 */
import type {Tensor} from '@tensorflow/tfjs-core';
import type {LayersModel, ModelCompileArgs} from '@tensorflow/tfjs-layers';
import {SparseCategoricalCrossentropy} from './categorical';
import {Loss} from './loss';

/** A loss class that takes class ids: declares `static readonly sparseLabels = true`. */
type SparseLabelLoss = Loss & {fromLogits: boolean};

/**
 * Whether `loss` takes integer class ids: our SparseCategoricalCrossentropy,
 * or any Loss subclass declaring `static readonly sparseLabels = true` (e.g.
 * SparseCategoricalFocalCrossentropy).
 */
function isSparseLabelLoss(loss: unknown): loss is SparseLabelLoss {
  return loss instanceof SparseCategoricalCrossentropy ||
      (loss instanceof Loss && (loss.constructor as {sparseLabels?: boolean}).sparseLabels === true);
}

/** tfjs-layers' registered name of its own sparse loss. */
const TFJS_SPARSE_LOSS = 'sparseCategoricalCrossentropy';

type LossArg = ModelCompileArgs['loss'];
type LossOrName = string | ((yTrue: Tensor, yPred: Tensor) => Tensor);

/**
 * `ModelCompileArgs` whose `loss` may also mix names and functions in an array
 * or per-output map (tfjs-layers resolves each entry on its own, its typings
 * just do not say so).
 */
export interface SparseCompileArgs extends Omit<ModelCompileArgs, 'loss'> {
  loss: LossArg | LossOrName[] | {[outputName: string]: LossOrName};
}

function metricNames(metrics: ModelCompileArgs['metrics']): string[] {
  if (metrics == null) {
    return [];
  }
  const list = Array.isArray(metrics) ? metrics : typeof metrics === 'object' ? Object.values(metrics).flat() : [metrics];
  return list.filter((m): m is string => typeof m === 'string');
}

/**
 * `model.compile(args)` for models trained with our
 * `SparseCategoricalCrossentropy` on integer labels: afterwards `fit`,
 * `evaluate`, `trainOnBatch` and `fitDataset` take labels shaped `[N]` or
 * `[N, 1]` (int32 or float32 class ids) and `metrics: ['accuracy']` reports
 * sparse categorical accuracy, exactly as with tfjs's
 * `loss: 'sparseCategoricalCrossentropy'`, while the loss computed is ours
 * (fused kernel, `fromLogits`, `ignoreClass`, class weights, ...).
 *
 * `args.loss` may be one instance, an array (one per output) or a map by
 * output name; entries that are not our sparse loss are passed through.
 *
 * ```js
 * const model = tf.sequential({layers: [tf.layers.dense({inputShape: [2], units: 3})]});  // outputs logits
 * const loss = new SparseCategoricalCrossentropy({fromLogits: true});
 * compileWithSparseLabels(model, {optimizer: tf.train.adam(0.01), loss, metrics: ['accuracy']});
 * const features = tf.tensor2d([[0, 1], [1, 0], [1, 1], [0, 0]]);
 * const history = await model.fit(features, tf.tensor1d([2, 1, 0, 1], 'int32'), {epochs: 5});
 * console.log(history.history.acc);   // sparse categorical accuracy per epoch
 * ```
 *
 * With `fromLogits: true`, the metric names 'crossentropy' / 'ce' are refused:
 * tfjs would compute its probability cross-entropy on logits. Pass the loss
 * instance itself as a metric instead.
 */
export function compileWithSparseLabels(model: LayersModel, args: SparseCompileArgs): void {
  // Which outputs get our loss: an index, an output name, or null for every
  // output (resolved after compile: a Sequential model knows its outputs only
  // once built).
  const swaps: Array<[number | string | null, SparseLabelLoss]> = [];
  const replace = (loss: unknown, output: number | string): unknown => {
    if (isSparseLabelLoss(loss)) {
      swaps.push([output, loss]);
      return TFJS_SPARSE_LOSS;
    }
    return loss;
  };
  let compiledLoss: unknown;
  const loss = args.loss as unknown;
  if (Array.isArray(loss)) {
    compiledLoss = loss.map((l, i) => replace(l, i));
  } else if (isSparseLabelLoss(loss)) {
    compiledLoss = TFJS_SPARSE_LOSS;
    swaps.push([null, loss]);
  } else if (loss != null && typeof loss === 'object') {
    compiledLoss = Object.fromEntries(Object.entries(loss).map(([name, l]) => [name, replace(l, name)]));
  } else {
    compiledLoss = loss;
  }
  if (swaps.length === 0) {
    throw new Error('compileWithSparseLabels: args.loss contains no SparseCategoricalCrossentropy instance; ' +
        'use model.compile for other losses');
  }
  if (swaps.some(([, l]) => l.fromLogits) &&
      metricNames(args.metrics).some(m => m === 'crossentropy' || m === 'ce')) {
    throw new Error(`compileWithSparseLabels: metric 'crossentropy' would be computed by tfjs on logits ` +
        `(fromLogits: true); pass the loss instance itself in metrics instead`);
  }
  model.compile({...args, loss: compiledLoss as LossArg});
  // A Sequential model delegates compile, fit, evaluate, trainOnBatch and
  // fitDataset to an internal functional model (its private field `model`):
  // the compiled loss functions live there.
  const inner = (model as unknown as {model?: unknown}).model;
  const target = inner != null && Array.isArray((inner as LayersModel).lossFunctions) ? inner as LayersModel : model;
  for (const [output, ours] of swaps) {
    const indices = output === null ? target.lossFunctions.map((_, i) => i) :
        [typeof output === 'number' ? output : target.outputNames.indexOf(output)];
    for (const i of indices) {
      if (!(i >= 0 && i < target.lossFunctions.length && typeof target.lossFunctions[i] === 'function')) {
        throw new Error(`compileWithSparseLabels: no compiled loss function for output ${output ?? 'all'}`);
      }
      target.lossFunctions[i] = ours;
    }
  }
  target.loss = args.loss as LossArg;
  model.loss = args.loss as LossArg;
}

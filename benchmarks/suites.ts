/**
 * The benchmark suites, one per kernel family: what each provider calls, on
 * which shapes and in which modes. Pure data plus tfjs calls: used in Node,
 * in the browser bundle and in the real-GPU bundle alike.
 *
 * Providers (same math, different implementations):
 *  - fused:       this package's op (fused kernel when the backend has one);
 *  - composite:   the same op with `FUSED_CE_FORCE_COMPOSITE` on (tfjs ops);
 *  - tf.losses:   tf.losses.softmaxCrossEntropy / sigmoidCrossEntropy with
 *                 Reduction.NONE (sparse: after tf.oneHot, inside the timing,
 *                 as a user must);
 *  - tfjs-layers: tfjs-layers' from-logits losses (dist/losses.js, the
 *                 functions behind the Keras-style string losses).
 */
import * as tf from '@tensorflow/tfjs-core';
import type {Tensor} from '@tensorflow/tfjs-core';
import type {LayersModel} from '@tensorflow/tfjs-layers';
// tfjs-layers keeps its from-logits losses out of its public API (tf.metrics
// has only the probability versions): import the module itself.
import {categoricalCrossentropy, sigmoidCrossEntropyWithLogits as layersSigmoidCE,
  sparseCategoricalCrossentropy} from '@tensorflow/tfjs-layers/dist/losses';
import * as fce from '../src/index';
import {Provider, Shape, Suite, TRAIN_FEATURES} from './harness';
import {largeVocabShapes, sigmoidShapes, softmaxModes, softmaxShapes} from './shapes';
import {TRAIN_MODEL_SUITES} from './train_models';

const kn = fce.kernelNames;

function withComposite<T>(fn: () => T): T {
  const before = fce.isCompositeForced();
  fce.setForceComposite(true);
  try {
    return fn();
  } finally {
    fce.setForceComposite(before);
  }
}

/** The same across a training step's awaits (nothing else runs meanwhile). */
async function withCompositeAsync(step: () => Promise<unknown>): Promise<unknown> {
  const before = fce.isCompositeForced();
  fce.setForceComposite(true);
  try {
    return await step();
  } finally {
    fce.setForceComposite(before);
  }
}

/** Seeded inputs: logits ~ N(0, 2²); labels from seeded uniform class ids. */
function classIds(shape: Shape): Tensor {
  return tf.tidy(() => tf.cast(tf.floor(tf.mul(tf.randomUniform([shape.rows], 0, 1, 'float32', 7), shape.classes)), 'int32'));
}
function logitsOf(shape: Shape): Tensor {
  return tf.randomNormal([shape.rows, shape.classes], 0, 2, 'float32', 11);
}
function featuresOf(shape: Shape): Tensor {
  return tf.randomNormal([shape.rows, TRAIN_FEATURES], 0, 1, 'float32', 13);
}

function provider(
    id: Provider['id'], call: string, loss: (labels: Tensor, logits: Tensor) => Tensor,
    opts: {perExample?: boolean, noTrain?: string, meanLoss?: Provider['meanLoss']} = {}): Provider {
  const perExample = opts.perExample ?? true;
  return {
    id, call, loss, meanLoss: opts.meanLoss,
    // tfjs-layers averages what the loss returns per sample: give it [rows].
    layersLoss: opts.noTrain ? null :
        (perExample ? (y: Tensor, x: Tensor) => loss(y, x) : (y: Tensor, x: Tensor) => tf.mean(loss(y, x), -1)),
    noTrain: opts.noTrain,
  };
}

export const softmaxSuite: Suite = {
  id: 'softmax-ce',
  title: 'Softmax cross-entropy, dense (one-hot) labels',
  kernels: [kn.SoftmaxCrossEntropy, kn.SoftmaxCrossEntropyGrad],
  providers: [
    provider('fused', 'softmaxCrossEntropyWithLogits(labels, logits); fwd+bwd: {reduction: \'mean\'}',
        (y, x) => fce.softmaxCrossEntropyWithLogits(y, x),
        {meanLoss: (y, x) => fce.softmaxCrossEntropyWithLogits(y, x, {reduction: 'mean'})}),
    provider('composite', 'same, FUSED_CE_FORCE_COMPOSITE=true',
        (y, x) => withComposite(() => fce.softmaxCrossEntropyWithLogits(y, x)),
        {meanLoss: (y, x) => withComposite(() => fce.softmaxCrossEntropyWithLogits(y, x, {reduction: 'mean'}))}),
    provider('tf.losses', 'tf.losses.softmaxCrossEntropy(labels, logits, undefined, 0, Reduction.NONE)',
        (y, x) => tf.losses.softmaxCrossEntropy(y, x, undefined, 0, tf.Reduction.NONE)),
    provider('tfjs-layers', 'tfjs-layers categoricalCrossentropy(labels, logits, fromLogits=true)',
        (y, x) => categoricalCrossentropy(y, x, true)),
  ],
  shapes: softmaxShapes,
  modes: softmaxModes,
  makeInputs(shape) {
    return tf.tidy(() => {
      const labels = tf.cast(tf.oneHot(classIds(shape), shape.classes), 'float32');
      return {logits: logitsOf(shape), labels, features: featuresOf(shape), trainTargets: labels};
    });
  },
};

/**
 * Sparse train mode. tfjs-layers accepts [N, 1] class-id targets in
 * trainOnBatch only for its own sparseCategoricalCrossentropy (an identity
 * check in training.ts): ours goes through the package's
 * compileWithSparseLabels, tfjs-layers' is its string loss on a softmax
 * output (the Keras way), and tf.losses has no way in.
 */
const SPARSE_NO_TRAIN = 'tf.losses cannot take class-id targets in trainOnBatch (tfjs-layers accepts them ' +
    'only for its own sparseCategoricalCrossentropy)';

function sparseCompile(model: LayersModel, optimizer: tf.Optimizer): void {
  fce.compileWithSparseLabels(model, {optimizer, loss: new fce.SparseCategoricalCrossentropy({fromLogits: true})});
}

export const sparseSuite: Suite = {
  id: 'sparse-softmax-ce',
  title: 'Softmax cross-entropy, sparse (int32 class id) labels',
  kernels: [kn.SparseSoftmaxCrossEntropy, kn.SparseSoftmaxCrossEntropyGrad],
  providers: [
    {
      ...provider('fused', 'sparseSoftmaxCrossEntropyWithLogits(labels, logits); fwd+bwd: {reduction: \'mean\'}; ' +
          'train: compileWithSparseLabels',
          (y, x) => fce.sparseSoftmaxCrossEntropyWithLogits(y, x),
          {noTrain: SPARSE_NO_TRAIN, meanLoss: (y, x) => fce.sparseSoftmaxCrossEntropyWithLogits(y, x, {reduction: 'mean'})}),
      compileTrain: sparseCompile,
    },
    {
      ...provider('composite', 'same, FUSED_CE_FORCE_COMPOSITE=true',
          (y, x) => withComposite(() => fce.sparseSoftmaxCrossEntropyWithLogits(y, x)),
          {noTrain: SPARSE_NO_TRAIN,
            meanLoss: (y, x) => withComposite(() => fce.sparseSoftmaxCrossEntropyWithLogits(y, x, {reduction: 'mean'}))}),
      compileTrain: sparseCompile,
      aroundTrainStep: withCompositeAsync,
    },
    provider('tf.losses', 'tf.losses.softmaxCrossEntropy(tf.oneHot(labels, C), logits, undefined, 0, Reduction.NONE)',
        (y, x) => tf.losses.softmaxCrossEntropy(tf.oneHot(y, x.shape[1]!), x, undefined, 0, tf.Reduction.NONE),
        {noTrain: SPARSE_NO_TRAIN}),
    // Speed only: this function clips the *logits* to [1e-7, 1 − 1e-7] before
    // the softmax (a tfjs-layers bug), so its values differ.
    {
      ...provider('tfjs-layers', 'tfjs-layers sparseCategoricalCrossentropy(float labels, logits, fromLogits=true) ' +
          '(clips logits: wrong values); train: softmax output + loss \'sparseCategoricalCrossentropy\'',
      (y, x) => sparseCategoricalCrossentropy(tf.cast(y, 'float32'), x, true), {noTrain: SPARSE_NO_TRAIN}),
      compileTrain: (model, optimizer) => model.compile({optimizer, loss: 'sparseCategoricalCrossentropy'}),
      trainActivation: 'softmax',
    },
  ],
  shapes: softmaxShapes,
  modes: softmaxModes,
  makeInputs(shape) {
    return tf.tidy(() => {
      const labels = classIds(shape);
      return {
        logits: logitsOf(shape), labels, features: featuresOf(shape),
        trainTargets: tf.reshape(tf.cast(labels, 'float32'), [shape.rows, 1]),
      };
    });
  },
};

/**
 * Large vocabularies (language-model heads), sparse labels: C = 50257
 * (GPT-2), 128256 (Llama 3), 262144 (Gemma 3). forward+backward only by
 * default: that is the training-time cost.
 */
export const largeVocabSuite: Suite = {
  ...sparseSuite,
  id: 'large-vocab-sparse-ce',
  title: 'Sparse softmax cross-entropy, language-model vocabularies',
  shapes: largeVocabShapes,
  modes: (_backend, _shape, full) => (full ? ['forward', 'forward+backward'] : ['forward+backward']),
};

export const sigmoidSuite: Suite = {
  id: 'sigmoid-ce',
  title: 'Sigmoid cross-entropy (multi-label), elementwise',
  kernels: [kn.SigmoidCrossEntropy, kn.SigmoidCrossEntropyGrad],
  providers: [
    provider('fused', 'sigmoidCrossEntropyWithLogits(labels, logits)',
        (y, x) => fce.sigmoidCrossEntropyWithLogits(y, x), {perExample: false}),
    provider('composite', 'same, FUSED_CE_FORCE_COMPOSITE=true',
        (y, x) => withComposite(() => fce.sigmoidCrossEntropyWithLogits(y, x)), {perExample: false}),
    provider('tf.losses', 'tf.losses.sigmoidCrossEntropy(labels, logits, undefined, 0, Reduction.NONE)',
        (y, x) => tf.losses.sigmoidCrossEntropy(y, x, undefined, 0, tf.Reduction.NONE), {perExample: false}),
    provider('tfjs-layers', 'tfjs-layers sigmoidCrossEntropyWithLogits(labels, logits) (core of binaryCrossentropy)',
        (y, x) => layersSigmoidCE(y, x), {perExample: false}),
  ],
  shapes: sigmoidShapes,
  modes: softmaxModes,
  makeInputs(shape) {
    return tf.tidy(() => {
      const labels = tf.cast(tf.greater(tf.randomUniform([shape.rows, shape.classes], 0, 1, 'float32', 17), 0.7), 'float32');
      return {logits: logitsOf(shape), labels, features: featuresOf(shape), trainTargets: labels};
    });
  },
};

/**
 * Softmax focal cross-entropy (Keras defaults γ = 2, α = 0.25), dense one-hot
 * and sparse labels: fused kernels vs the composite path (tfjs has no focal
 * loss to compare with). One moderate shape, forward and forward+backward.
 */
const focalOptions = {gamma: 2, alpha: 0.25};

function focalShapes(backend: string, full: boolean, software: boolean): Shape[] {
  if (full) return softmaxShapes(backend, full, software);
  if (backend === 'webgpu' || backend === 'webgl') return [software ? {rows: 512, classes: 1000} : {rows: 4096, classes: 1000}];
  return [{rows: 1024, classes: 1000}];
}

export const focalSuite: Suite = {
  ...softmaxSuite,
  id: 'focal-softmax-ce',
  title: 'Softmax focal cross-entropy, dense (one-hot) labels',
  kernels: [kn.FocalCrossEntropy, kn.FocalCrossEntropyGrad],
  providers: [
    provider('fused', 'softmaxFocalCrossEntropyWithLogits(labels, logits, {gamma: 2, alpha: 0.25})',
        (y, x) => fce.softmaxFocalCrossEntropyWithLogits(y, x, focalOptions), {noTrain: 'focal: not in the train suite'}),
    provider('composite', 'same, FUSED_CE_FORCE_COMPOSITE=true',
        (y, x) => withComposite(() => fce.softmaxFocalCrossEntropyWithLogits(y, x, focalOptions)),
        {noTrain: 'focal: not in the train suite'}),
  ],
  shapes: focalShapes,
  modes: () => ['forward', 'forward+backward'],
};

export const sparseFocalSuite: Suite = {
  ...sparseSuite,
  id: 'sparse-focal-softmax-ce',
  title: 'Softmax focal cross-entropy, sparse (int32 class id) labels',
  kernels: [kn.SparseFocalCrossEntropy, kn.SparseFocalCrossEntropyGrad],
  providers: [
    provider('fused', 'sparseSoftmaxFocalCrossEntropyWithLogits(labels, logits, {gamma: 2, alpha: 0.25})',
        (y, x) => fce.sparseSoftmaxFocalCrossEntropyWithLogits(y, x, focalOptions), {noTrain: 'focal: not in the train suite'}),
    provider('composite', 'same, FUSED_CE_FORCE_COMPOSITE=true',
        (y, x) => withComposite(() => fce.sparseSoftmaxFocalCrossEntropyWithLogits(y, x, focalOptions)),
        {noTrain: 'focal: not in the train suite'}),
  ],
  shapes: focalShapes,
  modes: () => ['forward', 'forward+backward'],
};

/** Binary (sigmoid) focal cross-entropy, elementwise (γ = 2, α = 0.25, class balancing): fused vs composite. */
const binaryFocalOptions = {gamma: 2, alpha: 0.25, applyClassBalancing: true};

export const binaryFocalSuite: Suite = {
  ...sigmoidSuite,
  id: 'binary-focal-ce',
  title: 'Binary (sigmoid) focal cross-entropy (multi-label), elementwise',
  kernels: [kn.BinaryFocalCrossEntropy, kn.BinaryFocalCrossEntropyGrad],
  providers: [
    provider('fused', 'sigmoidFocalCrossEntropyWithLogits(labels, logits, {gamma: 2, alpha: 0.25, applyClassBalancing: true})',
        (y, x) => fce.sigmoidFocalCrossEntropyWithLogits(y, x, binaryFocalOptions), {perExample: false, noTrain: 'focal: not in the train suite'}),
    provider('composite', 'same, FUSED_CE_FORCE_COMPOSITE=true',
        (y, x) => withComposite(() => fce.sigmoidFocalCrossEntropyWithLogits(y, x, binaryFocalOptions)),
        {perExample: false, noTrain: 'focal: not in the train suite'}),
  ],
  shapes: focalShapes,
  modes: () => ['forward', 'forward+backward'],
};

export const ALL_SUITES: Suite[] = [softmaxSuite, sparseSuite, sigmoidSuite, largeVocabSuite];

/** Suites that run only when named (`--suites focal-softmax-ce,…`): not part of the default run. */
/**
 * Reduced sigmoid losses (issue 15, "Fused reductions"): what a training step
 * differentiates. The fused twin and BinaryCrossentropy reduce inside the
 * kernels (their gradient broadcasts dy there); tf.losses and tfjs-layers
 * reduce with tf.mean, whose gradient builds an [N, C] ones tensor on the
 * host. The harness takes no further mean of these scalars.
 */
const SCALAR_NO_TRAIN = 'reduced losses: forward+backward only';
function reducedShapes(backend: string, full: boolean, software: boolean): Shape[] {
  if (full) return softmaxShapes(backend, full, software);
  if (backend === 'webgpu' || backend === 'webgl') return [software ? {rows: 512, classes: 1000} : {rows: 4096, classes: 1000}];
  return [{rows: 1024, classes: 1000}];
}

export const sigmoidMeanSuite: Suite = {
  ...sigmoidSuite,
  id: 'sigmoid-ce-mean',
  title: 'Sigmoid cross-entropy, mean over every element (drop-in twin)',
  providers: [
    provider('fused', 'losses.sigmoidCrossEntropy(labels, logits, undefined, 0, Reduction.MEAN)',
        (y, x) => fce.losses.sigmoidCrossEntropy(y, x, undefined, 0, tf.Reduction.MEAN), {noTrain: SCALAR_NO_TRAIN}),
    provider('composite', 'same, FUSED_CE_FORCE_COMPOSITE=true',
        (y, x) => withComposite(() => fce.losses.sigmoidCrossEntropy(y, x, undefined, 0, tf.Reduction.MEAN)), {noTrain: SCALAR_NO_TRAIN}),
    provider('tf.losses', 'tf.losses.sigmoidCrossEntropy(labels, logits, undefined, 0, Reduction.MEAN)',
        (y, x) => tf.losses.sigmoidCrossEntropy(y, x, undefined, 0, tf.Reduction.MEAN), {noTrain: SCALAR_NO_TRAIN}),
    provider('tfjs-layers', 'tf.mean(tfjs-layers sigmoidCrossEntropyWithLogits(labels, logits))',
        (y, x) => tf.mean(layersSigmoidCE(y, x)), {noTrain: SCALAR_NO_TRAIN}),
  ],
  shapes: reducedShapes,
  modes: () => ['forward+backward'],
};

export const binaryCrossentropySuite: Suite = {
  ...sigmoidMeanSuite,
  id: 'binary-ce-class',
  title: 'BinaryCrossentropy (fromLogits): mean over the last axis, then over the batch',
  providers: [
    provider('fused', 'new BinaryCrossentropy({fromLogits: true}).call(labels, logits)',
        (y, x) => new fce.BinaryCrossentropy({fromLogits: true}).call(y, x), {noTrain: SCALAR_NO_TRAIN}),
    provider('composite', 'same, FUSED_CE_FORCE_COMPOSITE=true',
        (y, x) => withComposite(() => new fce.BinaryCrossentropy({fromLogits: true}).call(y, x)), {noTrain: SCALAR_NO_TRAIN}),
    provider('tf.losses', 'tf.losses.sigmoidCrossEntropy(labels, logits, undefined, 0, Reduction.MEAN) (the same value)',
        (y, x) => tf.losses.sigmoidCrossEntropy(y, x, undefined, 0, tf.Reduction.MEAN), {noTrain: SCALAR_NO_TRAIN}),
    provider('tfjs-layers', 'tf.mean(tf.mean(tfjs-layers sigmoidCrossEntropyWithLogits(labels, logits), -1)) (Keras binary_crossentropy)',
        (y, x) => tf.mean(tf.mean(layersSigmoidCE(y, x), -1)), {noTrain: SCALAR_NO_TRAIN}),
  ],
};

export const OPT_IN_SUITES: Suite[] = [focalSuite, sparseFocalSuite, binaryFocalSuite, sigmoidMeanSuite, binaryCrossentropySuite,
  ...TRAIN_MODEL_SUITES];

export function suitesById(ids: string[]): Suite[] {
  if (!ids.length) return ALL_SUITES;
  const known = [...ALL_SUITES, ...OPT_IN_SUITES];
  return ids.map(id => {
    const found = known.find(x => x.id === id);
    if (!found) throw new Error(`unknown suite "${id}" (known: ${known.map(x => x.id).join(', ')})`);
    return found;
  });
}

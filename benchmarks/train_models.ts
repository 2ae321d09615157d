/**
 * Train mode with real models (issue 15 §3): three small models trained with
 * each provider's loss, in the modes `train` (one `trainOnBatch`, which reads
 * the loss back) and `train-pipelined` (K SGD steps queued, one read at the
 * end; harness.ts). Opt-in suites: `--suites train-mlp,train-lm-head,train-multilabel`
 * (`npm run bench:regenerate -- --only train-models` fills
 * benchmarks/results/train-models/).
 *
 *  - train-mlp: an MLP classifier 784 → 256 (relu) → C = 1000, dense one-hot
 *    labels, batch 128;
 *  - train-lm-head: a language-model head, hidden 512 → vocab 32000, sparse
 *    labels, batch 512;
 *  - train-multilabel: a multi-label model 256 → 1000 sigmoid outputs,
 *    BinaryCrossentropy, batch 128.
 * Those sizes run on a real GPU. Elsewhere (a software GPU such as
 * SwiftShader, cpu, wasm) every batch is 32 rows and the LM head's hidden
 * size is 32: on SwiftShader (webgpu in Node, 2 shared cores) one matmul of
 * 16×512 by 512×32000 took seconds and its weight gradient tens of seconds,
 * so a 512 → 32000 step would take most of a minute. The loss's own
 * [rows, 32000] is the same at any hidden size.
 *
 * Providers (each compiles its own copy of the model; the same seeded initial
 * weights for every provider):
 *  - fused:       this package's Keras-style loss classes on logits
 *                 (CategoricalCrossentropy / BinaryCrossentropy with fromLogits,
 *                 SparseCategoricalCrossentropy through compileWithSparseLabels);
 *  - tf.losses:   tf.losses.softmaxCrossEntropy / sigmoidCrossEntropy (default
 *                 reduction: the mean) as the compile loss function, on logits;
 *                 sparse labels become one-hot rows inside each step (tfjs-layers
 *                 takes class-id targets only for its own sparse loss);
 *  - tfjs-layers: tfjs-layers' own string losses on a probability output, the
 *                 Keras way: softmax + 'categoricalCrossentropy', softmax +
 *                 'sparseCategoricalCrossentropy', sigmoid + 'binaryCrossentropy'.
 */
import * as tf from '@tensorflow/tfjs-core';
import type {Tensor} from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type {LayersModel} from '@tensorflow/tfjs-layers';
import * as fce from '../src/index';
import {Inputs, isGpuBackend, Mode, Provider, Shape, Suite, TrainActivation} from './harness';

const kn = fce.kernelNames;
const TRAIN_MODES: Mode[] = ['train', 'train-pipelined'];
const NO_FORWARD = 'model suites: train modes only';

/** The sizes run on a real GPU only (see the header). */
function fullSize(backend: string, software: boolean): boolean {
  return isGpuBackend(backend) && !software;
}
/** Rows per batch: `full` on a real GPU, else 32. */
const rows = (full: number, backend: string, software: boolean) => (fullSize(backend, software) ? full : 32);

/** Dense layers with seeded initial weights: every provider's model starts from the same ones. */
function dense(units: number, activation: TrainActivation | 'relu', seed: number, inputShape?: number[]): tfl.layers.Layer {
  return tfl.layers.dense({
    units, activation, ...(inputShape ? {inputShape} : {}),
    kernelInitializer: tfl.initializers.glorotNormal({seed}), biasInitializer: 'zeros',
  });
}

/** A provider that compiles the model itself (no forward modes). */
function trainProvider(id: Provider['id'], call: string, compile: Provider['compileTrain'],
                       extra: Partial<Provider> = {}): Provider {
  return {
    id, call, compileTrain: compile, layersLoss: null, noTrain: NO_FORWARD,
    loss: () => {
      throw new Error(NO_FORWARD);
    },
    ...extra,
  };
}

/**
 * Seeded inputs shared by the model suites: features, the labels and targets
 * `make` gives, logits-shaped noise (unused by the train modes), the model.
 */
function inputsOf(shape: Shape, features: number, make: () => {labels: Tensor, trainTargets: Tensor},
                  buildModel: (a: TrainActivation) => LayersModel, model: string): Inputs {
  const tensors = tf.tidy(() => ({
    ...make(),
    logits: tf.randomNormal([shape.rows, shape.classes], 0, 2, 'float32', 11),
    features: tf.randomNormal([shape.rows, features], 0, 1, 'float32', 13),
  }));
  return {...tensors, buildModel, model};
}

function classIds(shape: Shape): Tensor {
  return tf.cast(tf.floor(tf.mul(tf.randomUniform([shape.rows], 0, 1, 'float32', 7), shape.classes)), 'int32');
}

export const MLP_FEATURES = 784;
export const MLP_HIDDEN = 256;

export const trainMlpSuite: Suite = {
  id: 'train-mlp',
  title: `MLP classifier ${MLP_FEATURES} → ${MLP_HIDDEN} (relu) → C, dense one-hot labels`,
  kernels: [kn.SoftmaxCrossEntropy, kn.SoftmaxCrossEntropyGrad],
  providers: [
    trainProvider('fused', 'model.compile({loss: new CategoricalCrossentropy({fromLogits: true})})',
        (model, optimizer) => model.compile({optimizer, loss: new fce.CategoricalCrossentropy({fromLogits: true})})),
    trainProvider('tf.losses', 'model.compile({loss: (y, x) => tf.losses.softmaxCrossEntropy(y, x)})',
        (model, optimizer) => model.compile({optimizer, loss: (y: Tensor, x: Tensor) => tf.losses.softmaxCrossEntropy(y, x)})),
    trainProvider('tfjs-layers', 'softmax output, model.compile({loss: \'categoricalCrossentropy\'})',
        (model, optimizer) => model.compile({optimizer, loss: 'categoricalCrossentropy'}), {trainActivation: 'softmax'}),
  ],
  shapes: (backend, _full, software) => [{rows: rows(128, backend, software), classes: 1000}],
  modes: () => TRAIN_MODES,
  makeInputs(shape) {
    return inputsOf(shape, MLP_FEATURES, () => {
      const labels = tf.cast(tf.oneHot(classIds(shape), shape.classes), 'float32');
      return {labels, trainTargets: labels};
    }, activation => tfl.sequential({
      layers: [dense(MLP_HIDDEN, 'relu', 1, [MLP_FEATURES]), dense(shape.classes, activation, 2)],
    }), `Dense ${MLP_FEATURES} → ${MLP_HIDDEN} relu, Dense ${MLP_HIDDEN} → ${shape.classes}`);
  },
};

export const LM_HIDDEN = 512;
export const LM_VOCAB = 32000;
/** The LM head's hidden size off a real GPU (see the header). */
export const LM_HIDDEN_SMALL = 32;

export const trainLmHeadSuite: Suite = {
  id: 'train-lm-head',
  title: `Language-model head: hidden ${LM_HIDDEN} → vocabulary C, sparse (class id) labels`,
  kernels: [kn.SparseSoftmaxCrossEntropy, kn.SparseSoftmaxCrossEntropyGrad],
  providers: [
    trainProvider('fused', 'compileWithSparseLabels(model, {loss: new SparseCategoricalCrossentropy({fromLogits: true})}), [N, 1] class ids',
        (model, optimizer) => fce.compileWithSparseLabels(model, {
          optimizer, loss: new fce.SparseCategoricalCrossentropy({fromLogits: true}),
        })),
    trainProvider('tf.losses', 'model.compile({loss: (y, x) => tf.losses.softmaxCrossEntropy(y, x)}), ' +
        'targets tf.oneHot(class ids, C) made in each step',
    (model, optimizer) => model.compile({optimizer, loss: (y: Tensor, x: Tensor) => tf.losses.softmaxCrossEntropy(y, x)}), {
      stepTargets: (t, classes) => tf.tidy(() => tf.cast(tf.oneHot(tf.cast(tf.reshape(t, [-1]), 'int32'), classes), 'float32')),
    }),
    trainProvider('tfjs-layers', 'softmax output, model.compile({loss: \'sparseCategoricalCrossentropy\'}), [N, 1] class ids',
        (model, optimizer) => model.compile({optimizer, loss: 'sparseCategoricalCrossentropy'}), {trainActivation: 'softmax'}),
  ],
  shapes: (backend, _full, software) => [{rows: rows(512, backend, software), classes: LM_VOCAB}],
  modes: () => TRAIN_MODES,
  makeInputs(shape, opts) {
    const hidden = opts && fullSize(opts.backend, !!opts.softwareDevice) ? LM_HIDDEN : LM_HIDDEN_SMALL;
    return inputsOf(shape, hidden, () => {
      const labels = classIds(shape);
      return {labels, trainTargets: tf.reshape(tf.cast(labels, 'float32'), [shape.rows, 1])};
    }, activation => tfl.sequential({layers: [dense(shape.classes, activation, 3, [hidden])]}),
    `Dense ${hidden} → ${shape.classes}`);
  },
};

export const MULTILABEL_FEATURES = 256;

export const trainMultilabelSuite: Suite = {
  id: 'train-multilabel',
  title: `Multi-label model ${MULTILABEL_FEATURES} → C sigmoid outputs, BinaryCrossentropy`,
  kernels: [kn.SigmoidCrossEntropy, kn.SigmoidCrossEntropyGrad],
  providers: [
    trainProvider('fused', 'model.compile({loss: new BinaryCrossentropy({fromLogits: true})})',
        (model, optimizer) => model.compile({optimizer, loss: new fce.BinaryCrossentropy({fromLogits: true})})),
    trainProvider('tf.losses', 'model.compile({loss: (y, x) => tf.losses.sigmoidCrossEntropy(y, x)})',
        (model, optimizer) => model.compile({optimizer, loss: (y: Tensor, x: Tensor) => tf.losses.sigmoidCrossEntropy(y, x)})),
    trainProvider('tfjs-layers', 'sigmoid output, model.compile({loss: \'binaryCrossentropy\'})',
        (model, optimizer) => model.compile({optimizer, loss: 'binaryCrossentropy'}), {trainActivation: 'sigmoid'}),
  ],
  shapes: (backend, _full, software) => [{rows: rows(128, backend, software), classes: 1000}],
  modes: () => TRAIN_MODES,
  makeInputs(shape) {
    return inputsOf(shape, MULTILABEL_FEATURES, () => {
      const labels = tf.cast(tf.greater(tf.randomUniform([shape.rows, shape.classes], 0, 1, 'float32', 17), 0.9), 'float32');
      return {labels, trainTargets: labels};
    }, activation => tfl.sequential({layers: [dense(shape.classes, activation, 4, [MULTILABEL_FEATURES])]}),
    `Dense ${MULTILABEL_FEATURES} → ${shape.classes}`);
  },
};

export const TRAIN_MODEL_SUITES: Suite[] = [trainMlpSuite, trainLmHeadSuite, trainMultilabelSuite];
export const TRAIN_MODEL_SUITE_IDS = TRAIN_MODEL_SUITES.map(s => s.id);

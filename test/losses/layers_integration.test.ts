/**
 * The loss classes inside tfjs-layers on the cpu backend (no mocks: real
 * models, real optimizers):
 *  - instances go straight into model.compile and train with fit;
 *  - classWeight from fit weighs examples (the callable's per-example form);
 *  - sparse integer labels [N] / [N, 1] through fit, evaluate, trainOnBatch
 *    and fitDataset (+ evaluateDataset) with compileWithSparseLabels, 'accuracy' = sparse accuracy;
 *  - the fused kernels (forward and backward) are what runs in training;
 *  - no tensor leaks over 200 training steps.
 * Expected values: the float64 loss (keras_reference.ts / reference.ts) and a
 * plain-JS argmax accuracy of the model's predictions before the step.
 */
import * as tf from '@tensorflow/tfjs';
import {SparseSoftmaxCrossEntropy, SparseSoftmaxCrossEntropyGrad} from '../../kernels/kernel_names';
import '../../src/index';
import {BinaryCrossentropy, CategoricalCrossentropy, compileWithSparseLabels, SparseCategoricalCrossentropy} from '../../src/losses';
import {refSoftmaxCrossEntropy} from '../reference/reference';
import {expectClose, oneHotRows, randLabels, randn} from '../spec/assert';
import {refBinary, refReduce} from './keras_reference';

const N = 24, F = 5, C = 3;
const features = randn(N * F, 91);
const ids = randLabels(N, C, 92);
const onehot = oneHotRows(ids, C);
/** float32 training numbers vs float64 formulas on the float32 predictions. */
const RTOL = 1e-5;

function makeModel(units = C, seed = 1): tf.Sequential {
  const m = tf.sequential();
  m.add(tf.layers.dense({inputShape: [F], units: 8, activation: 'tanh',
                         kernelInitializer: tf.initializers.glorotUniform({seed})}));
  m.add(tf.layers.dense({units, kernelInitializer: tf.initializers.glorotUniform({seed: seed + 1})}));
  return m;
}

async function predictLogits(m: tf.LayersModel): Promise<Float32Array> {
  const xs = tf.tensor2d(features, [N, F]);
  const out = m.predict(xs) as tf.Tensor;
  const v = await out.data() as Float32Array;
  tf.dispose([xs, out]);
  return v;
}

function argmaxAccuracy(logits: ArrayLike<number>, labels: ArrayLike<number>, K = C): number {
  let hits = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let c = 1; c < K; c++) if (logits[i * K + c] > logits[i * K + best]) best = c;
    hits += best === labels[i] ? 1 : 0;
  }
  return hits / labels.length;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  tf.env().set('FUSED_CE_FORCE_COMPOSITE', false);
});

describe('instances straight into model.compile', () => {
  test('CategoricalCrossentropy trains with fit; the first loss is the float64 loss before the step', async () => {
    const m = makeModel();
    const loss = new CategoricalCrossentropy({fromLogits: true, labelSmoothing: 0.1});
    m.compile({optimizer: tf.train.sgd(0.5), loss, metrics: ['accuracy']});
    const before = await predictLogits(m);
    const xs = tf.tensor2d(features, [N, F]), ys = tf.tensor2d(onehot, [N, C]);
    const h = await m.fit(xs, ys, {epochs: 1, batchSize: N, shuffle: false, verbose: 0});
    const L = refSoftmaxCrossEntropy(before, onehot, N, C, {labelSmoothing: 0.1}).loss;
    expectClose([h.history.loss[0] as number], refReduce(L, 'mean'), RTOL, 'loss');
    expect(h.history.acc[0]).toBeCloseTo(argmaxAccuracy(before, ids), 6);
    const h2 = await m.fit(xs, ys, {epochs: 20, batchSize: 8, verbose: 0});
    expect(h2.history.loss[19] as number).toBeLessThan(h.history.loss[0] as number);
    tf.dispose([xs, ys]);
  });

  test('BinaryCrossentropy (multi-label, posWeight) trains with fit', async () => {
    const m = makeModel(2, 5);
    const z = Array.from({length: N * 2}, (_, i) => (features[i] > 0 ? 1 : 0));
    const loss = new BinaryCrossentropy({fromLogits: true, posWeight: [2, 0.5]});
    m.compile({optimizer: tf.train.sgd(0.5), loss});
    const before = await predictLogits(m);
    const xs = tf.tensor2d(features, [N, F]), ys = tf.tensor2d(z, [N, 2]);
    const h = await m.fit(xs, ys, {epochs: 1, batchSize: N, verbose: 0});
    expectClose([h.history.loss[0] as number],
                refReduce(refBinary(before, z, N, 2, {fromLogits: true, posWeight: [2, 0.5]}), 'mean'), RTOL, 'loss');
    tf.dispose([xs, ys]);
  });

  test.each(['sum_over_batch_size', 'sum'] as const)(
      'classWeight in fit weighs each example (reduction %s)', async reduction => {
        const m = makeModel();
        m.compile({optimizer: tf.train.sgd(0.1), loss: new CategoricalCrossentropy({fromLogits: true, reduction})});
        const before = await predictLogits(m);
        const xs = tf.tensor2d(features, [N, F]), ys = tf.tensor2d(onehot, [N, C]);
        const classWeight = {0: 1, 1: 3, 2: 0.5};
        const h = await m.fit(xs, ys, {epochs: 1, batchSize: N, verbose: 0, classWeight});
        const s = Array.from(ids, t => classWeight[t as 0 | 1 | 2]);
        const L = refSoftmaxCrossEntropy(before, onehot, N, C).loss;
        expectClose([h.history.loss[0] as number], refReduce(L, reduction, s), RTOL, 'class-weighted loss');
        tf.dispose([xs, ys]);
      });

  test('without the helper, tfjs-layers refuses [N, 1] class ids for a custom sparse loss (why the helper exists)', async () => {
    const m = makeModel();
    m.compile({optimizer: 'sgd', loss: new SparseCategoricalCrossentropy({fromLogits: true})});
    const xs = tf.tensor2d(features, [N, F]), ys = tf.tensor2d(ids, [N, 1]);
    await expect(m.fit(xs, ys, {epochs: 1, verbose: 0})).rejects.toThrow(/expected a batch of elements where each example has shape \[3\]/);
    tf.dispose([xs, ys]);
  });
});

describe('compileWithSparseLabels: integer labels end to end', () => {
  const labelForms: Array<[string, () => tf.Tensor]> = [
    ['int32 [N]', () => tf.tensor1d(ids, 'int32')],
    ['float32 [N]', () => tf.tensor1d(ids, 'float32')],
    ['float32 [N, 1]', () => tf.tensor2d(ids, [N, 1])],
    ['int32 [N, 1]', () => tf.tensor2d(ids, [N, 1], 'int32')],
  ];

  function compiled(lossArgs = {}): [tf.Sequential, SparseCategoricalCrossentropy] {
    const m = makeModel();
    const loss = new SparseCategoricalCrossentropy({fromLogits: true, ...lossArgs});
    compileWithSparseLabels(m, {optimizer: tf.train.sgd(0.5), loss, metrics: ['accuracy']});
    return [m, loss];
  }
  const expectedLoss = (logits: ArrayLike<number>) => refReduce(refSoftmaxCrossEntropy(logits, onehot, N, C).loss, 'mean');

  test('compile: metric names, the loss in place, model.loss restored', () => {
    const [m, loss] = compiled();
    expect(m.metricsNames).toEqual(['loss', 'acc']);
    // A Sequential model keeps its compiled state on an internal functional model.
    const inner = (m as unknown as {model: tf.LayersModel}).model;
    expect(inner.lossFunctions).toEqual([loss]);
    expect(m.loss).toBe(loss);
    expect(inner.loss).toBe(loss);
  });

  test.each(labelForms)('fit with %s labels: float64 loss and sparse accuracy before the step', async (_f, labels) => {
    const [m] = compiled();
    const before = await predictLogits(m);
    const xs = tf.tensor2d(features, [N, F]), ys = labels();
    const h = await m.fit(xs, ys, {epochs: 1, batchSize: N, verbose: 0});
    expectClose([h.history.loss[0] as number], expectedLoss(before), RTOL, 'loss');
    expect(h.history.acc[0]).toBeCloseTo(argmaxAccuracy(before, ids), 6);
    const h2 = await m.fit(xs, ys, {epochs: 15, batchSize: 8, verbose: 0});
    expect(h2.history.loss[14] as number).toBeLessThan(h.history.loss[0] as number);
    tf.dispose([xs, ys]);
  });

  test.each(labelForms)('evaluate with %s labels', async (_f, labels) => {
    const [m] = compiled();
    const logits = await predictLogits(m);
    const xs = tf.tensor2d(features, [N, F]), ys = labels();
    const [l, acc] = m.evaluate(xs, ys, {batchSize: N}) as tf.Scalar[];
    expectClose(await l.data(), expectedLoss(logits), RTOL, 'loss');
    expect((await acc.data())[0]).toBeCloseTo(argmaxAccuracy(logits, ids), 6);
    tf.dispose([xs, ys, l, acc]);
  });

  test.each(labelForms)('trainOnBatch with %s labels', async (_f, labels) => {
    const [m] = compiled();
    const before = await predictLogits(m);
    const xs = tf.tensor2d(features, [N, F]), ys = labels();
    const [l, acc] = await m.trainOnBatch(xs, ys) as number[];
    expectClose([l], expectedLoss(before), RTOL, 'loss');
    expect(acc).toBeCloseTo(argmaxAccuracy(before, ids), 6);
    const after = await predictLogits(m);
    expect(expectedLoss(after)[0]).toBeLessThan(l);
    tf.dispose([xs, ys]);
  });

  test.each(labelForms)('fitDataset and evaluateDataset with %s labels', async (_f, labels) => {
    const [m] = compiled();
    const before = await predictLogits(m);
    const xs = tf.tensor2d(features, [N, F]), ys = labels();
    const ds = tf.data.zip({xs: tf.data.array(tf.unstack(xs)), ys: tf.data.array(tf.unstack(ys))}).batch(N);
    const h = await m.fitDataset(ds, {epochs: 1, verbose: 0});
    expectClose([h.history.loss[0] as number], expectedLoss(before), RTOL, 'loss');
    expect(h.history.acc[0]).toBeCloseTo(argmaxAccuracy(before, ids), 6);
    const after = await predictLogits(m);
    const [l, acc] = await m.evaluateDataset(ds as unknown as tf.data.Dataset<{}>, {}) as tf.Scalar[];
    expectClose(await l.data(), expectedLoss(after), RTOL, 'evaluateDataset loss');
    expect((await acc.data())[0]).toBeCloseTo(argmaxAccuracy(after, ids), 6);
    tf.dispose([xs, ys, l, acc]);
  });

  test('functional model with two outputs, loss given per output name', async () => {
    const input = tf.input({shape: [F]});
    const hidden = tf.layers.dense({units: 8, activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({seed: 3})})
        .apply(input) as tf.SymbolicTensor;
    const cls = tf.layers.dense({units: C, name: 'cls', kernelInitializer: tf.initializers.glorotUniform({seed: 4})})
        .apply(hidden) as tf.SymbolicTensor;
    const reg = tf.layers.dense({units: 1, name: 'reg'}).apply(hidden) as tf.SymbolicTensor;
    const m = tf.model({inputs: input, outputs: [cls, reg]});
    const loss = new SparseCategoricalCrossentropy({fromLogits: true});
    compileWithSparseLabels(m, {optimizer: tf.train.sgd(0.1), loss: {cls: loss, reg: 'meanSquaredError'}, metrics: ['accuracy']});
    expect(m.lossFunctions[0]).toBe(loss);
    expect(m.metricsNames).toEqual(['loss', 'cls_loss', 'reg_loss', 'cls_acc', 'reg_acc']);
    const xs = tf.tensor2d(features, [N, F]);
    const before = m.predict(xs) as tf.Tensor[];
    const logits = await before[0].data();
    const ys = {cls: tf.tensor1d(ids, 'int32'), reg: tf.zeros([N, 1])};
    const h = await m.fit(xs, ys, {epochs: 1, batchSize: N, verbose: 0});
    expectClose([h.history.cls_loss[0] as number], expectedLoss(logits), RTOL, 'cls loss');
    expect(h.history.cls_acc[0]).toBeCloseTo(argmaxAccuracy(logits, ids), 6);
    tf.dispose([xs, ...before, ys.cls, ys.reg]);
  });

  test('our loss, not tfjs\'s, is computed: ignoreClass changes the mean\'s denominator', async () => {
    const [m] = compiled({ignoreClass: -1});
    const logits = await predictLogits(m);
    const t = Array.from(ids, (v, i) => (i % 3 === 0 ? -1 : v));
    const valid = t.map(v => v !== -1);
    const L = refSoftmaxCrossEntropy(logits, onehot, N, C).loss.map((v, i) => (valid[i] ? v : 0));
    const xs = tf.tensor2d(features, [N, F]), ys = tf.tensor1d(t, 'int32');
    const [l] = m.evaluate(xs, ys, {batchSize: N}) as tf.Scalar[];
    expectClose(await l.data(), refReduce(L, 'mean', undefined, valid), RTOL, 'ignoreClass loss');
    tf.dispose([xs, ys, l]);
  });

  test('classWeight in fit with class ids', async () => {
    const [m] = compiled();
    const before = await predictLogits(m);
    const xs = tf.tensor2d(features, [N, F]), ys = tf.tensor2d(ids, [N, 1]);
    const classWeight = {0: 0.5, 1: 2, 2: 1};
    const h = await m.fit(xs, ys, {epochs: 1, batchSize: N, verbose: 0, classWeight});
    const s = Array.from(ids, v => classWeight[v as 0 | 1 | 2]);
    expectClose([h.history.loss[0] as number], refReduce(refSoftmaxCrossEntropy(before, onehot, N, C).loss, 'mean', s),
                RTOL, 'class-weighted loss');
    tf.dispose([xs, ys]);
  });

  test('training runs the fused sparse kernels, forward and backward', async () => {
    const [m] = compiled();
    const xs = tf.tensor2d(features, [N, F]), ys = tf.tensor1d(ids, 'int32');
    const info = await tf.profile(async () => {
      await m.trainOnBatch(xs, ys);
      return [];
    });
    expect(info.kernelNames).toContain(SparseSoftmaxCrossEntropy);
    expect(info.kernelNames).toContain(SparseSoftmaxCrossEntropyGrad);
    expect(info.kernelNames).not.toContain('OneHot');
    tf.dispose([xs, ys]);
  });

  test('the loss instance as a metric: named after the loss, equal to the loss', async () => {
    const m = makeModel();
    const loss = new SparseCategoricalCrossentropy({fromLogits: true});
    compileWithSparseLabels(m, {optimizer: tf.train.sgd(0.1), loss, metrics: ['accuracy', loss]});
    expect(m.metricsNames).toEqual(['loss', 'acc', 'sparse_categorical_crossentropy']);
    const xs = tf.tensor2d(features, [N, F]), ys = tf.tensor1d(ids, 'int32');
    const h = await m.fit(xs, ys, {epochs: 1, batchSize: N, verbose: 0});
    expect(h.history.sparse_categorical_crossentropy[0]).toBeCloseTo(h.history.loss[0] as number, 6);
    tf.dispose([xs, ys]);
  });

  test('the helper refuses what it cannot do, with a message', () => {
    expect(() => compileWithSparseLabels(makeModel(), {optimizer: 'sgd', loss: new CategoricalCrossentropy()}))
        .toThrow('compileWithSparseLabels: args.loss contains no SparseCategoricalCrossentropy instance; use model.compile for other losses');
    expect(() => compileWithSparseLabels(makeModel(), {optimizer: 'sgd', loss: new SparseCategoricalCrossentropy({fromLogits: true}),
                                                       metrics: ['accuracy', 'crossentropy']}))
        .toThrow(`compileWithSparseLabels: metric 'crossentropy' would be computed by tfjs on logits (fromLogits: true); ` +
                 'pass the loss instance itself in metrics instead');
  });

  test('no leaked tensors over 200 training steps (trainOnBatch) and 5 fit epochs', async () => {
    const [m] = compiled({labelSmoothing: 0.1});
    const xs = tf.tensor2d(features, [N, F]), ys = tf.tensor1d(ids, 'int32');
    await m.trainOnBatch(xs, ys);   // optimizer slots and metric state are created on the first step
    const start = tf.memory().numTensors;
    for (let step = 0; step < 200; step++) {
      await m.trainOnBatch(xs, ys);
    }
    expect(tf.memory().numTensors).toBe(start);
    await m.fit(xs, ys, {epochs: 5, batchSize: 8, verbose: 0});
    expect(tf.memory().numTensors).toBe(start);
    tf.dispose([xs, ys]);
  });
});

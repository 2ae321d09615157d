/**
 * Keras-style focal loss classes: values against the float64 reference
 * (Keras 3 formulas, including its probability clipping), config round trip,
 * argument checks, and classWeight from model.fit weighing examples.
 */
import * as tf from '@tensorflow/tfjs';
import {compileWithSparseLabels} from '../../src/losses';
import {BinaryFocalCrossentropy, CategoricalFocalCrossentropy, SparseCategoricalFocalCrossentropy} from '../../src/losses/focal';
import {expectClose, oneHotRows, randLabels, randn, randProbs} from '../spec/assert';
import {refBinaryFocalLoss, refFocalLoss, sparseToDense} from './focal_reference';
import {refReduce} from './keras_reference';

const N = 12, C = 4;
const x = randn(N * C, 51, 2);
const ids = randLabels(N, C, 52);
const onehot = oneHotRows(ids, C);

/** Keras 3 categorical_focal_crossentropy on probabilities, float64: normalise, clip, −y·log·α·(1 − p)^γ. */
function kerasCategoricalFocalProbs(p: ArrayLike<number>, y: ArrayLike<number>, alpha: number, gamma: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < N; i++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += p[i * C + c];
    let L = 0;
    for (let c = 0; c < C; c++) {
      const o = Math.min(Math.max(p[i * C + c] / s, 1e-7), 1 - 1e-7);
      L += alpha * Math.pow(1 - o, gamma) * -y[i * C + c] * Math.log(o);
    }
    out.push(L);
  }
  return out;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('CategoricalFocalCrossentropy', () => {
  test('fromLogits, per-class α, smoothing: mean of the float64 reference', async () => {
    const o = {alpha: [0.1, 0.2, 0.3, 0.4], gamma: 1.5, labelSmoothing: 0.1};
    const loss = new CategoricalFocalCrossentropy({...o, fromLogits: true});
    const v = await loss.call(tf.tensor2d(onehot, [N, C]), tf.tensor2d(x, [N, C])).data();
    expectClose(v, refReduce(refFocalLoss(x, onehot, N, C, o), 'sum_over_batch_size'), 1e-6, 'loss');
  });

  test('probabilities (Keras default): Keras 3 formula with clipping, defaults α = 0.25, γ = 2', async () => {
    const p = randProbs(N, C, 53);
    const loss = new CategoricalFocalCrossentropy();
    const v = await loss.call(tf.tensor2d(onehot, [N, C]), tf.tensor2d(p, [N, C])).data();
    expectClose(v, refReduce(kerasCategoricalFocalProbs(p, onehot, 0.25, 2), 'sum_over_batch_size'), 1e-6, 'loss');
  });

  test('config round trip and argument errors', () => {
    const loss = new CategoricalFocalCrossentropy({alpha: [1, 2], gamma: 3, fromLogits: true, reduction: 'sum'});
    expect(loss.getConfig()).toEqual({name: 'categorical_focal_crossentropy', reduction: 'sum', alpha: [1, 2], gamma: 3,
                                      fromLogits: true, labelSmoothing: 0, axis: -1, classWeights: null});
    const copy = new CategoricalFocalCrossentropy(loss.getConfig() as {});
    expect(copy.getConfig()).toEqual(loss.getConfig());
    expect(() => new CategoricalFocalCrossentropy({gamma: -1})).toThrow(/CategoricalFocalCrossentropy: gamma must be a finite number ≥ 0/);
    expect(() => new CategoricalFocalCrossentropy({from_logits: true} as {})).toThrow(/did you mean 'fromLogits'/);
  });
});

describe('SparseCategoricalFocalCrossentropy', () => {
  test('[N, 1] float labels, ignoreClass: mean over the non-ignored examples', async () => {
    const t = Int32Array.from(ids);
    t[0] = -1;
    t[7] = -1;
    const o = {gamma: 2, alpha: 0.5};
    const loss = new SparseCategoricalFocalCrossentropy({...o, fromLogits: true, ignoreClass: -1});
    const v = await loss.call(tf.tensor2d(Float32Array.from(t), [N, 1]), tf.tensor2d(x, [N, C])).data();
    const {targets, ignored} = sparseToDense(t, C, -1);
    const L = refFocalLoss(x, targets, N, C, o, ignored);
    expectClose(v, refReduce(L, 'sum_over_batch_size', undefined, ignored.map(b => !b)), 1e-6, 'loss');
  });
});

describe('BinaryFocalCrossentropy', () => {
  test.each([
    ['logits, balancing', {fromLogits: true, applyClassBalancing: true, alpha: 0.3, gamma: 1.5}],
    ['logits, smoothing', {fromLogits: true, labelSmoothing: 0.2}],
  ] as const)('%s: mean over the last axis of the float64 reference', async (_n, o) => {
    const z = Float32Array.from(onehot);
    const loss = new BinaryFocalCrossentropy({...o, reduction: 'none'});
    const v = await loss.call(tf.tensor2d(z, [N, C]), tf.tensor2d(x, [N, C])).data();
    const el = refBinaryFocalLoss(x, z, o);
    expectClose(v, Array.from({length: N}, (_, i) => el.slice(i * C, (i + 1) * C).reduce((a, b) => a + b) / C), 1e-6, 'loss');
  });

  test('probabilities (Keras default): Keras 3 formula on clipped probabilities', async () => {
    const z = Float32Array.from(onehot);
    const p = Float32Array.from(x, v => 1 / (1 + Math.exp(-v)));
    const v = await new BinaryFocalCrossentropy().call(tf.tensor2d(z, [N, C]), tf.tensor2d(p, [N, C])).data();
    let total = 0;
    for (let i = 0; i < N * C; i++) {
      const q = Math.min(Math.max(p[i], 1e-7), 1 - 1e-7);
      const bce = -(z[i] * Math.log(q) + (1 - z[i]) * Math.log(1 - q));
      const pt = z[i] * q + (1 - z[i]) * (1 - q);
      total += Math.pow(1 - pt, 2) * bce / C;
    }
    expectClose(v, [total / N], 1e-5, 'loss');
  });

  test('argument errors', () => {
    expect(() => new BinaryFocalCrossentropy({alpha: 1.5})).toThrow(/BinaryFocalCrossentropy: alpha must be a number in \[0, 1\]/);
  });
});

describe('inside model.fit', () => {
  function makeModel(): tf.Sequential {
    const m = tf.sequential();
    m.add(tf.layers.dense({inputShape: [3], units: C, kernelInitializer: tf.initializers.glorotUniform({seed: 3})}));
    return m;
  }
  const feats = randn(N * 3, 54);

  test.each([
    ['CategoricalFocalCrossentropy', () => new CategoricalFocalCrossentropy({fromLogits: true, gamma: 2, alpha: 0.5}),
     (L: Float32Array) => refFocalLoss(L, onehot, N, C, {gamma: 2, alpha: 0.5})],
    ['BinaryFocalCrossentropy', () => new BinaryFocalCrossentropy({fromLogits: true, applyClassBalancing: true}),
     (L: Float32Array) => {
       const el = refBinaryFocalLoss(L, onehot, {applyClassBalancing: true});
       return Array.from({length: N}, (_, i) => el.slice(i * C, (i + 1) * C).reduce((a, b) => a + b) / C);
     }],
  ] as const)('%s: classWeight from fit weighs each example; training lowers the loss', async (_n, make, ref) => {
    const m = makeModel();
    m.compile({optimizer: tf.train.sgd(0.1), loss: make()});
    const xs = tf.tensor2d(feats, [N, 3]), ys = tf.tensor2d(onehot, [N, C]);
    const before = await (m.predict(xs) as tf.Tensor).data() as Float32Array;
    const classWeight = {0: 1, 1: 3, 2: 0.5, 3: 2};
    const h = await m.fit(xs, ys, {epochs: 1, batchSize: N, verbose: 0, classWeight});
    const s = Array.from(ids, t => classWeight[t as 0 | 1 | 2 | 3]);
    expectClose([h.history.loss[0] as number], refReduce(ref(before), 'sum_over_batch_size', s), 1e-5, 'class-weighted loss');
    const h2 = await m.fit(xs, ys, {epochs: 30, batchSize: N, verbose: 0});
    expect(h2.history.loss[29] as number).toBeLessThan(h2.history.loss[0] as number);
    tf.dispose([xs, ys]);
  });

  test('SparseCategoricalFocalCrossentropy through compileWithSparseLabels: [N] class ids, classWeight, sparse accuracy', async () => {
    const m = makeModel();
    const o = {gamma: 2, alpha: 0.5};
    compileWithSparseLabels(m, {optimizer: tf.train.sgd(0.1), loss: new SparseCategoricalFocalCrossentropy({...o, fromLogits: true}), metrics: ['accuracy']});
    const xs = tf.tensor2d(feats, [N, 3]), ys = tf.tensor1d(ids, 'int32');
    const before = await (m.predict(xs) as tf.Tensor).data() as Float32Array;
    const classWeight = {0: 1, 1: 3, 2: 0.5, 3: 2};
    const h = await m.fit(xs, ys, {epochs: 1, batchSize: N, verbose: 0, classWeight});
    const s = Array.from(ids, t => classWeight[t as 0 | 1 | 2 | 3]);
    expectClose([h.history.loss[0] as number], refReduce(refFocalLoss(before, onehot, N, C, o), 'sum_over_batch_size', s), 1e-5, 'class-weighted loss');
    let hits = 0;
    for (let i = 0; i < N; i++) {
      const row = Array.from(before.slice(i * C, (i + 1) * C));
      hits += row.indexOf(Math.max(...row)) === ids[i] ? 1 : 0;
    }
    expect(h.history.acc[0]).toBeCloseTo(hits / N, 6);
    tf.dispose([xs, ys]);
  });
});

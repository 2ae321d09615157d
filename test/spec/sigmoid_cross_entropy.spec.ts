/** Spec of sigmoidCrossEntropyWithLogits, for every backend. */
import * as tf from '@tensorflow/tfjs-core';
import {sigmoidCrossEntropyWithLogits} from '../../src/index';
import {refSigmoidCrossEntropy, RefSigmoidOptions} from '../reference/reference';
import {expect, expectClose, expectFinite, expectNoLeak, expectThrows, rng, randn, values} from './assert';
import {checkValueAndGrads} from './check';
import {defineSpec} from './registry';

function targets(n: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({length: n}, (_, i) => (i % 3 === 0 ? r() : r() < 0.5 ? 0 : 1));
}

async function checkSigmoid(x: Float32Array, z: Float32Array, shape: number[], opts: RefSigmoidOptions, posWeight: number | number[] | undefined,
                            rtol: number, what: string): Promise<void> {
  const C = shape.length ? shape[shape.length - 1] : 1;
  const logits = tf.tensor(x, shape), labels = tf.tensor(z, shape);
  const ref = refSigmoidCrossEntropy(x, z, C, opts);
  const options = {labelSmoothing: opts.labelSmoothing, posWeight};
  await checkValueAndGrads({
    f: (l, t) => sigmoidCrossEntropyWithLogits(t, l, options),
    xs: [logits, labels],
    names: ['logits', 'labels'],
    expected: dy => [ref.dlogits(dy), ref.dlabels(dy)],
  }, ref.loss, rtol, what);
  tf.dispose([logits, labels]);
}

defineSpec('sigmoidCrossEntropyWithLogits', it => {
  const cases: Array<[string, RefSigmoidOptions, number | number[] | undefined]> = [
    ['no options', {}, undefined],
    ['labelSmoothing 0.2', {labelSmoothing: 0.2}, undefined],
    ['scalar posWeight', {posWeight: [3]}, 3],
    ['per-class posWeight', {posWeight: [0.5, 2, 1, 4, 3]}, [0.5, 2, 1, 4, 3]],
    ['all options', {labelSmoothing: 0.1, posWeight: [0.5, 2, 1, 4, 3]}, [0.5, 2, 1, 4, 3]],
  ];
  for (const [name, opts, q] of cases) {
    it(name, env => checkSigmoid(randn(35, 1, 3), targets(35, 2), [7, 5], opts, q, env.rtol, name));
  }
  it('rank 3, C = 1, and 70000 × 3', async env => {
    await checkSigmoid(randn(24, 3, 2), targets(24, 4), [2, 3, 4], {}, undefined, env.rtol, 'rank 3');
    await checkSigmoid(randn(6, 5, 2), targets(6, 6), [6, 1], {posWeight: [2]}, 2, env.rtol, 'C = 1');
    await checkSigmoid(randn(210000, 7, 2), targets(210000, 8), [70000, 3], {}, undefined, env.rtol, '70000 rows');
  }, {slow: true});
  it('empty batch', async () => {
    const out = sigmoidCrossEntropyWithLogits(tf.zeros([0, 3]), tf.zeros([0, 3]));
    expect(out.shape.join() === '0,3', () => `shape ${out.shape}`);
    out.dispose();
  });
  it('logits ±1e4 give a finite loss and gradient', async env => {
    const x = randn(20, 9, 1e4), z = targets(20, 10);
    await checkSigmoid(x, z, [4, 5], {}, undefined, env.rtol, '±1e4');
    const g = await values(tf.grad(l => sigmoidCrossEntropyWithLogits(z, l))(tf.tensor(x)));
    expectFinite(g, 'gradient');
  });
  it('NaN in gives NaN out', async () => {
    const x = randn(6, 11);
    x[2] = NaN;
    const loss = await values(sigmoidCrossEntropyWithLogits(targets(6, 12), tf.tensor(x)));
    expect(Number.isNaN(loss[2]) && loss.filter((_, i) => i !== 2).every(Number.isFinite), () => `loss ${loss}`);
  });
  it('leaks no tensors', async () => {
    const logits = tf.tensor2d(randn(12, 13), [3, 4]), labels = tf.tensor2d(targets(12, 14), [3, 4]);
    await expectNoLeak(() => sigmoidCrossEntropyWithLogits(labels, logits, {posWeight: [1, 2, 3, 4]}), 'forward');
    await expectNoLeak(() => tf.grad(l => sigmoidCrossEntropyWithLogits(labels, l, {labelSmoothing: 0.1}))(logits), 'backward');
    tf.dispose([logits, labels]);
  });
  it('bad inputs give clear errors', async () => {
    const logits = tf.tensor2d(randn(6, 15), [2, 3]);
    const before = tf.memory().numTensors;
    const op = 'sigmoidCrossEntropyWithLogits';
    await expectThrows(() => sigmoidCrossEntropyWithLogits([[0, 1]], logits), [op, 'labels shape [1,2]'], 'shape');
    await expectThrows(() => sigmoidCrossEntropyWithLogits([[0, 1, 0], [1, 0, 1]], logits, {labelSmoothing: 2}), [op, 'labelSmoothing'], 'smoothing');
    await expectThrows(() => sigmoidCrossEntropyWithLogits([[0, 1, 0], [1, 0, 1]], logits, {posWeight: [1, 2]}), [op, 'posWeight', 'length 1 or 3'], 'posWeight');
    expect(tf.memory().numTensors === before, () => 'tensors left behind');
    logits.dispose();
  });
});

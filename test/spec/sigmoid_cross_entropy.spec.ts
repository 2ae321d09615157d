/** Spec of sigmoidCrossEntropyWithLogits, for every backend. */
import * as tf from '@tensorflow/tfjs-core';
import {sigmoidCrossEntropyWithLogits} from '../../src/index';
import {refSigmoidCrossEntropy, RefSigmoidOptions} from '../reference/reference';
import {binaryTargets, expect, expectClose, expectFinite, expectNoLeak, expectThrows, rng, randn, values} from './assert';
import {checkValueAndGrads} from './check';
import {defineSpec} from './registry';

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
    it(name, env => checkSigmoid(randn(35, 1, 3), binaryTargets(35, 2), [7, 5], opts, q, env.rtol, name));
  }
  it('rank 3, C = 1, C = 37 and 70000 × 3', async env => {
    await checkSigmoid(randn(24, 3, 2), binaryTargets(24, 4), [2, 3, 4], {}, undefined, env.rtol, 'rank 3');
    await checkSigmoid(randn(111, 9, 3), binaryTargets(111, 10), [3, 37], {}, undefined, env.rtol, 'C = 37');
    await checkSigmoid(randn(6, 5, 2), binaryTargets(6, 6), [6, 1], {posWeight: [2]}, 2, env.rtol, 'C = 1');
    await checkSigmoid(randn(210000, 7, 2), binaryTargets(210000, 8), [70000, 3], {}, undefined, env.rtol, '70000 rows');
  }, {slow: true});
  it('empty batch', async () => {
    const out = sigmoidCrossEntropyWithLogits(tf.zeros([0, 3]), tf.zeros([0, 3]));
    expect(out.shape.join() === '0,3', () => `shape ${out.shape}`);
    out.dispose();
  });
  it('logits ±1e4 give a finite loss and gradient', async env => {
    const x = randn(20, 9, 1e4), z = binaryTargets(20, 10);
    await checkSigmoid(x, z, [4, 5], {}, undefined, env.rtol, '±1e4');
    const g = await values(tf.grad(l => sigmoidCrossEntropyWithLogits(z, l))(tf.tensor(x)));
    expectFinite(g, 'gradient');
  });
  it('confident, correct logits (|x| 5 to 80): loss, mean and d/dlogits to their own relative accuracy', async env => {
    // A logit that agrees with its label (x > 0 with z = 1, x < 0 with z = 0) has the loss
    // softplus(−|x|) ≈ e^−|x|: the whole loss of a well-trained model's batch, so it must keep its
    // own relative accuracy, not only the accuracy of a batch with wrong labels in it. An exp whose
    // argument is v·log2(e) rounded in float32 is |v|·6e-8 off (1.8e-6 at |x| = 30), and a row sum
    // of log(1 + e) lost e to the rounding of 1 + e (0 instead of e^−40 at |x| = 40), as did
    // tfjs-webgl's and tfjs-webgpu's log1p on the composite path (0 from |x| ≈ 17). Up to 80:
    // beyond 87.3 the loss itself (< 1.2e-38) leaves float32's normal range, and GPUs flush what
    // falls below it to 0 (each element's share of the mean, here from about 84).
    // C = 531: the SIMD sum's four-vector loop, one log of its products (per 512 elements) and a
    // tail of 3; to |x| = 60, as at 80 an element's share of this mean (e^−80/1062) is subnormal.
    for (const [rows, C, s] of [5, 8, 11, 14, 17, 30, 45, 60, 80].flatMap(s => (s <= 60 ? [[4, 9, s], [2, 531, s]] : [[4, 9, s]]))) {
      const n = rows * C, r = rng(s);
      const x = Float32Array.from({length: n}, (_, i) => (i % 2 ? 1 : -1) * (s + 0.5 * r()));
      const z = Float32Array.from(x, v => (v > 0 ? 1 : 0));
      const ref = refSigmoidCrossEntropy(x, z, C);
      const logits = tf.tensor2d(x, [rows, C]), labels = tf.tensor2d(z, [rows, C]);
      const what = `|x| ≈ ${s}, [${rows}, ${C}]`;
      expectClose(await values(sigmoidCrossEntropyWithLogits(labels, logits)), ref.loss, env.rtol, `${what}: loss`);
      const sum = ref.loss.reduce((a, b) => a + b, 0);
      expectClose(await values(sigmoidCrossEntropyWithLogits(labels, logits, {reduction: 'mean'})), [sum / n], env.rtol,
                  `${what}: mean`);
      expectClose(await values(sigmoidCrossEntropyWithLogits(labels, logits, {reduction: 'sumOverClasses'})),
                  Array.from({length: rows}, (_, i) => ref.loss.slice(i * C, (i + 1) * C).reduce((a, b) => a + b, 0)),
                  env.rtol, `${what}: sumOverClasses`);
      // d/dlogits = σ(x) − z: σ(x) ≈ e^x where x < 0, to its own accuracy; where x > 0 it is
      // σ(x) − 1, checked against its terms' magnitude (the reference's, as the properties do).
      const ones = new Float32Array(n).fill(1);
      const g = tf.grad(l => sigmoidCrossEntropyWithLogits(labels, l))(logits);
      expectClose(await values(g), ref.dlogits(ones), env.rtol, `${what}: d/dlogits`, 0, ref.dlogitsMagnitude(ones));
      tf.dispose([logits, labels, g]);
    }
  });
  it('NaN in gives NaN out', async () => {
    const x = randn(6, 11);
    x[2] = NaN;
    const loss = await values(sigmoidCrossEntropyWithLogits(binaryTargets(6, 12), tf.tensor(x)));
    expect(Number.isNaN(loss[2]) && loss.filter((_, i) => i !== 2).every(Number.isFinite), () => `loss ${loss}`);
  });
  it('leaks no tensors', async () => {
    const logits = tf.tensor2d(randn(12, 13), [3, 4]), labels = tf.tensor2d(binaryTargets(12, 14), [3, 4]);
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

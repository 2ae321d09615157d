/**
 * Spec of the focal ops for every backend: fused on cpu, the composite path
 * (tfjs ops, closed-form gradients) everywhere else. Reference: the float64
 * focal formulas in test/losses/focal_reference.ts; labels gradients by
 * float64 finite differences of that reference. Composite float32 focal carries
 * pow((1 − p), γ) of float32 probabilities: tolerance max(5·rtol, 5e-5) there.
 */
import * as tf from '@tensorflow/tfjs-core';
import {sigmoidFocalCrossEntropyWithLogits, softmaxFocalCrossEntropyWithLogits, sparseSoftmaxFocalCrossEntropyWithLogits} from '../../src/index';
import {numericGrad, RefFocalOptions, refBinaryFocalLoss, refFocalGrad, refFocalLoss, sparseToDense} from '../losses/focal_reference';
import {expectNoLeak, randLabels, randn, randProbs} from './assert';
import {checkValueAndGrads} from './check';
import {defineSpec, SpecEnv} from './registry';

const rows = 9, C = 6;
const x = randn(rows * C, 71, 2.5);
const soft = randProbs(rows, C, 72);

function tol(env: SpecEnv): number {
  return env.backend === 'cpu' && !env.composite ? env.rtol : Math.max(5 * env.rtol, 5e-5);
}

defineSpec('focal cross-entropy', it => {
  const configs: Array<[string, RefFocalOptions]> = [
    ['defaults', {}],
    ['γ=0.5, per-class α, smoothing, T=1.5', {gamma: 0.5, alpha: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], labelSmoothing: 0.1, temperature: 1.5}],
    ['γ=3, class weights', {gamma: 3, alpha: 1, classWeights: [1, 2, 0.5, 3, 1, 1]}],
  ];
  for (const [name, o] of configs) {
    const opts = {...o, classWeights: o.classWeights ?? undefined};
    it(`dense, ${name}`, async env => {
      const X = tf.tensor2d(x, [rows, C]), Y = tf.tensor2d(soft, [rows, C]);
      await checkValueAndGrads({
        f: (l, t) => softmaxFocalCrossEntropyWithLogits(t, l, opts),
        xs: [X, Y], names: ['logits', 'labels'],
        expected: dy => [refFocalGrad(x, soft, rows, C, dy, o), numericGrad(v => refFocalLoss(x, v, rows, C, o), Array.from(soft), dy)],
      }, refFocalLoss(x, soft, rows, C, o), tol(env), name);
      tf.dispose([X, Y]);
    });
    it(`sparse with ignoreIndex, ${name}`, async env => {
      const t = Int32Array.from(randLabels(rows, C, 73));
      t[4] = -1;
      const {targets, ignored} = sparseToDense(t, C, -1);
      const X = tf.tensor2d(x, [rows, C]), T = tf.tensor1d(t, 'int32');
      await checkValueAndGrads({
        f: l => sparseSoftmaxFocalCrossEntropyWithLogits(T, l, {...opts, ignoreIndex: -1}),
        xs: [X], names: ['logits'],
        expected: dy => [refFocalGrad(x, targets, rows, C, dy, o, ignored)],
      }, refFocalLoss(x, targets, rows, C, o, ignored), tol(env), name);
      tf.dispose([X, T]);
    });
  }
  it('binary, class balancing, smoothing, γ=1.5', async env => {
    const o = {applyClassBalancing: true, alpha: 0.3, gamma: 1.5, labelSmoothing: 0.1};
    const X = tf.tensor2d(x, [rows, C]), Z = tf.tensor2d(soft, [rows, C]);
    await checkValueAndGrads({
      f: (l, z) => sigmoidFocalCrossEntropyWithLogits(z, l, o),
      xs: [X, Z], names: ['logits', 'labels'],
      expected: dy => [numericGrad(v => refBinaryFocalLoss(v, soft, o), Array.from(x), dy),
                       numericGrad(v => refBinaryFocalLoss(x, v, o), Array.from(soft), dy)],
    }, refBinaryFocalLoss(x, soft, o), tol(env), 'binary');
    tf.dispose([X, Z]);
  });
  it('no tensor leaks', async () => {
    const X = tf.tensor2d(x, [rows, C]), Y = tf.tensor2d(soft, [rows, C]);
    await expectNoLeak(() => tf.grad((v: tf.Tensor) => tf.sum(softmaxFocalCrossEntropyWithLogits(Y, v)))(X), 'dense backward');
    tf.dispose([X, Y]);
  });
});

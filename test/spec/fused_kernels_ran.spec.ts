/**
 * The fused kernels really run (forward and backward) on every backend that
 * has them: a composite fallback gives the same values, so no value check
 * would notice a fused path that stopped running. Each case also shows that
 * the check has teeth: with the composite path forced, the same check reports
 * the kernels missing. (The focal ops: focal_cross_entropy.spec.ts; the
 * linear CE: test/ops/linear_cross_entropy_kernels_ran.ts; every property
 * run checks it too, properties.ts.)
 */
import * as tf from '@tensorflow/tfjs-core';
import * as names from '../../kernels/kernel_names';
import {sigmoidCrossEntropyWithLogits, softmaxCrossEntropyWithLogits, sparseSoftmaxCrossEntropyWithLogits} from '../../src/index';
import {randLabels, randn, randProbs} from './assert';
import {expectFusedRuns, fusedEnv} from './kernels_ran';
import {defineSpec} from './registry';

defineSpec('fused kernels run', it => {
  const rows = 5, C = 4;
  const x = randn(rows * C, 3), y = randProbs(rows, C, 4), t = randLabels(rows, C, 5);
  it('dense, sparse and sigmoid: forward and backward (and not when the composite path is forced)', async () => {
    const X = tf.tensor2d(x, [rows, C]), Y = tf.tensor2d(y, [rows, C]), T = tf.tensor1d(t, 'int32');
    await expectFusedRuns(() => tf.grads((l: tf.Tensor, p: tf.Tensor) => softmaxCrossEntropyWithLogits(p, l, {labelSmoothing: 0.1}))([X, Y]),
                          [names.SoftmaxCrossEntropy, names.SoftmaxCrossEntropyGrad], 'dense');
    await expectFusedRuns(() => tf.grad(l => sparseSoftmaxCrossEntropyWithLogits(T, l, {zLoss: 1e-3}))(X),
                          [names.SparseSoftmaxCrossEntropy, names.SparseSoftmaxCrossEntropyGrad], 'sparse');
    await expectFusedRuns(() => tf.grads((l: tf.Tensor, z: tf.Tensor) => sigmoidCrossEntropyWithLogits(z, l, {posWeight: 2}))([X, Y]),
                          [names.SigmoidCrossEntropy, names.SigmoidCrossEntropyGrad], 'sigmoid');
    tf.dispose([X, Y, T]);
  }, {only: env => fusedEnv(env, names.ALL_KERNEL_NAMES)});
});

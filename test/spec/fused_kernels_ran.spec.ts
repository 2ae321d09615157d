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
import {oneHotRows, randLabels, randn, randProbs} from './assert';
import {expectFusedRuns, expectRan, fusedEnv, identitiesOfSize, kernelsRun, oneHotEnv} from './kernels_ran';
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

  it('one-hot dense labels run as class ids where the backend has the one-hot kernels; a row that is not one-hot, the dense kernels', async () => {
    const X = tf.tensor2d(x, [rows, C]);
    const hot = oneHotRows(t, C);
    const H = tf.tensor2d(hot, [rows, C]);
    const almost = hot.slice();
    almost[3 * C + t[3]] = 0.5;  // row 3: not one-hot
    const A = tf.tensor2d(almost, [rows, C]);
    const dense = [names.SoftmaxCrossEntropy, names.SoftmaxCrossEntropyGrad];
    const oneHot = [names.DenseLabelClassIds, names.OneHotSoftmaxCrossEntropy, names.SparseSoftmaxCrossEntropyGrad];
    const ranHot = await kernelsRun(() => tf.grads((l: tf.Tensor, p: tf.Tensor) => softmaxCrossEntropyWithLogits(p, l))([X, H]));
    expectRan(ranHot, [...oneHot, names.SoftmaxCrossEntropyGrad], 'one-hot labels');
    if (ranHot.includes(names.SoftmaxCrossEntropy)) throw new Error('one-hot labels: the dense forward ran too');
    const ranAlmost = await kernelsRun(() => tf.grads((l: tf.Tensor, p: tf.Tensor) => softmaxCrossEntropyWithLogits(p, l))([X, A]));
    expectRan(ranAlmost, [names.DenseLabelClassIds, ...dense], 'a row not one-hot');
    const wrong = [names.OneHotSoftmaxCrossEntropy, names.SparseSoftmaxCrossEntropyGrad].filter(k => ranAlmost.includes(k));
    if (wrong.length > 0) throw new Error(`a row not one-hot: ${wrong.join(', ')} ran`);
    tf.dispose([X, H, A]);
  }, {only: oneHotEnv});

  it('a gradient saves the logits once: the ops\' views of [rows, C] and higher-rank inputs add no copy', async env => {
    // tfjs's engine clones each tensor a gradient saves (a copy on tfjs-wasm); tf.reshape's gradient saves its input.
    const big = (f: () => tf.Tensor | tf.Tensor[]) => identitiesOfSize(f, rows * C);
    const X = tf.tensor2d(x, [rows, C]), Y = tf.tensor2d(y, [rows, C]), T = tf.tensor1d(t, 'int32');
    const H = tf.tensor2d(oneHotRows(t, C), [rows, C]);
    const X3 = tf.reshape(X, [1, rows, C]), T3 = tf.reshape(T, [1, rows]);
    const counts = {
      sparse: await big(() => tf.grad(l => sparseSoftmaxCrossEntropyWithLogits(T, l, {reduction: 'mean'}))(X)),
      'sparse, rank 3': await big(() => tf.grad(l => sparseSoftmaxCrossEntropyWithLogits(T3, l))(X3)),
      'dense, soft labels': await big(() => tf.grad(l => softmaxCrossEntropyWithLogits(Y, l))(X)),
      'dense, one-hot labels': await big(() => tf.grad(l => softmaxCrossEntropyWithLogits(H, l))(X)),
      sigmoid: await big(() => tf.grad(l => sigmoidCrossEntropyWithLogits(Y, l, {reduction: 'mean'}))(X)),
    };
    const expected = {sparse: 1, 'sparse, rank 3': 1, 'dense, soft labels': 2, 'dense, one-hot labels': oneHotEnv(env) ? 1 : 2,
                      sigmoid: 2};
    if (JSON.stringify(counts) !== JSON.stringify(expected)) {
      throw new Error(`[rows, C] clones per gradient: ${JSON.stringify(counts)}, expected ${JSON.stringify(expected)}`);
    }
    tf.dispose([X, Y, T, H, X3, T3]);
  }, {only: env => fusedEnv(env, names.ALL_KERNEL_NAMES)});
});

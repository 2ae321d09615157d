/** Spec of sparseSoftmaxCrossEntropyWithLogits (int class ids), for every backend. */
import * as tf from '@tensorflow/tfjs-core';
import {softmaxCrossEntropyWithLogits, sparseSoftmaxCrossEntropyWithLogits} from '../../src/index';
import {refSparseSoftmaxCrossEntropy} from '../reference/reference';
import {expect, expectClose, expectFinite, expectNoLeak, expectThrows, oneHotRows, poisonedBy, randLabels, randn, values} from './assert';
import {checkSparse, checkWeightGradOddRows, SpecOptions} from './check';
import {defineSpec} from './registry';

/** Options valid for the op and the reference alike. */

const OPTION_SETS: Array<[string, SpecOptions]> = [
  ['no options', {}],
  ['temperature 0.5', {temperature: 0.5}],
  ['labelSmoothing 0.1', {labelSmoothing: 0.1}],
  ['classWeights', {classWeights: [0.5, 2, 1, 3, 0.25]}],
  ['zLoss 1e-2', {zLoss: 1e-2}],
  ['ignoreIndex', {ignoreIndex: -100}],
  ['all options', {temperature: 1.7, labelSmoothing: 0.2, classWeights: [0.5, 2, 1, 3, 0.25], zLoss: 1e-3, ignoreIndex: 3}],
];

defineSpec('sparseSoftmaxCrossEntropyWithLogits', it => {
  for (const [name, opts] of OPTION_SETS) {
    it(name, env => {
      const t = randLabels(9, 5, 5);
      t[2] = -100;  // ignored where ignoreIndex is −100
      if (opts.ignoreIndex !== -100) t[2] = 4;
      return checkSparse(randn(45, 4, 2), t, 9, 5, opts, env.rtol, name);
    });
  }

  for (const C of [1, 2, 3, 257, 1000, 32000]) {
    const rows = C >= 1000 ? 3 : 6;
    it(`C = ${C}`, env => checkSparse(randn(rows * C, C + 7, 3), randLabels(rows, C, C), rows, C, {zLoss: 1e-3}, env.rtol, `C=${C}`));
  }

  it('more than 65535 rows (70000 × 3)', env =>
      checkSparse(randn(70000 * 3, 8, 2), randLabels(70000, 3, 9), 70000, 3, {ignoreIndex: 1}, env.rtol, '70000 rows'),
      {slow: true});

  it('empty batch', async () => {
    const logits = tf.zeros([0, 7]);
    const out = sparseSoftmaxCrossEntropyWithLogits(tf.zeros([0], 'int32'), logits);
    expect(out.shape.join() === '0', () => `shape ${out.shape}`);
    const g = tf.grad(l => sparseSoftmaxCrossEntropyWithLogits(tf.zeros([0], 'int32'), l))(logits);
    expect(g.shape.join() === '0,7', () => `grad shape ${g.shape}`);
    tf.dispose([logits, out, g]);
  });

  it('equals the dense op on one-hot labels', async env => {
    const rows = 6, C = 7, x = randn(rows * C, 14), t = randLabels(rows, C, 15);
    const opts = {temperature: 2, labelSmoothing: 0.15, classWeights: [1, 2, 3, 4, 5, 6, 7], zLoss: 1e-3};
    const logits = tf.tensor2d(x, [rows, C]);
    const sparse = await values(sparseSoftmaxCrossEntropyWithLogits(t, logits, opts));
    const dense = await values(softmaxCrossEntropyWithLogits(tf.tensor2d(oneHotRows(t, C), [rows, C]), logits, opts));
    expectClose(sparse, dense, env.rtol, 'sparse vs dense');
    const gs = await values(tf.grad(l => sparseSoftmaxCrossEntropyWithLogits(t, l, opts))(logits));
    const gd = await values(tf.grad(l => softmaxCrossEntropyWithLogits(tf.tensor2d(oneHotRows(t, C), [rows, C]), l, opts))(logits));
    expectClose(gs, gd, env.rtol, 'gradients sparse vs dense');
  });

  it('rank 3 with axis 1 and float labels', async env => {
    const B = 2, C = 5, K = 3, x = randn(B * C * K, 16), t = randLabels(B * K, C, 17);
    const xt = new Float32Array(B * K * C);
    for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) for (let k = 0; k < K; k++) {
      xt[(b * K + k) * C + c] = x[(b * C + c) * K + k];
    }
    const out = sparseSoftmaxCrossEntropyWithLogits(tf.tensor2d(Float32Array.from(t), [B, K]), tf.tensor3d(x, [B, C, K]), {axis: 1});
    expect(out.shape.join() === `${B},${K}`, () => `shape ${out.shape}`);
    expectClose(await values(out), refSparseSoftmaxCrossEntropy(xt, t, B * K, C).loss, env.rtol, 'rank 3 loss');
  });

  it('logits ±1e4 give a finite loss and gradient', async env => {
    const rows = 5, C = 8, x = randn(rows * C, 18, 1e4), t = randLabels(rows, C, 19);
    const loss = await values(sparseSoftmaxCrossEntropyWithLogits(t, tf.tensor2d(x, [rows, C])));
    const g = await values(tf.grad(l => sparseSoftmaxCrossEntropyWithLogits(t, l))(tf.tensor2d(x, [rows, C])));
    expectFinite(loss, 'loss');
    expectFinite(g, 'gradient');
    const ref = refSparseSoftmaxCrossEntropy(x, t, rows, C);
    expectClose(loss, ref.loss, env.rtol, 'loss at ±1e4');
    expectClose(g, ref.dlogits(new Float32Array(rows).fill(1)), 1e-3, 'gradient at ±1e4 (float32 lse: ulp(1e4) ≈ 1e-3)');
  });

  it('−Infinity masks: finite where the target is not masked', async env => {
    const rows = 3, C = 6, x = randn(rows * C, 20), t = Int32Array.from([0, 5, 2]);
    x[1] = x[2] = x[6] = x[17] = -Infinity;  // targets (indices 0, 11, 14) stay finite
    await checkSparse(x, t, rows, C, {classWeights: [1, 1, 2, 1, 1, 3]}, env.rtol, 'masked');
    const g = await values(tf.grad(l => sparseSoftmaxCrossEntropyWithLogits(t, l))(tf.tensor2d(x, [rows, C])));
    expectFinite(g, 'gradient');
    expect(g[1] === 0 && g[17] === 0, () => 'masked entries have zero gradient');
  });

  it('NaN in a row gives NaN for that row only', async env => {
    const rows = 3, C = 4, x = randn(rows * C, 21), t = randLabels(rows, C, 22);
    x[9] = NaN;
    const loss = await values(sparseSoftmaxCrossEntropyWithLogits(t, tf.tensor2d(x, [rows, C])));
    expect(Number.isNaN(loss[2]) && Number.isFinite(loss[0]) && Number.isFinite(loss[1]), () => `loss ${loss}`);
    const g = await values(tf.grad(l => sparseSoftmaxCrossEntropyWithLogits(t, l))(tf.tensor2d(x, [rows, C])));
    expect(g.slice(8).every(poisonedBy(env)), () => `gradient row 2 ${g.slice(8)}`);
    expectFinite(g.slice(0, 8), 'gradient rows 0, 1');
  });

  it('ignored rows give loss 0 and gradient 0 even with a +∞ logit or every logit −∞', env => {
    const rows = 6, C = 4, x = randn(rows * C, 26), t = Int32Array.from([1, -1, 2, -1, -1, 0]);
    x[5] = Infinity;              // row 1
    x.fill(-Infinity, 12, 16);    // row 3
    return checkSparse(x, t, rows, C, {ignoreIndex: -1, labelSmoothing: 0.1, zLoss: 1e-2}, env.rtol, 'non-finite ignored rows');
  });

  it('ignored rows give loss 0 and gradient 0 even with a NaN logit', env => {
    const rows = 4, C = 4, x = randn(rows * C, 32), t = Int32Array.from([1, -1, 2, -1]);
    x[5] = NaN;                   // row 1
    x[14] = NaN;                  // row 3
    return checkSparse(x, t, rows, C, {ignoreIndex: -1, zLoss: 1e-2}, env.rtol, 'NaN in ignored rows');
  });

  it('weight gradient through a matMul over 13 rows (WebGL packed padding)', env => {
    const t = randLabels(13, 11, 30), opts = {zLoss: 1e-3};
    return checkWeightGradOddRows(l => sparseSoftmaxCrossEntropyWithLogits(t, l, opts),
        (x, dy) => refSparseSoftmaxCrossEntropy(x, t, 13, 11, opts).dlogits(dy), env.rtol, 'sparse');
  });

  it('labels out of range: the cpu kernel throws naming the row and value', async () => {
    await expectThrows(() => sparseSoftmaxCrossEntropyWithLogits([1, 7, 0], tf.zeros([3, 4])),
                       ['labels[1] = 7', 'out of range [0, 4)'], 'out of range');
  }, {only: env => env.backend === 'cpu' && !env.composite});

  it('labels out of range: NaN for that row on GPU kernels and the composite path', async () => {
    const loss = await values(sparseSoftmaxCrossEntropyWithLogits([1, 7, -1], tf.tensor2d(randn(12, 23), [3, 4])));
    expect(Number.isFinite(loss[0]) && Number.isNaN(loss[1]) && Number.isNaN(loss[2]), () => `loss ${loss}`);
  }, {only: env => !(env.backend === 'cpu' && !env.composite)});

  it('validateLabels checks on any backend', async () => {
    await expectThrows(() => sparseSoftmaxCrossEntropyWithLogits([1, 2, 4], tf.zeros([3, 4]), {validateLabels: true}),
                       ['sparseSoftmaxCrossEntropyWithLogits', 'labels[2] = 4', '[0, 4)'], 'validateLabels');
    const ok = sparseSoftmaxCrossEntropyWithLogits([1, -100, 3], tf.zeros([3, 4]), {validateLabels: true, ignoreIndex: -100});
    expect((await ok.data()).length === 3, () => 'valid labels pass');
  });

  it('validateLabels on a label tensor: checked where the backend reads synchronously, a clear error for GPU-resident labels on webgpu', async env => {
    // Computed on the backend, so the values live only on the device (a fresh tensor keeps its host
    // copy, and tfjs-webgpu runs ops on fewer than 1000 elements on the cpu): 2048 labels.
    const n = 2048, ids = randLabels(n, 4, 31);
    ids[1500] = 4;
    const labels = tf.tidy(() => tf.cast(tf.mul(tf.tensor1d(ids), 1), 'int32'));
    const logits = tf.zeros([n, 4]);
    const fragments = env.backend === 'webgpu' ?
        ['sparseSoftmaxCrossEntropyWithLogits', 'validateLabels reads labels synchronously', `'webgpu'`, 'array'] :
        ['sparseSoftmaxCrossEntropyWithLogits', 'labels[1500] = 4', '[0, 4)'];
    await expectThrows(() => sparseSoftmaxCrossEntropyWithLogits(labels, logits, {validateLabels: true}), fragments,
                       'validateLabels on a tensor');
    // A tensor made from an array still has its values on the host: checked on every backend.
    const fresh = tf.tensor1d(ids, 'int32');
    await expectThrows(() => sparseSoftmaxCrossEntropyWithLogits(fresh, logits, {validateLabels: true}),
                       ['labels[1500] = 4', '[0, 4)'], 'validateLabels on a fresh tensor');
    tf.dispose([labels, logits, fresh]);
  });

  it('leaks no tensors (forward and backward)', async () => {
    const logits = tf.tensor2d(randn(20, 24), [4, 5]);
    const labels = tf.tensor1d([0, 4, -1, 2], 'int32');
    const opts = {ignoreIndex: -1, labelSmoothing: 0.1, zLoss: 1e-3};
    await expectNoLeak(() => sparseSoftmaxCrossEntropyWithLogits(labels, logits, opts), 'forward');
    await expectNoLeak(() => tf.grad(l => sparseSoftmaxCrossEntropyWithLogits(labels, l, opts))(logits), 'backward');
    tf.dispose([logits, labels]);
  });

  it('bad inputs give clear errors and leave nothing behind', async () => {
    const logits = tf.tensor2d(randn(6, 25), [2, 3]);
    const before = tf.memory().numTensors;
    const op = 'sparseSoftmaxCrossEntropyWithLogits';
    await expectThrows(() => sparseSoftmaxCrossEntropyWithLogits([0, 1, 2], logits), [op, 'labels shape [3]', 'without the class axis [2]'], 'shape');
    await expectThrows(() => sparseSoftmaxCrossEntropyWithLogits([0, 1], logits, {axis: -3}), [op, 'axis', '-3'], 'axis');
    await expectThrows(() => sparseSoftmaxCrossEntropyWithLogits([0, 1], logits, {labelSmoothing: 1.5}), [op, 'labelSmoothing'], 'smoothing');
    await expectThrows(() => sparseSoftmaxCrossEntropyWithLogits([0, 1], logits, {temperature: NaN}), [op, 'temperature'], 'temperature');
    await expectThrows(() => sparseSoftmaxCrossEntropyWithLogits([0, 1], logits, {classWeights: [1, 2, 3, 4]}), [op, 'classWeights', 'length 3'], 'classWeights');
    await expectThrows(() => sparseSoftmaxCrossEntropyWithLogits([0, 1], logits, {ignoreIndex: 0.5}), [op, 'ignoreIndex'], 'ignoreIndex');
    expect(tf.memory().numTensors === before, () => `${tf.memory().numTensors - before} tensors left behind`);
    logits.dispose();
  });
});

/** Spec of softmaxCrossEntropyWithLogits (dense labels), for every backend. */
import * as tf from '@tensorflow/tfjs-core';
import {softmaxCrossEntropyWithLogits} from '../../src/index';
import {refSoftmaxCrossEntropy} from '../reference/reference';
import {expect, expectClose, expectFinite, expectNoLeak, expectThrows, oneHotRows, poisonedBy, randLabels, randn, randProbs, values} from './assert';
import {checkDense, checkWeightGradOddRows, SpecOptions} from './check';
import {defineSpec} from './registry';

/** Options valid for the op and the reference alike. */

const OPTION_SETS: Array<[string, SpecOptions]> = [
  ['no options', {}],
  ['temperature 0.5', {temperature: 0.5}],
  ['temperature 3', {temperature: 3}],
  ['labelSmoothing 0.1', {labelSmoothing: 0.1}],
  ['classWeights', {classWeights: [0.5, 2, 1, 3, 0.25]}],
  ['zLoss 1e-2', {zLoss: 1e-2}],
  ['all options', {temperature: 1.7, labelSmoothing: 0.2, classWeights: [0.5, 2, 1, 3, 0.25], zLoss: 1e-3}],
];

/** Ways a labels row (offset `o`, one-hot at class `hot`) stops being one-hot. */
const NOT_ONE_HOT: Array<[string, (y: Float32Array, o: number, hot: number, C: number) => void]> = [
  ['two 1s', (y, o, hot, C) => { y[o + (hot + 1) % C] = 1; }],
  ['no 1', (y, o, hot) => { y[o + hot] = 0; }],
  ['0.5 for the 1', (y, o, hot) => { y[o + hot] = 0.5; }],
  ['−1 for the 1', (y, o, hot) => { y[o + hot] = -1; }],
  ['1 + 2⁻²³ for the 1', (y, o, hot) => { y[o + hot] = 1 + 2 ** -23; }],
  ['a subnormal beside the 1', (y, o, hot, C) => { y[o + (hot + 3) % C] = 1e-45; }],
];

defineSpec('softmaxCrossEntropyWithLogits', it => {
  for (const [name, opts] of OPTION_SETS) {
    it(`soft labels, ${name}`, env => checkDense(randn(35, 1, 2), randProbs(7, 5, 2), 7, 5, opts, env.rtol, name));
    it(`one-hot labels, ${name}`, env =>
        checkDense(randn(35, 3, 2), oneHotRows(randLabels(7, 5, 4), 5), 7, 5, opts, env.rtol, name));
  }

  for (const C of [1, 2, 3, 257, 1000, 32000]) {
    const rows = C >= 1000 ? 3 : 6;
    it(`C = ${C}`, env => checkDense(randn(rows * C, C, 3), oneHotRows(randLabels(rows, C, C + 1), C), rows, C,
                                     {labelSmoothing: 0.1}, env.rtol, `C=${C}`));
  }

  // Where the backend has the one-hot kernels (wasm), one-hot labels run as class ids and a scan
  // decides; a row that is not one-hot, first or last, must send the whole batch to the dense kernels.
  for (const [name, spoil] of NOT_ONE_HOT) {
    it(`labels one-hot but for one row: ${name}`, async env => {
      const rows = 5, C = 21;  // 21 classes: a 16-lane block and a tail
      const t = randLabels(rows, C, 31), x = randn(rows * C, 2, 32);
      for (const row of [0, rows - 1]) {
        const y = oneHotRows(t, C);
        spoil(y, row * C, t[row], C);
        await checkDense(x, y, rows, C, {labelSmoothing: 0.1, zLoss: 1e-3}, env.rtol, `${name}, row ${row}`);
      }
    });
  }

  it('one-hot labels with −0 for the zeros', env => {
    const rows = 4, C = 37;
    const y = oneHotRows(randLabels(rows, C, 33), C).map(v => (v === 0 ? -0 : v));
    return checkDense(randn(rows * C, 2, 34), y, rows, C, {temperature: 0.7}, env.rtol, '−0 zeros');
  });

  it('more than 65535 rows (70000 × 3)', env => {
    const rows = 70000, C = 3;
    return checkDense(randn(rows * C, 5, 2), oneHotRows(randLabels(rows, C, 6), C), rows, C, {}, env.rtol, '70000 rows');
  }, {slow: true});

  it('empty batch', async () => {
    const logits = tf.zeros([0, 4]);
    const out = softmaxCrossEntropyWithLogits(tf.zeros([0, 4]), logits);
    expect(out.shape.length === 1 && out.shape[0] === 0, () => `shape ${out.shape}`);
    const g = tf.grad(l => softmaxCrossEntropyWithLogits(tf.zeros([0, 4]), l))(logits);
    expect(g.shape[0] === 0 && g.shape[1] === 4, () => `grad shape ${g.shape}`);
    expect((await out.data()).length === 0, () => 'values');
    tf.dispose([logits, out, g]);
  });

  it('rank 3 with axis 1', async env => {
    // logits [2, 4, 3], classes on axis 1: reference on the transposed [2·3, 4] view.
    const B = 2, C = 4, K = 3;
    const x = randn(B * C * K, 11, 2), y = randProbs(B * K, C, 12);
    const xt = new Float32Array(B * K * C), yIn = new Float32Array(B * C * K);
    for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) for (let k = 0; k < K; k++) {
      xt[(b * K + k) * C + c] = x[(b * C + c) * K + k];
      yIn[(b * C + c) * K + k] = y[(b * K + k) * C + c];
    }
    const opts = {labelSmoothing: 0.3, temperature: 2};
    const ref = refSoftmaxCrossEntropy(xt, y, B * K, C, opts);
    const logits = tf.tensor3d(x, [B, C, K]), labels = tf.tensor3d(yIn, [B, C, K]);
    const out = softmaxCrossEntropyWithLogits(labels, logits, {...opts, axis: 1});
    expect(out.shape.join() === `${B},${K}`, () => `shape ${out.shape}`);
    expectClose(await values(out), ref.loss, env.rtol, 'rank 3 loss');
    const dy = randn(B * K, 13);
    const g = tf.grad(l => softmaxCrossEntropyWithLogits(labels, l, {...opts, axis: 1}))(logits, tf.tensor2d(dy, [B, K]));
    const gt = ref.dlogits(dy), gExpected = new Array<number>(B * C * K);
    for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) for (let k = 0; k < K; k++) {
      gExpected[(b * C + c) * K + k] = gt[(b * K + k) * C + c];
    }
    expectClose(await values(g), gExpected, env.rtol, 'rank 3 d/dlogits');
    tf.dispose([logits, labels, out, g]);
  });

  it('rank 1 (one example)', async env => {
    const x = randn(6, 21), y = randProbs(1, 6, 22);
    const out = softmaxCrossEntropyWithLogits(tf.tensor1d(y), tf.tensor1d(x));
    expect(out.rank === 0, () => `rank ${out.rank}`);
    expectClose(await values(out), refSoftmaxCrossEntropy(x, y, 1, 6).loss, env.rtol, 'rank 1 loss');
  });

  it('TensorLike inputs', async env => {
    const out = softmaxCrossEntropyWithLogits([[0, 1, 0], [1, 0, 0]], [[1, 2, 0.5], [3, -1, 0]]);
    expectClose(await values(out), refSoftmaxCrossEntropy([1, 2, 0.5, 3, -1, 0], [0, 1, 0, 1, 0, 0], 2, 3).loss, env.rtol, 'loss');
    out.dispose();
  });

  it('logits ±1e4 give a finite loss and gradient', async env => {
    const rows = 4, C = 6;
    const x = randn(rows * C, 31, 1e4), y = randProbs(rows, C, 32);
    const logits = tf.tensor2d(x, [rows, C]);
    const labels = tf.tensor2d(y, [rows, C]);
    const out = softmaxCrossEntropyWithLogits(labels, logits);
    const g = tf.grad(l => softmaxCrossEntropyWithLogits(labels, l))(logits);
    const [lv, gv] = [await values(out), await values(g)];
    expectFinite(lv, 'loss');
    expectFinite(gv, 'gradient');
    const ref = refSoftmaxCrossEntropy(x, y, rows, C);
    expectClose(lv, ref.loss, env.rtol, 'loss at ±1e4');
    // p = exp(z − lse) uses the float32 lse (ulp(1e4) ≈ 1e-3): relative error ≈ 5e-4 is inherent.
    expectClose(gv, ref.dlogits(new Float32Array(rows).fill(1)), 1e-3, 'gradient at ±1e4');
    tf.dispose([logits, labels, out, g]);
  });

  it('rows masked with −Infinity stay finite where the target is not masked', async env => {
    const rows = 3, C = 5;
    const x = randn(rows * C, 41);
    x[1] = x[3] = x[5] = x[14] = -Infinity;
    const t = [0, 2, 1];  // none of the targets is masked
    const y = oneHotRows(t, C);
    const ref = refSoftmaxCrossEntropy(x, y, rows, C);
    await checkDense(x, y, rows, C, {temperature: 2}, env.rtol, 'masked');
    const g = tf.grad(l => softmaxCrossEntropyWithLogits(tf.tensor2d(y, [rows, C]), l))(tf.tensor2d(x, [rows, C]));
    const gv = await values(g);
    expectFinite(gv, 'gradient');
    expect(gv[1] === 0 && gv[14] === 0, () => `masked gradient ${gv[1]}, ${gv[14]}`);
    expectFinite(ref.loss, 'reference loss');
    g.dispose();
  });

  it('−Infinity logits where soft labels are 0, with class weights and z-loss (some rows unmasked)', async env => {
    // On cpu and wasm the composite loss multiplies the ŷ = 0 terms and sums the rows that came out
    // NaN (0·∞) again, skipping them: all rows again when many are NaN (3 of 4 rows here), only those
    // rows when they are at most 1/32 of the batch (1 of 40).
    const C = 5, opts = {temperature: 1.5, classWeights: [0.5, 2, 1, 3, 0.25], zLoss: 1e-2};
    for (const [rows, masked] of [[4, [0, 6, 7, 19]], [40, [101, 103]]] as Array<[number, number[]]>) {
      const x = randn(rows * C, 43), y = randProbs(rows, C, 44);
      for (const i of masked) {
        x[i] = -Infinity;
        y[i] = 0;
      }
      await checkDense(x, y, rows, C, opts, env.rtol, `masked, weighted, ${rows} rows`);
    }
  });

  it('NaN in a row gives NaN for that row only', async env => {
    const rows = 3, C = 4;
    const x = randn(rows * C, 51);
    x[5] = NaN;
    const y = randProbs(rows, C, 52);
    const labels = tf.tensor2d(y, [rows, C]);
    const out = await values(softmaxCrossEntropyWithLogits(labels, tf.tensor2d(x, [rows, C])));
    expect(Number.isNaN(out[1]) && Number.isFinite(out[0]) && Number.isFinite(out[2]), () => `loss ${out}`);
    const g = await values(tf.grad(l => softmaxCrossEntropyWithLogits(labels, l))(tf.tensor2d(x, [rows, C])));
    expect(g.slice(4, 8).every(poisonedBy(env)), () => `gradient row 1 ${g.slice(4, 8)}`);
    expectFinite(g.slice(0, 4), 'gradient row 0');
    expectClose(out.filter((_, i) => i !== 1), refSoftmaxCrossEntropy(x, y, rows, C).loss.filter((_, i) => i !== 1), env.rtol, 'other rows');
  });

  it('weight gradient through a matMul over 13 rows (WebGL packed padding)', env => {
    const y = randProbs(13, 11, 31), opts = {labelSmoothing: 0.1, zLoss: 1e-3};
    return checkWeightGradOddRows(l => softmaxCrossEntropyWithLogits(tf.tensor2d(y, [13, 11]), l, opts),
        (x, dy) => refSoftmaxCrossEntropy(x, y, 13, 11, opts).dlogits(dy), env.rtol, 'dense');
  });

  it('leaks no tensors (forward and backward)', async () => {
    const logits = tf.tensor2d(randn(12, 61), [3, 4]);
    const labels = tf.tensor2d(randProbs(3, 4, 62), [3, 4]);
    const opts = {labelSmoothing: 0.1, classWeights: [1, 2, 3, 4], zLoss: 1e-3};
    await expectNoLeak(() => softmaxCrossEntropyWithLogits(labels, logits, opts), 'forward');
    await expectNoLeak(() => {
      const [a, b] = tf.grads((l: tf.Tensor, t: tf.Tensor) => softmaxCrossEntropyWithLogits(t, l, opts))([logits, labels]);
      b.dispose();
      return a;
    }, 'backward');
    tf.dispose([logits, labels]);
  });

  it('bad inputs give clear errors and leave nothing behind', async () => {
    const logits = tf.tensor2d(randn(6, 71), [2, 3]);
    const labels = tf.tensor2d(randProbs(2, 3, 72), [2, 3]);
    const intLogits = tf.tensor2d([[1, 2, 3], [4, 5, 6]], [2, 3], 'int32');
    const scalarLogits = tf.scalar(1);
    const before = tf.memory().numTensors;
    const op = 'softmaxCrossEntropyWithLogits';
    await expectThrows(() => softmaxCrossEntropyWithLogits([[0, 0, 0, 1], [0, 0, 1, 0]], logits), [op, 'labels shape [2,4]', 'logits shape [2,3]'], 'shape');
    await expectThrows(() => softmaxCrossEntropyWithLogits(labels, logits, {axis: 2}), [op, 'axis', '2'], 'axis');
    await expectThrows(() => softmaxCrossEntropyWithLogits(labels, logits, {labelSmoothing: 1}), [op, 'labelSmoothing', '[0, 1)'], 'smoothing 1');
    await expectThrows(() => softmaxCrossEntropyWithLogits(labels, logits, {labelSmoothing: -0.1}), [op, 'labelSmoothing'], 'smoothing < 0');
    await expectThrows(() => softmaxCrossEntropyWithLogits(labels, logits, {temperature: 0}), [op, 'temperature', '> 0'], 'temperature 0');
    await expectThrows(() => softmaxCrossEntropyWithLogits(labels, logits, {temperature: -1}), [op, 'temperature'], 'temperature < 0');
    await expectThrows(() => softmaxCrossEntropyWithLogits(labels, logits, {classWeights: [1, 2]}), [op, 'classWeights', 'length 3', 'got 2'], 'classWeights');
    await expectThrows(() => softmaxCrossEntropyWithLogits(labels, logits, {zLoss: -1}), [op, 'zLoss'], 'zLoss');
    await expectThrows(() => softmaxCrossEntropyWithLogits(labels, intLogits), [op, 'logits must be float32'], 'int logits');
    await expectThrows(() => softmaxCrossEntropyWithLogits(labels, 'abc' as unknown as tf.Tensor), [op, "'logits'"], 'string logits');
    await expectThrows(() => softmaxCrossEntropyWithLogits(labels, scalarLogits), [op, 'rank'], 'scalar logits');
    expect(tf.memory().numTensors === before, () => `${tf.memory().numTensors - before} tensors left behind`);
    // Inputs are intact.
    expectClose(await values(logits), randn(6, 71), 0, 'logits after errors');
    tf.dispose([logits, labels, intLogits, scalarLogits]);
  });
});

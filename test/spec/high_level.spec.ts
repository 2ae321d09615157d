/**
 * The higher-level APIs on every backend the spec runs on (their full tests
 * are cpu-only: test/losses, test/calibration): a representative, small set
 * against float64 formulas: the Keras-style loss classes (value and
 * gradient), the drop-in twins of tf.losses, compileWithSparseLabels through
 * fit, evaluate, trainOnBatch and fitDataset, the focal class, KLDivergence,
 * DistillationLoss inside fit, and temperature scaling with its calibration
 * metric. Training numbers are float32 networks whose loss is compared with
 * the float64 loss of the same backend's float32 predictions: tolerance
 * max(env.rtol, 1e-5) (float32 means inside tfjs-layers).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as tfd from '@tensorflow/tfjs-data';
import {BinaryCrossentropy, CategoricalCrossentropy, compileWithSparseLabels, DistillationLoss, distillationTargets, expectedCalibrationError,
        fitTemperature, KLDivergence, losses, SparseCategoricalCrossentropy, SparseCategoricalFocalCrossentropy} from '../../src/index';
import {refFocalLoss, sparseToDense} from '../losses/focal_reference';
import {refSigmoidCrossEntropy, refSoftmaxCrossEntropy, refSparseSoftmaxCrossEntropy} from '../reference/reference';
import {expect, expectClose, oneHotRows, randLabels, randn, randProbs, values} from './assert';
import {defineSpec, SpecEnv} from './registry';

const N = 12, F = 4, C = 3;
const features = randn(N * F, 301);
const ids = randLabels(N, C, 302);
const onehot = oneHotRows(ids, C);
const mean = (v: number[]) => [v.reduce((a, b) => a + b, 0) / v.length];
const tol = (env: SpecEnv) => Math.max(env.rtol, 1e-5);

/**
 * Not on the GPU backends' composite path: there these APIs run tfjs's own kernels, as on cpu's
 * composite path (which runs them), and each case costs seconds of shader compiles on SwiftShader.
 */
const apis = {only: (env: SpecEnv) => !(env.composite && (env.backend === 'webgl' || env.backend === 'webgpu'))};

function softmax64(v: ArrayLike<number>, rows: number, K: number, T = 1): number[][] {
  return Array.from({length: rows}, (_, i) => {
    const z = Array.from({length: K}, (_, c) => v[i * K + c] / T);
    const m = Math.max(...z), e = z.map(u => Math.exp(u - m)), s = e.reduce((a, b) => a + b, 0);
    return e.map(u => u / s);
  });
}

function model(units = C, seed = 1): tfl.Sequential {
  const m = tfl.sequential();
  m.add(tfl.layers.dense({inputShape: [F], units: 6, activation: 'tanh', kernelInitializer: tfl.initializers.glorotUniform({seed})}));
  m.add(tfl.layers.dense({units, kernelInitializer: tfl.initializers.glorotUniform({seed: seed + 1})}));
  return m;
}

async function predict(m: tfl.LayersModel): Promise<Float32Array> {
  const xs = tf.tensor2d(features, [N, F]);
  const out = m.predict(xs) as tf.Tensor;
  const v = await values(out);
  tf.dispose([xs, out]);
  return v;
}

defineSpec('higher-level APIs', it => {
  it('loss classes: Categorical, SparseCategorical, Binary crossentropy, value and gradient vs float64', async env => {
    const x = randn(N * C, 303), y = randProbs(N, C, 304);
    const X = tf.tensor2d(x, [N, C]), Y = tf.tensor2d(y, [N, C]), T = tf.tensor1d(ids, 'int32');
    const ones = new Float32Array(N).fill(1 / N);
    const cat = new CategoricalCrossentropy({fromLogits: true, labelSmoothing: 0.1});
    const refCat = refSoftmaxCrossEntropy(x, y, N, C, {labelSmoothing: 0.1});
    expectClose(await values(cat.call(Y, X)), mean(refCat.loss), tol(env), 'categorical loss');
    expectClose(await values(tf.grad(v => cat.call(Y, v))(X)), refCat.dlogits(ones), tol(env), 'categorical d/dlogits');
    const sparse = new SparseCategoricalCrossentropy({fromLogits: true});
    const refSparse = refSparseSoftmaxCrossEntropy(x, ids, N, C);
    expectClose(await values(sparse.call(T, X)), mean(refSparse.loss), tol(env), 'sparse loss');
    expectClose(await values(tf.grad(v => sparse.call(T, v))(X)), refSparse.dlogits(ones), tol(env), 'sparse d/dlogits');
    const bin = new BinaryCrossentropy({fromLogits: true, posWeight: [2, 0.5, 1]});
    const refBin = refSigmoidCrossEntropy(x, y, C, {posWeight: [2, 0.5, 1]});
    // Keras: mean over the last axis, then over the batch.
    expectClose(await values(bin.call(Y, X)), mean(refBin.loss), tol(env), 'binary loss');
    tf.dispose([X, Y, T]);
  }, apis);

  it('drop-in twins of tf.losses: softmax, sparse and sigmoid cross-entropy with weights and smoothing', async env => {
    const x = randn(N * C, 305), X = tf.tensor2d(x, [N, C]);
    const w = Array.from({length: N}, (_, i) => (i % 4 === 0 ? 0 : 1 + (i % 3)));
    const W = tf.tensor1d(w);
    // SUM_BY_NONZERO_WEIGHTS: Σ w·L / #(w ≠ 0).
    const reduce = (L: number[]) => [L.reduce((s, l, i) => s + w[i] * l, 0) / w.filter(v => v !== 0).length];
    const dense = refSoftmaxCrossEntropy(x, onehot, N, C, {labelSmoothing: 0.2}).loss;
    expectClose(await values(losses.softmaxCrossEntropy(tf.tensor2d(onehot, [N, C]), X, W, 0.2)), reduce(dense), tol(env), 'softmax');
    const sparse = refSparseSoftmaxCrossEntropy(x, ids, N, C).loss;
    expectClose(await values(losses.sparseSoftmaxCrossEntropy(tf.tensor1d(ids, 'int32'), X, W)), reduce(sparse), tol(env), 'sparse');
    const z = randProbs(N, C, 306);
    const sig = refSigmoidCrossEntropy(x, z, C).loss;
    expectClose(await values(losses.sigmoidCrossEntropy(tf.tensor2d(z, [N, C]), X)), mean(sig), tol(env), 'sigmoid');
    tf.dispose([X, W]);
  }, apis);

  it('compileWithSparseLabels: fit, evaluate, trainOnBatch and fitDataset with integer labels', async env => {
    const m = model();
    const loss = new SparseCategoricalCrossentropy({fromLogits: true});
    compileWithSparseLabels(m, {optimizer: tf.train.sgd(0.5), loss, metrics: ['accuracy']});
    const expected = (logits: ArrayLike<number>) => mean(refSoftmaxCrossEntropy(logits, onehot, N, C).loss);
    const xs = tf.tensor2d(features, [N, F]), ys = tf.tensor1d(ids, 'int32');
    let before = await predict(m);
    const h = await m.fit(xs, ys, {epochs: 1, batchSize: N, verbose: 0});
    expectClose([h.history.loss[0] as number], expected(before), tol(env), 'fit loss');
    const after = await predict(m);
    const [l, acc] = m.evaluate(xs, ys, {batchSize: N}) as tf.Scalar[];
    expectClose(await values(l), expected(after), tol(env), 'evaluate loss');
    const a = (await values(acc))[0];
    expect(a >= 0 && a <= 1, () => `accuracy ${a}`);
    before = await predict(m);
    const [tl] = await m.trainOnBatch(xs, ys) as number[];
    expectClose([tl], expected(before), tol(env), 'trainOnBatch loss');
    before = await predict(m);
    const ds = tfd.zip({xs: tfd.array(tf.unstack(xs)), ys: tfd.array(tf.unstack(ys))}).batch(N);
    const hd = await m.fitDataset(ds, {epochs: 1, verbose: 0});
    expectClose([hd.history.loss[0] as number], expected(before), tol(env), 'fitDataset loss');
    tf.dispose([xs, ys, l, acc]);
    m.dispose();
  }, apis);

  it('SparseCategoricalFocalCrossentropy, KLDivergence and DistillationLoss (inside fit) vs float64', async env => {
    const x = randn(N * C, 307), X = tf.tensor2d(x, [N, C]), T = tf.tensor1d(ids, 'int32');
    const focal = new SparseCategoricalFocalCrossentropy({fromLogits: true, gamma: 1.5, alpha: 0.5});
    const {targets} = sparseToDense(ids, C);
    expectClose(await values(focal.call(T, X)), mean(refFocalLoss(x, targets, N, C, {gamma: 1.5, alpha: 0.5})), tol(env), 'focal');
    const q = randProbs(N, C, 308);
    const p = softmax64(x, N, C);
    const kl = p.map((row, i) => row.reduce((s, pc, c) => s + (q[i * C + c] > 0 ? q[i * C + c] * (Math.log(q[i * C + c]) - Math.log(pc)) : 0), 0));
    expectClose(await values(new KLDivergence({fromLogits: true}).call(tf.tensor2d(q, [N, C]), X)), mean(kl), tol(env), 'KL');
    // Distillation inside fit: the first loss is α·CE + (1 − α)·T²·KL(q_T ‖ p_T) of the predictions before the step.
    const teacher = randn(N * C, 309, 2), Tmp = 2, alpha = 0.3;
    const m = model(C, 7);
    m.compile({optimizer: tf.train.sgd(0.05), loss: new DistillationLoss({temperature: Tmp, alpha})});
    const before = await predict(m);
    const qT = softmax64(teacher, N, C, Tmp), pT = softmax64(before, N, C, Tmp), p1 = softmax64(before, N, C);
    const L = qT.map((row, i) => alpha * -Math.log(p1[i][ids[i]]) +
                      (1 - alpha) * Tmp * Tmp * row.reduce((s, qc, c) => s + qc * (Math.log(qc) - Math.log(pT[i][c])), 0));
    const xs = tf.tensor2d(features, [N, F]);
    const packed = distillationTargets(tf.tensor2d(teacher, [N, C]), T);
    const h = await m.fit(xs, packed, {epochs: 1, batchSize: N, verbose: 0});
    expectClose([h.history.loss[0] as number], mean(L), tol(env), 'distillation in fit');
    tf.dispose([X, T, xs, packed]);
    m.dispose();
  }, apis);

  it('fitTemperature lowers the NLL to its float64 minimum; expectedCalibrationError matches float64 binning', async env => {
    const x = randn(40 * C, 310, 3), t = randLabels(40, C, 311);
    const nll = (T: number) => mean(refSparseSoftmaxCrossEntropy(x, t, 40, C, {temperature: T}).loss)[0];
    const r = await fitTemperature(tf.tensor2d(x, [40, C]), tf.tensor1d(t, 'int32'));
    expect(r.nllAfter <= r.nllBefore, () => `NLL ${r.nllBefore} -> ${r.nllAfter}`);
    // At the fitted T the float64 NLL is within 1e-6 relative of its values a step either side.
    const T = r.temperature, h = 1e-3 * T;
    expect(nll(T) <= Math.min(nll(T - h), nll(T + h)) * (1 + 1e-6), () => `T = ${T}: NLL ${nll(T - h)}, ${nll(T)}, ${nll(T + h)}`);
    expectClose([r.nllAfter], [nll(T)], tol(env), 'nllAfter');
    // ECE with 5 equal-width bins of the top-label confidence, in float64.
    const probs = softmax64(x, 40, C);
    const bins = Array.from({length: 5}, () => ({n: 0, conf: 0, acc: 0}));
    probs.forEach((row, i) => {
      const top = row.indexOf(Math.max(...row));
      const b = bins[Math.max(0, Math.ceil(row[top] * 5) - 1)];  // bins (k/5, (k+1)/5]
      b.n++; b.conf += row[top]; b.acc += top === t[i] ? 1 : 0;
    });
    const ece = bins.reduce((s, b) => s + (b.n ? Math.abs(b.acc - b.conf) : 0), 0) / 40;
    const probsT = tf.tensor2d(Float32Array.from(probs.flat()), [40, C]);
    expectClose([await expectedCalibrationError(tf.tensor1d(t, 'int32'), probsT, {nBins: 5})], [ece], 1e-5, 'ECE');
    probsT.dispose();
  }, apis);
});

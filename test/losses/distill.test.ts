/**
 * KLDivergence (Keras 3 semantics, and on logits / log-probabilities through
 * the fused soft-label op) and DistillationLoss against float64 formulas; the
 * soft term's gradient T·(p_T − q)·(1 − α) per example; classWeight in fit.
 */
import * as tf from '@tensorflow/tfjs';
import {DistillationLoss, distillationTargets, KLDivergence} from '../../src/losses/distillation';
import {expectClose, oneHotRows, randLabels, randn, randProbs} from '../spec/assert';
import {refReduce} from './keras_reference';

const N = 10, C = 5;
const xs = randn(N * C, 61, 2);     // student logits
const xt = randn(N * C, 62, 3);     // teacher logits
const ids = randLabels(N, C, 63);
const onehot = oneHotRows(ids, C);

function softmax64(v: ArrayLike<number>, T = 1): number[][] {
  return Array.from({length: N}, (_, i) => {
    const r = Array.from({length: C}, (_, c) => v[i * C + c] / T);
    const m = Math.max(...r);
    const e = r.map(u => Math.exp(u - m));
    const s = e.reduce((a, b) => a + b);
    return e.map(u => u / s);
  });
}

function kl64(q: number[][], p: number[][]): number[] {
  return q.map((row, i) => row.reduce((s, qc, c) => s + (qc === 0 ? 0 : qc * Math.log(qc / p[i][c])), 0));
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('KLDivergence', () => {
  test('probabilities: Keras 3 (both clipped to [1e-7, 1])', async () => {
    const y = randProbs(N, C, 64), p = randProbs(N, C, 65);
    y[3] = 0;  // a zero target entry: clipped to 1e-7, as Keras
    const v = await new KLDivergence({reduction: 'none'}).call(tf.tensor2d(y, [N, C]), tf.tensor2d(p, [N, C])).data();
    const ref = Array.from({length: N}, (_, i) => {
      let s = 0;
      for (let c = 0; c < C; c++) {
        const a = Math.max(y[i * C + c], 1e-7), b = Math.max(p[i * C + c], 1e-7);
        s += a * Math.log(a / b);
      }
      return s;
    });
    expectClose(v, ref, 1e-6, 'kl');
  });

  test('fromLogits equals KL(y ‖ softmax(x)); log-probability inputs give the same; zero targets add 0', async () => {
    const y = randProbs(N, C, 66);
    y[0] = 0;
    const ref = kl64(softmax64(Float32Array.from(y), 1).map((_, i) => Array.from(y.slice(i * C, (i + 1) * C))), softmax64(xs));
    const X = tf.tensor2d(xs, [N, C]), Y = tf.tensor2d(y, [N, C]);
    const a = await new KLDivergence({fromLogits: true, reduction: 'none'}).call(Y, X).data();
    expectClose(a, ref, 1e-6, 'kl from logits');
    const b = await new KLDivergence({fromLogits: true, reduction: 'none'}).call(Y, tf.logSoftmax(X)).data();
    expectClose(b, ref, 1e-6, 'kl from log-probabilities');
    const logY = tf.log(tf.tensor2d(y.map(v => v || 1e-30), [N, C]));
    const c = await new KLDivergence({fromLogits: true, logTarget: true, reduction: 'none'}).call(logY, X).data();
    expectClose(c, ref, 1e-5, 'kl with log targets');
    const same = await new KLDivergence({fromLogits: true}).call(tf.softmax(X), X).data();
    expect(Math.abs(same[0])).toBeLessThan(1e-6);
  });
});

test('KLDivergence inside model.fit: classWeight weighs each example', async () => {
  const F = 3;
  const feats = randn(N * F, 68);
  const m = tf.sequential();
  m.add(tf.layers.dense({inputShape: [F], units: C, kernelInitializer: tf.initializers.glorotUniform({seed: 6})}));
  m.compile({optimizer: tf.train.sgd(0.05), loss: new KLDivergence({fromLogits: true})});
  const X = tf.tensor2d(feats, [N, F]);
  const before = await (m.predict(X) as tf.Tensor).data();
  const y = randProbs(N, C, 69);
  const classWeight = {0: 1, 1: 2, 2: 0.5, 3: 3, 4: 1.5};
  const h = await m.fit(X, tf.tensor2d(y, [N, C]), {epochs: 1, batchSize: N, verbose: 0, classWeight});
  const rows = Array.from({length: N}, (_, i) => Array.from(y.slice(i * C, (i + 1) * C)));
  const s = rows.map(r => classWeight[r.indexOf(Math.max(...r)) as 0 | 1 | 2 | 3 | 4]);
  expectClose([h.history.loss[0] as number], refReduce(kl64(rows, softmax64(before)), 'sum_over_batch_size', s), 1e-5, 'class-weighted KL');
});

describe('DistillationLoss', () => {
  test.each([[1, 0.5], [4, 0.1], [2, 0]])('T = %p, α = %p: α·CE(hard) + (1 − α)·T²·KL(q_T ‖ p_T) in float64', async (T, alpha) => {
    const q = softmax64(xt, T), pT = softmax64(xs, T), p1 = softmax64(xs, 1);
    const kl = kl64(q, pT);
    const ce = p1.map((row, i) => -Math.log(row[ids[i]]));
    const ref = kl.map((k, i) => alpha * ce[i] + (1 - alpha) * T * T * k);
    const targets = distillationTargets(tf.tensor2d(xt, [N, C]), tf.tensor1d(ids, 'int32'));
    expect(targets.shape).toEqual([N, C]);
    // The hard label is each row's argmax (what classWeight in fit looks at).
    expect(Array.from(await tf.argMax(targets, 1).data())).toEqual(Array.from(ids));
    const loss = new DistillationLoss({temperature: T, alpha, reduction: 'none'});
    expectClose(await loss.call(targets, tf.tensor2d(xs, [N, C])).data(), ref, 1e-5, 'loss');
    if (alpha === 0) {
      // Without labels the hard label defaults to the teacher's argmax; unused at α = 0.
      expectClose(await loss.call(distillationTargets(tf.tensor2d(xt, [N, C])), tf.tensor2d(xs, [N, C])).data(), ref, 1e-5, 'loss, no labels');
    }
  });

  test('gradient w.r.t. student logits: α·(p − y) + (1 − α)·T·(p_T − q), per example', async () => {
    const T = 3, alpha = 0.25;
    const q = softmax64(xt, T), pT = softmax64(xs, T), p1 = softmax64(xs, 1);
    const ref: number[] = [];
    for (let i = 0; i < N; i++) for (let c = 0; c < C; c++) {
      ref.push(alpha * (p1[i][c] - onehot[i * C + c]) + (1 - alpha) * T * (pT[i][c] - q[i][c]));
    }
    const targets = distillationTargets(tf.tensor2d(xt, [N, C]), tf.tensor1d(ids, 'int32'));
    const loss = new DistillationLoss({temperature: T, alpha, reduction: 'sum'});
    const g = tf.grad((v: tf.Tensor) => loss.call(targets, v))(tf.tensor2d(xs, [N, C]));
    expectClose(await g.data(), ref, 1e-5, 'd/dstudent');
  });

  test('argument and shape errors', () => {
    expect(() => new DistillationLoss({alpha: 2})).toThrow(/DistillationLoss: alpha must be a number in \[0, 1\]/);
    expect(() => new DistillationLoss({temperature: 0})).toThrow(/temperature must be a finite number > 0/);
    expect(() => new DistillationLoss().call(tf.zeros([2, 4]), tf.zeros([2, 3]))).toThrow(/targets must have the student's shape \[2,3\]/);
    expect(() => distillationTargets(tf.zeros([2, 3]), tf.zeros([3]))).toThrow(/need teacher logits \[N, C\] and N labels/);
  });

  test('inside model.fit: classWeight sees the hard label of the packed targets; training lowers the loss', async () => {
    const F = 3;
    const feats = randn(N * F, 67);
    const m = tf.sequential();
    m.add(tf.layers.dense({inputShape: [F], units: C, kernelInitializer: tf.initializers.glorotUniform({seed: 5})}));
    const T = 2, alpha = 0.3;
    m.compile({optimizer: tf.train.sgd(0.05), loss: new DistillationLoss({temperature: T, alpha})});
    const X = tf.tensor2d(feats, [N, F]);
    const before = await (m.predict(X) as tf.Tensor).data();
    const targets = distillationTargets(tf.tensor2d(xt, [N, C]), tf.tensor1d(ids, 'int32'));
    const classWeight = {0: 1, 1: 2, 2: 0.5, 3: 3, 4: 1.5};
    const h = await m.fit(X, targets, {epochs: 1, batchSize: N, verbose: 0, classWeight});
    const q = softmax64(xt, T), pT = softmax64(before, T), p1 = softmax64(before, 1);
    const L = kl64(q, pT).map((k, i) => alpha * -Math.log(p1[i][ids[i]]) + (1 - alpha) * T * T * k);
    const s = Array.from(ids, t => classWeight[t as 0 | 1 | 2 | 3 | 4]);
    expectClose([h.history.loss[0] as number], refReduce(L, 'sum_over_batch_size', s), 1e-5, 'class-weighted loss');
    const h2 = await m.fit(X, targets, {epochs: 30, batchSize: N, verbose: 0});
    expect(h2.history.loss[29] as number).toBeLessThan(h2.history.loss[0] as number);
  });
});

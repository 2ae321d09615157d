/**
 * Precision at every logit scale (issue #14 §1), for every backend: loss,
 * d/dlogits and d/dlabels against the float64 reference where |logits| is up
 * to 1e4, the temperature 0.01–100, the label smoothing up to 0.999, and C = 1
 * (loss and gradient exactly 0). The kernels save the row max m and the
 * shifted sum s apart (kernel_names.ts, FORMULAS.md "Precision"): a float32
 * lse put up to ½ ulp(|lse|) into every probability (3.9e-5 relative at
 * |lse| ≈ 1000, a C = 1 gradient of −0.156 instead of 0).
 *
 * Also the documented answer for a +∞ logit: NaN for the row's loss and
 * gradient (as for a NaN logit, and as PyTorch), ignored rows still 0.
 *
 * Tolerance: env.rtol (1e-6 cpu, 1e-5 GPUs); tfjs-wasm's float32 kernels
 * (its Softmax and sums) allow less: WASM_RTOL, measured.
 */
import * as tf from '@tensorflow/tfjs-core';
import {softmaxCrossEntropyWithLogits, softmaxFocalCrossEntropyWithLogits, sparseSoftmaxCrossEntropyWithLogits, sparseSoftmaxFocalCrossEntropyWithLogits} from '../../src/index';
import {refFocalGrad, refFocalLoss, sparseToDense} from '../losses/focal_reference';
import {expect, oneHotRows, randLabels, randn, randProbs, values} from './assert';
import {checkDense, checkSparse, checkValueAndGrads, SpecOptions} from './check';
import {defineSpec, SpecEnv} from './registry';


/**
 * tfjs-wasm (composite path): its float32 Softmax and row sums. Worst normwise
 * error measured over these cases: 6.2e-7 (the loss, dense C = 1000, T = 100).
 */
const WASM_RTOL = 2e-6;

/** Backends whose kernels (or composite path) keep m and s apart so far. */
const FIXED = new Set(['cpu', 'wasm', 'webgpu', 'webgl']);
const fixed = (env: SpecEnv) => FIXED.has(env.backend);

function rtolOf(env: SpecEnv): number {
  return env.backend === 'wasm' ? WASM_RTOL : env.rtol;
}

/**
 * [rows, C] float32 logits: row i = offset_i + σ·N(0, 1), offsets spread over
 * ±(1e4 − 4σ), with σ = 3·T so that softmax(x/T) is neither one-hot nor flat.
 */
function scaledLogits(rows: number, C: number, T: number, seed: number): Float32Array {
  const sigma = 3 * T;
  const big = 1e4 - 4 * sigma;
  const offsets = [big, -big, 0.5 * big, -0.3 * big, big - 0.5, 1000.1];
  const x = randn(rows * C, seed, sigma);
  for (let i = 0; i < rows; i++) {
    for (let c = 0; c < C; c++) x[i * C + c] += offsets[i % offsets.length];
  }
  return x;
}

const SCALE_OPTIONS: Array<[string, SpecOptions]> = [
  ['T = 0.01', {temperature: 0.01}],
  ['T = 1', {}],
  ['T = 100', {temperature: 100}],
  ['T = 0.01, labelSmoothing 0.999', {temperature: 0.01, labelSmoothing: 0.999}],
  ['T = 100, labelSmoothing 0.999, classWeights', {temperature: 100, labelSmoothing: 0.999, classWeights: [0.5, 2, 1, 3, 0.25, 1.5, 0.75]}],
  ['T = 1, zLoss 1e-3, labelSmoothing 0.1', {zLoss: 1e-3, labelSmoothing: 0.1}],
];

defineSpec('precision at large logit scales', it => {
  it('sparse [[1000.1, 1000.7]], label 0: gradient ±0.6456647', async env => {
    await checkSparse(new Float32Array([1000.1, 1000.7]), new Int32Array([0]), 1, 2, {}, rtolOf(env), 'reproducer');
    const g = await values(tf.grad(l => sparseSoftmaxCrossEntropyWithLogits([0], l))(tf.tensor2d([[1000.1, 1000.7]])));
    expect(Math.abs(g[0] + g[1]) <= 2 * rtolOf(env) * Math.abs(g[0]), () => `the row sums to ${g[0] + g[1]}, not 0`);
  }, {only: fixed});

  for (const [eps, name] of [[0, ''], [0.999, ', labelSmoothing 0.999']] as const) {
    it(`C = 1, logit 12345.678, T = 0.05${name}: loss and gradients exactly 0`, async () => {
      const opts = {temperature: 0.05, labelSmoothing: eps};
      const x = tf.tensor2d([[12345.678], [-9876.5], [0.25]]);
      const dy = tf.tensor1d([1, -2, 0.5]);
      const y = tf.ones([3, 1]);
      const dense = (l: tf.Tensor, t: tf.Tensor) => softmaxCrossEntropyWithLogits(t, l, opts);
      const sparse = (l: tf.Tensor) => sparseSoftmaxCrossEntropyWithLogits([0, 0, 0], l, opts);
      const [gx, gy] = tf.grads(dense)([x, y], dy);
      const gs = tf.grad(sparse)(x, dy);
      const all: Array<[string, tf.Tensor]> = [['dense loss', dense(x, y)], ['sparse loss', sparse(x)],
        ['dense d/dlogits', gx], ['dense d/dlabels', gy], ['sparse d/dlogits', gs]];
      for (const [what, t] of all) {
        const v = await values(t);
        expect(v.every(e => e === 0), () => `${what} = [${Array.from(v)}], expected 0`);
      }
      tf.dispose([x, dy, y, ...all.map(a => a[1])]);
    }, {only: fixed});
  }

  it('labelSmoothing 0.999, dense: labels gradient uses 1 − ε in float64', env => {
    const rows = 4, C = 6;
    return checkDense(randn(rows * C, 61, 2), randProbs(rows, C, 62), rows, C, {labelSmoothing: 0.999}, rtolOf(env),
                      'ε = 0.999');
  }, {only: fixed});

  for (const [name, opts] of SCALE_OPTIONS) {
    const T = opts.temperature ?? 1;
    const rows = 6, C = 7;
    it(`|logits| ≤ 1e4, dense soft labels, ${name}`, env =>
        checkDense(scaledLogits(rows, C, T, 71), randProbs(rows, C, 72), rows, C, opts, rtolOf(env), name),
       {only: fixed});
    it(`|logits| ≤ 1e4, dense one-hot labels, ${name}`, env =>
        checkDense(scaledLogits(rows, C, T, 73), oneHotRows(randLabels(rows, C, 74), C), rows, C, opts, rtolOf(env), name),
       {only: fixed});
    it(`|logits| ≤ 1e4, sparse, ${name}`, env =>
        checkSparse(scaledLogits(rows, C, T, 75), randLabels(rows, C, 76), rows, C, opts, rtolOf(env), name),
       {only: fixed});
  }

  it('|logits| ≤ 1e4, C = 1000, dense and sparse, T = 0.01 and 100', async env => {
    const rows = 6, C = 1000;
    for (const T of [0.01, 100]) {
      const x = scaledLogits(rows, C, T, 81);
      const t = randLabels(rows, C, 82);
      await checkSparse(x, t, rows, C, {temperature: T}, rtolOf(env), `sparse C = 1000, T = ${T}`);
      await checkDense(x, randProbs(rows, C, 83), rows, C, {temperature: T, labelSmoothing: 0.5}, rtolOf(env),
                       `dense C = 1000, T = ${T}`);
    }
  }, {only: fixed});
});

/**
 * Focal at these scales: every composite path (cpu, wasm, GPUs), the cpu
 * kernels (float64 throughout), and the webgpu and webgl kernels, which save
 * (m, s) and compute log p = (x − m)/T − log s.
 */
const focalFixed = (env: SpecEnv) => env.composite || fixed(env);

/** The focal cases' tolerance: rtolOf, but the env's own where it is tighter (wasm's SIMD focal kernels: 1e-6). */
const focalRtol = (env: SpecEnv) => Math.min(rtolOf(env), env.rtol);

defineSpec('precision at large logit scales (focal)', it => {
  const rows = 6, C = 7;
  for (const T of [0.01, 1, 100]) {
    const o = {gamma: 2, alpha: 0.25, temperature: T, labelSmoothing: 0.1};
    it(`dense soft labels, γ = 2, T = ${T}: loss and d/dlogits`, async env => {
      const x = scaledLogits(rows, C, T, 101), y = randProbs(rows, C, 102);
      const labels = tf.tensor2d(y, [rows, C]), logits = tf.tensor2d(x, [rows, C]);
      await checkValueAndGrads({
        f: l => softmaxFocalCrossEntropyWithLogits(labels, l, o),
        xs: [logits], names: ['logits'],
        expected: dy => [refFocalGrad(x, y, rows, C, dy, o)],
      }, refFocalLoss(x, y, rows, C, o), focalRtol(env), `focal dense T = ${T}`);
      tf.dispose([labels, logits]);
    }, {only: focalFixed});
    it(`sparse, γ = 2, T = ${T}: loss and d/dlogits`, async env => {
      const x = scaledLogits(rows, C, T, 103), t = randLabels(rows, C, 104);
      const {targets, ignored} = sparseToDense(t, C, -1);
      const labels = tf.tensor1d(t, 'int32'), logits = tf.tensor2d(x, [rows, C]);
      await checkValueAndGrads({
        f: l => sparseSoftmaxFocalCrossEntropyWithLogits(labels, l, o),
        xs: [logits], names: ['logits'],
        expected: dy => [refFocalGrad(x, targets, rows, C, dy, o, ignored)],
      }, refFocalLoss(x, targets, rows, C, o, ignored), focalRtol(env), `focal sparse T = ${T}`);
      tf.dispose([labels, logits]);
    }, {only: focalFixed});
  }
});

defineSpec('+Infinity logits', it => {
  // Row 1 holds +∞ (row 2 twice): NaN loss and NaN gradient there, as for a NaN logit; other rows exact.
  const rows = 4, C = 5;
  const x = randn(rows * C, 91, 2);
  x[1 * C + 2] = Infinity;
  x[2 * C + 0] = Infinity;
  x[2 * C + 3] = Infinity;
  const t = new Int32Array([1, 2, 0, 4]);
  it('dense: the row with +∞ is NaN (loss, d/dlogits, d/dlabels)', env =>
      checkDense(x, randProbs(rows, C, 92), rows, C, {labelSmoothing: 0.1}, env.rtol, '+∞ dense'), {only: fixed});
  it('dense one-hot, +∞ on the target: still NaN', env =>
      checkDense(x, oneHotRows(t, C), rows, C, {}, env.rtol, '+∞ dense one-hot'), {only: fixed});
  it('sparse: the row with +∞ is NaN', env =>
      checkSparse(x, t, rows, C, {temperature: 2}, env.rtol, '+∞ sparse'), {only: fixed});
  it('sparse: an ignored row with +∞ gives 0', env =>
      checkSparse(x, new Int32Array([1, -100, 0, 4]), rows, C, {ignoreIndex: -100}, env.rtol, '+∞ ignored'),
     {only: fixed});
});

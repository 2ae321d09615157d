/**
 * The cpu focal kernels on both paths (the WebAssembly SIMD module,
 * kernels/cpu/focal_simd.ts, and the JavaScript loops beside it; flag
 * FUSED_CE_CPU_SIMD) against the float64 reference at 1e-6 relative:
 *  - softmax focal at every C around the module's two-lane pairs and
 *    four-lane label groups (C = 1 … 9, 17, 33, 257): dense one-hot, dense
 *    soft with smoothing (every entry takes the float64 focal terms), sparse
 *    with an ignored row, sparse with smoothing; γ = 2 (the integer power) and
 *    γ = 0.5 (log and exp); loss, d/dlogits and dense d/dlabels;
 *  - confident rows (target margins 6 to 20 nats, 1 − p down to ~1e-7), each
 *    row checked on its own scale: the float64 1 − p = (s − e)/s of the SIMD
 *    path (a float32 s would put 6e-8/(1 − p) into it);
 *  - binary focal at odd C, with balancing and smoothing, γ = 2, 1.5 and 0,
 *    reductions 'none', 'meanOverClasses' and 'sum'.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs';
import {sigmoidFocalCrossEntropyWithLogits, softmaxFocalCrossEntropyWithLogits, sparseSoftmaxFocalCrossEntropyWithLogits} from '../../src/index';
import {CPU_SIMD_FLAG} from '../../kernels/simd/flags_simd';
import {simdAvailable} from '../../kernels/simd/simd_module';
import {RefFocalOptions, refBinaryFocalGrad, refBinaryFocalLoss, refFocalGrad, refFocalLoss, sparseToDense} from '../losses/focal_reference';
import {expectClose, oneHotRows, randLabels, randn, randProbs} from '../spec/assert';

const RTOL = 1e-6;

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

/** d(Σ dy·L)/dlabels of the softmax focal loss, float64: dy·(1 − ε)·a·(1 − p)^γ·(−log p), 1 − p as the other classes' sum. */
function refLabelsGrad(x: ArrayLike<number>, rows: number, C: number, dy: ArrayLike<number>, o: RefFocalOptions): number[] {
  const T = o.temperature ?? 1, eps = o.labelSmoothing ?? 0, gamma = o.gamma ?? 2, alpha = o.alpha ?? 0.25;
  const out: number[] = [];
  for (let i = 0; i < rows; i++) {
    const z = Array.from({length: C}, (_, c) => x[i * C + c] / T);
    const mx = Math.max(...z);
    const e = z.map(v => Math.exp(v - mx));
    const s = e.reduce((p, v) => p + v, 0);
    for (let c = 0; c < C; c++) {
      const a = (typeof alpha === 'number' ? alpha : alpha[c]) * (o.classWeights?.[c] ?? 1);
      const q = (s - e[c]) / s;
      out.push(dy[i] * (1 - eps) * a * Math.pow(q, gamma) * (Math.log(s) - (z[c] - mx)));
    }
  }
  return out;
}

async function denseCase(x: Float32Array, y: Float32Array, rows: number, C: number, o: RefFocalOptions, what: string) {
  const dy = randn(rows, 7);
  const X = tf.tensor2d(x, [rows, C]), Y = tf.tensor2d(y, [rows, C]), DY = tf.tensor1d(dy);
  const opts = {...o, classWeights: o.classWeights ?? undefined};
  const loss = softmaxFocalCrossEntropyWithLogits(Y, X, opts);
  const [dx, dl] = tf.grads((l: tf.Tensor, t: tf.Tensor) => softmaxFocalCrossEntropyWithLogits(t, l, opts))([X, Y], DY);
  expectClose(await loss.data(), refFocalLoss(x, y, rows, C, o), RTOL, `${what}: loss`);
  expectClose(await dx.data(), refFocalGrad(x, y, rows, C, dy, o), RTOL, `${what}: d/dlogits`);
  expectClose(await dl.data(), refLabelsGrad(x, rows, C, dy, o), RTOL, `${what}: d/dlabels`);
  tf.dispose([X, Y, DY, loss, dx, dl]);
}

async function sparseCase(x: Float32Array, t: Int32Array, rows: number, C: number, o: RefFocalOptions, what: string) {
  const dy = randn(rows, 8);
  const {targets, ignored} = sparseToDense(t, C, o.ignoreIndex ?? null);
  const X = tf.tensor2d(x, [rows, C]), Tl = tf.tensor1d(t, 'int32'), DY = tf.tensor1d(dy);
  const opts = {...o, classWeights: o.classWeights ?? undefined, ignoreIndex: o.ignoreIndex ?? undefined};
  const loss = sparseSoftmaxFocalCrossEntropyWithLogits(Tl, X, opts);
  const dx = tf.grad((l: tf.Tensor) => sparseSoftmaxFocalCrossEntropyWithLogits(Tl, l, opts))(X, DY);
  expectClose(await loss.data(), refFocalLoss(x, targets, rows, C, o, ignored), RTOL, `${what}: loss`);
  expectClose(await dx.data(), refFocalGrad(x, targets, rows, C, dy, o, ignored), RTOL, `${what}: d/dlogits`);
  tf.dispose([X, Tl, DY, loss, dx]);
}

for (const simd of [false, true]) {
describe(simd ? 'WebAssembly SIMD path' : 'JavaScript path', () => {
  beforeAll(() => tf.env().set(CPU_SIMD_FLAG, simd));
  afterAll(() => tf.env().set(CPU_SIMD_FLAG, simdAvailable()));

  for (const C of [1, 2, 3, 4, 5, 6, 7, 8, 9, 17, 33, 257]) {
    test(`C = ${C}: dense one-hot and soft, sparse with ignoreIndex and with smoothing; γ = 2 and 0.5`, async () => {
      const rows = 5;
      const x = randn(rows * C, 100 + C, 3);
      const t = randLabels(rows, C, 200 + C);
      const alpha = Array.from({length: C}, (_, c) => 0.2 + 0.1 * (c % 3));
      for (const gamma of [2, 0.5]) {
        const base: RefFocalOptions = {gamma, alpha, temperature: 1.3};
        await denseCase(x, oneHotRows(t, C), rows, C, base, `one-hot C=${C} γ=${gamma}`);
        await denseCase(x, randProbs(rows, C, 300 + C), rows, C, {...base, labelSmoothing: 0.1, classWeights: alpha.map(v => 2 * v)},
                        `soft C=${C} γ=${gamma}`);
        const ti = Int32Array.from(t);
        ti[2] = -1;
        await sparseCase(x, ti, rows, C, {...base, ignoreIndex: -1}, `sparse C=${C} γ=${gamma}`);
        await sparseCase(x, t, rows, C, {...base, labelSmoothing: 0.2}, `sparse ε C=${C} γ=${gamma}`);
      }
    });
  }

  test('confident rows (margins 6 … 20 nats): every row to 1e-6 of its own scale', async () => {
    const rows = 8, C = 50;
    const x = randn(rows * C, 401, 0.5);
    const t = randLabels(rows, C, 402);
    for (let i = 0; i < rows; i++) x[i * C + t[i]] = 6 + 2 * i;  // others ~N(0, 0.25)
    for (const gamma of [2, 0.5]) {
      const o = {gamma, alpha: 0.25};
      const X = tf.tensor2d(x, [rows, C]), Tl = tf.tensor1d(t, 'int32'), Y = tf.tensor2d(oneHotRows(t, C), [rows, C]);
      const {targets} = sparseToDense(t, C);
      const ones = new Float32Array(rows).fill(1);
      const refLoss = refFocalLoss(x, targets, rows, C, o), refGrad = refFocalGrad(x, targets, rows, C, ones, o);
      for (const [what, f] of [
        ['dense', (l: tf.Tensor) => softmaxFocalCrossEntropyWithLogits(Y, l, o)],
        ['sparse', (l: tf.Tensor) => sparseSoftmaxFocalCrossEntropyWithLogits(Tl, l, o)],
      ] as const) {
        const loss = await f(X).data();
        const g = await tf.grad(f)(X).data();
        for (let i = 0; i < rows; i++) {
          expectClose([loss[i]], [refLoss[i]], RTOL, `${what} γ=${gamma} row ${i}: loss`);
          expectClose(g.slice(i * C, (i + 1) * C), refGrad.slice(i * C, (i + 1) * C), RTOL, `${what} γ=${gamma} row ${i}: d/dlogits`);
        }
      }
      tf.dispose([X, Tl, Y]);
    }
  });

  for (const C of [1, 3, 5, 8]) {
    test(`binary focal, C = ${C}: γ = 2, 1.5, 0; balancing, smoothing; reductions none, meanOverClasses, sum`, async () => {
      const rows = 3;
      const x = randn(rows * C, 500 + C, 4), z = randProbs(rows, C, 600 + C);
      for (const gamma of [2, 1.5, 0]) {
        const o = {gamma, alpha: 0.3, applyClassBalancing: true, labelSmoothing: 0.1};
        const refL = refBinaryFocalLoss(x, z, o);
        for (const reduction of ['none', 'meanOverClasses', 'sum'] as const) {
          const X = tf.tensor2d(x, [rows, C]), Z = tf.tensor2d(z, [rows, C]);
          const loss = sigmoidFocalCrossEntropyWithLogits(Z, X, {...o, reduction});
          const dyOut = randn(loss.size, 9);
          const DY = tf.tensor(dyOut, loss.shape);
          const [dx, dz] = tf.grads((l: tf.Tensor, t: tf.Tensor) => sigmoidFocalCrossEntropyWithLogits(t, l, {...o, reduction}))([X, Z], DY);
          const per = (k: number) => reduction === 'none' ? dyOut[k] : reduction === 'sum' ? dyOut[0] : dyOut[Math.floor(k / C)] / C;
          const dyE = Array.from({length: rows * C}, (_, k) => per(k));
          const expected = reduction === 'none' ? refL :
              reduction === 'sum' ? [refL.reduce((p, v) => p + v, 0)] :
              Array.from({length: rows}, (_, i) => refL.slice(i * C, (i + 1) * C).reduce((p, v) => p + v, 0) / C);
          const g = refBinaryFocalGrad(x, z, dyE, o);
          const what = `binary C=${C} γ=${gamma} ${reduction}`;
          expectClose(await loss.data(), expected, RTOL, `${what}: loss`);
          expectClose(await dx.data(), g.dx, RTOL, `${what}: d/dlogits`);
          expectClose(await dz.data(), g.dz, RTOL, `${what}: d/dlabels`);
          tf.dispose([X, Z, loss, DY, dx, dz]);
        }
      }
    });
  }
});
}

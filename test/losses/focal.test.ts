/**
 * Focal cross-entropy ops on the cpu backend, fused kernels and composite path,
 * against the float64 reference (test/losses/focal_reference.ts); the
 * reference's closed-form gradients against float64 finite differences.
 */
import * as tf from '@tensorflow/tfjs';
import '../../src/index';  // registers the kernels and gradients
import {setForceComposite} from '../../src/flags';
import {sigmoidFocalCrossEntropyWithLogits, softmaxFocalCrossEntropyWithLogits, sparseSoftmaxFocalCrossEntropyWithLogits} from '../../src/ops/focal_cross_entropy';
import {softmaxCrossEntropyWithLogits} from '../../src/ops/softmax_cross_entropy';
import {expectClose, expectNoLeak, oneHotRows, randLabels, randn, randProbs} from '../spec/assert';
import {numericGrad, RefBinaryFocalOptions, RefFocalOptions, refBinaryFocalGrad, refBinaryFocalLoss, refFocalGrad, refFocalLoss, sparseToDense} from './focal_reference';

const rows = 7, C = 5;
const x = randn(rows * C, 11, 2.5);
const dy = randn(rows, 12);
const soft = randProbs(rows, C, 13);
const ids = randLabels(rows, C, 14);

const configs: Array<[string, RefFocalOptions]> = [
  ['defaults (γ=2, α=0.25)', {}],
  ['γ=0 (weighted CE)', {gamma: 0, alpha: 1}],
  ['γ=0.5, per-class α, smoothing, T=1.7', {gamma: 0.5, alpha: [0.1, 0.2, 0.3, 0.4, 0.5], labelSmoothing: 0.1, temperature: 1.7}],
  ['γ=3, class weights', {gamma: 3, alpha: 0.5, classWeights: [1, 2, 0.5, 3, 1]}],
];

describe('focal reference (float64) closed-form gradients vs finite differences', () => {
  test.each(configs)('softmax focal, %s', (_name, o) => {
    const xs = Array.from(x);
    const closed = refFocalGrad(xs, soft, rows, C, dy, o);
    const numeric = numericGrad(v => refFocalLoss(v, soft, rows, C, o), xs, dy);
    expectClose(closed, numeric, 1e-7, 'd/dlogits');
  });
  test.each([0, 0.5, 2])('binary focal γ=%p: loss decreases along −gradient (sanity of the reference)', gamma => {
    const xs = Array.from(x.slice(0, 10));
    const z = Array.from(soft.slice(0, 10));
    const l0 = refBinaryFocalLoss(xs, z, {gamma}).reduce((a, b) => a + b);
    const g = numericGrad(v => refBinaryFocalLoss(v, z, {gamma}), xs, new Array(10).fill(1));
    const l1 = refBinaryFocalLoss(xs.map((v, i) => v - 1e-3 * g[i]), z, {gamma}).reduce((a, b) => a + b);
    expect(l1).toBeLessThan(l0);
  });
  test.each([
    ['γ=2', {gamma: 2}], ['γ=0.5, α=0.3, balanced', {gamma: 0.5, alpha: 0.3, applyClassBalancing: true}],
    ['γ=7.5e-5, balanced, ε=0.1', {gamma: 7.5e-5, alpha: 0.14, applyClassBalancing: true, labelSmoothing: 0.1}],
    ['γ=0', {gamma: 0}],
  ] as Array<[string, RefBinaryFocalOptions]>)('binary focal closed-form gradients = finite differences where u ≫ step, %s', (_n, o) => {
    // |x| ≤ 2.5-ish logits: u = 1 − p_t ≥ 0.07, far above the step.
    const xs = Array.from(x.slice(0, 20), v => v / 2), z = Array.from(soft.slice(0, 20));
    const d = Array.from(dy.slice(0, 7)).concat(Array.from(dy.slice(0, 7)), Array.from(dy.slice(0, 6)));
    const {dx, dz} = refBinaryFocalGrad(xs, z, d, o);
    expectClose(dx, numericGrad(v => refBinaryFocalLoss(v, z, o), xs, d), 1e-7, 'd/dlogits');
    expectClose(dz, numericGrad(v => refBinaryFocalLoss(xs, v, o), z, d), 1e-7, 'd/dlabels');
  });
  test('binary focal: where u is near the step, finite differences miss and the closed form does not', () => {
    // Hard label 0 at x = −10 (u = σ(−10) ≈ 4.5e-5), tiny γ: the central difference's error grows
    // like γ·h²/u³. Richardson on a much smaller relative step agrees with the closed form.
    const o = {gamma: 7.5e-5, alpha: 0.14, applyClassBalancing: true};
    const xs = [-10, 9.5], z = [0, 1], d = [1, -0.7];
    const {dz} = refBinaryFocalGrad(xs, z, d, o);
    const fd = (h: number) => numericGrad(v => refBinaryFocalLoss(xs, v, o), z, d, h);
    const rich = fd(1e-8).map((v, i) => (4 * v - fd(2e-8)[i]) / 3);
    expectClose(dz, rich, 1e-6, 'd/dlabels vs Richardson at h = 1e-8');
    // The default step (1e-5) is off by more than the cpu tolerance here.
    expect(Math.abs(fd(1e-5)[0] - dz[0]) / Math.abs(dz[0])).toBeGreaterThan(1e-6);
  });
});

async function grad(f: (v: tf.Tensor) => tf.Tensor, at: tf.Tensor, dyT: tf.Tensor): Promise<Float32Array> {
  const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(f(v), dyT)))(at);
  const out = Float32Array.from(await g.data());
  g.dispose();
  return out;
}

describe.each([['fused cpu kernels', false, 1e-6], ['composite path on cpu', true, 2e-5]] as const)('focal ops, %s', (_n, composite, rtol) => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    setForceComposite(composite);
  });
  afterAll(() => setForceComposite(false));

  test.each(configs)('dense: loss, d/dlogits, d/dlabels, %s', async (_name, o) => {
    const X = tf.tensor2d(x, [rows, C]), Y = tf.tensor2d(soft, [rows, C]), D = tf.tensor1d(dy);
    const opts = {...o, classWeights: o.classWeights ?? undefined};
    expectClose(await softmaxFocalCrossEntropyWithLogits(Y, X, opts).data(), refFocalLoss(x, soft, rows, C, o), rtol, 'loss');
    expectClose(await grad(v => softmaxFocalCrossEntropyWithLogits(Y, v, opts), X, D), refFocalGrad(x, soft, rows, C, dy, o), rtol, 'd/dlogits');
    const dlabels = numericGrad(v => refFocalLoss(x, v, rows, C, o), Array.from(soft), dy);
    expectClose(await grad(v => softmaxFocalCrossEntropyWithLogits(v, X, opts), Y, D), dlabels, Math.max(rtol, 1e-6), 'd/dlabels');
    tf.dispose([X, Y, D]);
  });

  test.each(configs)('sparse with ignoreIndex: loss and d/dlogits, %s', async (_name, o) => {
    const t = Int32Array.from(ids);
    t[2] = -100;
    t[5] = -100;
    const {targets, ignored} = sparseToDense(t, C, -100);
    const X = tf.tensor2d(x, [rows, C]), T = tf.tensor1d(t, 'int32'), D = tf.tensor1d(dy);
    const opts = {...o, classWeights: o.classWeights ?? undefined, ignoreIndex: -100};
    const loss = await sparseSoftmaxFocalCrossEntropyWithLogits(T, X, opts).data();
    expectClose(loss, refFocalLoss(x, targets, rows, C, o, ignored), rtol, 'loss');
    expect(loss[2]).toBe(0);
    const g = await grad(v => sparseSoftmaxFocalCrossEntropyWithLogits(T, v, opts), X, D);
    expectClose(g, refFocalGrad(x, targets, rows, C, dy, o, ignored), rtol, 'd/dlogits');
    expect(Array.from(g.slice(5 * C, 6 * C))).toEqual([0, 0, 0, 0, 0]);
    tf.dispose([X, T, D]);
  });

  test('sparse equals dense on one-hot labels', async () => {
    const o = {gamma: 1.5, alpha: 0.4, labelSmoothing: 0.05};
    const X = tf.tensor2d(x, [rows, C]);
    const a = await sparseSoftmaxFocalCrossEntropyWithLogits(tf.tensor1d(ids, 'int32'), X, o).data();
    const b = await softmaxFocalCrossEntropyWithLogits(tf.tensor2d(oneHotRows(ids, C), [rows, C]), X, o).data();
    expectClose(a, b, rtol, 'sparse vs dense');
    X.dispose();
  });

  test('γ = 0 is softmax cross-entropy weighted by α·w (the plain op)', async () => {
    const X = tf.tensor2d(x, [rows, C]), Y = tf.tensor2d(soft, [rows, C]);
    const w = [1, 2, 0.5, 3, 1];
    const focal = await softmaxFocalCrossEntropyWithLogits(Y, X, {gamma: 0, alpha: 0.5, classWeights: w, temperature: 2}).data();
    const ce = await softmaxCrossEntropyWithLogits(Y, X, {classWeights: w.map(v => v * 0.5), temperature: 2}).data();
    expectClose(focal, ce, rtol, 'focal γ=0 vs CE');
    tf.dispose([X, Y]);
  });

  test('confident rows (p → 1, γ = 0.5): finite gradient, small losses accurate per row', async () => {
    // Margins 40, 25 and 9: 1 − p ≈ 2e-17, 4e-11, 5e-4. The loss of the last row
    // (≈1e-5) is checked on its own: 1 − p taken in float32 would be off by ~1e-3.
    const xs = new Float32Array([40, 0, 0, 0, 0, -3, 25, 0, 0, 0, 0, 0, 9, 0, 0]);
    const t = [0, 1, 2];
    const o = {gamma: 0.5, alpha: 1};
    const {targets} = sparseToDense(t, C);
    const X = tf.tensor2d(xs, [3, C]);
    const loss = await sparseSoftmaxFocalCrossEntropyWithLogits(t, X, o).data();
    const ref = refFocalLoss(xs, targets, 3, C, o);
    expect(Math.abs(loss[0] - ref[0]) + Math.abs(loss[1] - ref[1])).toBeLessThan(1e-12);
    expectClose([loss[2]], [ref[2]], composite ? 5e-3 : 1e-6, 'loss of the margin-9 row');
    const g = await grad(v => sparseSoftmaxFocalCrossEntropyWithLogits(t, v, o), X, tf.ones([3]));
    expect(g.every(Number.isFinite)).toBe(true);
    expectClose(g, refFocalGrad(xs, targets, 3, C, [1, 1, 1], o), composite ? 5e-3 : 1e-6, 'd/dlogits');
    X.dispose();
  });

  test('class axis 1 of a rank-3 tensor equals the transposed last-axis call', async () => {
    const X3 = tf.tensor3d(randn(2 * C * 3, 21), [2, C, 3]);
    const Y3 = tf.tensor3d(randProbs(6, C, 22), [2, 3, C]).transpose([0, 2, 1]);
    const a = softmaxFocalCrossEntropyWithLogits(Y3, X3, {axis: 1});
    expect(a.shape).toEqual([2, 3]);
    const b = softmaxFocalCrossEntropyWithLogits(Y3.transpose([0, 2, 1]), X3.transpose([0, 2, 1]));
    expectClose(await a.data(), await b.data(), rtol, 'axis 1');
    tf.dispose([X3, Y3, a, b]);
  });

  test.each([
    ['no balancing, γ=2', {}],
    ['balancing α=0.3, γ=0.7, smoothing 0.2', {applyClassBalancing: true, alpha: 0.3, gamma: 0.7, labelSmoothing: 0.2}],
    ['γ=0', {gamma: 0}],
  ] as const)('binary: loss, d/dlogits, d/dlabels vs float64, %s', async (_name, o) => {
    const X = tf.tensor2d(x, [rows, C]), Z = tf.tensor2d(soft, [rows, C]);
    const D = tf.tensor2d(randn(rows * C, 31), [rows, C]);
    const dys = await D.data();
    expectClose(await sigmoidFocalCrossEntropyWithLogits(Z, X, o).data(), refBinaryFocalLoss(x, soft, o), rtol, 'loss');
    expectClose(await grad(v => sigmoidFocalCrossEntropyWithLogits(Z, v, o), X, D),
        numericGrad(v => refBinaryFocalLoss(v, soft, o), Array.from(x), dys), Math.max(rtol, 1e-6), 'd/dlogits');
    expectClose(await grad(v => sigmoidFocalCrossEntropyWithLogits(v, X, o), Z, D),
        numericGrad(v => refBinaryFocalLoss(x, v, o), Array.from(soft), dys), Math.max(rtol, 1e-6), 'd/dlabels');
    tf.dispose([X, Z, D]);
  });

  test('binary: hard 0/1 labels with saturated logits stay finite', async () => {
    const xs = new Float32Array([30, -30, 30, -30, 0]);
    const z = new Float32Array([1, 0, 0, 1, 1]);
    const X = tf.tensor1d(xs), Z = tf.tensor1d(z);
    const o = {gamma: 0.5};
    expectClose(await sigmoidFocalCrossEntropyWithLogits(Z, X, o).data(), refBinaryFocalLoss(xs, z, o), composite ? 1e-5 : 1e-6, 'loss');
    const g = await grad(v => sigmoidFocalCrossEntropyWithLogits(Z, v, o), X, tf.ones([5]));
    expect(g.every(Number.isFinite)).toBe(true);
    tf.dispose([X, Z]);
  });

  test('argument errors name the op and the argument', () => {
    const X = tf.zeros([2, 3]);
    expect(() => softmaxFocalCrossEntropyWithLogits(tf.zeros([2, 3]), X, {gamma: -1})).toThrow(/softmaxFocalCrossEntropyWithLogits: gamma/);
    expect(() => softmaxFocalCrossEntropyWithLogits(tf.zeros([2, 3]), X, {alpha: [1, 2]})).toThrow(/alpha must have length 1 or 3/);
    expect(() => sparseSoftmaxFocalCrossEntropyWithLogits([0, 3], X, {validateLabels: true})).toThrow(/labels\[1\] = 3 is out of range/);
    expect(() => sigmoidFocalCrossEntropyWithLogits(X, X, {alpha: 2})).toThrow(/alpha must be in \[0, 1\]/);
    X.dispose();
  });

  test('no tensor leaks, forward and backward', async () => {
    const X = tf.tensor2d(x, [rows, C]), Y = tf.tensor2d(soft, [rows, C]), T = tf.tensor1d(ids, 'int32');
    await expectNoLeak(() => softmaxFocalCrossEntropyWithLogits(Y, X), 'dense forward');
    await expectNoLeak(() => tf.grad((v: tf.Tensor) => tf.sum(sparseSoftmaxFocalCrossEntropyWithLogits(T, v)))(X), 'sparse backward');
    await expectNoLeak(() => tf.grad((v: tf.Tensor) => tf.sum(sigmoidFocalCrossEntropyWithLogits(Y, v)))(X), 'binary backward');
    tf.dispose([X, Y, T]);
  });
});

/**
 * Spec of the focal ops for every backend: fused kernels where the backend
 * has them (FUSED_FOCAL_BACKENDS), the composite path (tfjs ops, closed-form
 * gradients) elsewhere and under FUSED_CE_FORCE_COMPOSITE. Reference: the
 * float64 focal formulas in test/losses/focal_reference.ts; labels gradients
 * by float64 finite differences of that reference. The softmax focal ops meet
 * the backend's rtol (1e-6 cpu, 1e-5 GPU) on the fused and composite paths;
 * the binary focal composite path carries pow(1 − p_t, γ) of float32
 * probabilities: tolerance max(5·rtol, 5e-5) there (binaryFocalTol).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as names from '../../kernels/kernel_names';
import {sigmoidFocalCrossEntropyWithLogits, softmaxFocalCrossEntropyWithLogits, sparseSoftmaxFocalCrossEntropyWithLogits} from '../../src/index';
import {numericGrad, RefBinaryFocalOptions, RefFocalOptions, refBinaryFocalGrad, refBinaryFocalLoss, refBinaryFocalMagnitudes, refFocalGrad, refFocalLoss, sparseToDense} from '../losses/focal_reference';
import {binaryTargets, expect, expectClose, expectFinite, expectNoLeak, oneHotRows, randLabels, randn, randProbs, values} from './assert';
import {checkValueAndGrads} from './check';
import {expectRan, identitiesOfSize, kernelsRun, oneHotEnv} from './kernels_ran';
import {defineSpec, SpecEnv} from './registry';

const rows = 9, C = 6;
const x = randn(rows * C, 71, 2.5);
const soft = randProbs(rows, C, 72);

/** Backends that register the fused focal kernels (FOCAL_KERNEL_NAMES): checked to really run them. */
export const FUSED_FOCAL_BACKENDS = ['cpu', 'webgl', 'webgpu', 'wasm'];

function fused(env: SpecEnv): boolean {
  return !env.composite && FUSED_FOCAL_BACKENDS.includes(env.backend);
}

/** The softmax focal ops meet the env's rtol on the fused and the composite path. */
function tol(env: SpecEnv): number {
  return env.rtol;
}

/**
 * The binary focal op: the env's rtol where fused. The composite path is a float32 chain of tfjs
 * ops (σ, softplus, pow(1 − p_t, γ), p − ẑ): where the gradient's terms cancel (small logits,
 * large γ, soft labels) its normwise error reached 5.5e-6 on cpu over 240 property runs (six
 * seeds). max(5·rtol, 2e-5) there. (Errors above 1e-5 once blamed on it were the
 * finite-difference reference's own, where 1 − p_t is as small as its step; the reference
 * gradients are now in closed form.)
 */
export function binaryFocalTol(env: SpecEnv): number {
  return fused(env) ? env.rtol : Math.max(5 * env.rtol, 2e-5);
}

/** The binary focal loss of logits X (values x) and labels Z (values z), and both its gradients, against float64. */
function checkBinaryFocal(X: tf.Tensor, Z: tf.Tensor, x: ArrayLike<number>, z: ArrayLike<number>, o: RefBinaryFocalOptions,
                          env: SpecEnv, what: string): Promise<void> {
  return checkValueAndGrads({
    f: (l, t) => sigmoidFocalCrossEntropyWithLogits(t, l, o),
    xs: [X, Z], names: ['logits', 'labels'],
    expected: dy => {
      const g = refBinaryFocalGrad(x, z, dy, o);
      return [g.dx, g.dz];
    },
  }, refBinaryFocalLoss(x, z, o), binaryFocalTol(env), what);
}

/** The op options of reference options (no nulls). */
function opOptions(o: RefFocalOptions): {gamma?: number, alpha?: number | number[], labelSmoothing?: number,
                                        temperature?: number, classWeights?: number[]} {
  return {gamma: o.gamma, alpha: o.alpha, labelSmoothing: o.labelSmoothing, temperature: o.temperature,
          classWeights: o.classWeights ?? undefined};
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
    await checkBinaryFocal(X, Z, x, soft, o, env, 'binary');
    tf.dispose([X, Z]);
  });
  it('binary, γ by products (0, ½, 1½, 2, 2½, 3) and not (1.3), with balancing and smoothing, C = 37 (pairs of vectors, a vector, a tail)', async env => {
    // The SIMD kernels take u^γ by products (and √u) for a multiple of ½, through float64 for any other γ.
    const r = 3, K = 37;
    const xs = randn(r * K, 73, 3), zs = binaryTargets(r * K, 74);
    const X = tf.tensor2d(xs, [r, K]), Z = tf.tensor2d(zs, [r, K]);
    for (const gamma of [0, 0.5, 1.5, 2, 2.5, 3, 1.3]) {
      const o = {applyClassBalancing: true, alpha: 0.3, gamma, labelSmoothing: 0.05};
      await checkBinaryFocal(X, Z, xs, zs, o, env, `binary γ = ${gamma}`);
    }
    tf.dispose([X, Z]);
  });
  it('binary, confident and correct logits (|x| 3 to 25, γ = 2): loss, mean and d/dlogits to their own accuracy', async env => {
    // loss = u^γ·bce ≈ e^−(γ+1)|x| where the logit agrees with its label: the whole loss of a
    // well-trained batch, a product of non-negative factors (its own magnitude), as for the plain
    // sigmoid loss (sigmoid_cross_entropy.spec.ts, "confident, correct logits").
    const n = 4 * 6;
    for (const s of [3, 8, 11, 15, 25]) {
      const xs = Float32Array.from({length: n}, (_, i) => (i % 2 ? 1 : -1) * (s + 0.05 * i));
      const zs = Float32Array.from(xs, v => (v > 0 ? 1 : 0));
      const o = {gamma: 2};
      const X = tf.tensor2d(xs, [4, 6]), Z = tf.tensor2d(zs, [4, 6]);
      const ref = refBinaryFocalLoss(xs, zs, o);
      const what = `|x| ≈ ${s}`;
      expectClose(await values(sigmoidFocalCrossEntropyWithLogits(Z, X, o)), ref, binaryFocalTol(env), `${what}: loss`);
      expectClose(await values(sigmoidFocalCrossEntropyWithLogits(Z, X, {...o, reduction: 'mean'})),
                  [ref.reduce((a, b) => a + b, 0) / n], binaryFocalTol(env), `${what}: mean`);
      // d/dlogits subtracts (p − ẑ, 1 − 2ẑ): checked against its terms' magnitude, as the properties do.
      const dy = new Float32Array(n).fill(1);
      const g = tf.grad(l => sigmoidFocalCrossEntropyWithLogits(Z, l, o))(X);
      expectClose(await values(g), refBinaryFocalGrad(xs, zs, dy, o).dx, binaryFocalTol(env), `${what}: d/dlogits`, 0,
                  refBinaryFocalMagnitudes(xs, zs, dy, o).dx);
      tf.dispose([X, Z, g]);
    }
  });
  it('no tensor leaks', async () => {
    const X = tf.tensor2d(x, [rows, C]), Y = tf.tensor2d(soft, [rows, C]);
    await expectNoLeak(() => tf.grad((v: tf.Tensor) => tf.sum(softmaxFocalCrossEntropyWithLogits(Y, v)))(X), 'dense backward');
    tf.dispose([X, Y]);
  });

  it('no tensor leaks: every op, forward and backward, every option', async () => {
    const X = tf.tensor2d(x, [rows, C]), Y = tf.tensor2d(soft, [rows, C]);
    const tl = Int32Array.from(randLabels(rows, C, 74));
    const T = tf.tensor1d(tl, 'int32');
    const opts = {gamma: 0.5, alpha: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], classWeights: [1, 2, 1, 2, 1, 2], temperature: 1.5};
    await expectNoLeak(() => softmaxFocalCrossEntropyWithLogits(Y, X, opts), 'dense forward');
    await expectNoLeak(() => {
      const [a, b] = tf.grads((l: tf.Tensor, t: tf.Tensor) => softmaxFocalCrossEntropyWithLogits(t, l, {...opts, labelSmoothing: 0.1}))([X, Y]);
      b.dispose();
      return a;
    }, 'dense backward (logits and labels)');
    for (const labelSmoothing of [0, 0.1]) {
      const sparseOpts = {...opts, labelSmoothing, ignoreIndex: tl[0]};
      await expectNoLeak(() => sparseSoftmaxFocalCrossEntropyWithLogits(T, X, sparseOpts), `sparse forward, ε = ${labelSmoothing}`);
      await expectNoLeak(() => tf.grad(l => sparseSoftmaxFocalCrossEntropyWithLogits(T, l, sparseOpts))(X),
                         `sparse backward, ε = ${labelSmoothing}`);
    }
    const binOpts = {gamma: 1.5, applyClassBalancing: true};
    await expectNoLeak(() => sigmoidFocalCrossEntropyWithLogits(Y, X, binOpts), 'binary forward');
    await expectNoLeak(() => {
      const [a, b] = tf.grads((l: tf.Tensor, z: tf.Tensor) => sigmoidFocalCrossEntropyWithLogits(z, l, binOpts))([X, Y]);
      b.dispose();
      return a;
    }, 'binary backward');
    tf.dispose([X, Y, T]);
  });

  it('the fused focal kernels run, forward and backward (no silent composite fallback)', async () => {
    const X = tf.tensor2d(x, [rows, C]), Y = tf.tensor2d(soft, [rows, C]);
    const T = tf.tensor1d(Int32Array.from(randLabels(rows, C, 75)), 'int32');
    expectRan(await kernelsRun(() => tf.grads((l: tf.Tensor, t: tf.Tensor) => softmaxFocalCrossEntropyWithLogits(t, l))([X, Y])),
              [names.FocalCrossEntropy, names.FocalCrossEntropyGrad], 'dense');
    for (const labelSmoothing of [0, 0.1]) {
      expectRan(await kernelsRun(() => tf.grad(l => sparseSoftmaxFocalCrossEntropyWithLogits(T, l, {labelSmoothing}))(X)),
                [names.SparseFocalCrossEntropy, names.SparseFocalCrossEntropyGrad], `sparse, ε = ${labelSmoothing}`);
    }
    expectRan(await kernelsRun(() => tf.grads((l: tf.Tensor, z: tf.Tensor) => sigmoidFocalCrossEntropyWithLogits(z, l))([X, Y])),
              [names.BinaryFocalCrossEntropy, names.BinaryFocalCrossEntropyGrad], 'binary');
    tf.dispose([X, Y, T]);
  }, {only: fused});

  it('one-hot dense labels run as class ids where the backend has the one-hot kernels, with one [rows, C] clone', async () => {
    const t = randLabels(rows, C, 76);
    const X = tf.tensor2d(x, [rows, C]), H = tf.tensor2d(oneHotRows(t, C), [rows, C]);
    const ran = await kernelsRun(() => tf.grads((l: tf.Tensor, h: tf.Tensor) => softmaxFocalCrossEntropyWithLogits(h, l))([X, H]));
    expectRan(ran, [names.DenseLabelClassIds, names.OneHotFocalCrossEntropy, names.SparseFocalCrossEntropyGrad,
                    names.FocalCrossEntropyGrad], 'one-hot focal');
    if (ran.includes(names.FocalCrossEntropy)) throw new Error('one-hot focal: the dense forward ran too');
    const clones = await identitiesOfSize(() => tf.grad(l => softmaxFocalCrossEntropyWithLogits(H, l))(X), rows * C);
    if (clones !== 1) throw new Error(`one-hot focal: ${clones} [rows, C] clones per gradient, expected 1 (the logits)`);
    tf.dispose([X, H]);
  }, {only: oneHotEnv});

  // Odd shapes: C = 1 (p = 1, q = 0: the limits), C = 3, and C above the
  // WebGL single-pass limit (staged windows, an odd last window at 1031).
  for (const K of [1, 3, 1000, 1031]) {
    const n = K >= 1000 ? 3 : 7;
    const xs = randn(n * K, 80 + K, 3);
    const ys = randProbs(n, K, 81 + K);
    const ts = Int32Array.from(randLabels(n, K, 82 + K));
    const perClass = Array.from({length: K}, (_, c) => 0.2 + 0.1 * (c % 4));
    it(`C = ${K}, dense and sparse (smoothing, γ = 0.5, per-class α, T = 0.7)`, async env => {
      const o: RefFocalOptions = {gamma: 0.5, alpha: perClass, labelSmoothing: 0.1, temperature: 0.7};
      const X = tf.tensor2d(xs, [n, K]), Y = tf.tensor2d(ys, [n, K]), T = tf.tensor1d(ts, 'int32');
      // d/dlabels by finite differences only at small C (n·C evaluations of the whole loss).
      const withLabels = K <= 3;
      await checkValueAndGrads({
        f: (l, t) => softmaxFocalCrossEntropyWithLogits(t ?? Y, l, opOptions(o)),
        xs: withLabels ? [X, Y] : [X], names: withLabels ? ['logits', 'labels'] : ['logits'],
        expected: dy => [refFocalGrad(xs, ys, n, K, dy, o),
                         ...(withLabels ? [numericGrad(v => refFocalLoss(xs, v, n, K, o), Array.from(ys), dy)] : [])],
      }, refFocalLoss(xs, ys, n, K, o), tol(env), `dense C=${K}`);
      const {targets} = sparseToDense(ts, K);
      await checkValueAndGrads({
        f: l => sparseSoftmaxFocalCrossEntropyWithLogits(T, l, opOptions(o)),
        xs: [X], names: ['logits'],
        expected: dy => [refFocalGrad(xs, targets, n, K, dy, o)],
      }, refFocalLoss(xs, targets, n, K, o), tol(env), `sparse C=${K}`);
      tf.dispose([X, Y, T]);
    });
    it(`C = ${K}, sparse without smoothing, γ = 2, class weights`, async env => {
      const o: RefFocalOptions = {gamma: 2, alpha: 0.25, classWeights: perClass};
      const X = tf.tensor2d(xs, [n, K]), T = tf.tensor1d(ts, 'int32');
      const {targets} = sparseToDense(ts, K);
      await checkValueAndGrads({
        f: l => sparseSoftmaxFocalCrossEntropyWithLogits(T, l, opOptions(o)),
        xs: [X], names: ['logits'],
        expected: dy => [refFocalGrad(xs, targets, n, K, dy, o)],
      }, refFocalLoss(xs, targets, n, K, o), tol(env), `sparse ε=0 C=${K}`);
      tf.dispose([X, T]);
    });
  }

  it('γ = 0 is weighted cross-entropy, γ = 1 and 2.5 (integer and not)', async env => {
    for (const gamma of [0, 1, 2.5]) {
      const o: RefFocalOptions = {gamma, alpha: 0.5, labelSmoothing: 0.05};
      const X = tf.tensor2d(x, [rows, C]), Y = tf.tensor2d(soft, [rows, C]);
      await checkValueAndGrads({
        f: l => softmaxFocalCrossEntropyWithLogits(Y, l, opOptions(o)),
        xs: [X], names: ['logits'],
        expected: dy => [refFocalGrad(x, soft, rows, C, dy, o)],
      }, refFocalLoss(x, soft, rows, C, o), tol(env), `γ=${gamma}`);
      tf.dispose([X, Y]);
    }
  });

  it('more than 65535 rows (70000 × 3), dense, sparse and binary', async env => {
    const n = 70000, K = 3;
    const xs = randn(n * K, 90, 2), ts = Int32Array.from(randLabels(n, K, 91));
    const ys = oneHotRows(ts, K);
    const o: RefFocalOptions = {gamma: 2, alpha: [0.2, 0.3, 0.5]};
    const X = tf.tensor2d(xs, [n, K]), Y = tf.tensor2d(ys, [n, K]), T = tf.tensor1d(ts, 'int32');
    await checkValueAndGrads({
      f: l => softmaxFocalCrossEntropyWithLogits(Y, l, opOptions(o)), xs: [X], names: ['logits'],
      expected: dy => [refFocalGrad(xs, ys, n, K, dy, o)],
    }, refFocalLoss(xs, ys, n, K, o), tol(env), 'dense 70000 rows');
    await checkValueAndGrads({
      f: l => sparseSoftmaxFocalCrossEntropyWithLogits(T, l, opOptions(o)), xs: [X], names: ['logits'],
      expected: dy => [refFocalGrad(xs, ys, n, K, dy, o)],
    }, refFocalLoss(xs, ys, n, K, o), tol(env), 'sparse 70000 rows');
    const bo = {gamma: 2, applyClassBalancing: true, alpha: 0.25};
    expectClose(await values(sigmoidFocalCrossEntropyWithLogits(Y, X, bo)), refBinaryFocalLoss(xs, ys, bo), binaryFocalTol(env), 'binary 70000 rows');
    tf.dispose([X, Y, T]);
  }, {slow: true});

  it('empty batch', async () => {
    const X = tf.zeros([0, 4]), Y = tf.zeros([0, 4]), T = tf.zeros([0], 'int32');
    const dense = softmaxFocalCrossEntropyWithLogits(Y, X);
    const sparse = sparseSoftmaxFocalCrossEntropyWithLogits(T, X);
    const binary = sigmoidFocalCrossEntropyWithLogits(Y, X);
    expect(dense.shape.join() === '0' && sparse.shape.join() === '0' && binary.shape.join() === '0,4',
           () => `shapes ${dense.shape} / ${sparse.shape} / ${binary.shape}`);
    const gd = tf.grad(l => softmaxFocalCrossEntropyWithLogits(Y, l))(X);
    const gs = tf.grad(l => sparseSoftmaxFocalCrossEntropyWithLogits(T, l))(X);
    const gb = tf.grad(l => sigmoidFocalCrossEntropyWithLogits(Y, l))(X);
    for (const g of [gd, gs, gb]) expect(g.shape.join() === '0,4', () => `grad shape ${g.shape}`);
    expect((await dense.data()).length === 0 && (await gs.data()).length === 0, () => 'values');
    tf.dispose([X, Y, T, dense, sparse, binary, gd, gs, gb]);
  });

  it('logits ±1e4 give a finite loss and gradient', async env => {
    const n = 4, K = 6;
    const xs = randn(n * K, 95, 1e4), ts = Int32Array.from(randLabels(n, K, 96));
    const o: RefFocalOptions = {gamma: 2, alpha: 0.25, labelSmoothing: 0.1};
    const {targets} = sparseToDense(ts, K);
    const X = tf.tensor2d(xs, [n, K]), Y = tf.tensor2d(targets, [n, K]), T = tf.tensor1d(ts, 'int32');
    const ones = new Float32Array(n).fill(1);
    for (const [what, f] of [
      ['dense', (l: tf.Tensor) => softmaxFocalCrossEntropyWithLogits(Y, l, opOptions(o))],
      ['sparse', (l: tf.Tensor) => sparseSoftmaxFocalCrossEntropyWithLogits(T, l, opOptions(o))],
    ] as const) {
      const loss = await values(f(X));
      const g = await values(tf.grad(f)(X));
      expectFinite(loss, `${what} loss`);
      expectFinite(g, `${what} gradient`);
      expectClose(loss, refFocalLoss(xs, targets, n, K, o), tol(env), `${what} loss at ±1e4`);
      // p = exp(z − lse) with a float32 lse (ulp(1e4) ≈ 1e-3): ≈ 5e-4 relative is inherent.
      expectClose(g, refFocalGrad(xs, targets, n, K, ones, o), 1e-3, `${what} gradient at ±1e4`);
    }
    const bo = {gamma: 2, labelSmoothing: 0.1};
    const bl = await values(sigmoidFocalCrossEntropyWithLogits(Y, X, bo));
    expectFinite(bl, 'binary loss');
    expectClose(bl, refBinaryFocalLoss(xs, targets, bo), binaryFocalTol(env), 'binary loss at ±1e4');
    expectFinite(await values(tf.grad(l => sigmoidFocalCrossEntropyWithLogits(Y, l, bo))(X)), 'binary gradient');
    tf.dispose([X, Y, T]);
  });

  it('NaN in a row gives NaN for that row only (dense, sparse, binary)', async env => {
    const n = 3, K = 5;
    const xs = randn(n * K, 97, 2);
    xs[7] = NaN;  // row 1
    const ts = Int32Array.from([2, 0, 4]);
    const {targets} = sparseToDense(ts, K);
    const X = tf.tensor2d(xs, [n, K]), Y = tf.tensor2d(targets, [n, K]), T = tf.tensor1d(ts, 'int32');
    const ones = new Float32Array(n).fill(1);
    for (const labelSmoothing of [0, 0.1]) {
      const o: RefFocalOptions = {gamma: 1.5, labelSmoothing};
      for (const [what, f] of [
        ['dense', (l: tf.Tensor) => softmaxFocalCrossEntropyWithLogits(Y, l, opOptions(o))],
        ['sparse', (l: tf.Tensor) => sparseSoftmaxFocalCrossEntropyWithLogits(T, l, opOptions(o))],
      ] as const) {
        const loss = await values(f(X));
        const g = await values(tf.grad(f)(X));
        const at = `${what}, ε = ${labelSmoothing}`;
        expect(Number.isNaN(loss[1]), () => `${at}: loss ${loss}`);
        expect(g.slice(K, 2 * K).every(Number.isNaN), () => `${at}: gradient row 1 ${g.slice(K, 2 * K)}`);
        const others = (v: ArrayLike<number>, w: number) => Array.from(v).filter((_, i) => Math.floor(i / w) !== 1);
        expectClose(others(loss, 1), others(refFocalLoss(xs, targets, n, K, o), 1), tol(env), `${at}: other rows' loss`);
        expectClose(others(g, K), others(refFocalGrad(xs, targets, n, K, ones, o), K), tol(env), `${at}: other rows' gradient`);
      }
    }
    const bl = await values(sigmoidFocalCrossEntropyWithLogits(Y, X, {gamma: 0.5}));
    const bg = await values(tf.grad(l => sigmoidFocalCrossEntropyWithLogits(Y, l, {gamma: 0.5}))(X));
    expect(Number.isNaN(bl[7]) && Number.isNaN(bg[7]), () => `binary at the NaN: ${bl[7]}, ${bg[7]}`);
    expectFinite(bl.filter((_, i) => i !== 7), 'binary loss elsewhere');
    expectFinite(bg.filter((_, i) => i !== 7), 'binary gradient elsewhere');
    tf.dispose([X, Y, T]);
  });

  it('sparse: ignored rows give loss 0 and gradient 0 even with a NaN or +∞ logit or every logit −∞', async env => {
    // The composite backward folds the row masks into dy/T on [rows]: an ignored row is 0·(…), NaN
    // where its lse is not finite, and must be cleared.
    const n = 6, K = 5, xs = randn(n * K, 99, 2);
    const ts = Int32Array.from([1, -1, 2, -1, -1, 0]);
    xs[7] = NaN;                  // row 1
    xs[16] = Infinity;            // row 3
    xs.fill(-Infinity, 20, 25);   // row 4
    const {targets, ignored} = sparseToDense(ts, K, -1);
    const X = tf.tensor2d(xs, [n, K]), T = tf.tensor1d(ts, 'int32');
    for (const o of [{gamma: 2, alpha: 0.25}, {gamma: 0.5, labelSmoothing: 0.1, temperature: 1.5}] as RefFocalOptions[]) {
      await checkValueAndGrads({
        f: l => sparseSoftmaxFocalCrossEntropyWithLogits(T, l, {...opOptions(o), ignoreIndex: -1}),
        xs: [X], names: ['logits'],
        expected: dy => [refFocalGrad(xs, targets, n, K, dy, o, ignored)],
      }, refFocalLoss(xs, targets, n, K, o, ignored), tol(env), `non-finite ignored rows, γ = ${o.gamma}`);
    }
    tf.dispose([X, T]);
  });

  it('logits masked with −Infinity: finite off the target, +∞ loss on it', async env => {
    const n = 3, K = 5;
    const xs = randn(n * K, 98, 2);
    xs[1] = xs[3] = xs[5] = xs[14] = -Infinity;
    const ts = Int32Array.from([0, 2, 1]);  // no target masked
    const {targets} = sparseToDense(ts, K);
    const o: RefFocalOptions = {gamma: 0.5, alpha: 0.25, temperature: 2};
    const X = tf.tensor2d(xs, [n, K]), Y = tf.tensor2d(targets, [n, K]), T = tf.tensor1d(ts, 'int32');
    const ones = new Float32Array(n).fill(1);
    for (const [what, f] of [
      ['dense', (l: tf.Tensor) => softmaxFocalCrossEntropyWithLogits(Y, l, opOptions(o))],
      ['sparse', (l: tf.Tensor) => sparseSoftmaxFocalCrossEntropyWithLogits(T, l, opOptions(o))],
    ] as const) {
      const loss = await values(f(X));
      const g = await values(tf.grad(f)(X));
      expectClose(loss, refFocalLoss(xs, targets, n, K, o), tol(env), `${what} masked loss`);
      expectClose(g, refFocalGrad(xs, targets, n, K, ones, o), tol(env), `${what} masked gradient`);
      expect(g[1] === 0 && g[14] === 0, () => `${what}: masked gradient ${g[1]}, ${g[14]}`);
    }
    const onMask = Int32Array.from([1, 2, 1]);  // row 0's target is masked: its loss is +∞
    const T2 = tf.tensor1d(onMask, 'int32');
    const loss = await values(sparseSoftmaxFocalCrossEntropyWithLogits(T2, X, opOptions(o)));
    expect(loss[0] === Infinity && Number.isFinite(loss[1]) && Number.isFinite(loss[2]), () => `loss ${loss}`);
    tf.dispose([X, Y, T, T2]);
  });
});

/**
 * Spec of linearSoftmaxCrossEntropy (chunked linear + sparse softmax
 * cross-entropy), runner-independent (defineSpec): loss and gradients w.r.t.
 * hidden, weight and bias against
 *  - a float64 reference written here (float64 matMuls around the float64
 *    sparse cross-entropy of test/reference/reference.ts), and
 *  - the unfused path on the same backend (matMul + bias + our
 *    sparseSoftmaxCrossEntropyWithLogits, reduced with tfjs ops),
 * for every reduction, both weight layouts, ignoreIndex / smoothing / z-loss /
 * temperature / class weights, and chunk sizes that do not divide N.
 */
import * as tf from '@tensorflow/tfjs-core';
import {linearSoftmaxCrossEntropy, LinearSoftmaxCrossEntropyOptions} from '../../src/ops/linear_cross_entropy';
import {sparseSoftmaxCrossEntropyWithLogits} from '../../src/ops/softmax_cross_entropy';
import {refMatMulAccumulate, refSparseSoftmaxCrossEntropy, RefSoftmaxOptions} from '../reference/reference';
import {expect, expectClose, expectNoLeak, expectThrows, randLabels, randn, values} from './assert';
import {defineSpec, SpecEnv} from './registry';
import {extraPeakBytes} from '../../tools/linear_ce_memory';
import {COMPOSITE_BUFFERS_PER_ROW, IN_PLACE_BUFFERS_PER_ROW} from '../../src/ops/linear_cross_entropy_chunks';
import {IN_PLACE_KERNEL_NAMES, MatMulAccumulate, ScaleInPlace, SparseSoftmaxCrossEntropyGrad, SparseSoftmaxCrossEntropyGradInPlace} from '../../kernels/kernel_names';
// Its case that the fused kernels really run (registered in this suite).
import '../ops/linear_cross_entropy_kernels_ran';

/** Whether the op writes its accumulators in place on this backend (cpu, webgpu; not when the composite path is forced). */
function inPlace(env: SpecEnv): boolean {
  return !env.composite && IN_PLACE_KERNEL_NAMES.every(k => tf.getKernel(k, env.backend) != null);
}

/** One problem: flat float32 data as the op sees it. */
export interface Problem {
  N: number; H: number; V: number;
  h: Float32Array;
  /** Row-major in its layout: [V, H] ('VH') or [H, V] ('HV'). */
  w: Float32Array;
  b: Float32Array | null;
  t: Int32Array;
  layout: 'VH' | 'HV';
}

type Reduction = 'mean' | 'sum' | 'none';

export function problem(N: number, H: number, V: number, seed: number, o: {bias?: boolean, layout?: 'VH' | 'HV', ignore?: number} = {}): Problem {
  const t = randLabels(N, V, seed + 3);
  if (o.ignore != null) {
    for (let i = 1; i < N; i += 3) t[i] = o.ignore;  // every third row ignored
  }
  return {
    N, H, V, layout: o.layout ?? 'VH', t,
    h: randn(N * H, seed, 1),
    w: randn(V * H, seed + 1, 1 / Math.sqrt(H)),
    b: o.bias === false ? null : randn(V, seed + 2, 0.5),
  };
}

/** W(v, k) in either layout. */
function wAt(p: Problem, v: number, k: number): number {
  return p.layout === 'VH' ? p.w[v * p.H + k] : p.w[k * p.V + v];
}

/**
 * The float64 reference: logits = h·Wᵀ + b in float64, the reference sparse
 * cross-entropy (loss, dL/dlogits), then dh = G·W, dW = Gᵀ·h, db = Σ G.
 */
export function reference(p: Problem, opts: RefSoftmaxOptions, reduction: Reduction) {
  const {N, H, V} = p;
  const logits = new Float64Array(N * V);
  for (let i = 0; i < N; i++) {
    for (let v = 0; v < V; v++) {
      let s = p.b == null ? 0 : p.b[v];
      for (let k = 0; k < H; k++) s += p.h[i * H + k] * wAt(p, v, k);
      logits[i * V + v] = s;
    }
  }
  const ce = refSparseSoftmaxCrossEntropy(logits, p.t, N, V, opts);
  let valid = 0;
  for (let i = 0; i < N; i++) valid += p.t[i] === opts.ignoreIndex ? 0 : 1;
  const total = ce.loss.reduce((a, b) => a + b, 0);
  const value = reduction === 'none' ? ce.loss : [reduction === 'sum' ? total : total / valid];
  const grads = (dy: ArrayLike<number>): number[][] => {
    const rowDy = Array.from({length: N}, (_, i) => reduction === 'none' ? dy[i] : reduction === 'sum' ? dy[0] : dy[0] / valid);
    const G = ce.dlogits(rowDy);
    const dh = new Array(N * H).fill(0), dW = new Array(V * H).fill(0), db = new Array(V).fill(0);
    for (let i = 0; i < N; i++) {
      for (let v = 0; v < V; v++) {
        const g = G[i * V + v];
        db[v] += g;
        for (let k = 0; k < H; k++) {
          dh[i * H + k] += g * wAt(p, v, k);
          dW[p.layout === 'VH' ? v * H + k : k * V + v] += g * p.h[i * H + k];
        }
      }
    }
    return p.b == null ? [dh, dW] : [dh, dW, db];
  };
  return {value, grads};
}

/** The unfused path on the active backend: materialised logits and our sparse op. */
function unfused(p: Problem, opts: LinearSoftmaxCrossEntropyOptions, reduction: Reduction, labels: tf.Tensor) {
  return (h: tf.Tensor, w: tf.Tensor, b?: tf.Tensor): tf.Tensor => {
    let logits = tf.matMul(h as tf.Tensor2D, w as tf.Tensor2D, false, p.layout === 'VH');
    if (b != null) logits = tf.add(logits, b);
    const {bias: _b, chunkSize: _c, weightLayout: _l, reduction: _r, memoryBudgetBytes: _m, ...ceOpts} = opts;
    const loss = sparseSoftmaxCrossEntropyWithLogits(labels, logits, ceOpts);
    if (reduction === 'none') return loss;
    const total = tf.sum(loss);
    if (reduction === 'sum') return total;
    const valid = opts.ignoreIndex == null ? tf.scalar(p.N) : tf.sum(tf.cast(tf.notEqual(labels, opts.ignoreIndex), 'float32'));
    return tf.div(total, valid);
  };
}

/**
 * Value and gradients (random upstream dy) of the chunked op vs the float64
 * reference and vs the unfused path, at relative tolerance rtol.
 */
async function check(p: Problem, opts: LinearSoftmaxCrossEntropyOptions, reduction: Reduction, rtol: number, what: string): Promise<void> {
  const refOpts: RefSoftmaxOptions = {
    temperature: opts.temperature, labelSmoothing: opts.labelSmoothing, zLoss: opts.zLoss,
    ignoreIndex: opts.ignoreIndex ?? null, classWeights: (opts.classWeights as number[] | undefined) ?? null,
  };
  const ref = reference(p, refOpts, reduction);
  const h = tf.tensor2d(p.h, [p.N, p.H]);
  const w = tf.tensor2d(p.w, p.layout === 'VH' ? [p.V, p.H] : [p.H, p.V]);
  const b = p.b == null ? null : tf.tensor1d(p.b);
  const labels = tf.tensor1d(p.t, 'int32');
  const xs = b == null ? [h, w] : [h, w, b];
  const names = ['hidden', 'weight', 'bias'];
  const chunked = (hh: tf.Tensor, ww: tf.Tensor, bb?: tf.Tensor) =>
      linearSoftmaxCrossEntropy(hh, ww, labels, {...opts, reduction, weightLayout: p.layout, bias: bb});
  const plain = unfused(p, opts, reduction, labels);

  const out = chunked(h, w, b ?? undefined);
  const base = plain(h, w, b ?? undefined);
  expect(out.shape.join() === base.shape.join(), () => `${what}: shape [${out.shape}], unfused [${base.shape}]`);
  const outV = await values(out);
  expectClose(outV, ref.value, rtol, `${what}: loss vs float64`);
  expectClose(outV, await values(base), rtol, `${what}: loss vs unfused`);

  const dy = randn(out.size, 77);
  const dyT = tf.tensor(dy, out.shape);
  const grads = tf.grads(chunked)(xs, dyT);
  const baseGrads = tf.grads(plain)(xs, dyT);
  const expected = ref.grads(dy);
  for (let k = 0; k < grads.length; k++) {
    const g = await values(grads[k]);
    expect(grads[k].shape.join() === xs[k].shape.join(), () => `${what}: d/d${names[k]} shape [${grads[k].shape}]`);
    expectClose(g, expected[k], rtol, `${what}: d/d${names[k]} vs float64`);
    expectClose(g, await values(baseGrads[k]), rtol, `${what}: d/d${names[k]} vs unfused`);
  }
  tf.dispose([h, w, b, labels, out, base, dyT, ...grads, ...baseGrads].filter(x => x != null) as tf.Tensor[]);
}

/** The spec's tolerance: the float32 matMuls sum H and N products, so never tighter than 1e-5. */
function tol(env: SpecEnv): number {
  return Math.max(env.rtol, 1e-5);
}

const OPTION_SETS: Array<[string, LinearSoftmaxCrossEntropyOptions]> = [
  ['no options', {}],
  ['ignoreIndex', {ignoreIndex: -100}],
  ['labelSmoothing 0.1', {labelSmoothing: 0.1}],
  ['zLoss 1e-2', {zLoss: 1e-2}],
  ['ignoreIndex + smoothing + zLoss + temperature', {ignoreIndex: -100, labelSmoothing: 0.2, zLoss: 1e-3, temperature: 1.5}],
];

defineSpec('linearSoftmaxCrossEntropy', it => {
  for (const reduction of ['mean', 'sum', 'none'] as const) {
    for (const [name, opts] of OPTION_SETS) {
      it(`${reduction}, ${name}, chunk 4 of 13 rows`, env => {
        const p = problem(13, 6, 11, 5, {ignore: opts.ignoreIndex});
        return check(p, {...opts, chunkSize: 4}, reduction, tol(env), `${reduction} ${name}`);
      });
    }
  }

  for (const chunkSize of [1, 5, 16, 17, 40]) {
    it(`chunk size ${chunkSize} of 17 rows (ignoreIndex, smoothing, zLoss)`, env => {
      const p = problem(17, 8, 23, 11, {ignore: 3});
      return check(p, {chunkSize, ignoreIndex: 3, labelSmoothing: 0.1, zLoss: 1e-3}, 'mean', tol(env), `chunk ${chunkSize}`);
    });
  }

  it('automatic chunk size from a small memory budget (several chunks)', env => {
    // 4 KiB budget / (k buffers · 4 bytes · 37 classes): 27 rows per chunk in place (k = 1; 35 rows → 2 chunks
    // of 18), 13 out of place (k = 2; 3 chunks of 12), 2 on the composite path (k = 12).
    const p = problem(35, 5, 37, 21, {ignore: -1});
    return check(p, {memoryBudgetBytes: 4096, ignoreIndex: -1}, 'mean', tol(env), 'auto chunk');
  });

  for (const reduction of ['mean', 'none'] as const) {
    it(`weight as [H, V] (weightLayout 'HV'), ${reduction}`, env => {
      const p = problem(10, 7, 9, 31, {layout: 'HV', ignore: 0});
      return check(p, {chunkSize: 3, ignoreIndex: 0, zLoss: 1e-2}, reduction, tol(env), `HV ${reduction}`);
    });
  }

  it('no bias; class weights', env => {
    const p = problem(9, 4, 6, 41, {bias: false});
    return check(p, {chunkSize: 2, classWeights: [0.5, 2, 1, 3, 0.25, 1.5], labelSmoothing: 0.05}, 'sum', tol(env), 'no bias');
  });

  it('a larger vocabulary (V = 3000, 40 rows in chunks of 16)', env => {
    const p = problem(40, 16, 3000, 51, {ignore: -100});
    return check(p, {chunkSize: 16, ignoreIndex: -100, zLoss: 1e-4, labelSmoothing: 0.1}, 'mean', tol(env), 'V=3000');
  }, {slow: true});

  it('hidden of rank 3 with labels of rank 2 (per-row losses keep the labels\' shape)', async env => {
    const p = problem(12, 5, 7, 61);
    const h = tf.tensor3d(p.h, [3, 4, 5]);
    const w = tf.tensor2d(p.w, [7, 5]);
    const labels = tf.tensor2d(p.t, [3, 4], 'int32');
    const out = linearSoftmaxCrossEntropy(h, w, labels, {reduction: 'none', chunkSize: 5});
    expect(out.shape.join() === '3,4', () => `shape [${out.shape}]`);
    const ref = reference({...p, b: null}, {}, 'none');
    expectClose(await values(out), ref.value, tol(env), 'rank 3: loss');
    const dh = tf.grad((x: tf.Tensor) => linearSoftmaxCrossEntropy(x, w, labels, {chunkSize: 5}))(h);
    expect(dh.shape.join() === '3,4,5', () => `dh shape [${dh.shape}]`);
    expectClose(await values(dh), ref.grads(new Float32Array(12).fill(1 / 12))[0], tol(env), 'rank 3: dh');
    tf.dispose([h, w, labels, out, dh]);
  });

  it('without a tape (inference) the value equals the taped value', async env => {
    const p = problem(11, 6, 13, 71, {ignore: 2});
    const h = tf.tensor2d(p.h, [11, 6]);
    const w = tf.tensor2d(p.w, [13, 6]);
    const b = tf.tensor1d(p.b!);
    const labels = tf.tensor1d(p.t, 'int32');
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      const opts = {bias: b, reduction, chunkSize: 4, ignoreIndex: 2, zLoss: 1e-3};
      const inference = linearSoftmaxCrossEntropy(h, w, labels, opts);
      const {value} = tf.valueAndGrads((x: tf.Tensor) => linearSoftmaxCrossEntropy(x, w, labels, opts))([h]);
      expectClose(await values(inference), await values(value), tol(env), `no tape vs tape (${reduction})`);
      tf.dispose([inference, value]);
    }
    tf.dispose([h, w, b, labels]);
  });

  // The loss without gradients: one fused kernel on cpu and webgpu (LinearSparseSoftmaxCrossEntropy),
  // the chunk loop elsewhere or with LINEAR_CE_FUSED_FORWARD = false. Shapes off the 32-wide tiles
  // of the WGSL kernel (rows, vocabulary, hidden size), both layouts, every option, per-row losses.
  const FORWARD_CASES: Array<[string, number, number, number, {bias?: boolean, layout?: 'VH' | 'HV', ignore?: number},
                              LinearSoftmaxCrossEntropyOptions]> = [
    ['one row, V = 1, H = 1', 1, 1, 1, {}, {}],
    ['33 rows × V = 37 × H = 5, smoothing', 33, 5, 37, {ignore: -100}, {ignoreIndex: -100, labelSmoothing: 0.1}],
    ['70 rows × V = 100 × H = 40, every option, class weights', 70, 40, 100, {ignore: 7},
      {ignoreIndex: 7, labelSmoothing: 0.2, zLoss: 1e-3, temperature: 0.7, classWeights: Array.from({length: 100}, (_, c) => 0.25 + (c % 7) / 3)}],
    ["weight [H, V], no bias, V = 1000", 9, 16, 1000, {layout: 'HV', bias: false}, {labelSmoothing: 0.05}],
    ['V = 65 × H = 64 (one full k tile and a partial vocabulary tile)', 31, 64, 65, {}, {zLoss: 1e-2}],
  ];
  for (const [name, N, H, V, shape, opts] of FORWARD_CASES) {
    it(`without gradients (fused forward where registered): ${name}`, async env => {
      const p = problem(N, H, V, 300 + N + V, shape);
      const refOpts: RefSoftmaxOptions = {
        temperature: opts.temperature, labelSmoothing: opts.labelSmoothing, zLoss: opts.zLoss,
        ignoreIndex: opts.ignoreIndex ?? null, classWeights: (opts.classWeights as number[] | undefined) ?? null,
      };
      const expected = reference(p, refOpts, 'none').value;
      const h = tf.tensor2d(p.h, [N, H]);
      const w = tf.tensor2d(p.w, p.layout === 'VH' ? [V, H] : [H, V]);
      const b = p.b == null ? undefined : tf.tensor1d(p.b);
      const labels = tf.tensor1d(p.t, 'int32');
      const full = {...opts, bias: b, weightLayout: p.layout, chunkSize: 4};
      const before = tf.memory().numTensors;
      for (const fused of [true, false]) {
        tf.env().set('LINEAR_CE_FUSED_FORWARD', fused);
        try {
          const none = linearSoftmaxCrossEntropy(h, w, labels, {...full, reduction: 'none'});
          const mean = linearSoftmaxCrossEntropy(h, w, labels, full);
          const what = `${name} (${fused ? 'fused forward' : 'chunk loop'})`;
          expectClose(await values(none), expected, tol(env), `${what}: per-row loss vs float64`);
          const valid = p.t.filter(t => t !== opts.ignoreIndex).length;
          expectClose(await values(mean), [Array.from(expected).reduce((a, c) => a + c, 0) / valid], tol(env), `${what}: mean`);
          tf.dispose([none, mean]);
        } finally {
          tf.env().set('LINEAR_CE_FUSED_FORWARD', true);
        }
      }
      expect(tf.memory().numTensors === before, () => `${tf.memory().numTensors - before} tensors leaked`);
      tf.dispose([h, w, b, labels].filter(x => x != null) as tf.Tensor[]);
    });
  }

  it('without gradients: extreme and masked logits (bias −∞ on some classes, hidden ×1e3, a NaN row, an ignored NaN row)', async env => {
    const N = 6, H = 3, V = 40;
    const p = problem(N, H, V, 401);
    p.h = p.h.map(v => v * 1e3);  // logits of order 1e3: lse ≫ loss, the float32 cancellation test
    for (let v = 0; v < V; v += 3) p.b![v] = -Infinity;  // a masked vocabulary
    for (let i = 0; i < N; i++) if (p.t[i] % 3 === 0) p.t[i] += 1;  // targets unmasked
    p.h[2 * H + 1] = NaN;  // row 2: NaN in, NaN out
    p.h[4 * H] = NaN;      // row 4: ignored, so 0 whatever it holds
    p.t[4] = -100;
    const expected = reference(p, {ignoreIndex: -100}, 'none').value;
    const expectedSmooth = reference(p, {labelSmoothing: 0.1, ignoreIndex: -100}, 'none').value;
    expect(expected[4] === 0 && expectedSmooth[4] === 0, () => `reference, ignored NaN row: ${expected[4]}, ${expectedSmooth[4]}`);
    expect(Number.isNaN(expected[2]) && expectedSmooth[0] === Infinity, () => `reference: ${expected[2]}, ${expectedSmooth[0]}`);
    const h = tf.tensor2d(p.h, [N, H]);
    const w = tf.tensor2d(p.w, [V, H]);
    const b = tf.tensor1d(p.b!);
    const labels = tf.tensor1d(p.t, 'int32');
    const none = linearSoftmaxCrossEntropy(h, w, labels, {bias: b, reduction: 'none', ignoreIndex: -100});
    const smooth = linearSoftmaxCrossEntropy(h, w, labels, {bias: b, reduction: 'none', labelSmoothing: 0.1, ignoreIndex: -100});
    expectClose(await values(none), expected, tol(env), 'masked, ×1e3, NaN row');
    expectClose(await values(smooth), expectedSmooth, tol(env), 'smoothing over masked classes: +∞ (NaN row stays NaN)');
    tf.dispose([h, w, b, labels, none, smooth]);
  });

  it('ignoreIndex with labels as an array (kept rows counted on the host): the mean and its gradients vs float64', async env => {
    const p = problem(14, 5, 19, 31, {ignore: -100});
    const ref = reference(p, {ignoreIndex: -100}, 'mean');
    const h = tf.tensor2d(p.h, [p.N, p.H]), w = tf.tensor2d(p.w, [p.V, p.H]), b = tf.tensor1d(p.b!);
    const f = (hh: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
        linearSoftmaxCrossEntropy(hh, ww, Array.from(p.t), {ignoreIndex: -100, bias: bb, chunkSize: 4});
    const out = f(h, w, b);
    expectClose(await values(out), ref.value, tol(env), 'labels as an array: loss vs float64');
    const grads = tf.grads(f)([h, w, b]);
    const expected = ref.grads([1]);
    for (let k = 0; k < grads.length; k++) {
      expectClose(await values(grads[k]), expected[k], tol(env), `labels as an array: gradient ${k} vs float64`);
    }
    tf.dispose([h, w, b, out, ...grads]);
  });

  it('every row ignored: mean is NaN, sum is 0, gradients are 0', async () => {
    const h = tf.ones([4, 3]);
    const w = tf.ones([5, 3]);
    const labels = tf.fill([4], -1, 'int32');
    const mean = linearSoftmaxCrossEntropy(h, w, labels, {ignoreIndex: -1, chunkSize: 3});
    expect(Number.isNaN((await mean.data())[0]), () => `mean over no rows = ${mean.dataSync()[0]}, expected NaN`);
    const meanOfArray = linearSoftmaxCrossEntropy(h, w, [-1, -1, -1, -1], {ignoreIndex: -1, chunkSize: 3});
    expect(Number.isNaN((await meanOfArray.data())[0]), () => `labels as an array: mean over no rows = ${meanOfArray.dataSync()[0]}, expected NaN`);
    meanOfArray.dispose();
    const dw = tf.grad((x: tf.Tensor) => linearSoftmaxCrossEntropy(h, x, labels, {ignoreIndex: -1, reduction: 'sum', chunkSize: 3}))(w);
    expect((await values(dw)).every(v => v === 0), () => 'dW of a sum over ignored rows must be 0');
    tf.dispose([h, w, labels, mean, dw]);
  });

  it('empty batch: shapes and values of every reduction, zero gradients', async () => {
    const h = tf.zeros([0, 3]);
    const w = tf.ones([5, 3]);
    const labels = tf.zeros([0], 'int32');
    const none = linearSoftmaxCrossEntropy(h, w, labels, {reduction: 'none'});
    const sum = linearSoftmaxCrossEntropy(h, w, labels, {reduction: 'sum'});
    expect(none.shape.join() === '0', () => `none shape [${none.shape}]`);
    expect((await sum.data())[0] === 0, () => `sum over no rows = ${sum.dataSync()[0]}`);
    const [dh, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => linearSoftmaxCrossEntropy(a, b, labels, {reduction: 'sum'}))([h, w]);
    expect(dh.shape.join() === '0,3' && dw.shape.join() === '5,3', () => `grad shapes [${dh.shape}] [${dw.shape}]`);
    expect((await values(dw)).every(v => v === 0), () => 'dW over no rows must be 0');
    tf.dispose([h, w, labels, none, sum, dh, dw]);
  });

  it('no leaked tensors (forward, forward + backward, every reduction)', async () => {
    const p = problem(10, 4, 6, 81, {ignore: 1});
    const h = tf.tensor2d(p.h, [10, 4]);
    const w = tf.tensor2d(p.w, [6, 4]);
    const b = tf.tensor1d(p.b!);
    const labels = tf.tensor1d(p.t, 'int32');
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      const opts = {bias: b, reduction, chunkSize: 3, ignoreIndex: 1};
      await expectNoLeak(() => linearSoftmaxCrossEntropy(h, w, labels, opts), `forward ${reduction}`);
      await expectNoLeak(() => tf.tidy(() => {
        const gs = tf.grads((x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) => linearSoftmaxCrossEntropy(x, y, labels, {...opts, bias: z}))([h, w, b]);
        return tf.addN(gs.map(g => tf.sum(g)));
      }), `backward ${reduction}`);
    }
    tf.dispose([h, w, b, labels]);
  });

  it('peak memory grows with the chunk, not with N·V (bytes the backend allocates)', async env => {
    // N = 512, V = 2000: the unfused path holds at least the [N, V] logits and G
    // (8 MB fused). Chunks of 16 rows must stay within k·16·V + V·H + N·H floats
    // in place (k [n, V] buffers per chunk: 1 in place, where G overwrites the
    // logits, 12 composite; dW and dh written into one buffer each, scaled in
    // place by dy), or within k·16·V + 2·V·H + 2·N·H out of place (k = 2 fused:
    // logits and G; dW old + new; dh parts + their concatenation); plus 16 KiB
    // for webgpu's uniform buffers and split-K scratch (7·16·16 floats here);
    // and 8× below the unfused path.
    const N = 512, H = 16, V = 2000, chunk = 16;
    const p = problem(N, H, V, 91, {bias: false});
    const h = tf.tensor2d(p.h, [N, H]);
    const w = tf.tensor2d(p.w, [V, H]);
    const labels = tf.tensor1d(p.t, 'int32');
    const chunked = await extraPeakBytes(() =>
        tf.grads((a: tf.Tensor, b: tf.Tensor) => linearSoftmaxCrossEntropy(a, b, labels, {chunkSize: chunk}))([h, w]), [h, w, labels]);
    const plain = await extraPeakBytes(() => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.mean(
        sparseSoftmaxCrossEntropyWithLogits(labels, tf.matMul(a, b, false, true))))([h, w]), [h, w, labels]);
    const k = env.composite ? COMPOSITE_BUFFERS_PER_ROW : inPlace(env) ? IN_PLACE_BUFFERS_PER_ROW : 2;
    const copies = inPlace(env) ? 1 : 2;
    const bound = 4 * (k * chunk * V + copies * (V * H + N * H)) + 16384;
    expect(chunked <= bound, () => `chunked peak ${chunked} bytes > bound ${bound} (in place: ${inPlace(env)})`);
    expect(chunked * 8 < plain, () => `chunked peak ${chunked} bytes is not 8× below the unfused ${plain}`);
    tf.dispose([h, w, labels]);
  }, {only: env => env.backend === 'cpu' || env.backend === 'webgpu', slow: true});  // backends with a byte tracker

  it('in place: the [V, H] and [N, H] gradients exist once (peak of a large-H problem, bias, ignored rows)', async env => {
    // H = 96 makes V·H and N·H dominate the chunk's n·V: in place the peak is
    // n·V + V·H + N·H + 2·V (db) floats, out of place it would add another n·V + V·H + N·H.
    const N = 96, H = 96, V = 300, chunk = 8;
    const p = problem(N, H, V, 93, {ignore: -100});
    const h = tf.tensor2d(p.h, [N, H]);
    const w = tf.tensor2d(p.w, [V, H]);
    const b = tf.tensor1d(p.b!);
    const labels = tf.tensor1d(p.t, 'int32');
    const opts = {chunkSize: chunk, ignoreIndex: -100, labelSmoothing: 0.1};
    const peak = await extraPeakBytes(() =>
        tf.grads((x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) => linearSoftmaxCrossEntropy(x, y, labels, {...opts, bias: z}))([h, w, b]),
        [h, w, b, labels]);
    const model = 4 * (IN_PLACE_BUFFERS_PER_ROW * chunk * V + V * H + N * H + 2 * V);
    const outOfPlace = model + 4 * (chunk * V + V * H + N * H);
    expect(peak <= model + 16384, () => `peak ${peak} bytes > in-place model ${model} + 16 KiB (out-of-place model: ${outOfPlace})`);
    tf.dispose([h, w, b, labels]);
  }, {only: env => (env.backend === 'cpu' || env.backend === 'webgpu') && inPlace(env)});

  it('LINEAR_CE_IN_PLACE = false: the out-of-place path gives the same gradients and a higher peak', async env => {
    const N = 40, H = 48, V = 120, chunk = 8;
    const p = problem(N, H, V, 97, {ignore: 5});
    const h = tf.tensor2d(p.h, [N, H]);
    const w = tf.tensor2d(p.w, [V, H]);
    const b = tf.tensor1d(p.b!);
    const labels = tf.tensor1d(p.t, 'int32');
    const f = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
        linearSoftmaxCrossEntropy(x, y, labels, {bias: z, chunkSize: chunk, ignoreIndex: 5, zLoss: 1e-3});
    const dy = tf.scalar(0.75);
    const run = async (inPlaceFlag: boolean) => {
      tf.env().set('LINEAR_CE_IN_PLACE', inPlaceFlag);
      try {
        const grads = tf.grads(f)([h, w, b], dy);
        const vals = await Promise.all(grads.map(g => values(g)));
        tf.dispose(grads);
        const peak = (env.backend === 'cpu' || env.backend === 'webgpu') ?
            await extraPeakBytes(() => tf.grads(f)([h, w, b], dy), [h, w, b, labels, dy]) : null;
        return {vals, peak};
      } finally {
        tf.env().set('LINEAR_CE_IN_PLACE', true);
      }
    };
    const inPlaceRun = await run(true);
    const outOfPlace = await run(false);
    inPlaceRun.vals.forEach((v, k) => expectClose(v, outOfPlace.vals[k], tol(env), `grad ${k}: in place vs out of place`));
    if (inPlaceRun.peak != null && outOfPlace.peak != null) {
      // Out of place adds at least the second [V, H] accumulator.
      expect(outOfPlace.peak >= inPlaceRun.peak + 4 * V * H, () => `peaks: in place ${inPlaceRun.peak}, out of place ${outOfPlace.peak}`);
    }
    tf.dispose([h, w, b, labels, dy]);
  }, {only: inPlace});

  // The second shape has 4 output tiles and a long k: split-K on webgpu (kernels/webgpu/MatMulAccumulate.ts).
  // The third is smaller than the cpu loops' register blocks (4 rows × 4 k, 2 rows × 4 columns).
  // The last two have every dimension a multiple of 4 (not of 32): webgpu's vec4 staging in every
  // layout, with partial tiles, and with split-K.
  for (const [M, K, P, R, off] of [[37, 45, 33, 50, 9], [37, 3000, 33, 45, 5], [3, 7, 2, 6, 2], [36, 44, 20, 44, 8], [36, 2000, 20, 36, 0]]) {
    it(`MatMulAccumulate ${M}×${K}×${P}: every transpose, a row offset, accumulation over calls, read between calls`, async env => {
      const acc0 = randn(R * P, 101);
      let acc = tf.tensor2d(acc0, [R, P]);
      let expected: Float64Array = Float64Array.from(acc0);
      let seed = 102;
      for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        const a = tf.tensor2d(randn(M * K, seed++), tA ? [K, M] : [M, K]);
        const b = tf.tensor2d(randn(K * P, seed++), tB ? [P, K] : [K, P]);
        expected = refMatMulAccumulate(expected, await values(a), await values(b), M, K, P, tA, tB, off);
        const next = tf.engine().runKernel(MatMulAccumulate, {acc, a, b}, {transposeA: tA, transposeB: tB, rowOffset: off}) as tf.Tensor;
        expect(next.dataId === acc.dataId, () => 'the output must share the accumulator\'s buffer');
        acc.dispose();
        acc = next as tf.Tensor2D;
        // A read between calls caches the values on the cpu side (webgpu): the next call must not leave them stale.
        expectClose(await values(acc), expected, tol(env), `acc after transposeA=${tA}, transposeB=${tB}`);
        tf.dispose([a, b]);
      }
      const s = tf.scalar(-0.5);
      const scaled = tf.engine().runKernel(ScaleInPlace, {x: acc, s}) as tf.Tensor;
      acc.dispose();
      expectClose(await values(scaled), expected.map(v => -0.5 * v), tol(env), 'ScaleInPlace');
      tf.dispose([scaled, s]);
    }, {only: inPlace});
  }

  it('SparseSoftmaxCrossEntropyGradInPlace: the out-of-place gradient written over the logits (options, ignored rows, C % 4 = 0 and not)', async env => {
    for (const [rows, C] of [[7, 12], [6, 13]]) {
      const x = randn(rows * C, 120 + C, 3);
      const t = randLabels(rows, C, 121 + C);
      t[2] = -100;  // ignored
      const attrs = {temperature: 1.5, labelSmoothing: 0.1, zLoss: 1e-3, classWeights: Array.from({length: C}, (_, c) => 0.5 + c / C), ignoreIndex: -100};
      for (const a of [attrs, {temperature: 1, labelSmoothing: 0, zLoss: 0, classWeights: null, ignoreIndex: -100}]) {
        const labels = tf.tensor1d(t, 'int32');
        const lse = tf.tensor1d(randn(rows, 122, 0.1).map((v, i) => v + Math.log(C) + x[i * C]));
        const dy = tf.tensor1d(randn(rows, 123));
        const logits = tf.tensor2d(x, [rows, C]);
        const gradAttrs = {...a, wrt: 'logits'};
        const ref = tf.engine().runKernel(SparseSoftmaxCrossEntropyGrad, {logits, labels, lse, dy}, gradAttrs as unknown as tf.NamedAttrMap) as tf.Tensor;
        const expected = await values(ref);
        const g = tf.engine().runKernel(SparseSoftmaxCrossEntropyGradInPlace, {logits, labels, lse, dy}, gradAttrs as unknown as tf.NamedAttrMap) as tf.Tensor;
        expect(g.dataId === logits.dataId, () => 'the output must share the logits\' buffer');
        logits.dispose();
        const got = await values(g);
        expectClose(got, expected, tol(env), `in-place gradient [${rows}, ${C}]`);
        expect(got.slice(2 * C, 3 * C).every(v => v === 0), () => 'the ignored row must be 0');
        tf.dispose([ref, g, labels, lse, dy]);
      }
    }
    // A shared target is refused and left untouched.
    const logits = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const other = logits.clone();
    const inputs = {logits, labels: tf.tensor1d([0, 1], 'int32'), lse: tf.tensor1d([3, 5]), dy: tf.tensor1d([1, 1])};
    const gradAttrs = {temperature: 1, labelSmoothing: 0, zLoss: 0, classWeights: null, ignoreIndex: null, wrt: 'logits'};
    await expectThrows(() => tf.engine().runKernel(SparseSoftmaxCrossEntropyGradInPlace, inputs, gradAttrs as unknown as tf.NamedAttrMap),
        ['2 references'], 'shared logits');
    expectClose(await values(other), [1, 2, 3, 4], 0, 'the shared logits after the refusal');
    tf.dispose([other, ...Object.values(inputs)]);
  }, {only: inPlace});

  it('in-place kernels refuse a shared target, a target that is also an input, and non-float32', async () => {
    const acc = tf.zeros([4, 3]);
    const a = tf.ones([4, 2]);
    const b = tf.ones([2, 3]);
    const shared = acc.clone();
    const attrs = {transposeA: false, transposeB: false, rowOffset: 0};
    await expectThrows(() => tf.engine().runKernel(MatMulAccumulate, {acc, a, b}, attrs), ['2 references'], 'shared accumulator');
    await expectThrows(() => tf.engine().runKernel(ScaleInPlace, {x: acc, s: tf.scalar(2)}), ['2 references'], 'shared scale target');
    shared.dispose();
    const sq = tf.zeros([3, 3]);
    await expectThrows(() => tf.engine().runKernel(MatMulAccumulate, {acc: sq, a: sq, b: sq}, attrs), ['also a read-only input'], 'aliased input');
    const ints = tf.zeros([4, 3], 'int32');
    await expectThrows(() => tf.engine().runKernel(MatMulAccumulate, {acc: ints, a, b}, attrs), ['must be float32'], 'int32 target');
    await expectThrows(() => tf.engine().runKernel(MatMulAccumulate, {acc, a, b}, {...attrs, rowOffset: 1}), ['shapes do not fit'], 'row offset past the end');
    tf.dispose([acc, a, b, sq, ints]);
  }, {only: inPlace});

  it('gradients of the gradient w.r.t. dy (an outer tape records the backward: no in-place scaling there)', async env => {
    // d/dc Σ r·dW(dy = c) = Σ r·dW(dy = 1): the backward's scaling by dy must stay differentiable.
    // Weighted by r: a plain Σ dW is 0 whatever the gradient (each row of a softmax gradient sums to 0).
    const p = problem(9, 5, 7, 95);
    const h = tf.tensor2d(p.h, [9, 5]);
    const w = tf.tensor2d(p.w, [7, 5]);
    const r = tf.tensor2d(problem(7, 5, 2, 96).h, [7, 5]);
    const labels = tf.tensor1d(p.t, 'int32');
    const f = (x: tf.Tensor, y: tf.Tensor) => linearSoftmaxCrossEntropy(x, y, labels, {chunkSize: 4});
    const c = tf.scalar(2.5);
    const outer = tf.grad((cc: tf.Tensor) => tf.sum(tf.mul(tf.grads(f)([h, w], cc)[1], r)))(c);
    const [dh, dW] = tf.grads(f)([h, w]);
    const total = tf.sum(tf.mul(dW, r));
    const totalValue = (await values(total))[0];
    if (!(Math.abs(totalValue) > 1e-3)) throw new Error(`Σ r·dW = ${totalValue}: the check needs a nonzero total`);
    expectClose(await values(outer), await values(total), tol(env), 'd/dc Σ r·dW(c)');
    tf.dispose([h, w, r, labels, c, outer, dh, dW, total]);
  });

  it('argument errors name the op and the argument', async () => {
    const h = tf.ones([4, 3]);
    const w = tf.ones([5, 3]);
    const labels = tf.tensor1d([0, 1, 2, 7], 'int32');
    const op = 'linearSoftmaxCrossEntropy';
    await expectThrows(() => linearSoftmaxCrossEntropy(h, tf.ones([5, 4]), labels), [op, 'does not match hidden size 3'], 'H mismatch');
    await expectThrows(() => linearSoftmaxCrossEntropy(h, w, tf.tensor1d([0, 1], 'int32')), [op, 'labels shape [2]'], 'labels shape');
    await expectThrows(() => linearSoftmaxCrossEntropy(h, w, labels, {bias: tf.ones([4])}), [op, 'bias must have shape [5]'], 'bias shape');
    await expectThrows(() => linearSoftmaxCrossEntropy(h, w, labels, {chunkSize: 0}), [op, 'chunkSize'], 'chunkSize');
    await expectThrows(() => linearSoftmaxCrossEntropy(h, w, labels, {chunkSize: 2.5}), [op, 'chunkSize'], 'chunkSize');
    await expectThrows(() => linearSoftmaxCrossEntropy(h, w, labels, {reduction: 'avg' as 'mean'}), [op, 'reduction'], 'reduction');
    await expectThrows(() => linearSoftmaxCrossEntropy(h, w, labels, {labelSmoothing: 1}), [op, 'labelSmoothing'], 'smoothing');
    await expectThrows(() => linearSoftmaxCrossEntropy(tf.ones([3]), w, labels), [op, 'rank ≥ 2'], 'rank');
    tf.dispose([h, w, labels]);
  });

  it('validateLabels names the first out-of-range label', async () => {
    const labels = tf.tensor1d([0, -100, 2, 7], 'int32');
    const h = tf.ones([4, 3]);
    const w = tf.ones([5, 3]);
    await expectThrows(() => linearSoftmaxCrossEntropy(h, w, labels, {validateLabels: true, ignoreIndex: -100}),
        ['linearSoftmaxCrossEntropy', 'labels[3] = 7', '[0, 5)'], 'validateLabels');
    tf.dispose([h, w, labels]);
  }, {only: env => !(env.backend === 'webgpu' && env.platform === 'node')});  // reads with dataSync
});

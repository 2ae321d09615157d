/**
 * Spec of the fused reductions (kernels/FORMULAS.md, "Fused reductions"): the
 * `reduction` option of sigmoidCrossEntropyWithLogits and
 * sigmoidFocalCrossEntropyWithLogits, the drop-in losses.sigmoidCrossEntropy
 * under every tf.Reduction with and without weights, and the binary Keras
 * classes, against float64 references: values, and gradients w.r.t. logits
 * and labels for a random upstream dy of the reduced shape (the reduction's
 * gradient is the kernels' own broadcast, not tfjs's sum/mean gradient).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  BinaryCrossentropy, BinaryFocalCrossentropy, KLDivergence, losses, sigmoidCrossEntropyWithLogits, sigmoidFocalCrossEntropyWithLogits,
} from '../../src/index';
import {refBinaryFocalGrad, refBinaryFocalLoss} from '../losses/focal_reference';
import {refSigmoidCrossEntropy} from '../reference/reference';
import {expect, expectClose, expectNoLeak, expectThrows, randn, rng, values} from './assert';
import {checkValueAndGrads} from './check';
import {defineSpec, SpecEnv} from './registry';

type Reduction = 'sum' | 'mean' | 'sumOverClasses' | 'meanOverClasses';
const REDUCTIONS: Reduction[] = ['sum', 'mean', 'sumOverClasses', 'meanOverClasses'];

function targets(n: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({length: n}, (_, i) => (i % 3 === 0 ? r() : r() < 0.5 ? 0 : 1));
}

/** The reduced float64 loss, and dy (of the reduced shape) broadcast to every element, times the scale. */
function reduceRef(loss: number[], C: number, r: Reduction): number[] {
  const rows = loss.length / C;
  const scale = r === 'mean' ? 1 / loss.length : r === 'meanOverClasses' ? 1 / C : 1;
  if (r === 'sum' || r === 'mean') return [scale * loss.reduce((a, b) => a + b, 0)];
  return Array.from({length: rows}, (_, i) => scale * loss.slice(i * C, (i + 1) * C).reduce((a, b) => a + b, 0));
}
function broadcastRef(dy: ArrayLike<number>, n: number, C: number, r: Reduction): number[] {
  const scale = r === 'mean' ? 1 / n : r === 'meanOverClasses' ? 1 / C : 1;
  return Array.from({length: n}, (_, k) => scale * dy[r === 'sum' || r === 'mean' ? 0 : Math.floor(k / C)]);
}

/** Tolerance: the op's rtol; a sum of C float32 terms carries a few more ulps. */
function tol(env: SpecEnv, binaryFocal = false): number {
  const base = Math.max(env.rtol, 2e-6);
  return binaryFocal && env.composite ? Math.max(5 * base, 5e-5) : base;
}

defineSpec('fused reductions', it => {
  const shapes: number[][] = [[7, 5], [2, 3, 8]];  // C % 4 == 0 takes the vec4 programs on webgpu
  for (const r of REDUCTIONS) {
    it(`sigmoidCrossEntropyWithLogits reduction '${r}', posWeight and smoothing`, async env => {
      for (const shape of shapes) {
        const n = shape.reduce((a, b) => a * b, 1), C = shape[shape.length - 1];
        const x = randn(n, 1, 3), z = targets(n, 2);
        const q = Array.from({length: C}, (_, c) => 0.5 + c / 2);
        const ref = refSigmoidCrossEntropy(x, z, C, {labelSmoothing: 0.1, posWeight: q});
        const logits = tf.tensor(x, shape), labels = tf.tensor(z, shape);
        await checkValueAndGrads({
          f: (l, t) => sigmoidCrossEntropyWithLogits(t, l, {labelSmoothing: 0.1, posWeight: q, reduction: r}),
          xs: [logits, labels],
          names: ['logits', 'labels'],
          expected: dy => [ref.dlogits(broadcastRef(dy, n, C, r)), ref.dlabels(broadcastRef(dy, n, C, r))],
        }, reduceRef(ref.loss, C, r), tol(env), `${r} [${shape}]`);
        const out = sigmoidCrossEntropyWithLogits(labels, logits, {reduction: r});
        const expectedShape = r === 'sum' || r === 'mean' ? [] : shape.slice(0, -1);
        expect(out.shape.join() === expectedShape.join(), () => `${r}: shape [${out.shape}], expected [${expectedShape}]`);
        tf.dispose([logits, labels, out]);
      }
    });
    it(`sigmoidFocalCrossEntropyWithLogits reduction '${r}'`, async env => {
      const shape = [6, 8], n = 48, C = 8;
      const x = randn(n, 3, 2), z = targets(n, 4);
      const o = {gamma: 2, alpha: 0.3, applyClassBalancing: true, labelSmoothing: 0.05};
      const logits = tf.tensor(x, shape), labels = tf.tensor(z, shape);
      await checkValueAndGrads({
        f: (l, t) => sigmoidFocalCrossEntropyWithLogits(t, l, {...o, reduction: r}),
        xs: [logits, labels],
        names: ['logits', 'labels'],
        expected: dy => {
          const g = refBinaryFocalGrad(x, z, broadcastRef(dy, n, C, r), o);
          return [g.dx, g.dz];
        },
      }, reduceRef(refBinaryFocalLoss(x, z, o), C, r), tol(env, true), `binary focal ${r}`, 99, Math.max(tol(env, true), 1e-4));
      tf.dispose([logits, labels]);
    });
  }

  it('tf.grad of the reduced loss (scalar dy of 1) and a reduction of an empty batch', async env => {
    const x = randn(24, 5, 2), z = targets(24, 6);
    const ref = refSigmoidCrossEntropy(x, z, 6);
    const logits = tf.tensor2d(x, [4, 6]), labels = tf.tensor2d(z, [4, 6]);
    const g = tf.grad(l => sigmoidCrossEntropyWithLogits(labels, l, {reduction: 'mean'}))(logits);
    expectClose(await values(g), ref.dlogits(new Array(24).fill(1 / 24)), tol(env), 'd mean / d logits');
    const gf = tf.grad(l => sigmoidFocalCrossEntropyWithLogits(labels, l, {reduction: 'sum', gamma: 0}))(logits);
    expectClose(await values(gf), ref.dlogits(new Array(24).fill(1)), Math.max(tol(env), 1e-5), 'binary focal γ = 0: d sum / d logits');
    const empty = sigmoidCrossEntropyWithLogits(tf.zeros([0, 3]), tf.zeros([0, 3]), {reduction: 'sum'});
    expect(empty.shape.length === 0 && (await values(empty))[0] === 0, () => `sum of an empty batch: [${empty.shape}]`);
    const rows = sigmoidCrossEntropyWithLogits(tf.zeros([0, 3]), tf.zeros([0, 3]), {reduction: 'meanOverClasses'});
    expect(rows.shape.join() === '0', () => `meanOverClasses of an empty batch: [${rows.shape}]`);
    tf.dispose([logits, labels, g, gf, empty, rows]);
  });

  it('empty batches and empty class axes: sum 0, mean NaN (as tf.mean), both ops alike', async () => {
    const ops = {
      sigmoid: (z: tf.Tensor, x: tf.Tensor, reduction: Reduction) => sigmoidCrossEntropyWithLogits(z, x, {reduction}),
      'binary focal': (z: tf.Tensor, x: tf.Tensor, reduction: Reduction) => sigmoidFocalCrossEntropyWithLogits(z, x, {reduction}),
    };
    for (const [name, f] of Object.entries(ops)) {
      for (const shape of [[0, 3], [2, 0], [0, 0]]) {
        const rows = shape[0], C = shape[1];
        for (const r of REDUCTIONS) {
          const out = f(tf.zeros(shape), tf.zeros(shape), r);
          const got = Array.from(await values(out));
          const perRow = r === 'sumOverClasses' || r === 'meanOverClasses';
          const mean = r === 'mean' || (r === 'meanOverClasses' && C === 0);
          const want = perRow ? new Array(rows).fill(mean ? NaN : 0) : [r === 'mean' ? NaN : 0];
          const same = got.length === want.length && got.every((v, i) => Object.is(v, want[i]));
          expect(same && out.shape.join() === (perRow ? `${rows}` : ''),
              () => `${name} reduction '${r}' of [${shape}]: got [${got}] shape [${out.shape}], want [${want}]`);
          tf.dispose(out);
        }
      }
    }
  });

  it('drop-in losses.sigmoidCrossEntropy: every tf.Reduction, weights none / scalar / [N, 1] / [C] / [N, C]', async env => {
    const N = 5, C = 4, n = N * C;
    const x = randn(n, 7, 2), z = targets(n, 8);
    const ref = refSigmoidCrossEntropy(x, z, C, {labelSmoothing: 0.1});
    const logits = tf.tensor2d(x, [N, C]), labels = tf.tensor2d(z, [N, C]);
    const wRow = [1, 0, 2, 0.5, 0], wClass = [0, 1, 3, 0.25], wFull = randn(n, 9).map((v, k) => (k % 5 === 0 ? 0 : Math.abs(v)));
    const weightCases: Array<[string, number[] | null, number[], (k: number) => number]> = [
      ['none', null, [], () => 1],
      ['scalar', [1.5], [], () => 1.5],
      ['[N, 1]', wRow, [N, 1], k => wRow[Math.floor(k / C)]],
      ['[C]', wClass, [C], k => wClass[k % C]],
      ['[N, C]', Array.from(wFull), [N, C], k => wFull[k]],
    ];
    const reductions: Array<[string, tf.Reduction]> = [
      ['SUM', tf.Reduction.SUM], ['MEAN', tf.Reduction.MEAN], ['SUM_BY_NONZERO_WEIGHTS', tf.Reduction.SUM_BY_NONZERO_WEIGHTS],
      ['NONE', tf.Reduction.NONE],
    ];
    for (const [wName, wv, wShape, wAt] of weightCases) {
      const weights = wv == null ? undefined : wShape.length ? tf.tensor(wv, wShape) : tf.scalar(wv[0]);
      const wb = Array.from({length: n}, (_, k) => wAt(k));
      for (const [rName, reduction] of reductions) {
        const sumW = wv == null ? n : wv.reduce((a, b) => a + b, 0);
        const factor = wv == null ? 1 : n / wv.length;
        const nonZero = wb.filter(v => v !== 0).length;
        // d(reduced)/dL[k] in float64, tfjs's computeWeightedLoss semantics.
        const coef = (k: number) => reduction === tf.Reduction.SUM ? wb[k] :
            reduction === tf.Reduction.MEAN ? (wv == null ? 1 / n : wb[k] / sumW / Math.max(factor, 1)) :
            wv == null ? 1 / n : wb[k] / nonZero;
        const what = `${rName}, weights ${wName}`;
        if (reduction === tf.Reduction.NONE) {
          const out = losses.sigmoidCrossEntropy(labels, logits, weights, 0.1, reduction);
          expectClose(await values(out), ref.loss.map((l, k) => l * wb[k]), tol(env), what);
          out.dispose();
          continue;
        }
        const expected = ref.loss.reduce((s, l, k) => s + coef(k) * l, 0);
        const [dl, dz] = tf.grads((l: tf.Tensor, t: tf.Tensor) =>
          losses.sigmoidCrossEntropy(t, l, weights, 0.1, reduction))([logits, labels]);
        const value = losses.sigmoidCrossEntropy(labels, logits, weights, 0.1, reduction);
        expect(value.shape.length === 0, () => `${what}: shape [${value.shape}]`);
        expectClose(await values(value), [expected], tol(env), `${what}: loss`);
        const dy = Array.from({length: n}, (_, k) => coef(k));
        expectClose(await values(dl), ref.dlogits(dy), tol(env), `${what}: d/dlogits`);
        expectClose(await values(dz), ref.dlabels(dy), tol(env), `${what}: d/dlabels`);
        tf.dispose([value, dl, dz]);
      }
      weights?.dispose();
    }
    tf.dispose([logits, labels]);
  });

  it('BinaryCrossentropy and BinaryFocalCrossentropy (fromLogits): per-example mean over the last axis, then the reduction', async env => {
    const N = 6, C = 8, n = N * C;
    const x = randn(n, 11, 2), z = targets(n, 12);
    const logits = tf.tensor2d(x, [N, C]), labels = tf.tensor2d(z, [N, C]);
    const bce = refSigmoidCrossEntropy(x, z, C, {posWeight: [2]});
    const fo = {gamma: 2, alpha: 0.25, applyClassBalancing: true};
    const focal = refBinaryFocalLoss(x, z, fo);
    const cases: Array<[string, BinaryCrossentropy | BinaryFocalCrossentropy, number[], (dy: number[]) => number[]]> = [
      ['BinaryCrossentropy', new BinaryCrossentropy({fromLogits: true, posWeight: 2}), bce.loss, dy => bce.dlogits(dy)],
      ['BinaryFocalCrossentropy', new BinaryFocalCrossentropy({fromLogits: true, ...fo}), focal,
        dy => refBinaryFocalGrad(x, z, dy, fo).dx],
    ];
    for (const [name, loss, ref, dlogits] of cases) {
      const perExample = reduceRef(ref, C, 'meanOverClasses');
      expectClose(await values(tf.tidy(() => loss.call(labels, logits))), [perExample.reduce((a, b) => a + b, 0) / N],
                  tol(env, true), `${name}: loss`);
      const g = tf.grad(l => loss.call(labels, l))(logits);
      expectClose(await values(g), dlogits(new Array(n).fill(1 / n)), Math.max(tol(env, true), 1e-5), `${name}: d/dlogits`);
      const layers = tf.tidy(() => loss(labels, logits));
      expectClose(await values(layers), perExample, tol(env, true), `${name}: what tfjs-layers gets`);
      tf.dispose([g, layers]);
    }
    tf.dispose([logits, labels]);
  });

  it('logits from a matMul (packed textures on webgl): dW for each reduction', async env => {
    const rows = 13, C = 11, H = 6, n = rows * C;
    const z = targets(n, 21);
    const hv = randn(rows * H, 22), h = tf.tensor2d(hv, [rows, H]);
    const w = tf.tensor2d(randn(C * H, 23, 0.4), [C, H]), b = tf.tensor1d(randn(C, 24, 0.5));
    const labels = tf.tensor2d(z, [rows, C]);
    const logitsOf = (ww: tf.Tensor) => tf.add(tf.matMul(h, ww as tf.Tensor2D, false, true), b) as tf.Tensor2D;
    const x = await values(logitsOf(w));
    const ref = refSigmoidCrossEntropy(x, z, C);
    const fo = {gamma: 2, alpha: 0.25, applyClassBalancing: true};
    for (const r of ['mean', 'sumOverClasses'] as Reduction[]) {  // one per dy layout (the others differ in scale)
      const dyShape = r === 'sum' || r === 'mean' ? [] : [rows];
      const dy = randn(dyShape.length ? rows : 1, 25);
      const dyT = tf.tensor(dy, dyShape);
      for (const focal of [false, true]) {
        const G = focal ? refBinaryFocalGrad(x, z, broadcastRef(dy, n, C, r), fo).dx :
                          ref.dlogits(broadcastRef(dy, n, C, r));
        const expected = new Array<number>(C * H).fill(0);
        for (let i = 0; i < rows; i++) {
          for (let c = 0; c < C; c++) {
            for (let k = 0; k < H; k++) expected[c * H + k] += G[i * C + c] * hv[i * H + k];
          }
        }
        const dW = tf.grad((ww: tf.Tensor) => focal ? sigmoidFocalCrossEntropyWithLogits(labels, logitsOf(ww), {...fo, reduction: r}) :
                                                      sigmoidCrossEntropyWithLogits(labels, logitsOf(ww), {reduction: r}))(w, dyT);
        expectClose(await values(dW), expected, Math.max(tol(env, focal), focal ? 1e-4 : 1e-5), `${focal ? 'binary focal' : 'sigmoid'} ${r}: dW`);
        dW.dispose();
      }
      dyT.dispose();
    }
    tf.dispose([h, w, b, labels]);
  });

  it('KLDivergence of probabilities: the class-axis sum and its gradient (broadcast on the device)', async env => {
    const N = 4, C = 6, n = N * C;
    const r = rng(31);
    const rowsOf = (v: number[]) => v.map((x, k) => x / v.slice(Math.floor(k / C) * C, Math.floor(k / C) * C + C).reduce((a, b) => a + b, 0));
    const y = rowsOf(Array.from({length: n}, () => 0.05 + r())), p = rowsOf(Array.from({length: n}, () => 0.05 + r()));
    const Y = tf.tensor2d(y, [N, C]), P = tf.tensor2d(p, [N, C]);
    const kl = new KLDivergence();
    const perExample = Array.from({length: N}, (_, i) => y.slice(i * C, i * C + C).reduce((s, yk, c) => s + yk * Math.log(yk / p[i * C + c]), 0));
    expectClose(await values(tf.tidy(() => kl.call(Y, P))), [perExample.reduce((a, b) => a + b, 0) / N], Math.max(tol(env), 1e-5), 'KL');
    const g = tf.grad(q => kl.call(Y, q))(P);
    expectClose(await values(g), y.map((yk, k) => -yk / p[k] / N), Math.max(tol(env), 1e-5), 'KL: d/dyPred');
    tf.dispose([Y, P, g]);
  });

  it('leaks no tensors; a bad reduction is refused', async () => {
    const logits = tf.tensor2d(randn(12, 13), [3, 4]), labels = tf.tensor2d(targets(12, 14), [3, 4]);
    for (const r of REDUCTIONS) {
      await expectNoLeak(() => tf.grad(l => sigmoidCrossEntropyWithLogits(labels, l, {reduction: r}))(logits), `sigmoid ${r}`);
      await expectNoLeak(() => tf.grad(l => sigmoidFocalCrossEntropyWithLogits(labels, l, {reduction: r}))(logits), `focal ${r}`);
    }
    await expectNoLeak(() => tf.grad(l => losses.sigmoidCrossEntropy(labels, l, tf.ones([3, 4])))(logits), 'twin, [N, C] weights');
    await expectThrows(() => sigmoidCrossEntropyWithLogits(labels, logits, {reduction: 'avg' as never}),
        ['sigmoidCrossEntropyWithLogits', 'reduction', 'avg'], 'bad reduction');
    tf.dispose([logits, labels]);
  });
});

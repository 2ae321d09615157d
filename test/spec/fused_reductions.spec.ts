/**
 * Spec of the fused reductions (kernels/FORMULAS.md, "Fused reductions"): the
 * `reduction` option of the softmax ops (dense and sparse, 'sum' and 'mean',
 * the ignore index's mean over the rows it keeps), of sigmoidCrossEntropyWithLogits and
 * sigmoidFocalCrossEntropyWithLogits, the drop-in losses.sigmoidCrossEntropy
 * under every tf.Reduction with and without weights, and the binary Keras
 * classes, against float64 references: values, and gradients w.r.t. logits
 * and labels for a random upstream dy of the reduced shape (the reduction's
 * gradient is the kernels' own broadcast, not tfjs's sum/mean gradient).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  BinaryCrossentropy, BinaryFocalCrossentropy, KLDivergence, losses, sigmoidCrossEntropyWithLogits, sigmoidFocalCrossEntropyWithLogits,
  softmaxCrossEntropyWithLogits, sparseSoftmaxCrossEntropyWithLogits,
} from '../../src/index';
import {refBinaryFocalGrad, refBinaryFocalLoss} from '../losses/focal_reference';
import {refSigmoidCrossEntropy, refSoftmaxCrossEntropy, refSparseSoftmaxCrossEntropy} from '../reference/reference';
import {binaryTargets, expect, expectClose, expectNoLeak, expectThrows, randLabels, randn, randProbs, rng, values} from './assert';
import {checkValueAndGrads} from './check';
import {defineSpec, SpecEnv} from './registry';

type Reduction = 'sum' | 'mean' | 'sumOverClasses' | 'meanOverClasses';
const REDUCTIONS: Reduction[] = ['sum', 'mean', 'sumOverClasses', 'meanOverClasses'];

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
    // The SIMD kernels run the default options (no posWeight, no smoothing) in loops of their own;
    // C = 1030: the reduced sum's four-vector loop with two logs of its products and a tail of 2.
    const sigmoidCases: Array<[string, boolean, number[][]]> = [
      ['posWeight and smoothing', true, shapes],
      ['no options', false, [...shapes, [3, 37], [2, 2, 48], [2, 1030]]],
    ];
    for (const [name, weighted, caseShapes] of sigmoidCases) {
      it(`sigmoidCrossEntropyWithLogits reduction '${r}', ${name}`, async env => {
        for (const shape of caseShapes) {
          const n = shape.reduce((a, b) => a * b, 1), C = shape[shape.length - 1];
          const x = randn(n, 1, 3), z = binaryTargets(n, 2);
          const o = weighted ? {labelSmoothing: 0.1, posWeight: Array.from({length: C}, (_, c) => 0.5 + c / 2)} : {};
          const ref = refSigmoidCrossEntropy(x, z, C, o);
          const logits = tf.tensor(x, shape), labels = tf.tensor(z, shape);
          await checkValueAndGrads({
            f: (l, t) => sigmoidCrossEntropyWithLogits(t, l, {...o, reduction: r}),
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
    }
    it(`sigmoidFocalCrossEntropyWithLogits reduction '${r}'`, async env => {
      const shape = [6, 8], n = 48, C = 8;
      const x = randn(n, 3, 2), z = binaryTargets(n, 4);
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
    const x = randn(24, 5, 2), z = binaryTargets(24, 6);
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
    const x = randn(n, 7, 2), z = binaryTargets(n, 8);
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
    const x = randn(n, 11, 2), z = binaryTargets(n, 12);
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
    const z = binaryTargets(n, 21);
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
    const logits = tf.tensor2d(randn(12, 13), [3, 4]), labels = tf.tensor2d(binaryTargets(12, 14), [3, 4]);
    for (const r of REDUCTIONS) {
      await expectNoLeak(() => tf.grad(l => sigmoidCrossEntropyWithLogits(labels, l, {reduction: r}))(logits), `sigmoid ${r}`);
      await expectNoLeak(() => tf.grad(l => sigmoidFocalCrossEntropyWithLogits(labels, l, {reduction: r}))(logits), `focal ${r}`);
    }
    await expectNoLeak(() => tf.grad(l => losses.sigmoidCrossEntropy(labels, l, tf.ones([3, 4])))(logits), 'twin, [N, C] weights');
    await expectThrows(() => sigmoidCrossEntropyWithLogits(labels, logits, {reduction: 'avg' as never}),
        ['sigmoidCrossEntropyWithLogits', 'reduction', 'avg'], 'bad reduction');
    tf.dispose([logits, labels]);
  });
  // ---- Softmax ops: 'sum' / 'mean' of the per-example loss inside the kernel pair ----
  type SoftmaxReduction = 'sum' | 'mean';
  const softmaxOpts = {labelSmoothing: 0.1, temperature: 1.5, zLoss: 0.01};
  /** scale·Σ L and the per-row dy (scale·dy[0]) of a reduction over `rows` rows, `counted` of them kept. */
  const softmaxScale = (r: SoftmaxReduction, counted: number) => (r === 'mean' ? 1 / Math.max(counted, 1) : 1);

  for (const r of ['sum', 'mean'] as SoftmaxReduction[]) {
    it(`softmaxCrossEntropyWithLogits reduction '${r}': smoothing, T, z-loss, class weights, rank 3, axis 0`, async env => {
      const cases: Array<{shape: number[], axis?: number}> = [{shape: [7, 5]}, {shape: [2, 3, 8]}, {shape: [6, 4], axis: 0}];
      for (const {shape, axis} of cases) {
        const n = shape.reduce((a, b) => a * b, 1);
        const ax = axis ?? shape.length - 1, C = shape[ax], rows = n / C;
        const xv = randn(n, 41, 3), yv = randProbs(rows, C, 42);
        const w = Array.from({length: C}, (_, c) => 0.5 + c / C);
        const o = {...softmaxOpts, classWeights: w};
        // Rows in the reference are the class axis made last: transpose [C, rows] for axis 0.
        const toRows = (v: Float32Array) => ax === shape.length - 1 ? v :
            Float32Array.from({length: n}, (_, k) => v[(k % C) * rows + Math.floor(k / C)]);
        const fromRows = (v: number[]) => ax === shape.length - 1 ? v :
            Array.from({length: n}, (_, k) => v[(k % rows) * C + Math.floor(k / rows)]);
        const yShape = shape;
        const yData = ax === shape.length - 1 ? yv : Float32Array.from({length: n}, (_, k) => yv[(k % rows) * C + Math.floor(k / rows)]);
        const ref = refSoftmaxCrossEntropy(toRows(xv), toRows(yData), rows, C, o);
        const scale = softmaxScale(r, rows);
        const logits = tf.tensor(xv, shape), labels = tf.tensor(yData, yShape);
        await checkValueAndGrads({
          f: (l, t) => softmaxCrossEntropyWithLogits(t, l, {...o, axis, reduction: r}),
          xs: [logits, labels],
          names: ['logits', 'labels'],
          expected: dy => {
            const dyRows = new Array(rows).fill(scale * dy[0]);
            return [fromRows(ref.dlogits(dyRows)), fromRows(ref.dlabels(dyRows))];
          },
        }, [scale * ref.loss.reduce((a, b) => a + b, 0)], tol(env), `${r} [${shape}] axis ${ax}`);
        const out = softmaxCrossEntropyWithLogits(labels, logits, {axis, reduction: r});
        expect(out.shape.length === 0, () => `${r}: shape [${out.shape}], expected a scalar`);
        tf.dispose([logits, labels, out]);
      }
    });

    it(`sparseSoftmaxCrossEntropyWithLogits reduction '${r}': ignore index (the mean counts kept rows), weights, long rows`, async env => {
      const cases: Array<[number, number, boolean]> = [[9, 6, true], [5, 8, false], [3, 2100, true]];
      for (const [rows, C, ignore] of cases) {
        const xv = randn(rows * C, 43, 3);
        const t = Array.from(randLabels(rows, C, 44)).map((v, i) => (ignore && i % 3 === 1 ? -1 : v));
        const w = Array.from({length: C}, (_, c) => 1 + (c % 5) / 4);
        const o = {...softmaxOpts, classWeights: w, ...(ignore ? {ignoreIndex: -1} : {})};
        const ref = refSparseSoftmaxCrossEntropy(xv, t, rows, C, o);
        const counted = t.filter(v => v !== -1).length;
        const scale = softmaxScale(r, counted);
        const logits = tf.tensor2d(xv, [rows, C]), labels = tf.tensor1d(t, 'int32');
        // A tensor's kept rows are counted on its device, an array's on the host.
        for (const [form, lab] of [['tensor', labels], ['array', t]] as const) {
          await checkValueAndGrads({
            f: l => sparseSoftmaxCrossEntropyWithLogits(lab, l, {...o, reduction: r}),
            xs: [logits],
            names: ['logits'],
            expected: dy => [ref.dlogits(new Array(rows).fill(scale * dy[0]))],
          }, [scale * ref.loss.reduce((a, b) => a + b, 0)], tol(env), `sparse ${r} [${rows}, ${C}]${ignore ? ' ignore −1' : ''}, labels as ${form}`);
        }
        tf.dispose([logits, labels]);
      }
    });
  }

  it('softmax reductions: tf.grad of the mean (dy 1), empty batches, every row ignored', async env => {
    const rows = 6, C = 5;
    const xv = randn(rows * C, 45, 2), t = Array.from(randLabels(rows, C, 46));
    const ref = refSparseSoftmaxCrossEntropy(xv, t, rows, C);
    const logits = tf.tensor2d(xv, [rows, C]), labels = tf.tensor1d(t, 'int32');
    const g = tf.grad(l => sparseSoftmaxCrossEntropyWithLogits(labels, l, {reduction: 'mean'}))(logits);
    expectClose(await values(g), ref.dlogits(new Array(rows).fill(1 / rows)), tol(env), 'sparse: d mean / d logits');
    const dense = tf.oneHot(labels, C);
    const gd = tf.grad(l => softmaxCrossEntropyWithLogits(dense, l, {reduction: 'sum'}))(logits);
    expectClose(await values(gd), ref.dlogits(new Array(rows).fill(1)), tol(env), 'dense: d sum / d logits');
    const same = (got: ArrayLike<number>, want: number) => got.length === 1 && Object.is(got[0], want);
    const ignored = tf.tensor1d([-1, -1], 'int32');
    for (const [what, out, want] of [
      ['dense sum of [0, 3]', softmaxCrossEntropyWithLogits(tf.zeros([0, 3]), tf.zeros([0, 3]), {reduction: 'sum'}), 0],
      ['dense mean of [0, 3]', softmaxCrossEntropyWithLogits(tf.zeros([0, 3]), tf.zeros([0, 3]), {reduction: 'mean'}), NaN],
      ['sparse mean of [0, 3]', sparseSoftmaxCrossEntropyWithLogits(tf.zeros([0], 'int32'), tf.zeros([0, 3]), {reduction: 'mean'}), NaN],
      ['sparse mean of [0, 3], ignore index', sparseSoftmaxCrossEntropyWithLogits(tf.zeros([0], 'int32'), tf.zeros([0, 3]),
        {reduction: 'mean', ignoreIndex: -1}), 0],
      ['sparse mean, every row ignored', sparseSoftmaxCrossEntropyWithLogits([-1, -1], logits.slice(0, 2), {reduction: 'mean', ignoreIndex: -1}), 0],
      ['sparse mean, every row ignored, labels as a tensor', sparseSoftmaxCrossEntropyWithLogits(ignored,
        logits.slice(0, 2), {reduction: 'mean', ignoreIndex: -1}), 0],
    ] as Array<[string, tf.Tensor, number]>) {
      const got = await values(out);
      expect(out.shape.length === 0 && same(got, want), () => `${what}: got [${Array.from(got)}] shape [${out.shape}], want ${want}`);
      out.dispose();
    }
    tf.dispose([logits, labels, g, dense, gd, ignored]);
  });

  it('softmax reductions: logits from a matMul (packed textures on webgl), dW of the mean', async env => {
    const rows = 13, C = 11, H = 6;
    const hv = randn(rows * H, 47), h = tf.tensor2d(hv, [rows, H]);
    const w = tf.tensor2d(randn(C * H, 48, 0.4), [C, H]), b = tf.tensor1d(randn(C, 49, 0.5));
    const t = Array.from(randLabels(rows, C, 50));
    const labels = tf.tensor1d(t, 'int32'), dense = tf.oneHot(labels, C);
    const logitsOf = (ww: tf.Tensor) => tf.add(tf.matMul(h, ww as tf.Tensor2D, false, true), b) as tf.Tensor2D;
    const x = await values(logitsOf(w));
    const G = refSparseSoftmaxCrossEntropy(x, t, rows, C).dlogits(new Array(rows).fill(1 / rows));
    const expected = new Array<number>(C * H).fill(0);
    for (let i = 0; i < rows; i++) {
      for (let c = 0; c < C; c++) {
        for (let k = 0; k < H; k++) expected[c * H + k] += G[i * C + c] * hv[i * H + k];
      }
    }
    for (const sparse of [true, false]) {
      const dW = tf.grad((ww: tf.Tensor) => sparse ? sparseSoftmaxCrossEntropyWithLogits(labels, logitsOf(ww), {reduction: 'mean'}) :
                                                     softmaxCrossEntropyWithLogits(dense, logitsOf(ww), {reduction: 'mean'}))(w);
      expectClose(await values(dW), expected, Math.max(tol(env), 1e-5), `${sparse ? 'sparse' : 'dense'} mean: dW`);
      dW.dispose();
    }
    tf.dispose([h, w, b, labels, dense]);
  });

  it('softmax reductions leak no tensors; a bad reduction is refused', async () => {
    const logits = tf.tensor2d(randn(12, 51), [3, 4]), labels = tf.tensor1d([0, -1, 3], 'int32');
    const dense = tf.tensor2d(randProbs(3, 4, 52), [3, 4]);
    for (const r of ['sum', 'mean'] as SoftmaxReduction[]) {
      await expectNoLeak(() => tf.grad(l => sparseSoftmaxCrossEntropyWithLogits(labels, l, {reduction: r, ignoreIndex: -1}))(logits), `sparse ${r}`);
      await expectNoLeak(() => tf.grad(l => softmaxCrossEntropyWithLogits(dense, l, {reduction: r}))(logits), `dense ${r}`);
    }
    await expectThrows(() => softmaxCrossEntropyWithLogits(dense, logits, {reduction: 'avg' as never}),
        ['softmaxCrossEntropyWithLogits', 'reduction', 'avg'], 'dense: bad reduction');
    await expectThrows(() => sparseSoftmaxCrossEntropyWithLogits(labels, logits, {reduction: 'meanOverClasses' as never}),
        ['sparseSoftmaxCrossEntropyWithLogits', 'reduction', 'meanOverClasses'], 'sparse: bad reduction');
    tf.dispose([logits, labels, dense]);
  });
});

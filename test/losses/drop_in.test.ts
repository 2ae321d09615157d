/**
 * Drop-in losses (`losses.softmaxCrossEntropy`, `losses.sigmoidCrossEntropy`,
 * `losses.sparseSoftmaxCrossEntropy`) on the cpu backend, through the fused
 * kernels and through the composite path:
 *  - parity with tf.losses.* (values and d/dlogits) for every tf.Reduction,
 *    with and without weights and label smoothing (rank 2);
 *  - the same against an independent float64 computation (reference.ts for the
 *    per-example losses, `refWeightedLoss` below for tfjs's reduction rules);
 *  - sparse ≡ dense one-hot;
 *  - the documented differences from tfjs (rank > 2 smoothing, labels gradient);
 *  - no leaked tensors.
 */
// The union package: it also registers tfjs's own gradients (tfjs-core alone does not).
import * as tf from '@tensorflow/tfjs';
import '../../src/index';
import {SigmoidCrossEntropy, SoftmaxCrossEntropy, SparseSoftmaxCrossEntropy} from '../../kernels/kernel_names';
import {losses} from '../../src/losses';
import {useFusedKernel} from '../../src/ops/fused';
import {refSigmoidCrossEntropy, refSoftmaxCrossEntropy} from '../reference/reference';
import {expectClose, expectNoLeak, oneHotRows, randLabels, randn, randProbs} from '../spec/assert';

const {Reduction} = tf;
const REDUCTIONS: Array<[string, tf.Reduction]> = [
  ['NONE', Reduction.NONE], ['MEAN', Reduction.MEAN], ['SUM', Reduction.SUM],
  ['SUM_BY_NONZERO_WEIGHTS', Reduction.SUM_BY_NONZERO_WEIGHTS],
];
/** Float32 results of two different float32 computations: a few ulps apart. */
const RTOL = 2e-6;

/**
 * tfjs's computeWeightedLoss rules (tfjs-core/src/ops/losses/
 * compute_weighted_loss.ts), in float64 on plain arrays. `w` is given already
 * broadcast to the losses' length; `wSize` is the weights' own size (MEAN
 * divides by Σ over the un-broadcast weights times losses.size / wSize).
 */
function refWeightedLoss(L: number[], w: number[] | null, wOwn: number[] | null, r: tf.Reduction): number[] {
  const weighted = w == null ? L : L.map((v, i) => v * w[i]);
  const total = weighted.reduce((a, b) => a + b, 0);
  switch (r) {
    case Reduction.NONE: return weighted;
    case Reduction.SUM: return [total];
    case Reduction.MEAN:
      if (wOwn == null) return [total / L.length];
      return [total / wOwn.reduce((a, b) => a + b, 0) / (L.length / wOwn.length)];
    default:
      if (w == null) return [total / L.length];
      return [total / w.filter(v => v !== 0).length];
  }
}

const rows = 8, C = 5;
const x = randn(rows * C, 21, 2);
const ids = randLabels(rows, C, 22);
const onehot = oneHotRows(ids, C);
const soft = randProbs(rows, C, 23);
/** Per-example weights with zeros (they change SUM_BY_NONZERO_WEIGHTS). */
const wRow = [1, 0, 2, 0.5, 0, 3, 1, 1];

/** [name, weights, weights broadcast to the per-example losses, the weights' own values]. */
const SOFTMAX_WEIGHTS: Array<[string, () => tf.Tensor | undefined, number[] | null, number[] | null]> = [
  ['no weights', () => undefined, null, null],
  ['scalar weight 2.5', () => tf.scalar(2.5), Array(rows).fill(2.5), [2.5]],
  ['per-example weights with zeros', () => tf.tensor1d(wRow), wRow, wRow],
];

describe.each([['fused kernels', false], ['composite path', true]])('drop-in losses, cpu, %s', (_path, composite) => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    tf.env().set('FUSED_CE_FORCE_COMPOSITE', composite);
  });
  afterAll(() => tf.env().set('FUSED_CE_FORCE_COMPOSITE', false));

  test('dispatch: the fused kernels run exactly when not forced off', () => {
    for (const k of [SoftmaxCrossEntropy, SparseSoftmaxCrossEntropy, SigmoidCrossEntropy]) {
      expect(useFusedKernel(k)).toBe(!composite);
    }
  });

  describe('softmaxCrossEntropy', () => {
    for (const [lname, labels] of [['one-hot', onehot], ['soft labels', soft]] as const) {
      for (const eps of [0, 0.1]) {
        for (const [wname, makeW, wBroadcast, wOwn] of SOFTMAX_WEIGHTS) {
          test.each(REDUCTIONS)(`${lname}, ε=${eps}, ${wname}, %s: = tf.losses and float64`, async (_r, reduction) => {
            const logits = tf.tensor2d(x, [rows, C]);
            const y = tf.tensor2d(labels, [rows, C]);
            const w = makeW();
            const ours = losses.softmaxCrossEntropy(y, logits, w, eps, reduction);
            const theirs = tf.losses.softmaxCrossEntropy(y, logits, w, eps, reduction);
            expect(ours.shape).toEqual(theirs.shape);
            expectClose(await ours.data(), await theirs.data(), RTOL, 'vs tf.losses');
            const L = refSoftmaxCrossEntropy(x, labels, rows, C, {labelSmoothing: eps}).loss;
            expectClose(await ours.data(), refWeightedLoss(L, wBroadcast, wOwn, reduction), RTOL, 'vs float64');
            // d/dlogits agrees with tfjs's autodiff (the logits gradient of tfjs is right).
            const f = (impl: typeof losses.softmaxCrossEntropy) => (l: tf.Tensor) => tf.sum(impl(y, l, w, eps, reduction));
            const gOurs = tf.grad(f(losses.softmaxCrossEntropy))(logits);
            const gTheirs = tf.grad(f(tf.losses.softmaxCrossEntropy as typeof losses.softmaxCrossEntropy))(logits);
            expectClose(await gOurs.data(), await gTheirs.data(), RTOL, 'd/dlogits vs tf.losses');
            tf.dispose([logits, y, w, ours, theirs, gOurs, gTheirs].filter(t => t != null) as tf.Tensor[]);
          });
        }
      }
    }

    test('defaults are tfjs\'s: no smoothing, SUM_BY_NONZERO_WEIGHTS', async () => {
      const logits = tf.tensor2d(x, [rows, C]);
      const y = tf.tensor2d(onehot, [rows, C]);
      const a = losses.softmaxCrossEntropy(y, logits);
      const b = losses.softmaxCrossEntropy(y, logits, undefined, 0, Reduction.SUM_BY_NONZERO_WEIGHTS);
      const c = tf.losses.softmaxCrossEntropy(y, logits);
      expect(a.rank).toBe(0);
      expectClose(await a.data(), await b.data(), 0, 'defaults');
      expectClose(await a.data(), await c.data(), RTOL, 'vs tfjs defaults');
      tf.dispose([logits, y, a, b, c]);
    });

    test('accepts nested arrays like tf.losses (TensorLike)', async () => {
      const y = [[0, 1, 0], [1, 0, 0]], l = [[1, 2, 0.5], [3, -1, 0]];
      const ours = losses.softmaxCrossEntropy(y, l, [1, 2], 0, Reduction.SUM);
      const theirs = tf.losses.softmaxCrossEntropy(y, l, [1, 2], 0, Reduction.SUM);
      expectClose(await ours.data(), await theirs.data(), RTOL, 'TensorLike');
      tf.dispose([ours, theirs]);
    });

    test('difference 1: rank 3 label smoothing spreads ε over the class axis (tfjs uses shape[1])', async () => {
      // [2, 3, 4]: tfjs divides ε by shape[1] = 3, the float64 definition by C = 4.
      const b = 2, s = 3, c = 4;
      const xs = randn(b * s * c, 31, 2), ys = oneHotRows(randLabels(b * s, c, 32), c);
      const logits = tf.tensor3d(xs, [b, s, c]), y = tf.tensor3d(ys, [b, s, c]);
      const ours = losses.softmaxCrossEntropy(y, logits, undefined, 0.2, Reduction.NONE);
      const theirs = tf.losses.softmaxCrossEntropy(y, logits, undefined, 0.2, Reduction.NONE);
      expect(ours.shape).toEqual([b, s]);
      const ref = refSoftmaxCrossEntropy(xs, ys, b * s, c, {labelSmoothing: 0.2}).loss;
      expectClose(await ours.data(), ref, RTOL, 'rank 3, ε=0.2');
      const gap = Math.max(...Array.from(await tf.abs(tf.sub(ours, theirs)).data()));
      expect(gap).toBeGreaterThan(1e-3);  // tfjs's shape[1] bug is real, and we do not copy it
      tf.dispose([logits, y, ours, theirs]);
    });

    test('difference 2: d/dlabels is −dy·(1 − ε)·log softmax (tfjs: dy·(labels − softmax))', async () => {
      const logits = tf.tensor2d(x, [rows, C]);
      const y = tf.tensor2d(soft, [rows, C]);
      const eps = 0.1;
      const g = tf.grad((t: tf.Tensor) => losses.softmaxCrossEntropy(t, logits, undefined, eps, Reduction.SUM))(y);
      const ref = refSoftmaxCrossEntropy(x, soft, rows, C, {labelSmoothing: eps}).dlabels(new Array(rows).fill(1));
      expectClose(await g.data(), ref, RTOL, 'd/dlabels');
      const gTfjs = tf.grad((t: tf.Tensor) => tf.losses.softmaxCrossEntropy(t, logits, undefined, eps, Reduction.SUM))(y);
      const gap = Math.max(...Array.from(await tf.abs(tf.sub(g, gTfjs)).data()));
      expect(gap).toBeGreaterThan(1e-2);
      tf.dispose([logits, y, g, gTfjs]);
    });
  });

  describe('sparseSoftmaxCrossEntropy ≡ softmaxCrossEntropy on one-hot labels', () => {
    for (const eps of [0, 0.1]) {
      for (const [wname, makeW] of SOFTMAX_WEIGHTS) {
        test.each(REDUCTIONS)(`ε=${eps}, ${wname}, %s`, async (_r, reduction) => {
          const logits = tf.tensor2d(x, [rows, C]);
          const t = tf.tensor1d(ids, 'int32');
          const y = tf.oneHot(t, C);
          const w = makeW();
          const sparse = losses.sparseSoftmaxCrossEntropy(t, logits, w, eps, reduction);
          const dense = losses.softmaxCrossEntropy(y, logits, w, eps, reduction);
          const tfjs = tf.losses.softmaxCrossEntropy(y, logits, w, eps, reduction);
          expect(sparse.shape).toEqual(dense.shape);
          expectClose(await sparse.data(), await dense.data(), RTOL, 'sparse vs dense');
          expectClose(await sparse.data(), await tfjs.data(), RTOL, 'sparse vs tf.losses on one-hot');
          const gs = tf.grad((l: tf.Tensor) => tf.sum(losses.sparseSoftmaxCrossEntropy(t, l, w, eps, reduction)))(logits);
          const gd = tf.grad((l: tf.Tensor) => tf.sum(losses.softmaxCrossEntropy(y, l, w, eps, reduction)))(logits);
          expectClose(await gs.data(), await gd.data(), RTOL, 'd/dlogits sparse vs dense');
          tf.dispose([logits, t, y, sparse, dense, tfjs, gs, gd, ...(w ? [w] : [])]);
        });
      }
    }

    test('rank 3 (per-token ids [2, 3])', async () => {
      const xs = randn(2 * 3 * C, 41, 2), t = randLabels(6, C, 42);
      const logits = tf.tensor3d(xs, [2, 3, C]);
      const ours = losses.sparseSoftmaxCrossEntropy(tf.tensor2d(t, [2, 3], 'int32'), logits, undefined, 0.1, Reduction.NONE);
      expect(ours.shape).toEqual([2, 3]);
      const ref = refSoftmaxCrossEntropy(xs, oneHotRows(t, C), 6, C, {labelSmoothing: 0.1}).loss;
      expectClose(await ours.data(), ref, RTOL, 'rank 3 sparse');
      tf.dispose([logits, ours]);
    });
  });

  describe('sigmoidCrossEntropy', () => {
    const z = randProbs(rows, C, 51).map((v, i) => (i % 3 === 0 ? Math.round(v * 3) % 2 : v));
    const wFull = Array.from(randProbs(rows, C, 52)).map((v, i) => (i % 4 === 0 ? 0 : v * 5));
    const wCol = [0, 1, 2, 0.5, 1, 0, 3, 1];
    const SIGMOID_WEIGHTS: Array<[string, () => tf.Tensor | undefined, number[] | null, number[] | null]> = [
      ['no weights', () => undefined, null, null],
      ['scalar weight 0.5', () => tf.scalar(0.5), Array(rows * C).fill(0.5), [0.5]],
      ['weights [N, C] with zeros', () => tf.tensor2d(wFull, [rows, C]), wFull, wFull],
      ['weights [N, 1] with zeros', () => tf.tensor2d(wCol, [rows, 1]),
        Array.from({length: rows * C}, (_, i) => wCol[Math.floor(i / C)]), wCol],
    ];
    for (const eps of [0, 0.2]) {
      for (const [wname, makeW, wBroadcast, wOwn] of SIGMOID_WEIGHTS) {
        test.each(REDUCTIONS)(`ε=${eps}, ${wname}, %s: = tf.losses and float64`, async (_r, reduction) => {
          const logits = tf.tensor2d(x, [rows, C]);
          const y = tf.tensor2d(z, [rows, C]);
          const w = makeW();
          const ours = losses.sigmoidCrossEntropy(y, logits, w, eps, reduction);
          const theirs = tf.losses.sigmoidCrossEntropy(y, logits, w, eps, reduction);
          expect(ours.shape).toEqual(theirs.shape);
          expectClose(await ours.data(), await theirs.data(), RTOL, 'vs tf.losses');
          const L = refSigmoidCrossEntropy(x, z, C, {labelSmoothing: eps}).loss;
          expectClose(await ours.data(), refWeightedLoss(L, wBroadcast, wOwn, reduction), RTOL, 'vs float64');
          const f = (impl: typeof losses.sigmoidCrossEntropy) => (l: tf.Tensor) => tf.sum(impl(y, l, w, eps, reduction));
          const gOurs = tf.grad(f(losses.sigmoidCrossEntropy))(logits);
          const gTheirs = tf.grad(f(tf.losses.sigmoidCrossEntropy as typeof losses.sigmoidCrossEntropy))(logits);
          expectClose(await gOurs.data(), await gTheirs.data(), RTOL, 'd/dlogits vs tf.losses');
          tf.dispose([logits, y, ours, theirs, gOurs, gTheirs, ...(w ? [w] : [])]);
        });
      }
    }
  });

  test('no leaked tensors over repeated calls, forward and backward', async () => {
    const logits = tf.tensor2d(x, [rows, C]);
    const y = tf.tensor2d(onehot, [rows, C]);
    const t = tf.tensor1d(ids, 'int32');
    const w = tf.tensor1d(wRow);
    for (const reduction of [Reduction.NONE, Reduction.MEAN, Reduction.SUM, Reduction.SUM_BY_NONZERO_WEIGHTS]) {
      await expectNoLeak(() => losses.softmaxCrossEntropy(y, logits, w, 0.1, reduction), 'softmax fwd');
      await expectNoLeak(() => losses.sparseSoftmaxCrossEntropy(t, logits, w, 0.1, reduction), 'sparse fwd');
      await expectNoLeak(() => losses.sigmoidCrossEntropy(y, logits, undefined, 0.1, reduction), 'sigmoid fwd');
    }
    await expectNoLeak(() => tf.grad((l: tf.Tensor) => losses.softmaxCrossEntropy(y, l, w, 0.1))(logits), 'softmax grad');
    await expectNoLeak(() => tf.grad((l: tf.Tensor) => losses.sparseSoftmaxCrossEntropy(t, l, w))(logits), 'sparse grad');
    await expectNoLeak(() => tf.grad((l: tf.Tensor) => losses.sigmoidCrossEntropy(y, l))(logits), 'sigmoid grad');
    tf.dispose([logits, y, t, w]);
  });
});

describe('drop-in losses: weights that do not broadcast', () => {
  const logits = () => tf.tensor2d([[1, 2, 0.5], [3, -1, 0]]);
  const y = [[0, 1, 0], [1, 0, 0]];
  test.each([
    ['softmaxCrossEntropy', () => losses.softmaxCrossEntropy(y, logits(), tf.tensor1d([1, 2, 3])), '[3]', 'per-example losses of shape [2]'],
    ['sparseSoftmaxCrossEntropy', () => losses.sparseSoftmaxCrossEntropy([1, 0], logits(), [1, 2, 3]), '[3]', 'per-example losses of shape [2]'],
    ['sigmoidCrossEntropy', () => losses.sigmoidCrossEntropy(y, logits(), tf.tensor1d([1, 2])), '[2]', 'per-element losses of shape [2,3]'],
  ])('%s names the argument and both shapes', (op, f, wShape, lossShape) => {
    expect(f).toThrow(`${op}: weights of shape ${wShape} cannot be broadcast to the ${lossShape}`);
  });

  test('broadcastable weights still work ([N, 1] per-example, [C] per-element)', () => {
    expect(losses.softmaxCrossEntropy(y, logits(), tf.tensor1d([1, 2])).shape).toEqual([]);
    expect(losses.sigmoidCrossEntropy(y, logits(), tf.tensor1d([1, 2, 3])).shape).toEqual([]);
  });
});

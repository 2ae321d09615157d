/**
 * The cpu softmax cross-entropy kernels' specialised paths (kernels/cpu/
 * SoftmaxCrossEntropy.ts, SoftmaxCrossEntropyGrad.ts), against the float64
 * reference at the cpu tolerance 1e-6:
 *  - the plain loops (T = 1, ε = 0, no weights) at every C around their
 *    2- and 4-element unrolling (remainders 0 … 3), dense and sparse, with and
 *    without z-loss, beside the general loops with the same data;
 *  - the dense backward from the forward's kept nonzero labels (row_math.
 *    LabelRows), and only for the labels that forward read;
 *  - inputs whose typed array is not a Float32Array (int32 tensors cast to
 *    float32: tfjs keeps the Int32Array), read through row_math.F32Rows'
 *    scratch row: results identical to the Float32Array-backed ones.
 * Everything runs twice: on the JavaScript loops (FUSED_CE_CPU_SIMD = false)
 * and on the WebAssembly SIMD path (kernels/simd; C also around its 16- and
 * 4-lane blocks); the kept-labels case is the JavaScript path's own.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs';
import {softmaxCrossEntropyWithLogits, sparseSoftmaxCrossEntropyWithLogits} from '../../src/index';
import {SoftmaxCrossEntropy, SoftmaxCrossEntropyGrad} from '../../kernels/kernel_names';
import {keptLabelRows} from '../../kernels/cpu/row_math';
import {CPU_SIMD_FLAG} from '../../kernels/simd/flags_simd';
import {simdAvailable} from '../../kernels/simd/simd_module';
import {refSoftmaxCrossEntropy, refSparseSoftmaxCrossEntropy} from '../reference/reference';
import {expectClose, oneHotRows, randLabels, randn, randProbs} from '../spec/assert';

const RTOL = 1e-6;

/** Options valid for the ops and the reference alike. */
type Opts = {temperature?: number, labelSmoothing?: number, zLoss?: number, classWeights?: number[]};

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

function backingArray(t: tf.Tensor): unknown {
  return (tf.backend() as unknown as {data: {get(id: object): {values: unknown}}}).data.get(t.dataId).values;
}

async function denseCase(x: Float32Array, y: Float32Array, rows: number, C: number, opts: Opts, what: string) {
  const ref = refSoftmaxCrossEntropy(x, y, rows, C, opts);
  const dy = randn(rows, 7);
  const logits = tf.tensor2d(x, [rows, C]), labels = tf.tensor2d(y, [rows, C]), dyT = tf.tensor1d(dy);
  const loss = softmaxCrossEntropyWithLogits(labels, logits, opts);
  const [dx, dl] = tf.grads((l: tf.Tensor, t: tf.Tensor) => softmaxCrossEntropyWithLogits(t, l, opts))([logits, labels], dyT);
  expectClose(await loss.data(), ref.loss, RTOL, `${what}: loss`);
  expectClose(await dx.data(), ref.dlogits(dy), RTOL, `${what}: d/dlogits`);
  expectClose(await dl.data(), ref.dlabels(dy), RTOL, `${what}: d/dlabels`);
  tf.dispose([logits, labels, dyT, loss, dx, dl]);
}

async function sparseCase(x: Float32Array, t: Int32Array, rows: number, C: number, opts: Opts, what: string) {
  const ref = refSparseSoftmaxCrossEntropy(x, t, rows, C, opts);
  const dy = randn(rows, 8);
  const logits = tf.tensor2d(x, [rows, C]), labels = tf.tensor1d(t, 'int32'), dyT = tf.tensor1d(dy);
  const loss = sparseSoftmaxCrossEntropyWithLogits(labels, logits, opts);
  const dx = tf.grad((l: tf.Tensor) => sparseSoftmaxCrossEntropyWithLogits(labels, l, opts))(logits, dyT);
  expectClose(await loss.data(), ref.loss, RTOL, `${what}: loss`);
  expectClose(await dx.data(), ref.dlogits(dy), RTOL, `${what}: d/dlogits`);
  tf.dispose([logits, labels, dyT, loss, dx]);
}

for (const simd of [false, true]) {
describe(simd ? 'WebAssembly SIMD path' : 'JavaScript path', () => {
  beforeAll(() => tf.env().set(CPU_SIMD_FLAG, simd));
  afterAll(() => tf.env().set(CPU_SIMD_FLAG, simdAvailable()));

  const PLAIN: Array<[string, Opts]> = [['plain', {}], ['plain + zLoss', {zLoss: 1e-2}], ['general (T = 1.5)', {temperature: 1.5}]];

  for (const C of simd ? [1, 2, 3, 4, 5, 7, 15, 16, 17, 19, 31, 33, 257, 1003] : [1, 2, 3, 4, 5, 6, 7, 8, 9, 257, 1003]) {
    for (const [name, opts] of PLAIN) {
      if (C === 1 && opts.temperature != null) {
        continue;  // the exact gradient is 0 there and p = exp(x/T − lse) carries the float32 lse's rounding (~1e-9): no relative scale
      }
      const rows = 5;
      test(`C = ${C}, ${name}: dense one-hot, dense soft, sparse`, async () => {
        const x = randn(rows * C, C, 3);
        const t = randLabels(rows, C, C + 11);
        await denseCase(x, oneHotRows(t, C), rows, C, opts, `one-hot C=${C} ${name}`);
        await denseCase(x, randProbs(rows, C, C + 12), rows, C, opts, `soft C=${C} ${name}`);
        await sparseCase(x, t, rows, C, opts, `sparse C=${C} ${name}`);
      });
    }
  }

  test('-Infinity and NaN logits through the plain loops (masked classes, poisoned rows)', async () => {
    const rows = 4, C = 7;
    const x = randn(rows * C, 40, 2);
    x[0] = -Infinity; x[3] = -Infinity;           // row 0: masked non-target classes
    x[C + 2] = NaN;                               // row 1: NaN
    for (let c = 0; c < C; c++) x[2 * C + c] = c === 5 ? 1 : -Infinity;  // row 2: one finite class, the target
    const t = Int32Array.from([1, 4, 5, 6]);
    await denseCase(x, oneHotRows(t, C), rows, C, {}, 'masked dense');
    await sparseCase(x, t, rows, C, {}, 'masked sparse');
  });

  test('int32 tensors cast to float32 (an Int32Array behind the tensor) give the Float32Array results exactly', async () => {
    const rows = 6, C = 11;
    const xi = Int32Array.from(randn(rows * C, 50, 4), v => Math.round(v));
    const t = randLabels(rows, C, 51);
    const yi = Int32Array.from(oneHotRows(t, C));
    const logitsI = tf.cast(tf.tensor2d(xi, [rows, C], 'int32'), 'float32');
    const labelsI = tf.cast(tf.tensor2d(yi, [rows, C], 'int32'), 'float32');
    expect(backingArray(logitsI)).toBeInstanceOf(Int32Array);  // the case under test really happens
    expect(backingArray(labelsI)).toBeInstanceOf(Int32Array);
    const logitsF = tf.tensor2d(Float32Array.from(xi), [rows, C]);
    const labelsF = tf.tensor2d(Float32Array.from(yi), [rows, C]);
    for (const opts of [{} as Opts, {temperature: 2, labelSmoothing: 0.1, classWeights: Array.from({length: C}, (_, c) => 1 + c / 10)}]) {
      const run = (l: tf.Tensor, y: tf.Tensor) => {
        const [dx, dy] = tf.grads((a: tf.Tensor, b: tf.Tensor) => softmaxCrossEntropyWithLogits(b, a, opts))([l, y]);
        const dxs = tf.grad((a: tf.Tensor) => sparseSoftmaxCrossEntropyWithLogits(t, a, opts))(l);
        const out = [softmaxCrossEntropyWithLogits(y, l, opts), dx, dy, sparseSoftmaxCrossEntropyWithLogits(t, l, opts), dxs];
        return out.map(o => Array.from(o.dataSync()));
      };
      expect(run(logitsI, labelsI)).toEqual(run(logitsF, labelsF));
      const ref = refSoftmaxCrossEntropy(xi, yi, rows, C, opts);
      expectClose(softmaxCrossEntropyWithLogits(labelsI, logitsI, opts).dataSync(), ref.loss, RTOL, 'int-backed loss vs reference');
    }
    tf.dispose([logitsI, labelsI, logitsF, labelsF]);
  });

  if (!simd) test('the dense backward uses the forward\'s kept nonzero labels only for the labels that forward read', async () => {
    const rows = 9, C = 13;
    const x = randn(rows * C, 60, 2);
    const yA = oneHotRows(randLabels(rows, C, 61), C);
    const yB = randProbs(rows, C, 62);
    yB.fill(0, 0, C);                         // a few sparse rows in B too
    yB[3] = 0.25;
    yB[7] = 0.75;
    const attrs = {temperature: 1, labelSmoothing: 0, zLoss: 1e-2, classWeights: null, ignoreIndex: null};
    const logits = tf.tensor2d(x, [rows, C]), labelsA = tf.tensor2d(yA, [rows, C]), labelsB = tf.tensor2d(yB, [rows, C]);
    const dy = randn(rows, 63);
    const dyT = tf.tensor1d(dy);
    const [lossA, lseA] = tf.engine().runKernel(SoftmaxCrossEntropy, {logits, labels: labelsA}, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    expect(keptLabelRows(lseA.dataId, labelsA.dataId, rows, C)).not.toBeNull();   // one-hot rows fit
    expect(keptLabelRows(lseA.dataId, labelsB.dataId, rows, C)).toBeNull();        // other labels: not used
    const grad = (labels: tf.Tensor) => tf.engine().runKernel(SoftmaxCrossEntropyGrad,
        {logits, labels, lse: lseA, dy: dyT}, {...attrs, wrt: 'logits'} as unknown as tf.NamedAttrMap) as tf.Tensor;
    const refA = refSoftmaxCrossEntropy(x, yA, rows, C, attrs);
    const refB = refSoftmaxCrossEntropy(x, yB, rows, C, attrs);
    // The reference's own lse equals the kernel's up to float32 rounding; p uses the kernel's lse, hence 1e-6.
    expectClose(await grad(labelsA).data(), refA.dlogits(dy), RTOL, 'kept rows: d/dlogits');
    expectClose(await grad(labelsB).data(), refB.dlogits(dy), RTOL, 'other labels with the same lse: d/dlogits');
    // Soft rows over the capacity (2·rows + 8 nonzeros): nothing kept, the labels are read.
    const [, lseB] = tf.engine().runKernel(SoftmaxCrossEntropy, {logits, labels: labelsB}, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    expect(keptLabelRows(lseB.dataId, labelsB.dataId, rows, C)).toBeNull();
    tf.dispose([logits, labelsA, labelsB, dyT, lossA, lseA, lseB]);
  });
});
}

/**
 * Keras-style loss classes on the cpu backend, fused kernels and composite
 * path: values against an independent float64 computation (keras_reference.ts)
 * for every reduction and option, sparse ≡ categorical on one-hot labels, the
 * callable form tfjs-layers uses, config round trips through
 * tf.serialization, argument validation messages, and no leaked tensors.
 */
import * as tf from '@tensorflow/tfjs';
import {SoftmaxCrossEntropy, SparseSoftmaxCrossEntropy, SigmoidCrossEntropy} from '../../kernels/kernel_names';
import '../../src/index';
import {BinaryCrossentropy, CategoricalCrossentropy, Loss, SparseCategoricalCrossentropy} from '../../src/losses';
import {useFusedKernel} from '../../src/ops/fused';
import {refSoftmaxCrossEntropy, RefSoftmaxOptions} from '../reference/reference';
import {expectClose, expectNoLeak, oneHotRows, randLabels, randn, randProbs} from '../spec/assert';
import {refBinary, refCategoricalFromProbs, refCategoricalProbsAsLogits, refReduce, RefReduction} from './keras_reference';

const REDUCTIONS: RefReduction[] = ['sum_over_batch_size', 'mean', 'sum', 'none'];
/** float32 computation vs float64 reference (a handful of ulps of the largest value). */
const RTOL = 3e-6;

const rows = 9, C = 4;
const x = randn(rows * C, 61, 2);
const probs = randProbs(rows, C, 62);
const ids = randLabels(rows, C, 63);
const onehot = oneHotRows(ids, C);
const sw = [1, 0.5, 0, 2, 1, 3, 0.25, 1, 1];

async function close(t: tf.Tensor, expected: number[], what: string, rtol = RTOL): Promise<void> {
  expectClose(await t.data(), expected, rtol, what);
  t.dispose();
}

describe.each([['fused kernels', false], ['composite path', true]])('Keras loss classes, cpu, %s', (_p, composite) => {
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

  test('probabilities (fromLogits: false) run the same kernels as logits', async () => {
    const p = tf.tensor2d(probs, [rows, C]), y = tf.tensor2d(onehot, [rows, C]), t = tf.tensor1d(ids, 'int32');
    const cases: Array<[Loss, tf.Tensor, string]> = [
      [new CategoricalCrossentropy(), y, SoftmaxCrossEntropy],
      [new SparseCategoricalCrossentropy(), t, SparseSoftmaxCrossEntropy],
      [new BinaryCrossentropy(), y, SigmoidCrossEntropy],
    ];
    for (const [loss, yTrue, kernel] of cases) {
      const info = await tf.profile(() => loss.call(yTrue, p));
      expect(info.kernelNames.includes(kernel)).toBe(!composite);
    }
    tf.dispose([p, y, t]);
  });

  describe('CategoricalCrossentropy', () => {
    for (const eps of [0, 0.1]) {
      test.each(REDUCTIONS)(`fromLogits: true, labelSmoothing ${eps}, %s`, async reduction => {
        const loss = new CategoricalCrossentropy({fromLogits: true, labelSmoothing: eps, reduction});
        const L = refSoftmaxCrossEntropy(x, onehot, rows, C, {labelSmoothing: eps}).loss;
        await close(loss.call(tf.tensor2d(onehot, [rows, C]), tf.tensor2d(x, [rows, C])), refReduce(L, reduction), 'call');
      });
      test.each(REDUCTIONS)(`fromLogits: false (default), labelSmoothing ${eps}, %s`, async reduction => {
        const loss = new CategoricalCrossentropy({labelSmoothing: eps, reduction});
        // Keras's closed form −Σ ŷ log(clip(p/Σp)): no clipping happens with these probabilities.
        const L = refCategoricalFromProbs(probs, onehot, rows, C, eps);
        await close(loss.call(tf.tensor2d(onehot, [rows, C]), tf.tensor2d(probs, [rows, C])), refReduce(L, reduction), 'call');
      });
    }

    const extras: Array<[string, RefSoftmaxOptions]> = [
      ['temperature 2', {temperature: 2}],
      ['classWeights', {classWeights: [0.5, 2, 1, 3]}],
      ['zLoss 1e-2', {zLoss: 1e-2}],
      ['all of them + smoothing', {temperature: 0.7, classWeights: [0.5, 2, 1, 3], zLoss: 1e-3, labelSmoothing: 0.2}],
    ];
    test.each(extras)('fromLogits: true, %s', async (_n, o) => {
      const loss = new CategoricalCrossentropy({fromLogits: true, ...o});
      const L = refSoftmaxCrossEntropy(x, probs, rows, C, o).loss;
      await close(loss.call(tf.tensor2d(probs, [rows, C]), tf.tensor2d(x, [rows, C])), refReduce(L, 'mean'), 'soft labels');
    });
    test.each(extras)('fromLogits: false, %s (log of the clipped probabilities as logits)', async (_n, o) => {
      const loss = new CategoricalCrossentropy({...o, reduction: 'none'});
      await close(loss.call(tf.tensor2d(onehot, [rows, C]), tf.tensor2d(probs, [rows, C])),
                  refCategoricalProbsAsLogits(probs, onehot, rows, C, o), 'per example');
    });

    test('fromLogits: false clips probabilities, not logits: p = 0 gives −log(1e-7), not Infinity', async () => {
      const p = tf.tensor2d([[0, 1, 0, 0], [0.25, 0.25, 0.25, 0.25]]);
      const y = tf.tensor2d([[1, 0, 0, 0], [0, 0, 1, 0]]);
      const L = refCategoricalFromProbs(await p.data(), await y.data(), 2, 4);
      expect(L[0]).toBeCloseTo(-Math.log(1e-7), 6);
      await close(new CategoricalCrossentropy({reduction: 'none'}).call(y, p), L, 'clipped', 1e-6);
      // Logits are not clipped like probabilities (tfjs-layers' sparse loss clips them to
      // [1e-7, 1 − 1e-7], which would make [0, −40] uniform: loss log 2).
      const tiny = new CategoricalCrossentropy({fromLogits: true, reduction: 'none'}).call(
          tf.tensor2d([[1, 0]]), tf.tensor2d([[0, -40]]));
      expect((await tiny.data())[0]).toBeLessThan(1e-6);
      tf.dispose([p, y, tiny]);
    });

    test('axis: 1 on [B, C, T] (channels first), logits and probabilities', async () => {
      const B = 2, T = 3;
      const xs = randn(B * C * T, 71, 2);
      const lab = oneHotRows(randLabels(B * T, C, 72), C);   // rows in [B, T, C] order
      // Reference rows are (b, t); move the class axis of xs ([B, C, T]) last.
      const rowsX: number[] = [], probsRows: number[] = [];
      const xsBCT = tf.tensor3d(xs, [B, C, T]);
      const xsLast = Array.from(await tf.transpose(xsBCT, [0, 2, 1]).data());
      rowsX.push(...xsLast);
      const pLast = Array.from(await tf.softmax(tf.tensor3d(xsLast, [B, T, C])).data());
      probsRows.push(...pLast);
      const yBCT = tf.transpose(tf.tensor3d(lab, [B, T, C]), [0, 2, 1]);
      const pBCT = tf.transpose(tf.tensor3d(pLast, [B, T, C]), [0, 2, 1]);
      await close(new CategoricalCrossentropy({fromLogits: true, axis: 1, reduction: 'none'}).call(yBCT, xsBCT),
                  refSoftmaxCrossEntropy(rowsX, lab, B * T, C).loss, 'logits, axis 1');
      await close(new CategoricalCrossentropy({axis: 1, reduction: 'none'}).call(yBCT, pBCT),
                  refCategoricalFromProbs(probsRows, lab, B * T, C), 'probabilities, axis 1');
      tf.dispose([xsBCT, yBCT, pBCT]);
    });

    test.each(['sum_over_batch_size', 'sum', 'none'] as RefReduction[])('sampleWeight in call, %s', async reduction => {
      const loss = new CategoricalCrossentropy({fromLogits: true, reduction});
      const L = refSoftmaxCrossEntropy(x, onehot, rows, C).loss;
      await close(loss.call(tf.tensor2d(onehot, [rows, C]), tf.tensor2d(x, [rows, C]), tf.tensor1d(sw)),
                  refReduce(L, reduction, sw), 'weighted');
    });
  });

  describe('SparseCategoricalCrossentropy', () => {
    const labelForms: Array<[string, () => tf.Tensor]> = [
      ['int32 [N]', () => tf.tensor1d(ids, 'int32')],
      ['float32 [N, 1] (as tfjs-layers passes targets)', () => tf.tensor2d(ids, [rows, 1], 'float32')],
      ['int32 [N, 1]', () => tf.tensor2d(ids, [rows, 1], 'int32')],
    ];
    for (const [form, labels] of labelForms) {
      test.each(REDUCTIONS)(`${form}, fromLogits: true, %s`, async reduction => {
        const loss = new SparseCategoricalCrossentropy({fromLogits: true, reduction});
        const L = refSoftmaxCrossEntropy(x, onehot, rows, C).loss;
        await close(loss.call(labels(), tf.tensor2d(x, [rows, C])), refReduce(L, reduction), 'call');
      });
    }
    test.each(REDUCTIONS)('fromLogits: false (default), %s', async reduction => {
      const loss = new SparseCategoricalCrossentropy({reduction});
      const L = refCategoricalFromProbs(probs, onehot, rows, C);
      await close(loss.call(tf.tensor1d(ids, 'int32'), tf.tensor2d(probs, [rows, C])), refReduce(L, reduction), 'call');
    });

    test.each([[{}], [{labelSmoothing: 0.1, temperature: 1.5, classWeights: [1, 2, 0.5, 1], zLoss: 1e-3}]])(
        'equals CategoricalCrossentropy on one-hot labels, options %j', async o => {
          for (const fromLogits of [true, false]) {
            const pred = tf.tensor2d(fromLogits ? x : probs, [rows, C]);
            for (const reduction of REDUCTIONS) {
              const a = new SparseCategoricalCrossentropy({fromLogits, reduction, ...o}).call(tf.tensor1d(ids, 'int32'), pred);
              const b = new CategoricalCrossentropy({fromLogits, reduction, ...o}).call(tf.tensor2d(onehot, [rows, C]), pred);
              expectClose(await a.data(), Array.from(await b.data()), 2e-6, `${reduction}, fromLogits ${fromLogits}`);
              tf.dispose([a, b]);
            }
            pred.dispose();
          }
        });

    test.each(REDUCTIONS)('ignoreClass: ignored examples give 0 and count in no mean, %s', async reduction => {
      const t = Array.from(ids);
      t[1] = -1; t[4] = -1; t[5] = -1;
      const valid = t.map(v => v !== -1);
      const loss = new SparseCategoricalCrossentropy({fromLogits: true, ignoreClass: -1, reduction});
      const L = refSoftmaxCrossEntropy(x, onehot, rows, C).loss.map((v, i) => (valid[i] ? v : 0));
      await close(loss.call(tf.tensor1d(t, 'int32'), tf.tensor2d(x, [rows, C])), refReduce(L, reduction, undefined, valid), 'call');
      // With sample weights the denominator is still the count of valid examples.
      await close(loss.call(tf.tensor1d(t, 'int32'), tf.tensor2d(x, [rows, C]), tf.tensor1d(sw)),
                  refReduce(L, reduction, sw, valid), 'weighted');
    });

    test('ignoreClass: a batch with every example ignored gives 0 for a mean (Keras 3), not NaN', async () => {
      const loss = new SparseCategoricalCrossentropy({fromLogits: true, ignoreClass: 7});
      const v = loss.call(tf.fill([rows], 7, 'int32'), tf.tensor2d(x, [rows, C]));
      expect(await v.data()).toEqual(new Float32Array([0]));
      v.dispose();
    });

    test('rank 3 sequence labels [B, T] with logits [B, T, C]', async () => {
      const B = 3, T = 3;
      const loss = new SparseCategoricalCrossentropy({fromLogits: true, reduction: 'none'});
      const out = loss.call(tf.tensor2d(ids, [B, T], 'int32'), tf.tensor3d(x, [B, T, C]));
      expect(out.shape).toEqual([B, T]);
      await close(out, refSoftmaxCrossEntropy(x, onehot, rows, C).loss, 'per token');
    });
  });

  describe('BinaryCrossentropy', () => {
    const z = Array.from(probs, (v, i) => (i % 2 === 0 ? (v > 0.25 ? 1 : 0) : v));
    const sig = Array.from(x, v => 1 / (1 + Math.exp(-v)));
    const posWeights: Array<[string, number | number[] | undefined, number[] | null]> = [
      ['no posWeight', undefined, null], ['posWeight 3', 3, [3]], ['per-class posWeight', [0.5, 1, 2, 4], [0.5, 1, 2, 4]],
    ];
    for (const [pwName, pw, pwRef] of posWeights) {
      for (const eps of [0, 0.1]) {
        test.each(REDUCTIONS)(`${pwName}, labelSmoothing ${eps}, logits and probabilities, %s`, async reduction => {
          const fromLogitsLoss = new BinaryCrossentropy({fromLogits: true, labelSmoothing: eps, reduction, posWeight: pw});
          await close(fromLogitsLoss.call(tf.tensor2d(z, [rows, C]), tf.tensor2d(x, [rows, C])),
                      refReduce(refBinary(x, z, rows, C, {fromLogits: true, labelSmoothing: eps, posWeight: pwRef}), reduction),
                      'from logits');
          const fromProbs = new BinaryCrossentropy({labelSmoothing: eps, reduction, posWeight: pw});
          await close(fromProbs.call(tf.tensor2d(z, [rows, C]), tf.tensor2d(sig, [rows, C])),
                      refReduce(refBinary(sig, z, rows, C, {fromLogits: false, labelSmoothing: eps, posWeight: pwRef}), reduction),
                      'from probabilities', 1e-5);
        });
      }
    }
    test('fromLogits: false clips probabilities: p = 1 for a negative target gives −log(1 − fround(1 − 1e-7))', async () => {
      // In float32, 1 − 1e-7 rounds to 1 − 1.19e-7 (Keras computes the same in float32).
      const v = new BinaryCrossentropy({reduction: 'none'}).call(tf.tensor2d([[0]]), tf.tensor2d([[1]]));
      expect((await v.data())[0]).toBeCloseTo(-Math.log(1 - Math.fround(1 - 1e-7)), 3);
      v.dispose();
    });
    test('axis: 1 averages over axis 1 of [B, K, 2]', async () => {
      const xs = randn(12, 81, 2), zs = Array.from(randProbs(6, 2, 82));
      const out = new BinaryCrossentropy({fromLogits: true, axis: 1, reduction: 'none'})
          .call(tf.tensor3d(zs, [2, 3, 2]), tf.tensor3d(xs, [2, 3, 2]));
      expect(out.shape).toEqual([2, 2]);
      const elems = refBinary(xs, zs, 12, 1, {fromLogits: true});   // C = 1: per-element losses
      const expected = [0, 1].flatMap(b => [0, 1].map(k => [0, 1, 2].reduce((s, j) => s + elems[b * 6 + j * 2 + k], 0) / 3));
      await close(out, expected, 'axis 1');
    });
  });

  describe('the callable instance tfjs-layers calls', () => {
    const cases: Array<[string, (r: RefReduction) => Loss, () => [tf.Tensor, tf.Tensor]]> = [
      ['CategoricalCrossentropy', r => new CategoricalCrossentropy({fromLogits: true, reduction: r}),
        () => [tf.tensor2d(onehot, [rows, C]), tf.tensor2d(x, [rows, C])]],
      ['SparseCategoricalCrossentropy with ignored examples',
        r => new SparseCategoricalCrossentropy({fromLogits: true, ignoreClass: -1, reduction: r}),
        () => [tf.tensor2d(Array.from(ids, (v, i) => (i % 4 === 1 ? -1 : v)), [rows, 1]), tf.tensor2d(x, [rows, C])]],
      ['BinaryCrossentropy', r => new BinaryCrossentropy({reduction: r}),
        () => [tf.tensor2d(onehot, [rows, C]), tf.tensor2d(probs, [rows, C])]],
      ['SparseCategoricalCrossentropy on sequences [B, T]', r => new SparseCategoricalCrossentropy({fromLogits: true, reduction: r}),
        () => [tf.tensor2d(ids, [3, 3], 'int32'), tf.tensor3d(x, [3, 3, C])]],
    ];
    test.each(cases)('%s: mean(s·loss(yTrue, yPred)) = loss.call(yTrue, yPred, s) for per-example s', async (_n, make, data) => {
      const [yTrue, yPred] = data();
      const n = yPred.shape[0];
      const s = tf.tensor1d(sw.slice(0, n));
      for (const r of ['sum_over_batch_size', 'mean', 'sum'] as RefReduction[]) {
        const loss = make(r);
        expect(typeof loss).toBe('function');
        const contributions = loss(yTrue, yPred);
        expect(contributions.shape).toEqual([n]);
        expectClose(await tf.mean(contributions).data(), Array.from(await loss.call(yTrue, yPred).data()), 2e-6, `${r}, unweighted`);
        const sampleWeight = yPred.rank === 3 ? tf.reshape(s, [n, 1]) : s;
        expectClose(await tf.mean(tf.mul(contributions, s)).data(),
                    Array.from(await loss.call(yTrue, yPred, sampleWeight).data()), 2e-6, `${r}, weighted`);
      }
      const none = make('none');
      const direct = none(yTrue, yPred), unreduced = none.call(yTrue, yPred);
      expectClose(await direct.data(), Array.from(await unreduced.data()), 0, 'none');
    });
  });

  test('no leaked tensors over repeated calls, forward and backward', async () => {
    const logits = tf.tensor2d(x, [rows, C]), p = tf.tensor2d(probs, [rows, C]);
    const y = tf.tensor2d(onehot, [rows, C]), t = tf.tensor2d(ids, [rows, 1]);
    const losses: Array<[string, Loss, tf.Tensor, tf.Tensor]> = [
      ['categorical', new CategoricalCrossentropy({labelSmoothing: 0.1}), y, p],
      ['sparse', new SparseCategoricalCrossentropy({fromLogits: true, ignoreClass: 0}), t, logits],
      ['binary', new BinaryCrossentropy({fromLogits: true, posWeight: 2}), y, logits],
    ];
    for (const [name, loss, yTrue, yPred] of losses) {
      await expectNoLeak(() => loss.call(yTrue, yPred), `${name} call`);
      await expectNoLeak(() => loss(yTrue, yPred), `${name} callable`);
      await expectNoLeak(() => tf.grad((v: tf.Tensor) => loss.call(yTrue, v))(yPred), `${name} grad`);
    }
    tf.dispose([logits, p, y, t]);
  });
});

describe('config, serialization and validation', () => {
  const classes = [CategoricalCrossentropy, SparseCategoricalCrossentropy, BinaryCrossentropy] as const;

  test.each([
    [CategoricalCrossentropy, {fromLogits: true, labelSmoothing: 0.1, axis: 1, reduction: 'sum', name: 'cce',
      temperature: 2, classWeights: [1, 2], zLoss: 1e-4}],
    [SparseCategoricalCrossentropy, {fromLogits: false, ignoreClass: -100, classWeights: new Float32Array([0.5, 1.5])}],
    [BinaryCrossentropy, {fromLogits: true, labelSmoothing: 0.2, posWeight: [1, 3], reduction: 'none'}],
  ] as Array<[typeof classes[number], object]>)('%p: getConfig / fromConfig round trip through tf.serialization', (cls, args) => {
    const loss = new (cls as new (a: object) => Loss)(args);
    const config = loss.getConfig();
    const registered = tf.serialization.SerializationMap.getMap().classNameMap[cls.className];
    expect(registered[0]).toBe(cls);
    expect(loss.getClassName()).toBe(cls.className);
    const again = registered[1](registered[0], config) as Loss;
    expect(again).toBeInstanceOf(cls);
    expect(again.getConfig()).toEqual(config);
    expect(JSON.parse(JSON.stringify(config))).toEqual(config);   // plain JSON
    expect(again.name).toBe(loss.name);
    expect(String(again)).toBe(`${cls.className}(${JSON.stringify(config)})`);
  });

  test('defaults match Keras 3', () => {
    expect(new CategoricalCrossentropy().getConfig()).toEqual({
      name: 'categorical_crossentropy', reduction: 'sum_over_batch_size', fromLogits: false, labelSmoothing: 0, axis: -1,
      temperature: 1, classWeights: null, zLoss: 0});
    expect(new SparseCategoricalCrossentropy().getConfig()).toEqual({
      name: 'sparse_categorical_crossentropy', reduction: 'sum_over_batch_size', fromLogits: false, labelSmoothing: 0,
      axis: -1, temperature: 1, classWeights: null, zLoss: 0, ignoreClass: null});
    expect(new BinaryCrossentropy().getConfig()).toEqual({
      name: 'binary_crossentropy', reduction: 'sum_over_batch_size', fromLogits: false, labelSmoothing: 0, axis: -1,
      posWeight: null});
  });

  test('a class-weight tensor is read once into numbers', () => {
    const w = tf.tensor1d([1, 2, 3]);
    expect(new CategoricalCrossentropy({classWeights: w}).classWeights).toEqual([1, 2, 3]);
    w.dispose();
  });

  test.each([
    [() => new CategoricalCrossentropy({fromLogits: 1 as unknown as boolean}),
      'CategoricalCrossentropy: fromLogits must be a boolean, got 1'],
    [() => new CategoricalCrossentropy({labelSmoothing: 1}),
      'CategoricalCrossentropy: labelSmoothing must be a number in [0, 1), got 1'],
    [() => new BinaryCrossentropy({labelSmoothing: -0.1}),
      'BinaryCrossentropy: labelSmoothing must be a number in [0, 1), got -0.1'],
    [() => new CategoricalCrossentropy({axis: 0.5}), 'CategoricalCrossentropy: axis must be an integer, got 0.5'],
    [() => new SparseCategoricalCrossentropy({reduction: 'avg' as 'sum'}),
      `SparseCategoricalCrossentropy: reduction must be one of 'sum_over_batch_size', 'sum', 'mean', 'none', got 'avg'`],
    [() => new BinaryCrossentropy({name: ''}), `BinaryCrossentropy: name must be a non-empty string, got ''`],
    [() => new SparseCategoricalCrossentropy({ignoreClass: 1.5}),
      'SparseCategoricalCrossentropy: ignoreClass must be an integer or null, got 1.5'],
    [() => new CategoricalCrossentropy({temperature: 0}),
      'CategoricalCrossentropy: temperature must be a finite number > 0, got 0'],
    [() => new SparseCategoricalCrossentropy({zLoss: -1}),
      'SparseCategoricalCrossentropy: zLoss must be a finite number ≥ 0, got -1'],
    [() => new CategoricalCrossentropy({classWeights: [1, -2]}),
      'CategoricalCrossentropy: classWeights must be a non-empty array of finite numbers ≥ 0 (or a Float32Array / 1-D tensor), got [1, -2]'],
    [() => new BinaryCrossentropy({posWeight: 0}), 'BinaryCrossentropy: posWeight must be a finite number > 0, got 0'],
    [() => new BinaryCrossentropy({posWeight: [1, 0]}),
      'BinaryCrossentropy: posWeight must be a non-empty array of finite numbers > 0 (or a Float32Array / 1-D tensor), got [1, 0]'],
    [() => new SparseCategoricalCrossentropy({from_logits: true} as object),
      `SparseCategoricalCrossentropy: unknown argument 'from_logits' (did you mean 'fromLogits'?); expected one of ` +
      'fromLogits, labelSmoothing, axis, reduction, name, temperature, classWeights, zLoss, ignoreClass'],
    // A near miss gets the hint too: the ops' "did you mean" (src/ops/validate.ts checkKnownKeys), shared.
    [() => new CategoricalCrossentropy({labelSmothing: 0.1} as object),
      `CategoricalCrossentropy: unknown argument 'labelSmothing' (did you mean 'labelSmoothing'?); expected one of ` +
      'fromLogits, labelSmoothing, axis, reduction, name, temperature, classWeights, zLoss'],
    [() => new BinaryCrossentropy({ignoreClass: 1} as object),
      `BinaryCrossentropy: unknown argument 'ignoreClass'; expected one of fromLogits, labelSmoothing, axis, reduction, name, posWeight`],
  ])('validation message %#', (make, message) => {
    expect(make).toThrow(new Error(message));
  });

  test('errors from the ops name the problem (class axis mismatch of classWeights)', () => {
    const loss = new CategoricalCrossentropy({fromLogits: true, classWeights: [1, 2, 3]});
    expect(() => loss.call(tf.tensor2d(onehot, [rows, C]), tf.tensor2d(x, [rows, C]))).toThrow(/classWeights must have length 4/);
  });
});

/**
 * The op preamble (src/ops/validate.ts), on the cpu backend: every op treats
 * dtypes alike (tfjs's convention: float inputs must be float32 tensors, a
 * TensorLike becomes one; dense labels of any numeric dtype are cast; sparse
 * labels are int32 or float32), and every error names the op and the argument.
 */
import * as tf from '@tensorflow/tfjs';
import {
  linearSoftmaxCrossEntropy, sigmoidCrossEntropyWithLogits, sigmoidFocalCrossEntropyWithLogits, softmaxCrossEntropyWithLogits,
  softmaxFocalCrossEntropyWithLogits, sparseSoftmaxCrossEntropyWithLogits, sparseSoftmaxFocalCrossEntropyWithLogits,
} from '../../src/index';
import {lossAttrs} from '../../src/ops/validate';
import {expectThrows} from '../spec/assert';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

type DenseOp = (labels: tf.Tensor | tf.TensorLike, logits: tf.Tensor | tf.TensorLike) => tf.Tensor;
const DENSE: Array<[string, DenseOp]> = [
  ['softmaxCrossEntropyWithLogits', softmaxCrossEntropyWithLogits],
  ['sigmoidCrossEntropyWithLogits', sigmoidCrossEntropyWithLogits],
  ['softmaxFocalCrossEntropyWithLogits', softmaxFocalCrossEntropyWithLogits],
  ['sigmoidFocalCrossEntropyWithLogits', sigmoidFocalCrossEntropyWithLogits],
];
const SPARSE: Array<[string, DenseOp]> = [
  ['sparseSoftmaxCrossEntropyWithLogits', sparseSoftmaxCrossEntropyWithLogits],
  ['sparseSoftmaxFocalCrossEntropyWithLogits', sparseSoftmaxFocalCrossEntropyWithLogits],
];

describe('one dtype behaviour for every op', () => {
  const x = [[1, 2, 0.5], [3, -1, 0]];

  test.each([...DENSE, ...SPARSE])('%s refuses int32 logits, naming the op and the argument', async (name, f) => {
    const labels = name.startsWith('sparse') ? tf.tensor1d([1, 0], 'int32') : tf.tensor2d([[0, 1, 0], [1, 0, 0]]);
    const intLogits = tf.tensor2d(x.map(r => r.map(Math.round)), [2, 3], 'int32');
    const before = tf.memory().numTensors;
    await expectThrows(() => f(labels, intLogits), [name, 'logits must be float32', 'int32'], 'int32 logits');
    await expectThrows(() => f(labels, 'abc' as unknown as tf.Tensor), [name, "'logits'"], 'a string');
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([labels, intLogits]);
  });

  test.each([...DENSE, ...SPARSE])('%s takes logits given as numbers as float32', async (name, f) => {
    const labels = name.startsWith('sparse') ? [1, 0] : [[0, 1, 0], [1, 0, 0]];
    const fromArray = await f(labels, x).data();
    const fromTensor = await f(labels, tf.tensor2d(x)).data();
    expect(Array.from(fromArray)).toEqual(Array.from(fromTensor));
  });

  test.each(DENSE)('%s casts dense labels of any numeric dtype, refuses strings', async (name, f) => {
    const logits = tf.tensor2d(x);
    const asFloat = await f(tf.tensor2d([[0, 1, 0], [1, 0, 0]]), logits).data();
    const asInt = await f(tf.tensor2d([[0, 1, 0], [1, 0, 0]], [2, 3], 'int32'), logits).data();
    const asBool = await f(tf.tensor2d([[0, 1, 0], [1, 0, 0]], [2, 3], 'bool'), logits).data();
    expect(Array.from(asInt)).toEqual(Array.from(asFloat));
    expect(Array.from(asBool)).toEqual(Array.from(asFloat));
    await expectThrows(() => f(tf.tensor2d([['a', 'b', 'c'], ['d', 'e', 'f']]), logits), [name, 'labels must be numeric'], 'string labels');
  });

  test.each(SPARSE)('%s takes int32 or float32 class ids, refuses bool', async (name, f) => {
    const logits = tf.tensor2d(x);
    expect(Array.from(await f(tf.tensor1d([1, 0]), logits).data())).toEqual(Array.from(await f(tf.tensor1d([1, 0], 'int32'), logits).data()));
    await expectThrows(() => f(tf.tensor1d([true, false], 'bool'), logits), [name, 'labels must be int32 class ids'], 'bool labels');
  });

  test('linearSoftmaxCrossEntropy refuses int32 hidden, weight and bias by name', async () => {
    const op = 'linearSoftmaxCrossEntropy';
    const h = tf.randomNormal([4, 3]), w = tf.randomNormal([5, 3]), t = tf.tensor1d([0, 1, 2, 3], 'int32');
    await expectThrows(() => linearSoftmaxCrossEntropy(tf.cast(h, 'int32'), w, t), [op, 'hidden must be float32'], 'hidden');
    await expectThrows(() => linearSoftmaxCrossEntropy(h, tf.cast(w, 'int32'), t), [op, 'weight must be float32'], 'weight');
    await expectThrows(() => linearSoftmaxCrossEntropy(h, w, t, {bias: tf.zeros([5], 'int32')}), [op, 'bias must be float32'], 'bias');
    await expectThrows(() => linearSoftmaxCrossEntropy(h, w, tf.tensor1d([true, false, true, true], 'bool')), [op, 'labels must be int32 class ids'], 'labels');
  });
});

describe('lossAttrs: one check per option', () => {
  test('fills defaults for the keys asked, and only those', () => {
    expect(lossAttrs({}, ['temperature', 'labelSmoothing', 'zLoss', 'classWeights', 'ignoreIndex'], 3, 'op')).toEqual(
        {temperature: 1, labelSmoothing: 0, zLoss: 0, classWeights: null, ignoreIndex: null});
    expect(lossAttrs({gamma: 0}, ['gamma', 'alpha'], 3, 'op')).toEqual({gamma: 0, alpha: [0.25]});
  });

  test('names the op and the option in each error', async () => {
    await expectThrows(() => lossAttrs({gamma: -1}, ['gamma'], 3, 'myOp'), ['myOp', 'gamma'], 'gamma');
    await expectThrows(() => lossAttrs({alpha: [1, 2]}, ['alpha'], 3, 'myOp'), ['myOp', 'alpha', 'length 1 or 3'], 'alpha');
    await expectThrows(() => lossAttrs({classWeights: [1, -1, 1]}, ['classWeights'], 3, 'myOp', 'host'), ['myOp', 'classWeights', '≥ 0'], 'weights');
    await expectThrows(() => lossAttrs({ignoreIndex: 0.5}, ['ignoreIndex'], 3, 'myOp'), ['myOp', 'ignoreIndex'], 'ignoreIndex');
  });
});

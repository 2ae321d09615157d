/**
 * The one-hot scan on tfjs-wasm (kernels/wasm/SoftmaxCrossEntropy.ts,
 * DenseLabelClassIds; assembly/one_hot_labels.ts), against a plain reading of
 * its contract (oneHotIds, test/spec/assert.ts): every class count around the 16-lane blocks, the 1 at every
 * position, and each value that makes a row not one-hot, in the first, a
 * middle and the last row. The op-level cases (the op's results either way,
 * which kernels ran) are in the spec (softmax_cross_entropy.spec.ts,
 * fused_kernels_ran.spec.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '../../../src/index';
import {DenseLabelClassIds, DenseLabelClassIdsAttrs} from '../../../kernels/kernel_names';
import {oneHotIds} from '../../spec/assert';

beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true);
});

/** The kernel's answer: the class ids, or null for its int32 [0] (not every row one-hot). */
function scan(y: Float32Array, rows: number, C: number): number[] | null {
  const labels = tf.tensor2d(y, [rows, C]);
  const attrs: DenseLabelClassIdsAttrs = {classes: C};
  const ids = tf.engine().runKernel(DenseLabelClassIds, {labels}, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  expect(ids.dtype).toBe('int32');
  const out = ids.size === 0 ? null : Array.from(ids.dataSync());
  if (out != null) expect(ids.shape).toEqual([rows]);
  tf.dispose([labels, ids]);
  return out;
}

test('one-hot rows give their class ids, at every class count to 40 and every position of the 1', () => {
  for (let C = 1; C <= 40; C++) {
    const rows = C;  // row i is hot at class i: every position once
    const y = new Float32Array(rows * C);
    for (let i = 0; i < rows; i++) y[i * C + i] = 1;
    expect(scan(y, rows, C)).toEqual([...Array(rows).keys()]);
  }
});

test('−0 counts as 0', () => {
  const C = 19, rows = 3;
  const y = new Float32Array(rows * C).fill(-0);
  y[5] = 1; y[C + 18] = 1; y[2 * C] = 1;
  expect(scan(y, rows, C)).toEqual([5, 18, 0]);
});

test('each value that makes a row not one-hot, in the first, a middle and the last row, in a block and in the tail', () => {
  const spoilers: Array<[string, number]> = [
    ['0.5', 0.5], ['−1', -1], ['2', 2], ['NaN', NaN], ['+∞', Infinity], ['−∞', -Infinity],
    ['the smallest subnormal', 2 ** -149], ['1 − 2⁻²⁴', 1 - 2 ** -24], ['1 + 2⁻²³', 1 + 2 ** -23], ['a second 1', 1],
  ];
  const C = 37, rows = 5;  // two 16-lane blocks and a tail of 5
  const hot = [3, 20, 36, 0, 17];
  for (const [name, value] of spoilers) {
    for (const row of [0, 2, rows - 1]) {
      for (const col of [7, 33]) {  // a block lane and a tail lane, never the row's 1
        const y = new Float32Array(rows * C);
        hot.forEach((h, i) => { y[i * C + h] = 1; });
        y[row * C + col] = value;
        expect({name, row, col, ids: scan(y, rows, C)}).toEqual({name, row, col, ids: null});
        expect(oneHotIds(y, rows, C)).toBeNull();
      }
    }
  }
  // A row without its 1 (all zeros), and one whose 1 is replaced by each spoiler.
  for (const row of [0, 2, rows - 1]) {
    for (const value of [0, ...spoilers.filter(([n]) => n !== 'a second 1').map(([, v]) => v)]) {
      const y = new Float32Array(rows * C);
      hot.forEach((h, i) => { y[i * C + h] = 1; });
      y[row * C + hot[row]] = value;
      expect(scan(y, rows, C)).toBeNull();
    }
  }
});

test('random labels: the kernel agrees with the contract', () => {
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let trial = 0; trial < 200; trial++) {
    const rows = 1 + Math.floor(rand() * 6), C = 1 + Math.floor(rand() * 70);
    const y = new Float32Array(rows * C);
    for (let i = 0; i < rows; i++) y[i * C + Math.floor(rand() * C)] = 1;
    if (rand() < 0.5) {
      const k = Math.floor(rand() * rows * C);
      y[k] = [0, 1, 0.25, -0, 1e-30][Math.floor(rand() * 5)];
    }
    expect(scan(y, rows, C)).toEqual(oneHotIds(y, rows, C));
  }
});

test('leaves no tensor behind either way', () => {
  const before = tf.memory().numTensors;
  scan(new Float32Array([0, 1, 1, 0]), 2, 2);
  scan(new Float32Array([0, 1, 0.5, 0]), 2, 2);
  expect(tf.memory().numTensors).toBe(before);
});

/**
 * Temperature scaling: on synthetic logits whose labels are drawn from
 * softmax(z), logits k·z are miscalibrated by a known factor and the fit must
 * recover T ≈ k; the fitted T must be the float64 NLL minimiser (checked on
 * the host, independently of the op); accuracy is unchanged and NLL never rises.
 */
import * as tf from '@tensorflow/tfjs';
import {calibration, fitTemperature} from '../../src/calibration';
import {setForceComposite} from '../../src/flags';
import {randn, rng} from '../spec/assert';

const N = 6000, C = 5;
const z = randn(N * C, 41, 1.5);
const labels = (() => {
  const r = rng(42);
  return Int32Array.from({length: N}, (_, i) => {
    const row = Array.from(z.slice(i * C, (i + 1) * C));
    const m = Math.max(...row);
    const e = row.map(v => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b);
    const u = r() * s;
    let acc = 0;
    for (let c = 0; c < C; c++) if (u < (acc += e[c])) return c;
    return C - 1;
  });
})();

/** Mean NLL of softmax(x / T) in float64 on the host. */
function nll64(x: Float32Array, t: Int32Array, T: number): number {
  let total = 0;
  for (let i = 0; i < t.length; i++) {
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, x[i * C + c] / T);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(x[i * C + c] / T - m);
    total += m + Math.log(s) - x[i * C + t[i]] / T;
  }
  return total / t.length;
}

describe.each([['fused cpu kernels', false], ['composite path', true]] as const)('fitTemperature, %s', (_n, composite) => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    setForceComposite(composite);
  });
  afterAll(() => setForceComposite(false));

  test.each([3, 0.5])('logits scaled by %p: recovers T within 5%, is the float64 NLL minimiser, keeps accuracy', async k => {
    const x = Float32Array.from(z, v => v * k);
    const logits = tf.tensor2d(x, [N, C]);
    const y = tf.tensor1d(labels, 'int32');
    const fit = await fitTemperature(logits, y);
    expect(fit.converged).toBe(true);
    expect(Math.abs(fit.temperature / k - 1)).toBeLessThan(0.05);
    expect(fit.evaluations).toBeLessThanOrEqual(20);
    expect(fit.nllAfter).toBeLessThan(fit.nllBefore);
    // Independent: the float64 NLL is not lower 0.5% either side of the fitted T.
    const at = nll64(x, labels, fit.temperature);
    expect(at).toBeLessThanOrEqual(nll64(x, labels, fit.temperature * 1.005) + 1e-9);
    expect(at).toBeLessThanOrEqual(nll64(x, labels, fit.temperature / 1.005) + 1e-9);
    expect(Math.abs(at - fit.nllAfter)).toBeLessThan(1e-5);
    const before = await calibration(y, logits, {fromLogits: true});
    const scaled = tf.div(logits, fit.temperature);
    const after = await calibration(y, scaled, {fromLogits: true});
    expect(after.accuracy).toBe(before.accuracy);
    expect(after.ece).toBeLessThan(before.ece / 3);
    tf.dispose([logits, y, scaled]);
  });

  test('one-hot label rows give the same temperature as class ids', async () => {
    const n = 3000;
    const logits = tf.tensor2d(z.slice(0, n * C).map(v => v * 2), [n, C]);
    const ids = tf.tensor1d(labels.slice(0, n), 'int32');
    const a = await fitTemperature(logits, ids);
    const b = await fitTemperature(logits, tf.oneHot(ids, C).toFloat());
    expect(Math.abs(a.temperature - b.temperature)).toBeLessThan(1e-3 * a.temperature);
  });

  test('perfectly separable data: T ≤ 1/8 (the NLL keeps falling as T → 0), NLL not raised', async () => {
    // In float32 the NLL rounds to 0 by β = 8 (margins ≥ 3) and its slope then
    // flushes to 0, which ends the search: the first β with the lowest NLL wins.
    const logits = tf.tensor2d([[3, 0], [0, 3], [2, -1]]);
    const fit = await fitTemperature(logits, tf.tensor1d([0, 1, 0], 'int32'));
    expect(fit.temperature).toBeLessThanOrEqual(1 / 8);
    expect(fit.nllAfter).toBeLessThan(1e-6);
    expect(fit.nllAfter).toBeLessThanOrEqual(fit.nllBefore);
  });

  test('argument errors', async () => {
    await expect(fitTemperature(tf.zeros([4]), tf.zeros([4]))).rejects.toThrow(/logits must be \[N, C\]/);
    await expect(fitTemperature(tf.zeros([4, 2]), tf.zeros([3], 'int32'))).rejects.toThrow(/labels must be \[4\] class ids/);
    await expect(fitTemperature(tf.zeros([4, 2]), tf.zeros([4], 'int32'), {minTemperature: 2})).rejects.toThrow(/minTemperature/);
  });
});

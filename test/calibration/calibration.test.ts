/**
 * ECE / MCE, top-label and classwise: a hand-checked case, an independent
 * computation (bins by explicit edge comparisons, not by index arithmetic),
 * input-format equivalences, and argument errors.
 */
import * as tf from '@tensorflow/tfjs';
import {calibration, calibrationFromConfidences, classwiseCalibration, expectedCalibrationError, maximumCalibrationError} from '../../src/calibration';
import {randn, rng} from '../spec/assert';

/** Independent ECE/MCE: for each bin, select members by (lo, hi] comparisons (first bin also takes 0). */
function independentEceMce(conf: number[], correct: boolean[], nBins: number): {ece: number, mce: number, counts: number[]} {
  let ece = 0, mce = 0;
  const counts: number[] = [];
  const edges = Array.from({length: nBins + 1}, (_, b) => b / nBins);
  for (let b = 0; b < nBins; b++) {
    const members = conf.map((c, i) => i).filter(i => (conf[i] > edges[b] || (b === 0 && conf[i] === 0)) && conf[i] <= edges[b + 1]);
    counts.push(members.length);
    if (members.length === 0) continue;
    const meanConf = members.reduce((s, i) => s + conf[i], 0) / members.length;
    const acc = members.filter(i => correct[i]).length / members.length;
    ece += members.length / conf.length * Math.abs(acc - meanConf);
    mce = Math.max(mce, Math.abs(acc - meanConf));
  }
  return {ece, mce, counts};
}

function softmaxRows(x: Float32Array, C: number): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < x.length / C; i++) {
    const r = Array.from(x.slice(i * C, (i + 1) * C));
    const m = Math.max(...r);
    const e = r.map(v => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b);
    rows.push(e.map(v => v / s));
  }
  return rows;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('top-label calibration', () => {
  test('hand-checked case: 5 predictions, 5 bins', async () => {
    // (Inputs are float32 tensors: compared to 6 decimals.)
    // Top confidences 0.9 ✓, 0.75 ✗, 0.7 ✓, 0.65 ✓, 0.55 ✓ → bins (0.8,1]: {0.9}, (0.6,0.8]: {0.75, 0.7, 0.65}, (0.4,0.6]: {0.55}.
    // ECE = 1/5·|1 − 0.9| + 3/5·|2/3 − 0.7| + 1/5·|1 − 0.55| = 0.02 + 0.02 + 0.09 = 0.13; MCE = 0.45.
    const probs = [[0.9, 0.1], [0.75, 0.25], [0.3, 0.7], [0.35, 0.65], [0.55, 0.45]];
    const labels = [0, 1, 1, 1, 0];
    const r = await calibration(labels, probs, {nBins: 5});
    expect(r.ece).toBeCloseTo(0.13, 6);
    expect(r.mce).toBeCloseTo(0.45, 6);
    expect(r.accuracy).toBeCloseTo(0.8, 6);
    expect(r.bins.map(b => b.count)).toEqual([0, 0, 1, 3, 1]);
    expect(r.bins[3].confidence).toBeCloseTo(0.7, 6);
    expect(r.bins[3].accuracy).toBeCloseTo(2 / 3, 6);
    expect(r.bins[0].confidence).toBeNull();
    expect(await expectedCalibrationError(labels, probs, {nBins: 5})).toBeCloseTo(0.13, 6);
    expect(await maximumCalibrationError(labels, probs, {nBins: 5})).toBeCloseTo(0.45, 6);
  });

  test.each([1, 10, 15, 37])('matches an independent computation on 3000 random predictions (%p bins)', async nBins => {
    const N = 3000, C = 6;
    const x = randn(N * C, 5, 2);
    const r = rng(6);
    const labels = Int32Array.from({length: N}, () => Math.floor(r() * C));
    const rows = softmaxRows(x, C);
    const conf = rows.map(p => Math.max(...p));
    const correct = rows.map((p, i) => p.indexOf(Math.max(...p)) === labels[i]);
    const ref = independentEceMce(conf, correct, nBins);
    const got = await calibration(tf.tensor1d(labels, 'int32'), tf.tensor2d(x, [N, C]), {nBins, fromLogits: true});
    expect(Math.abs(got.ece - ref.ece)).toBeLessThan(1e-6);
    expect(Math.abs(got.mce - ref.mce)).toBeLessThan(1e-6);
    expect(got.bins.map(b => b.count)).toEqual(ref.counts);
  });

  test('logits vs probabilities, ids vs one-hot rows, binary [N] vs two-class rows agree', async () => {
    const N = 500, C = 4;
    const logits = tf.tensor2d(randn(N * C, 8, 3), [N, C]);
    const ids = tf.tensor1d(Int32Array.from({length: N}, (_, i) => (i * 7) % C), 'int32');
    const a = await calibration(ids, logits, {fromLogits: true});
    const b = await calibration(tf.oneHot(ids, C), tf.softmax(logits));
    expect(Math.abs(a.ece - b.ece)).toBeLessThan(1e-6);
    expect(a.bins.map(v => v.count)).toEqual(b.bins.map(v => v.count));

    const z = tf.tensor1d(randn(N, 9, 2));
    const y = tf.tensor1d(Int32Array.from({length: N}, (_, i) => i % 2), 'int32');
    const p = tf.sigmoid(z);
    const c = await calibration(y, z, {fromLogits: true});
    const d = await calibration(y, tf.stack([tf.sub(1, p), p], 1));
    const e = await calibration(y.reshape([N, 1]), p.reshape([N, 1]));
    expect(Math.abs(c.ece - d.ece)).toBeLessThan(1e-6);
    expect(Math.abs(e.ece - d.ece)).toBeLessThan(1e-6);
  });

  test('labels sampled from the predicted distribution are nearly calibrated; sharpened predictions are not', async () => {
    const N = 20000, C = 3;
    const x = randn(N * C, 10, 1.5);
    const rows = softmaxRows(x, C);
    const r = rng(11);
    const labels = rows.map(p => {
      const u = r();
      let acc = 0;
      for (let c = 0; c < C; c++) if (u < (acc += p[c])) return c;
      return C - 1;
    });
    const fair = await calibration(labels, rows);
    expect(fair.ece).toBeLessThan(0.015);
    const sharp = await calibration(labels, tf.tensor2d(x, [N, C]).mul(3), {fromLogits: true});
    expect(sharp.ece).toBeGreaterThan(0.1);
    expect(sharp.confidence).toBeGreaterThan(sharp.accuracy);
  });

  test('calibrationFromConfidences: empty input, boundaries, errors', () => {
    const empty = calibrationFromConfidences([], [], 15);
    expect(empty.ece).toBe(0);
    expect(empty.count).toBe(0);
    // 0.5 is the upper edge of bin 1 of 4, 0 belongs to bin 0, 1 to the last bin.
    const r = calibrationFromConfidences([0.5, 0, 1], [1, 0, 1], 4);
    expect(r.bins.map(b => b.count)).toEqual([1, 1, 0, 1]);
    expect(() => calibrationFromConfidences([1.5], [1])).toThrow(/confidence\[0\] = 1.5 is not in \[0, 1\]/);
    expect(() => calibrationFromConfidences([NaN], [1])).toThrow(/confidence\[0\] = NaN/);
    expect(() => calibrationFromConfidences([0.5], [1], 0)).toThrow(/nBins must be an integer ≥ 1/);
  });

  test('argument errors', async () => {
    await expect(calibration([0, 3], [[0.5, 0.5], [0.2, 0.8]])).rejects.toThrow(/labels\[1\] = 3 is not a class id in \[0, 2\)/);
    await expect(calibration([0], [[[0.5]]])).rejects.toThrow(/predictions must be/);
    await expect(calibration([0, 1, 1], [[0.5, 0.5], [0.2, 0.8]])).rejects.toThrow(/labels must be \[2\]/);
  });
});

describe('classwise calibration', () => {
  test('hand-checked case', async () => {
    // Class 0 confidences 0.9 ✓(label 0), 0.2 ✗, 0.6 ✓; class 1: 0.1 ✗, 0.8 ✓, 0.4 ✗; 2 bins.
    // Class 0: bin (0,.5]: {0.2 → 0}: gap 0.2; bin (.5,1]: {0.9 → 1, 0.6 → 1}: conf .75, acc 1 → gap .25.
    //   ECE0 = 1/3·0.2 + 2/3·0.25 = 0.2333…, MCE0 = 0.25.
    // Class 1: bin (0,.5]: {0.1 → 0, 0.4 → 0}: conf .25, acc 0 → .25; bin (.5,1]: {0.8 → 1}: .2.
    //   ECE1 = 2/3·0.25 + 1/3·0.2 = 0.2333…, MCE1 = 0.25.
    const r = await classwiseCalibration([0, 1, 0], [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]], {nBins: 2});
    expect(r.perClass[0].ece).toBeCloseTo(0.7 / 3, 6);
    expect(r.perClass[1].ece).toBeCloseTo(0.7 / 3, 6);
    expect(r.ece).toBeCloseTo(0.7 / 3, 6);
    expect(r.mce).toBeCloseTo(0.25, 6);
  });

  test('matches an independent computation', async () => {
    const N = 2000, C = 5;
    const x = randn(N * C, 12, 2);
    const labels = Int32Array.from({length: N}, (_, i) => (i * 3 + (i >> 2)) % C);
    const rows = softmaxRows(x, C);
    const got = await classwiseCalibration(labels, tf.tensor2d(x, [N, C]), {fromLogits: true});
    let meanEce = 0, maxMce = 0;
    for (let c = 0; c < C; c++) {
      const ref = independentEceMce(rows.map(p => p[c]), Array.from(labels, t => t === c), 15);
      expect(Math.abs(got.perClass[c].ece - ref.ece)).toBeLessThan(1e-6);
      meanEce += ref.ece / C;
      maxMce = Math.max(maxMce, ref.mce);
    }
    expect(Math.abs(got.ece - meanEce)).toBeLessThan(1e-6);
    expect(Math.abs(got.mce - maxMce)).toBeLessThan(1e-6);
  });
});

/** Shared checking steps of the op specs: run the op, its gradients, compare with the reference. */
import * as tf from '@tensorflow/tfjs-core';
import {softmaxCrossEntropyWithLogits, sparseSoftmaxCrossEntropyWithLogits} from '../../src/index';
import {refSoftmaxCrossEntropy, refSparseSoftmaxCrossEntropy, RefSoftmaxOptions} from '../reference/reference';
import {expectClose, randn, values} from './assert';

export interface GradCheck {
  /** The op as a function of the differentiated inputs. */
  f: (...xs: tf.Tensor[]) => tf.Tensor;
  /** The differentiated inputs. */
  xs: tf.Tensor[];
  /** Reference gradients (flat), one per input, for the upstream dy. */
  expected: (dy: Float32Array) => number[][];
  names: string[];
}

/**
 * Compares the op's value (`expectedValue`) and, with a random upstream dy, its
 * gradients w.r.t. each input with the reference, at relative tolerance rtol.
 * Disposes everything it makes.
 */
export async function checkValueAndGrads(g: GradCheck, expectedValue: number[], rtol: number, what: string, seed = 99,
                                         gradRtol = rtol): Promise<void> {
  const out = g.f(...g.xs);
  expectClose(await values(out), expectedValue, rtol, `${what}: loss`);
  const dy = randn(out.size, seed);
  const dyT = tf.tensor(dy, out.shape);
  out.dispose();
  const grads = tf.grads((...xs: tf.Tensor[]) => g.f(...xs))(g.xs, dyT);
  const expected = g.expected(dy);
  for (let k = 0; k < grads.length; k++) {
    expectClose(await values(grads[k]), expected[k], gradRtol, `${what}: d/d${g.names[k]}`);
  }
  tf.dispose([dyT, ...grads]);
}

/**
 * The logits gradient as the layer below sees it: logits = h·Wᵀ + b over 13
 * rows (an odd count), and dW = Gᵀ·h against float64 from the reference G. On
 * tfjs-webgl that matMul also sums the packed-texture padding lane past the
 * last row, so a NaN or ∞ the op leaves there turns a whole dW row NaN
 * (scripts/webgl-padding-nan-repro.ts). The bias (≥ 1) puts itself into the
 * logits' padding lanes, as a dense layer's does: with log(0) = −88.03 in the
 * padding (SwiftShader), exp(z − lse) there overflows only when z > 0.7.
 * Tolerance: at least 1e-5 (float32 sums of 13 products).
 */
export async function checkWeightGradOddRows(loss: (logits: tf.Tensor2D) => tf.Tensor,
    refDlogits: (x: Float32Array, dy: Float32Array) => ArrayLike<number>, rtol: number, what: string): Promise<void> {
  const rows = 13, C = 11, H = 6;
  const hv = randn(rows * H, 27), h = tf.tensor2d(hv, [rows, H]);
  const w = tf.tensor2d(randn(C * H, 28, 0.4), [C, H]);
  const dy = randn(rows, 29), dyT = tf.tensor1d(dy);
  const b = tf.tensor1d(randn(C, 33, 0.5).map(v => 2 + v));
  const logits = tf.add(tf.matMul(h, w, false, true), b) as tf.Tensor2D;
  const G = refDlogits(await values(logits), dy);
  const expected = new Array<number>(C * H).fill(0);
  for (let i = 0; i < rows; i++) {
    for (let c = 0; c < C; c++) {
      for (let k = 0; k < H; k++) expected[c * H + k] += G[i * C + c] * hv[i * H + k];
    }
  }
  const dW = tf.grad((ww: tf.Tensor) => loss(tf.add(tf.matMul(h, ww as tf.Tensor2D, false, true), b) as tf.Tensor2D))(w, dyT);
  expectClose(await values(dW), expected, Math.max(rtol, 1e-5), `${what}: dW = Gᵀ·h over ${rows} rows`);
  tf.dispose([h, w, b, dyT, logits, dW]);
}

/** Options of the softmax specs: the reference's, plus class weights and the sparse ignore index. */
export type SpecOptions = RefSoftmaxOptions & {classWeights?: number[], ignoreIndex?: number};

/** Runs softmaxCrossEntropyWithLogits on [rows, C] data and checks loss, d/dlogits and d/dlabels. */
export async function checkDense(x: Float32Array, y: Float32Array, rows: number, C: number, opts: SpecOptions,
                                 rtol: number, what: string, gradRtol = rtol): Promise<void> {
  const logits = tf.tensor2d(x, [rows, C]);
  const labels = tf.tensor2d(y, [rows, C]);
  const ref = refSoftmaxCrossEntropy(x, y, rows, C, opts);
  await checkValueAndGrads({
    f: (l, t) => softmaxCrossEntropyWithLogits(t, l, opts),
    xs: [logits, labels],
    names: ['logits', 'labels'],
    expected: dy => [ref.dlogits(dy), ref.dlabels(dy)],
  }, ref.loss, rtol, what, 99, gradRtol);
  tf.dispose([logits, labels]);
}

/** Runs sparseSoftmaxCrossEntropyWithLogits on [rows, C] logits and checks loss and d/dlogits. */
export async function checkSparse(x: Float32Array, t: Int32Array, rows: number, C: number, opts: SpecOptions,
                                  rtol: number, what: string): Promise<void> {
  const logits = tf.tensor2d(x, [rows, C]);
  const labels = tf.tensor1d(t, 'int32');
  const ref = refSparseSoftmaxCrossEntropy(x, t, rows, C, opts);
  await checkValueAndGrads({
    f: l => sparseSoftmaxCrossEntropyWithLogits(labels, l, opts),
    xs: [logits],
    names: ['logits'],
    expected: dy => [ref.dlogits(dy)],
  }, ref.loss, rtol, what);
  tf.dispose([logits, labels]);
}

/** Shared checking steps of the op specs: run the op, its gradients, compare with the reference. */
import * as tf from '@tensorflow/tfjs-core';
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

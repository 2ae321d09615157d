/**
 * Page side of scripts/browser-bench-webgl.ts (bundled by it): times the WebGL
 * kernels in Chromium. Wall-clock per iteration including the read-back of a
 * small result (SwiftShader has no GPU timer queries); median of `reps`.
 */
import * as tf from '@tensorflow/tfjs';

import * as names from '../kernels/kernel_names';
import {PACKED_INPUTS_FLAG, SINGLE_PASS_MAX_FLAG} from '../kernels/webgl/flags_webgl';
import {setForceComposite, softmaxCrossEntropyWithLogits, sparseSoftmaxCrossEntropyWithLogits} from '../src/index';

export interface BenchRow {
  what: string;
  rows: number;
  C: number;
  variant: string;
  medianMs: number;
}

declare global {
  interface Window {
    __benchWebGL(reps: number): Promise<BenchRow[]>;
  }
}

async function median(reps: number, once: () => Promise<void>): Promise<number> {
  await once();
  await once();  // warm-up: shader compiles, texture pools
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await once();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function data(rows: number, C: number) {
  const x = new Float32Array(rows * C);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 12.9898) * 4;
  const t = Int32Array.from({length: rows}, (_, i) => (i * 7919) % C);
  return {logits: tf.tensor2d(x, [rows, C]), ids: tf.tensor1d(t, 'int32'), dy: tf.ones([rows])};
}

const ATTRS = {temperature: 1, labelSmoothing: 0, zLoss: 0, classWeights: null, ignoreIndex: null};

/** The fused sparse forward kernel alone (the row reduction), with the single-pass limit at `limit`. */
async function forwardAt(rows: number, C: number, limit: number, reps: number): Promise<number> {
  const saved = tf.env().getNumber(SINGLE_PASS_MAX_FLAG);
  tf.env().set(SINGLE_PASS_MAX_FLAG, limit);
  const {logits, ids, dy} = data(rows, C);
  try {
    return await median(reps, async () => {
      const [loss, lse] = tf.engine().runKernel(names.SparseSoftmaxCrossEntropy, {logits, labels: ids},
                                                ATTRS as unknown as tf.NamedAttrMap) as tf.Tensor[];
      await loss.data();
      tf.dispose([loss, lse]);
    });
  } finally {
    tf.env().set(SINGLE_PASS_MAX_FLAG, saved);
    tf.dispose([logits, ids, dy]);
  }
}

/**
 * Logits from a matMul (a packed texture) into the fused sparse forward and
 * backward: the packed-input variants, or (flag off) tfjs's unpack pass
 * followed by the unpacked programs. The matMul is in both.
 */
async function packedAt(rows: number, C: number, packedVariant: boolean, reps: number): Promise<number> {
  const k = 64;
  const a = tf.randomNormal([rows, k]);
  const b = tf.randomNormal([k, C]);
  const {ids, dy} = data(rows, C);
  const ones = tf.ones([C, 1]);
  tf.env().set(PACKED_INPUTS_FLAG, packedVariant);
  try {
    return await median(reps, async () => {
      const e = tf.engine();
      const logits = tf.matMul(a, b);
      const [loss, lse] = e.runKernel(names.SparseSoftmaxCrossEntropy, {logits, labels: ids},
                                      ATTRS as unknown as tf.NamedAttrMap) as tf.Tensor[];
      const dx = e.runKernel(names.SparseSoftmaxCrossEntropyGrad, {logits, labels: ids, lse, dy},
                             {...ATTRS, wrt: 'logits'} as unknown as tf.NamedAttrMap) as tf.Tensor;
      // The gradient's consumer in training is a matMul (dW = hᵀ·dx), which
      // takes packed input: read through one, so neither variant pays a
      // layout conversion the other does not.
      const total = tf.matMul(dx, ones);
      await loss.data();
      await total.data();
      tf.dispose([logits, loss, lse, dx, total]);
    });
  } finally {
    tf.env().set(PACKED_INPUTS_FLAG, true);
    tf.dispose([a, b, ids, dy, ones]);
  }
}

/** The public op, value and gradient w.r.t. logits, fused or composite. */
async function opAt(sparse: boolean, rows: number, C: number, composite: boolean, reps: number): Promise<number> {
  const {logits, ids} = data(rows, C);
  const onehot = tf.oneHot(ids, C).toFloat();
  setForceComposite(composite);
  try {
    const f = (l: tf.Tensor) => sparse ? sparseSoftmaxCrossEntropyWithLogits(ids, l) : softmaxCrossEntropyWithLogits(onehot, l);
    const vg = tf.valueAndGrad(f);
    return await median(reps, async () => {
      // Read the loss and Σ grad: reading the whole [rows, C] gradient back
      // would time the read-back, not the kernels.
      const {value, grad} = vg(logits);
      const total = tf.sum(grad);
      await value.data();
      await total.data();
      tf.dispose([value, grad, total]);
    });
  } finally {
    setForceComposite(false);
    tf.dispose([logits, ids, onehot]);
  }
}

window.__benchWebGL = async (reps: number) => {
  await tf.setBackend('webgl');
  const out: BenchRow[] = [];
  // 1. The single-pass limit: one fragment per row vs ⌈√C⌉-class windows + a merge.
  for (const rows of [8, 64, 1024]) {
    for (const C of [32, 128, 256, 1024, 4096, 16384]) {
      if (rows * C > 1 << 22) continue;
      for (const [variant, limit] of [['single pass', 1 << 30], ['staged', 1]] as const) {
        out.push({what: 'sparse forward kernel', rows, C, variant, medianMs: await forwardAt(rows, C, limit, reps)});
      }
    }
  }
  // 2. Packed logits: packed-input variants vs unpack pass + unpacked programs.
  for (const [rows, C] of [[256, 1000], [1024, 1000], [64, 16384]]) {
    for (const packed of [true, false]) {
      out.push({what: 'matMul → sparse fwd+bwd kernels', rows, C, variant: packed ? 'packed variant' : 'unpack pass + unpacked',
                medianMs: await packedAt(rows, C, packed, reps)});
    }
  }
  // 3. Fused vs composite, the public ops (value + d/dlogits).
  for (const [rows, C] of [[1024, 10], [256, 1000], [16, 32000]]) {
    for (const sparse of [true, false]) {
      for (const composite of [false, true]) {
        out.push({
          what: `${sparse ? 'sparse' : 'dense'} op value+grad`, rows, C, variant: composite ? 'composite' : 'fused',
          medianMs: await opAt(sparse, rows, C, composite, reps),
        });
      }
    }
  }
  return out;
};

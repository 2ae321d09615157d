/**
 * Page side of scripts/browser-bench-focal.ts (bundled by it): the public
 * softmax focal ops, value + gradient w.r.t. the logits (Keras defaults γ = 2,
 * α = 0.25), fused WebGL kernels vs the composite path, providers interleaved
 * call by call (the order alternates each repetition), so load on a shared
 * machine hits both alike. Each call reads back the loss and Σ grad (reading
 * the whole [rows, C] gradient would time the read-back, not the kernels).
 */
import * as tf from '@tensorflow/tfjs';

import {setForceComposite, softmaxFocalCrossEntropyWithLogits, sparseSoftmaxFocalCrossEntropyWithLogits} from '../src/index';

export interface FocalBenchRow {
  op: 'dense' | 'sparse';
  rows: number;
  C: number;
  fusedMs: number;
  compositeMs: number;
  /** Median over repetitions of composite / fused of the same repetition. */
  ratio: number;
  reps: number;
}

declare global {
  interface Window {
    __benchFocal(reps: number, shapes: Array<[number, number]>): Promise<FocalBenchRow[]>;
  }
}

const median = (v: number[]) => v.slice().sort((a, b) => a - b)[Math.floor(v.length / 2)];

async function opRow(op: 'dense' | 'sparse', rows: number, C: number, reps: number): Promise<FocalBenchRow> {
  const x = new Float32Array(rows * C);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 12.9898) * 4;
  const logits = tf.tensor2d(x, [rows, C]);
  const ids = tf.tensor1d(Int32Array.from({length: rows}, (_, i) => (i * 7919) % C), 'int32');
  const onehot = tf.oneHot(ids, C).toFloat();
  const opts = {gamma: 2, alpha: 0.25};
  const vg = tf.valueAndGrad((l: tf.Tensor) => tf.mean(op === 'sparse' ? sparseSoftmaxFocalCrossEntropyWithLogits(ids, l, opts) :
                                                                       softmaxFocalCrossEntropyWithLogits(onehot, l, opts)));
  const once = async (composite: boolean) => {
    setForceComposite(composite);
    const t0 = performance.now();
    try {
      const {value, grad} = vg(logits);
      const total = tf.sum(grad);
      await value.data();
      await total.data();
      tf.dispose([value, grad, total]);
    } finally {
      setForceComposite(false);
    }
    return performance.now() - t0;
  };
  try {
    for (let i = 0; i < 2; i++) {  // warm-up: shader compiles, texture pools
      await once(false);
      await once(true);
    }
    const fused: number[] = [], composite: number[] = [], ratios: number[] = [];
    for (let i = 0; i < reps; i++) {
      let f: number, c: number;
      if (i % 2 === 0) {
        f = await once(false);
        c = await once(true);
      } else {
        c = await once(true);
        f = await once(false);
      }
      fused.push(f);
      composite.push(c);
      ratios.push(c / f);
    }
    return {op, rows, C, fusedMs: median(fused), compositeMs: median(composite), ratio: median(ratios), reps};
  } finally {
    tf.dispose([logits, ids, onehot]);
  }
}

window.__benchFocal = async (reps: number, shapes: Array<[number, number]>) => {
  await tf.setBackend('webgl');
  const out: FocalBenchRow[] = [];
  for (const [rows, C] of shapes) {
    for (const op of ['dense', 'sparse'] as const) out.push(await opRow(op, rows, C, reps));
  }
  return out;
};

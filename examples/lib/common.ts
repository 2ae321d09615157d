/**
 * Shared helpers of the examples: flags, seeded randomness, model building,
 * training with progress, classification metrics and plain-text tables.
 */
import * as tf from '@tensorflow/tfjs';
import {performance} from 'perf_hooks';
import {rng} from '../../tools/random';

/** `--quick`: the short run the example test uses (a few seconds per example). */
export function isQuick(): boolean {
  return process.argv.includes('--quick');
}

/** Seeded PRNG (mulberry32, tools/random.ts). */
export {rng};

/** A multilayer perceptron ending in `outputs` logits (no softmax), seeded. */
export function mlp(inputs: number, hidden: number[], outputs: number, seed: number): tf.Sequential {
  const m = tf.sequential();
  hidden.forEach((units, i) => m.add(tf.layers.dense({
    ...(i === 0 ? {inputShape: [inputs]} : {}), units, activation: 'relu',
    kernelInitializer: tf.initializers.heNormal({seed: seed + i}),
  })));
  m.add(tf.layers.dense({
    ...(hidden.length === 0 ? {inputShape: [inputs]} : {}), units: outputs,
    kernelInitializer: tf.initializers.glorotUniform({seed: seed + 100}),
  }));
  return m;
}

/**
 * A number that changes with every bit of a model's weights: Σ w_k·(1 + (k mod
 * 101)/101) over all weights in order, in float64. Runs are bitwise
 * deterministic, so it is the same on every run of the same code; a change
 * anywhere in the training arithmetic (a kernel's rounding, an op's order)
 * changes it, even where the metrics, printed to 3–4 digits, stay put.
 */
export async function weightsFingerprint(model: tf.LayersModel): Promise<number> {
  let sum = 0, k = 0;
  for (const w of model.getWeights()) {
    const v = await w.data();
    for (let i = 0; i < v.length; i++, k++) sum += v[i] * (1 + (k % 101) / 101);
  }
  return sum;
}

/**
 * model.fit with a one-line progress report every `every` epochs, then the
 * trained weights' fingerprint (17 digits). No shuffling (tfjs-layers
 * shuffles every epoch with Math.random): the splits come in a seeded random
 * order and the initialisers are seeded, so runs repeat bit for bit.
 */
export async function train(name: string, model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor,
                            epochs: number, batchSize: number, extra: Partial<tf.ModelFitArgs> = {}, every = 0): Promise<void> {
  const t0 = performance.now();
  const report = every || Math.max(1, Math.round(epochs / 4));
  await model.fit(x, y, {
    epochs, batchSize, verbose: 0, shuffle: false, ...extra,
    callbacks: {
      onEpochEnd: async (epoch, logs) => {
        if ((epoch + 1) % report === 0 || epoch + 1 === epochs) {
          console.log(`  [${name}] epoch ${String(epoch + 1).padStart(4)}/${epochs}  loss ${logs!.loss.toFixed(4)}  ` +
                      `(${((performance.now() - t0) / 1000).toFixed(1)} s)`);
        }
      },
    },
  });
  console.log(`  [${name}] weights fingerprint ${(await weightsFingerprint(model)).toPrecision(17)}`);
}

/** Logits of a model on x, as numbers. */
export async function logitsOf(model: tf.LayersModel, x: tf.Tensor): Promise<Float32Array> {
  const out = model.predict(x) as tf.Tensor;
  const v = await out.data() as Float32Array;
  out.dispose();
  return v;
}

/** Argmax per row of [n, C] scores. */
export function argmaxRows(scores: ArrayLike<number>, C: number): Int32Array {
  const n = scores.length / C;
  return Int32Array.from({length: n}, (_, i) => {
    let best = 0;
    for (let c = 1; c < C; c++) if (scores[i * C + c] > scores[i * C + best]) best = c;
    return best;
  });
}

export interface ClassMetrics {
  accuracy: number;
  recall: number[];
  precision: number[];
  f1: number[];
  macroF1: number;
}

/** Accuracy, per-class recall / precision / F1 (0 where undefined) and macro-F1. */
export function classMetrics(pred: ArrayLike<number>, truth: ArrayLike<number>, C: number): ClassMetrics {
  const tp = new Array(C).fill(0), fp = new Array(C).fill(0), fn = new Array(C).fill(0);
  let hits = 0;
  for (let i = 0; i < truth.length; i++) {
    if (pred[i] === truth[i]) { tp[truth[i]]++; hits++; } else { fp[pred[i]]++; fn[truth[i]]++; }
  }
  const recall = tp.map((t, c) => (t + fn[c] ? t / (t + fn[c]) : 0));
  const precision = tp.map((t, c) => (t + fp[c] ? t / (t + fp[c]) : 0));
  const f1 = recall.map((r, c) => (r + precision[c] ? 2 * r * precision[c] / (r + precision[c]) : 0));
  return {accuracy: hits / truth.length, recall, precision, f1, macroF1: f1.reduce((a, b) => a + b) / C};
}

/** Mean negative log-likelihood of softmax(logits) (float64). */
export function meanNll(logits: ArrayLike<number>, labels: ArrayLike<number>, C: number, T = 1): number {
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, logits[i * C + c] / T);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(logits[i * C + c] / T - m);
    total += m + Math.log(s) - logits[i * C + labels[i]] / T;
  }
  return total / labels.length;
}

/** A plain-text table: a header row and rows of cells, columns padded. */
export function table(header: string[], rows: Array<Array<string | number>>): string {
  const cells = [header, ...rows.map(r => r.map(v => (typeof v === 'number' ? v.toFixed(3) : v)))];
  const widths = header.map((_, j) => Math.max(...cells.map(r => String(r[j]).length)));
  const line = (r: Array<string | number>) => r.map((v, j) => (j === 0 ? String(v).padEnd(widths[j]) : String(v).padStart(widths[j]))).join('  ');
  return [line(cells[0]), widths.map(w => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/** Percent with one decimal. */
export function pct(v: number): string {
  return `${(100 * v).toFixed(1)}%`;
}

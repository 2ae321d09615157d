/**
 * The cpu MatMulAccumulate loops (kernels/cpu/matmul_accumulate.ts) against
 * tfjs-backend-cpu's matMul, at the chunk shapes of linearSoftmaxCrossEntropy
 * (n rows per chunk, hidden size H, vocabulary V):
 *   dW += Gᵀ·h   [V, n]·[n, H]    (weight layout 'VH': transposeA)
 *   dh  = G·W    [n, V]·[V, H]    ('VH')
 *   dh  = G·Wᵀ   [n, V]·[H, V]ᵀ   ('HV': transposeB, the "dot" loop order)
 *   z   = h·Wᵀ   [n, H]·[V, H]ᵀ   (the chunk's logits, 'VH': the "dot" order)
 *   z   = h·W    [n, H]·[H, V]    (the chunk's logits, 'HV')
 * Both sides are timed on the same inputs, taking turns per repetition; the
 * tfjs side includes allocating its output (ours writes into an existing one).
 * Also a sweep of the axpy loop's block sizes (--sweep).
 *
 *   npx tsx benchmarks/matmul_accumulate.cpu.ts --shape 128x512x32000 --reps 3 [--sweep]
 */
import * as tf from '@tensorflow/tfjs';
import {matMulAccumulateInto} from '../kernels/cpu/matmul_accumulate';
import type {MatMulAccumulateShape} from '../kernels/linear_cross_entropy_checks';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  const [n, H, V] = arg('shape', '128x512x32000').split('x').map(Number);
  const reps = Number(arg('reps', '3'));
  const g = tf.randomNormal([n, V], 0, 1e-3, 'float32', 1) as tf.Tensor2D;
  const h = tf.randomNormal([n, H], 0, 1, 'float32', 2) as tf.Tensor2D;
  const w = tf.randomNormal([V, H], 0, 0.05, 'float32', 3) as tf.Tensor2D;
  const wt = tf.transpose(w) as tf.Tensor2D;
  const [gv, hv, wv, wtv] = [g, h, w, wt].map(t => t.dataSync() as Float32Array);
  const cases: Array<{name: string, tfjs: () => tf.Tensor, shape: MatMulAccumulateShape, a: Float32Array, b: Float32Array, out: number}> = [
    {name: `dW += Gᵀ·h  [${V},${n}]·[${n},${H}]`, tfjs: () => tf.matMul(g, h, true, false),
     shape: {M: V, K: n, P: H, transposeA: true, transposeB: false, rowOffset: 0}, a: gv, b: hv, out: V * H},
    {name: `dh = G·W    [${n},${V}]·[${V},${H}]`, tfjs: () => tf.matMul(g, w),
     shape: {M: n, K: V, P: H, transposeA: false, transposeB: false, rowOffset: 0}, a: gv, b: wv, out: n * H},
    {name: `dh = G·Wᵀ   [${n},${V}]·[${H},${V}]ᵀ`, tfjs: () => tf.matMul(g, wt, false, true),
     shape: {M: n, K: V, P: H, transposeA: false, transposeB: true, rowOffset: 0}, a: gv, b: wtv, out: n * H},
    {name: `z = h·Wᵀ    [${n},${H}]·[${V},${H}]ᵀ`, tfjs: () => tf.matMul(h, w, false, true),
     shape: {M: n, K: H, P: V, transposeA: false, transposeB: true, rowOffset: 0}, a: hv, b: wv, out: n * V},
    {name: `z = h·W     [${n},${H}]·[${H},${V}]`, tfjs: () => tf.matMul(h, wt),
     shape: {M: n, K: H, P: V, transposeA: false, transposeB: false, rowOffset: 0}, a: hv, b: wtv, out: n * V},
  ];
  const gflop = 2 * n * H * V / 1e9;
  console.log(`| product (n×H×V = ${n}×${H}×${V}) | tfjs cpu matMul ms | MatMulAccumulate ms | speed-up | GFLOP/s ours | max rel. diff |`);
  console.log('|---|---|---|---|---|---|');
  for (const c of cases) {
    const tTf: number[] = [], tOurs: number[] = [];
    let diff = 0;
    for (let r = 0; r < reps; r++) {
      let t0 = performance.now();
      const ref = c.tfjs();
      const refV = ref.dataSync();
      tTf.push(performance.now() - t0);
      const acc = new Float32Array(c.out);
      t0 = performance.now();
      matMulAccumulateInto(acc, c.a, c.b, c.shape);
      tOurs.push(performance.now() - t0);
      let num = 0, den = 0;
      for (let i = 0; i < acc.length; i++) {
        num = Math.max(num, Math.abs(acc[i] - refV[i]));
        den = Math.max(den, Math.abs(refV[i]));
      }
      diff = Math.max(diff, num / den);
      ref.dispose();
    }
    const a = median(tTf), b = median(tOurs);
    console.log(`| ${c.name} | ${a.toFixed(0)} | ${b.toFixed(0)} | ${(a / b).toFixed(2)}× | ${(gflop / b * 1e3).toFixed(2)} | ${diff.toExponential(1)} |`);
  }
  if (process.argv.includes('--sweep')) {
    const c = cases[0];
    console.log('\n| rowBlock | kBlock | dW += Gᵀ·h ms (median) |\n|---|---|---|');
    for (const rowBlock of [8, 32, 128]) {
      for (const kBlock of [16, 64, 256]) {
        const ts: number[] = [];
        for (let r = 0; r < reps; r++) {
          const acc = new Float32Array(c.out);
          const t0 = performance.now();
          matMulAccumulateInto(acc, c.a, c.b, c.shape, {rowBlock, kBlock});
          ts.push(performance.now() - t0);
        }
        console.log(`| ${rowBlock} | ${kBlock} | ${median(ts).toFixed(0)} |`);
      }
    }
  }
}

main().then(() => process.exit(0), e => {
  console.error(e);
  process.exit(1);
});

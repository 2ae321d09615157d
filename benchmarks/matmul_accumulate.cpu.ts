/**
 * The cpu MatMulAccumulate loops at the chunk shapes of
 * linearSoftmaxCrossEntropy (n rows per chunk, hidden size H, vocabulary V),
 * three ways on the same inputs, taking turns within every repetition:
 *  - js:    the JavaScript loops (kernels/cpu/matmul_accumulate.ts; FUSED_CE_CPU_SIMD = false)
 *  - simd:  the WebAssembly SIMD module (kernels/cpu/matmul_accumulate_simd.ts over
 *           assembly/matmul_accumulate.ts), copies of the tiles in and out included
 *  - tfjs:  tfjs-backend-cpu's matMul (its output allocation included)
 * The products:
 *   dW += Gᵀ·h   [V, n]·[n, H]    (weight layout 'VH': transposeA)
 *   dh  = G·W    [n, V]·[V, H]    ('VH')
 *   dh  = G·Wᵀ   [n, V]·[H, V]ᵀ   ('HV': transposeB, the "dot" loop order)
 *   z   = h·Wᵀ   [n, H]·[V, H]ᵀ   (the chunk's logits, 'VH': the "dot" order)
 *   z   = h·W    [n, H]·[H, V]    (the chunk's logits, 'HV')
 * Per cell: median and min wall ms, median process CPU ms, and the largest
 * difference from the js result (max |x − js| / max |js|). With --out the rows
 * go to a JSON file (benchmarks/results/linear-ce/matmul-accumulate-cpu.json
 * from `npm run bench:regenerate`, rendered in that folder's RESULTS.md).
 * Also a sweep of the js axpy loop's block sizes (--sweep).
 *
 *   npx tsx benchmarks/matmul_accumulate.cpu.ts --shape 128x512x8000 --reps 5 --providers js,simd [--out FILE]
 *   npx tsx benchmarks/matmul_accumulate.cpu.ts --shape 128x512x32000 --reps 3 [--sweep]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {matMulAccumulateInto} from '../kernels/cpu/matmul_accumulate';
import {matMulAccumulateSimd} from '../kernels/cpu/matmul_accumulate_simd';
import type {MatMulAccumulateShape} from '../kernels/linear_cross_entropy_checks';
import {simdHeap} from '../kernels/simd/simd_module';
import type {GemmFile, GemmRow} from './linear_ce_report';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

type Provider = 'js' | 'simd' | 'tfjs';

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  const [n, H, V] = arg('shape', '128x512x32000').split('x').map(Number);
  const reps = Number(arg('reps', '3'));
  const providers = arg('providers', 'js,simd,tfjs').split(',') as Provider[];
  const out = process.argv.includes('--out') ? arg('out', '') : null;
  const loadStart = os.loadavg()[0];
  const runDate = new Date().toISOString();
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
  const run = (p: Provider, c: typeof cases[number]): Float32Array => {
    if (p === 'tfjs') {
      const t = c.tfjs();
      const v = t.dataSync() as Float32Array;
      t.dispose();
      return v;
    }
    const acc = new Float32Array(c.out);
    if (p === 'js') {
      matMulAccumulateInto(acc, c.a, c.b, c.shape);
    } else {
      matMulAccumulateSimd(acc, c.a, c.b, c.shape, simdHeap());
    }
    return acc;
  };
  const gflop = 2 * n * H * V / 1e9;
  const rows: GemmRow[] = [];
  console.log(`| product (n×H×V = ${n}×${H}×${V}) | ${providers.map(p => `${p} ms (min), cpu ms`).join(' | ')} | ` +
      `${providers.filter(p => p !== 'js').map(p => `js / ${p}`).join(' | ')} | GFLOP/s ${providers.join(' / ')} | max rel. diff from js |`);
  console.log(`|---|${providers.map(() => '---|').join('')}${providers.filter(p => p !== 'js').map(() => '---|').join('')}---|---|`);
  for (const c of cases) {
    const wall = new Map(providers.map(p => [p, [] as number[]]));
    const cpu = new Map(providers.map(p => [p, [] as number[]]));
    const diff = new Map(providers.map(p => [p, 0]));
    for (let r = 0; r < reps; r++) {
      let ref: Float32Array | null = null;
      for (const p of providers) {
        const u0 = process.cpuUsage();
        const t0 = performance.now();
        const v = run(p, c);
        wall.get(p)!.push(performance.now() - t0);
        const u = process.cpuUsage(u0);
        cpu.get(p)!.push((u.user + u.system) / 1000);
        if (p === 'js') ref = v;
        if (ref != null && p !== 'js') {
          let num = 0, den = 0;
          for (let i = 0; i < v.length; i++) {
            num = Math.max(num, Math.abs(v[i] - ref[i]));
            den = Math.max(den, Math.abs(ref[i]));
          }
          diff.set(p, Math.max(diff.get(p)!, num / den));
        }
      }
    }
    for (const p of providers) {
      rows.push({product: c.name.replace(/\s+/g, ' '), n, H, V, provider: p, reps, medianMs: median(wall.get(p)!),
        minMs: Math.min(...wall.get(p)!), cpuMedianMs: median(cpu.get(p)!), maxRelDiffFromJs: p === 'js' ? 0 : diff.get(p)!});
    }
    const mine = rows.slice(-providers.length);
    const js = mine.find(x => x.provider === 'js');
    console.log(`| ${c.name} | ${mine.map(x => `${x.medianMs.toFixed(0)} (${x.minMs.toFixed(0)}), ${x.cpuMedianMs.toFixed(0)}`).join(' | ')} | ` +
        `${mine.filter(x => x.provider !== 'js').map(x => js ? `${(js.medianMs / x.medianMs).toFixed(2)}×` : '–').join(' | ')} | ` +
        `${mine.map(x => (gflop / x.medianMs * 1e3).toFixed(2)).join(' / ')} | ` +
        `${mine.filter(x => x.provider !== 'js').map(x => x.maxRelDiffFromJs.toExponential(1)).join(' / ') || '–'} |`);
  }
  if (out) {
    const file: GemmFile = {
      bench: 'matmul_accumulate_cpu', runDate, args: process.argv.slice(2).join(' '), interleaved: true,
      loadAverage: [Math.round(loadStart * 10) / 10, Math.round(os.loadavg()[0] * 10) / 10],
      host: {cpus: os.cpus().length, cpu: os.cpus()[0]?.model.trim(), node: process.version}, rows,
    };
    fs.mkdirSync(path.dirname(out), {recursive: true});
    fs.writeFileSync(out, JSON.stringify(file, null, 1));
  }
  if (process.argv.includes('--sweep')) {
    const c = cases[0];
    console.log('\n| rowBlock | kBlock | js dW += Gᵀ·h ms (median) |\n|---|---|---|');
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

/**
 * The webgpu MatMulAccumulate kernel (through tfjs's kernel registry, so with
 * its split-K plan) against tfjs's own matMul on the products of one
 * linear-CE chunk, calls interleaved, wall clock around reading one element
 * back. Not a test: `npx tsx benchmarks/webgpu/measure_accumulate_vs_tfjs.ts
 * [nxHxV ...]` (default 256x128x4000, the SwiftShader benchmark's chunk; on a
 * real GPU pass e.g. 256x512x32000).
 */
import '../../tools/webgpu/node_webgpu_env';
import {ensureNodeWebGPU} from '../../kernels/webgpu/node_webgpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
import {loadavg} from 'os';
import {registerWebGPUKernels} from '../../kernels/webgpu/register_webgpu';
import {MatMulAccumulate} from '../../kernels/kernel_names';

async function time(f: () => tf.Tensor): Promise<number> {
  const t0 = performance.now();
  const out = f();
  const flat = tf.reshape(out, [-1]);
  const one = tf.slice(flat, [0], [1]);
  await one.data();
  tf.dispose([flat, one]);
  return performance.now() - t0;
}

async function measure(n: number, H: number, V: number): Promise<void> {
  const g = tf.randomNormal([n, V], 0, 1e-3), h = tf.randomNormal([n, H]), w = tf.randomNormal([V, H], 0, 0.05);
  let dW = tf.fill([V, H], 0), dh = tf.fill([n, H], 0), z = tf.fill([n, V], 0);
  const cases: Array<{name: string, ours: () => tf.Tensor, tfjs: () => tf.Tensor}> = [
    {name: `dW += Gᵀ·h [${V},${n}]·[${n},${H}]`,
     ours: () => { const next = tf.engine().runKernel(MatMulAccumulate, {acc: dW, a: g, b: h}, {transposeA: true, transposeB: false, rowOffset: 0}) as tf.Tensor; dW.dispose(); dW = next; return next; },
     tfjs: () => tf.matMul(g, h, true, false)},
    {name: `dh = G·W [${n},${V}]·[${V},${H}]`,
     ours: () => { const next = tf.engine().runKernel(MatMulAccumulate, {acc: dh, a: g, b: w}, {transposeA: false, transposeB: false, rowOffset: 0}) as tf.Tensor; dh.dispose(); dh = next; return next; },
     tfjs: () => tf.matMul(g, w)},
    {name: `z += h·Wᵀ [${n},${H}]·[${V},${H}]ᵀ`,
     ours: () => { const next = tf.engine().runKernel(MatMulAccumulate, {acc: z, a: h, b: w}, {transposeA: false, transposeB: true, rowOffset: 0}) as tf.Tensor; z.dispose(); z = next; return next; },
     tfjs: () => tf.matMul(h, w, false, true)},
  ];
  for (const c of cases) {
    const ours: number[] = [], theirs: number[] = [];
    const tfjsOut: tf.Tensor[] = [];
    await time(c.ours);
    await time(() => { const t = c.tfjs(); tfjsOut.push(t); return t; });
    for (let r = 0; r < 5; r++) {
      ours.push(await time(c.ours));
      theirs.push(await time(() => { const t = c.tfjs(); tfjsOut.push(t); return t; }));
    }
    tf.dispose(tfjsOut);
    const median = (x: number[]) => [...x].sort((p, q) => p - q)[x.length >> 1];
    console.log(`${c.name}\tours ${median(ours).toFixed(1)} ms\ttfjs ${median(theirs).toFixed(1)} ms\t` +
        `ratio ${(median(ours) / median(theirs)).toFixed(2)}\tload ${loadavg()[0].toFixed(1)}`);
  }
  tf.dispose([g, h, w, dW, dh, z]);
}

async function main() {
  await ensureNodeWebGPU();
  registerWebGPUKernels();
  // Shapes only (the GPU bundle's run.sh passes --results DIR first).
  const given = process.argv.slice(2).filter(a => /^\d+x\d+x\d+$/.test(a));
  const shapes = given.length ? given : ['256x128x4000'];
  for (const s of shapes) {
    const [n, H, V] = s.split('x').map(Number);
    await measure(n, H, V);
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});

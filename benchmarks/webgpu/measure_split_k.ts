/**
 * Measures the split-K path of the webgpu MatMulAccumulate against one pass
 * over the whole k range (the same WGSL with a single slice), calls
 * interleaved, wall clock around reading one element back. Not a test:
 * `npx tsx benchmarks/webgpu/measure_split_k.ts [MxKxP ...]` (default: a
 * small and a larger dh = G·W of a linear-CE chunk). On a real GPU pass the
 * chunk's true shape, e.g. 128x32000x512.
 */
import '../../tools/webgpu/node_webgpu_env';
import {ensureNodeWebGPU} from '../../kernels/webgpu/node_webgpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import {loadavg} from 'os';
import {disposeTemp, launch, makeOutput} from '../../kernels/webgpu/launch';
import {MatMulAccumulateProgram, MM_TILE, SCALE_WG, SplitKReduceProgram} from '../../kernels/webgpu/matmul_accumulate_webgpu';
import {splitKPlan} from '../../kernels/webgpu/split_k';

async function measure(be: WebGPUBackend, M: number, K: number, P: number): Promise<void> {
  const a = tf.randomNormal([M, K]), b = tf.randomNormal([K, P]);
  const acc = tf.zeros([M, P]);
  const u = (d: number) => ({type: 'uint32' as const, data: [d] as [number]});
  const tilesP = Math.ceil(P / MM_TILE), tiles = Math.ceil(M / MM_TILE) * tilesP;
  const plan = splitKPlan(M, P, K);
  const run = async (split: boolean) => {
    const {splits, kSlice} = split ? plan : {splits: 1, kSlice: K};
    const uniforms = [u(M), u(K), u(P), u(K), u(1), u(P), u(1), u(0), u(tilesP), u(tiles), u(kSlice), u(splits)];
    const t0 = performance.now();
    if (splits === 1) {
      launch(be, new MatMulAccumulateProgram(['f32', 'f32'], false), [acc], [a, b], uniforms, tiles);
    } else {
      const scratch = makeOutput(be, [splits, M, P]);
      launch(be, new MatMulAccumulateProgram(['f32', 'f32'], true), [scratch], [a, b], uniforms, tiles * splits);
      launch(be, new SplitKReduceProgram(), [acc], [scratch], [u(M), u(P), u(0), u(splits)], Math.ceil(M * P / SCALE_WG));
      disposeTemp(be, scratch);
    }
    const one = tf.slice(acc, [0, 0], [1, 1]);
    await one.data();
    one.dispose();
    return performance.now() - t0;
  };
  await run(false);
  await run(true);
  const times: {one: number[], split: number[]} = {one: [], split: []};
  for (let r = 0; r < 7; r++) {
    times.one.push(await run(false));
    times.split.push(await run(true));
  }
  const median = (x: number[]) => [...x].sort((p, q) => p - q)[x.length >> 1];
  console.log(`${M}x${K}x${P}\t${tiles} tiles\t${plan.splits} × ${plan.kSlice}\t` +
      `one pass ${median(times.one).toFixed(2)} ms\tsplit-K ${median(times.split).toFixed(2)} ms\tload ${loadavg()[0].toFixed(1)}`);
  tf.dispose([a, b, acc]);
}

async function main() {
  await ensureNodeWebGPU();
  const be = tf.backend() as WebGPUBackend;
  const shapes = process.argv.slice(2).length ? process.argv.slice(2) : ['32x8000x64', '128x2000x512'];
  console.log('M×K×P\ttiles\tsplits × slice\ttimes (median of 7, interleaved)\tload');
  for (const s of shapes) {
    const [M, K, P] = s.split('x').map(Number);
    await measure(be, M, K, P);
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});

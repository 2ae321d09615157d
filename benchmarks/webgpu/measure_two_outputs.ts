/**
 * Measures what writing loss and lse from one dispatch saves over the
 * alternative `runWebGPUProgram` allows (one `[2, rows]` output, then two
 * slices): the cost of those two slice dispatches next to the fused forward
 * itself. Not a test: `npx tsx benchmarks/webgpu/measure_two_outputs.ts`.
 * Median of 9 calls after a warm-up, wall clock around `await data()`.
 */
import '../../tools/webgpu/node_webgpu_env';
import {ensureNodeWebGPU} from '../../kernels/webgpu/node_webgpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
import {registerWebGPUKernels} from '../../kernels/webgpu/register_webgpu';
import {SparseSoftmaxCrossEntropy} from '../../kernels/kernel_names';

async function median(f: () => Promise<void>): Promise<number> {
  await f();
  const ms: number[] = [];
  for (let i = 0; i < 9; i++) {
    const t0 = performance.now();
    await f();
    ms.push(performance.now() - t0);
  }
  return ms.sort((a, b) => a - b)[4];
}

async function main() {
  await ensureNodeWebGPU();
  registerWebGPUKernels();
  const attrs = {temperature: 1, labelSmoothing: 0, zLoss: 0, classWeights: null, ignoreIndex: null};
  console.log('rows\tC\tfused forward ms\t2 slices of [2, rows] ms');
  for (const [rows, C] of [[64, 1000], [4096, 10], [65536, 10]]) {
    const logits = tf.randomNormal([rows, C]);
    const labels = tf.randomUniform([rows], 0, C, 'int32');
    // A [2, rows] tensor that lives on the GPU (slices of CPU-resident data run on the CPU).
    const [l0, s0] = tf.engine().runKernel(SparseSoftmaxCrossEntropy, {logits, labels},
        attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    const both = tf.stack([l0, s0]);
    tf.dispose([l0, s0]);
    const fused = await median(async () => {
      const [loss, lse] = tf.engine().runKernel(SparseSoftmaxCrossEntropy, {logits, labels},
          attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
      await loss.data();
      tf.dispose([loss, lse]);
    });
    const slices = await median(async () => {
      const a = tf.slice(both, [0, 0], [1, rows]);
      const b = tf.slice(both, [1, 0], [1, rows]);
      await Promise.all([a.data(), b.data()]);
      tf.dispose([a, b]);
    });
    console.log(`${rows}\t${C}\t${fused.toFixed(2)}\t${slices.toFixed(2)}`);
    tf.dispose([logits, labels, both]);
  }
}
main().then(() => process.exit(0), e => { console.error(e); process.exit(1); });

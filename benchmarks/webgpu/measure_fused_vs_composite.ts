/**
 * Fused vs composite (FUSED_CE_FORCE_COMPOSITE) forward + backward through
 * the ops on the local WebGPU adapter (the numbers in kernels/webgpu/README.md
 * come from SwiftShader). Not a test:
 * `npx tsx benchmarks/webgpu/measure_fused_vs_composite.ts`.
 * Median of 5 after a warm-up, wall clock around `await data()` of the gradient.
 */
import '../../tools/webgpu/node_webgpu_env';
import {ensureNodeWebGPU} from '../../kernels/webgpu/node_webgpu';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import {softmaxCrossEntropyWithLogits, sparseSoftmaxCrossEntropyWithLogits, setForceComposite} from '../../src/index';
import {registerWebGPUKernels} from '../../kernels/webgpu/register_webgpu';

async function median(f: () => Promise<void>, n = 5): Promise<number> {
  await f();
  const ms: number[] = [];
  for (let i = 0; i < n; i++) { const t0 = performance.now(); await f(); ms.push(performance.now() - t0); }
  return ms.sort((a, b) => a - b)[Math.floor(n / 2)];
}
async function main() {
  await ensureNodeWebGPU(); registerWebGPUKernels();
  console.log('op\trows\tC\tfused ms\tcomposite ms\tspeedup');
  for (const [rows, C] of [[256, 10], [64, 1000], [16, 32000]]) {
    const x = tf.randomNormal([rows, C]); const t = tf.randomUniform([rows], 0, C, 'int32'); const y = tf.cast(tf.oneHot(t, C), 'float32');
    for (const [name, f] of [
      ['dense fwd+bwd', () => tf.grad((l: tf.Tensor) => tf.sum(softmaxCrossEntropyWithLogits(y, l)))(x)],
      ['sparse fwd+bwd', () => tf.grad((l: tf.Tensor) => tf.sum(sparseSoftmaxCrossEntropyWithLogits(t, l)))(x)],
    ] as const) {
      const res: number[] = [];
      for (const comp of [false, true]) {
        setForceComposite(comp);
        res.push(await median(async () => { const g = f(); await g.data(); g.dispose(); }));
      }
      setForceComposite(false);
      console.log(`${name}\t${rows}\t${C}\t${res[0].toFixed(1)}\t${res[1].toFixed(1)}\t${(res[1] / res[0]).toFixed(2)}x`);
    }
    tf.dispose([x, t, y]);
  }
}
main().then(() => process.exit(0), e => { console.error(e); process.exit(1); });

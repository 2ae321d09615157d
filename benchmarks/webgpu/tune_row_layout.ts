/**
 * Measures the row-program layouts (threads per row, threads per workgroup)
 * of the softmax cross-entropy forward on the local WebGPU adapter; the
 * constants in kernels/webgpu/row_layout.ts come from its output on
 * SwiftShader. Not a test: run `npx tsx benchmarks/webgpu/tune_row_layout.ts`.
 * Each point: 2^18 logits ([2^20 / C, C]), dense labels, median of 5 timed
 * calls after one warm-up, wall clock around `await data()`.
 */
import '../../tools/webgpu/node_webgpu_env';
import {ensureNodeWebGPU} from '../../kernels/webgpu/node_webgpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import {launch, makeOutput, storageType} from '../../kernels/webgpu/launch';
import {softmaxUniforms} from '../../kernels/webgpu/softmax_host';
import {RowVariant, SoftmaxCrossEntropyProgram} from '../../kernels/webgpu/softmax_cross_entropy_webgpu';

async function time(backend: WebGPUBackend, v: RowVariant, rows: number, C: number): Promise<number> {
  const logits = tf.randomNormal([rows, C]);
  const labels = tf.randomUniform([rows, C]);
  const attrs = {temperature: 1, labelSmoothing: 0, zLoss: 0, classWeights: null, ignoreIndex: null};
  const once = async () => {
    const loss = makeOutput(backend, [rows]);
    const lse = makeOutput(backend, [rows]);
    launch(backend, new SoftmaxCrossEntropyProgram(v, false, [storageType(backend, logits), storageType(backend, labels)]),
        [loss, lse], [logits, labels], softmaxUniforms(rows, C, attrs), Math.ceil(rows / (v.wg / v.team)));
    const t = tf.engine().makeTensorFromTensorInfo(loss);
    await t.data();
    t.dispose();
    backend.disposeData(lse.dataId);
  };
  await once();
  const ms: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await once();
    ms.push(performance.now() - t0);
  }
  tf.dispose([logits, labels]);
  return ms.sort((a, b) => a - b)[2];
}

async function main() {
  await ensureNodeWebGPU();
  const backend = tf.backend() as WebGPUBackend;
  const total = 1 << 18;
  const layouts: Array<[number, number, boolean]> = [
    [1, 64, false], [16, 64, false], [64, 64, false], [64, 64, true], [256, 256, false], [256, 256, true],
  ];
  const Cs = (process.argv[2] ?? '8,32,64,256,1024,4096,32768').split(',').map(Number);
  console.log(`adapter: ${backend.adapterInfo ? JSON.stringify(backend.adapterInfo) : '?'}; ms per forward call, ${total} logits`);
  console.log(['C', ...layouts.map(([t, w, s]) => `team${t}/wg${w}${s ? '/sg' : ''}`)].join('\t'));
  for (const C of Cs) {
    const rows = Math.max(1, Math.floor(total / C));
    const row: string[] = [String(C)];
    for (const [team, wg, subgroups] of layouts) {
      const v: RowVariant = {wg, team, vec: C % 4 === 0 ? 4 : 1, subgroups, weights: false};
      // Teams much wider than the row only idle (and SwiftShader pays per workgroup): skip them.
      // Skipped: teams wider than the row (they only idle) and more than 4096
      // workgroups of barrier-heavy teams (minutes per point on SwiftShader).
      const skip = team > C || (team > 1 && rows / (wg / team) > 4096);
      row.push(skip ? '-' : (await time(backend, v, rows, C)).toFixed(1));
    }
    console.log(row.join('\t'));
  }
}
main().then(() => process.exit(0), e => { console.error(e); process.exit(1); });

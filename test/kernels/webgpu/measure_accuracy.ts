/**
 * Normwise relative error (max |a − e| / max |e|) of every fused WebGPU kernel
 * against the float64 reference, both reduction paths, C from 10 to 131072,
 * all options on (the numbers in kernels/webgpu/README.md come from
 * SwiftShader). Not a test (the tests assert rtol 1e-5):
 * `npx tsx test/kernels/webgpu/measure_accuracy.ts`.
 */
import '../../../tools/webgpu/node_webgpu_env';
import {ensureNodeWebGPU} from '../../../kernels/webgpu/node_webgpu';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import {registerWebGPUKernels} from '../../../kernels/webgpu/register_webgpu';
import {refSoftmaxCrossEntropy, refSparseSoftmaxCrossEntropy, refSigmoidCrossEntropy} from '../../reference/reference';
import {randn, randProbs, randLabels} from '../../spec/assert';

function nerr(a: ArrayLike<number>, e: ArrayLike<number>): number {
  let s = 0, m = 0;
  for (let i = 0; i < e.length; i++) { if (Number.isFinite(e[i])) { s = Math.max(s, Math.abs(e[i])); m = Math.max(m, Math.abs(a[i] - e[i])); } }
  return m / s;
}
const K = (n: string, i: tf.NamedTensorMap, a: object) => tf.engine().runKernel(n, i, a as unknown as tf.NamedAttrMap) as tf.Tensor & tf.Tensor[];
async function main() {
  await ensureNodeWebGPU(); registerWebGPUKernels();
  console.log('path\tC\tdense loss\tlse\tdlogits\tdlabels\tsparse loss\tsparse dlogits');
  for (const sg of [true, false]) {
    tf.env().set('FUSED_CE_WEBGPU_SUBGROUPS', sg);
    for (const [rows, C] of [[64, 10], [32, 1000], [4, 32000], [2, 131072]]) {
      const x = randn(rows * C, C, 3), y = randProbs(rows, C, 2), t = randLabels(rows, C, 3), dy = randn(rows, 4);
      const w = Array.from({length: C}, (_, i) => 0.5 + (i % 7) / 7);
      const a = {temperature: 1.7, labelSmoothing: 0.1, zLoss: 1e-3, classWeights: w, ignoreIndex: null};
      const d = refSoftmaxCrossEntropy(x, y, rows, C, a), s = refSparseSoftmaxCrossEntropy(x, t, rows, C, a);
      const X = tf.tensor2d(x, [rows, C]), Y = tf.tensor2d(y, [rows, C]), T = tf.tensor1d(t, 'int32'), D = tf.tensor1d(dy);
      const [l, lse] = K('FusedSoftmaxCrossEntropy', {logits: X, labels: Y}, a);
      const dx = K('FusedSoftmaxCrossEntropyGrad', {logits: X, labels: Y, lse, dy: D}, {...a, wrt: 'logits'});
      const dl = K('FusedSoftmaxCrossEntropyGrad', {logits: X, labels: Y, lse, dy: D}, {...a, wrt: 'labels'});
      const [sl, slse] = K('FusedSparseSoftmaxCrossEntropy', {logits: X, labels: T}, a);
      const sdx = K('FusedSparseSoftmaxCrossEntropyGrad', {logits: X, labels: T, lse: slse, dy: D}, {...a, wrt: 'logits'});
      const r = [nerr(await l.data(), d.loss), nerr(await lse.data(), d.lse), nerr(await dx.data(), d.dlogits(dy)), nerr(await dl.data(), d.dlabels(dy)),
                 nerr(await sl.data(), s.loss), nerr(await sdx.data(), s.dlogits(dy))];
      console.log(`${sg ? 'subgroups' : 'workgroup mem'}\t${C}\t${r.map(v => v.toExponential(1)).join('\t')}`);
    }
  }
  const x = randn(4096, 5, 4), z = randProbs(512, 8, 6), dy = randn(4096, 7);
  const ref = refSigmoidCrossEntropy(x, z, 8, {labelSmoothing: 0.1, posWeight: [2]});
  const X = tf.tensor2d(x, [512, 8]), Z = tf.tensor2d(z, [512, 8]), D = tf.tensor2d(dy, [512, 8]);
  const at = {labelSmoothing: 0.1, posWeight: [2]};
  console.log('sigmoid loss/dlogits/dlabels', nerr(await K('FusedSigmoidCrossEntropy', {logits: X, labels: Z}, at).data(), ref.loss).toExponential(1),
    nerr(await K('FusedSigmoidCrossEntropyGrad', {logits: X, labels: Z, dy: D}, {...at, wrt: 'logits'}).data(), ref.dlogits(dy)).toExponential(1),
    nerr(await K('FusedSigmoidCrossEntropyGrad', {logits: X, labels: Z, dy: D}, {...at, wrt: 'labels'}).data(), ref.dlabels(dy)).toExponential(1));
}
main().then(() => process.exit(0), e => { console.error(e); process.exit(1); });

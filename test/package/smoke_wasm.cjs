// Smoke test of the packed tarball on tfjs-wasm (a user's optional backend):
// our WebAssembly SIMD kernels load from the built package, register for
// 'wasm', run forward and backward on tfjs-wasm's heap, and agree with the cpu
// backend. Run by scripts/check-package.ts in a scratch project outside the repo.
const assert = require('node:assert/strict');
const tf = require('@tensorflow/tfjs');
require('@tensorflow/tfjs-backend-wasm');
const {softmaxCrossEntropyWithLogits, sparseSoftmaxCrossEntropyWithLogits, sigmoidCrossEntropyWithLogits} = require('tfjs-fused-cross-entropy');

const KERNELS = ['FusedSoftmaxCrossEntropy', 'FusedSoftmaxCrossEntropyGrad', 'FusedSparseSoftmaxCrossEntropy', 'FusedSparseSoftmaxCrossEntropyGrad',
                 'FusedSigmoidCrossEntropy', 'FusedSigmoidCrossEntropyGrad'];

/** Loss and gradients of dense, sparse and sigmoid CE (C = 37: SIMD lanes and a tail), and the kernels that ran. */
async function run() {
  const rows = 6, C = 37;
  const x = Array.from({length: rows * C}, (_, i) => Math.sin(i * 1.7) * 6);
  const p = Array.from({length: rows * C}, (_, i) => (i % C === (i * 7) % 5 ? 0.8 : 0.2 / (C - 1)));
  const t = Array.from({length: rows}, (_, i) => (i * 11) % C);
  const X = tf.tensor2d(x, [rows, C]), P = tf.tensor2d(p, [rows, C]), T = tf.tensor1d(t, 'int32');
  const out = [];
  const profile = await tf.profile(async () => {
    const fs = [
      () => tf.grads((l, y) => softmaxCrossEntropyWithLogits(y, l, {labelSmoothing: 0.1, temperature: 2}))([X, P]),
      () => [tf.grad(l => sparseSoftmaxCrossEntropyWithLogits(T, l, {zLoss: 1e-3}))(X)],
      () => tf.grads((l, z) => sigmoidCrossEntropyWithLogits(z, l, {reduction: 'mean'}))([X, P]),
      () => [softmaxCrossEntropyWithLogits(P, X), sparseSoftmaxCrossEntropyWithLogits(T, X), sigmoidCrossEntropyWithLogits(P, X)],
    ];
    for (const f of fs) {
      for (const g of f()) { out.push(Array.from(await g.data())); g.dispose(); }
    }
  });
  tf.dispose([X, P, T]);
  return {out, kernels: new Set(profile.kernelNames)};
}

(async () => {
  await tf.setBackend('cpu');
  const cpu = await run();
  assert.ok(await tf.setBackend('wasm'), 'tfjs-wasm did not initialise');
  for (const k of KERNELS) assert.ok(tf.getKernel(k, 'wasm') != null, `${k} is not registered for wasm`);
  const wasm = await run();
  for (const k of KERNELS) assert.ok(wasm.kernels.has(k), `${k} did not run on wasm (ran: ${[...wasm.kernels].join(', ')})`);
  let worst = 0;
  cpu.out.forEach((a, i) => {
    const scale = Math.max(...a.map(Math.abs));
    const err = Math.max(...a.map((v, j) => Math.abs(v - wasm.out[i][j])));
    worst = Math.max(worst, err / scale);
  });
  assert.ok(worst <= 1e-6, `wasm vs cpu: normwise ${worst.toExponential(2)} > 1e-6`);
  console.log(`✓ tfjs-wasm: our SIMD kernels registered and ran (${KERNELS.length}: softmax, sparse, sigmoid; forward and backward)`);
  console.log(`✓ tfjs-wasm vs cpu: loss and gradients of the three ops within ${worst.toExponential(1)} normwise`);
})().catch(e => { console.error(e); process.exit(1); });

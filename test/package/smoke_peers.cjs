// Smoke test of the packed tarball with the declared peers only
// (@tensorflow/tfjs-core, -backend-cpu, -layers; no @tensorflow/tfjs), as a
// CommonJS user has it. Run by scripts/check-package.ts in a scratch project
// outside the repo; prints one "✓" line per check, throws on the first failure.
'use strict';
const assert = require('node:assert/strict');

const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const tfl = require('@tensorflow/tfjs-layers');
const fce = require('tfjs-fused-cross-entropy');

const ok = msg => console.log(`✓ ${msg}`);

function close(actual, expected, tol, what) {
  const a = Array.isArray(actual) ? actual.flat(Infinity) : [actual];
  const e = Array.isArray(expected) ? expected.flat(Infinity) : [expected];
  assert.equal(a.length, e.length, `${what}: ${a.length} values, expected ${e.length}`);
  a.forEach((v, i) => {
    assert.ok(Number.isFinite(v) && Math.abs(v - e[i]) <= tol * Math.max(1, Math.abs(e[i])),
              `${what}: [${a.map(x => x.toFixed(6))}], expected [${e.map(x => x.toFixed(6))}] (tol ${tol})`);
  });
}

async function main() {
// --- the environment is what it claims: no @tensorflow/tfjs, no chained ops, cpu.
await tf.ready();
assert.throws(() => require.resolve('@tensorflow/tfjs'), /Cannot find module/);
assert.equal(tf.getBackend(), 'cpu');
assert.equal(typeof tf.scalar(1).mul, 'undefined', 'chained ops must be absent (they come with @tensorflow/tfjs)');
ok('declared peers only: no @tensorflow/tfjs, no chained ops, backend cpu');
for (const k of ['SoftmaxCrossEntropy', 'SparseSoftmaxCrossEntropy', 'SigmoidCrossEntropy']) {
  assert.ok(tf.getKernel(fce.kernelNames[k], 'cpu') != null, `fused cpu kernel ${k} registered`);
}
ok('fused cpu kernels registered on require');

// --- float64 references.
const X = [[1, 2, 0.5], [3, -1, 0]];
const Y = [[0, 1, 0], [1, 0, 0]];
const T = [1, 0];
const Z = [[1, 0, 1], [0, 1, 0.5]];
const lse = r => { const m = Math.max(...r); return m + Math.log(r.reduce((s, v) => s + Math.exp(v - m), 0)); };
const softmax = r => { const l = lse(r); return r.map(v => Math.exp(v - l)); };
const ce = X.map((r, i) => lse(r) - r[T[i]]);                                   // [0.4644, 0.0659]
const bce = (x, z) => Math.max(x, 0) - x * z + Math.log1p(Math.exp(-Math.abs(x)));
const sig = x => 1 / (1 + Math.exp(-x));
const gamma = 2, alpha = 0.25;
const focal = X.map((r, i) => { const p = softmax(r); return -alpha * Math.pow(1 - p[T[i]], gamma) * Math.log(p[T[i]]); });
const binaryFocal = X.map((r, i) => r.map((x, c) => {
  const z = Z[i][c], p = sig(x), pt = z * p + (1 - z) * (1 - p);
  return Math.pow(1 - pt, gamma) * bce(x, z);
}));

const logits = tf.tensor2d(X);
const labels = tf.tensor2d(Y);
const checked = new Set();
const op = (name, value, expected, tol = 2e-6) => {
  close(value, expected, tol, name);
  checked.add(name);
  ok(`${name} = [${[value].flat(Infinity).map(v => v.toFixed(4))}]`);
};

// --- every public op, values checked.
op('softmaxCrossEntropyWithLogits', fce.softmaxCrossEntropyWithLogits(labels, logits).arraySync(), ce);
op('sparseSoftmaxCrossEntropyWithLogits', fce.sparseSoftmaxCrossEntropyWithLogits(T, logits).arraySync(), ce);
op('sigmoidCrossEntropyWithLogits', fce.sigmoidCrossEntropyWithLogits(Z, logits).arraySync(), X.map((r, i) => r.map((x, c) => bce(x, Z[i][c]))));
op('softmaxFocalCrossEntropyWithLogits', fce.softmaxFocalCrossEntropyWithLogits(labels, logits, {gamma, alpha}).arraySync(), focal);
op('sparseSoftmaxFocalCrossEntropyWithLogits', fce.sparseSoftmaxFocalCrossEntropyWithLogits(T, logits, {gamma, alpha}).arraySync(), focal);
op('sigmoidFocalCrossEntropyWithLogits', fce.sigmoidFocalCrossEntropyWithLogits(Z, logits, {gamma}).arraySync(), binaryFocal);
// linear + CE: hidden [N, H] · weight [V, H]ᵀ = the logits above.
const hidden = tf.tensor2d([[1, 0], [0, 1]]);
const weightVH = tf.tensor2d([[1, 3], [2, -1], [0.5, 0]]);
op('linearSoftmaxCrossEntropy', fce.linearSoftmaxCrossEntropy(hidden, weightVH, tf.tensor1d(T, 'int32')).arraySync(), (ce[0] + ce[1]) / 2);
op('losses.softmaxCrossEntropy', fce.losses.softmaxCrossEntropy(labels, logits).arraySync(), (ce[0] + ce[1]) / 2);
op('losses.sparseSoftmaxCrossEntropy', fce.losses.sparseSoftmaxCrossEntropy(T, logits).arraySync(), (ce[0] + ce[1]) / 2);
op('losses.sigmoidCrossEntropy', fce.losses.sigmoidCrossEntropy(Z, logits).arraySync(),
   X.flatMap((r, i) => r.map((x, c) => bce(x, Z[i][c]))).reduce((a, b) => a + b) / 6);
// Every exported op is covered above (a new one fails here until it is added).
const exported = Object.keys(fce).filter(k => typeof fce[k] === 'function' && /CrossEntropy(WithLogits)?$/.test(k))
    .concat(Object.keys(fce.losses).map(k => `losses.${k}`));
assert.deepEqual(exported.filter(k => !checked.has(k)), [], 'exported ops without a smoke check');
ok(`all ${exported.length} exported ops checked`);

// --- a gradient: d/dlogits Σ CE = softmax − onehot.
const g = tf.grad(x => tf.sum(fce.sparseSoftmaxCrossEntropyWithLogits(T, x)))(logits);
close(g.arraySync(), X.map((r, i) => softmax(r).map((p, c) => p - Y[i][c])), 2e-6, 'gradient');
ok('tf.grad of sparseSoftmaxCrossEntropyWithLogits = softmax − onehot');

// --- linearSoftmaxCrossEntropy: dh, dW against the same math from plain tfjs
// ops, and a second-order gradient (tf.grad of tf.grads): d/dc Σ dW(dy = c) =
// Σ dW(dy = 1). The op saves dh, dW in the forward and scales them by dy in the
// backward, which must stay differentiable (tfjs-core's mul, not a chained op).
// (Weighted by M: the plain Σ dW is 0 for any dy, softmax gradients sum to 0.)
const N = 4, H = 3, V = 5;
const h = tf.tensor2d(Array.from({length: N * H}, (_, i) => Math.sin(i + 1)), [N, H]);
const W = tf.tensor2d(Array.from({length: V * H}, (_, i) => Math.cos(2 * i + 1) / 2), [V, H]);
const M = tf.tensor2d(Array.from({length: V * H}, (_, i) => 1 + (i % 4)), [V, H]);
const ids = tf.tensor1d([0, 3, 4, 1], 'int32');
const linear = (x, w) => fce.linearSoftmaxCrossEntropy(x, w, ids, {chunkSize: 2});
const plain = (x, w) => tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(ids, V), tf.logSoftmax(tf.matMul(x, w, false, true))), 1)));
const [dh, dW] = tf.grads(linear)([h, W]);
const [rh, rW] = tf.grads(plain)([h, W]);
close(dh.arraySync(), rh.arraySync(), 1e-5, 'linearSoftmaxCrossEntropy dh');
close(dW.arraySync(), rW.arraySync(), 1e-5, 'linearSoftmaxCrossEntropy dW');
ok('tf.grads of linearSoftmaxCrossEntropy (dh, dW) = the same from tfjs ops');
const outer = tf.grad(c => tf.sum(tf.mul(tf.grads(linear)([h, W], c)[1], M)))(tf.scalar(2.5));
const expected = tf.sum(tf.mul(dW, M)).arraySync();
assert.ok(Math.abs(expected) > 1e-2, `Σ M⊙dW should not vanish, got ${expected}`);
close(outer.arraySync(), expected, 1e-5, 'd/dc Σ M⊙dW(dy = c)');
ok(`second order: tf.grad(c => Σ M⊙tf.grads(linearSoftmaxCrossEntropy)(…, dy = c)[dW]) = Σ M⊙dW = ${expected.toFixed(4)}`);

// --- a loss class in model.fit (tfjs-layers).
const loss = new fce.CategoricalCrossentropy({fromLogits: true});
close(loss(labels, logits).arraySync(), ce, 2e-6, 'CategoricalCrossentropy (per example, for model.fit)');
const xs = tf.tensor2d(Array.from({length: 32 * 2}, (_, i) => Math.sin(7 * i)), [32, 2]);
const ys = tf.oneHot(tf.tensor1d(Array.from({length: 32}, (_, i) => (Math.sin(7 * 2 * i) > 0 ? 1 : 0) + (Math.sin(7 * (2 * i + 1)) > 0.5 ? 1 : 0)), 'int32'), 3);
const model = tfl.sequential({layers: [
  tfl.layers.dense({inputShape: [2], units: 8, activation: 'tanh', kernelInitializer: tfl.initializers.glorotUniform({seed: 1})}),
  tfl.layers.dense({units: 3, kernelInitializer: tfl.initializers.glorotUniform({seed: 2})}),
]});
model.compile({optimizer: tf.train.adam(0.05), loss});
const history = await model.fit(xs, ys, {epochs: 30, batchSize: 32, verbose: 0});
const l = history.history.loss;
assert.ok(l.every(Number.isFinite) && l[l.length - 1] < 0.7 * l[0], `model.fit loss should fall: ${l[0]} → ${l[l.length - 1]}`);
ok(`model.fit with new CategoricalCrossentropy({fromLogits: true}): loss ${l[0].toFixed(4)} → ${l[l.length - 1].toFixed(4)} in ${l.length} epochs`);
}

main().catch(e => {
  console.error(e);
  process.exitCode = 1;
});

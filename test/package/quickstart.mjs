// Smoke test of the packed tarball with @tensorflow/tfjs, as an ES-module
// user has it: the README's quick start, values checked. Run by
// scripts/check-package.ts in a scratch project outside the repo.
import assert from 'node:assert/strict';

import * as tf from '@tensorflow/tfjs';
import {losses, sparseSoftmaxCrossEntropyWithLogits} from 'tfjs-fused-cross-entropy';

const labels = tf.tensor2d([[0, 1, 0], [1, 0, 0]]);
const logits = tf.tensor2d([[1, 2, 0.5], [3, -1, 0]]);
losses.softmaxCrossEntropy(labels, logits).print();             // 0.2651, as tf.losses
sparseSoftmaxCrossEntropyWithLogits([1, 0], logits).print();    // [0.4644, 0.0659]

const ours = losses.softmaxCrossEntropy(labels, logits).arraySync();
const theirs = tf.losses.softmaxCrossEntropy(labels, logits).arraySync();
const sparse = sparseSoftmaxCrossEntropyWithLogits([1, 0], logits).arraySync();
assert.equal(ours.toFixed(4), '0.2651');
assert.ok(Math.abs(ours - theirs) < 1e-6, `tf.losses gives ${theirs}, we ${ours}`);
assert.deepEqual(sparse.map(v => v.toFixed(4)), ['0.4644', '0.0659']);
console.log(`✓ README quick start (ESM, @tensorflow/tfjs): losses.softmaxCrossEntropy = ${ours.toFixed(4)} ` +
            `(tf.losses ${theirs.toFixed(4)}), sparseSoftmaxCrossEntropyWithLogits = [${sparse.map(v => v.toFixed(4))}]`);

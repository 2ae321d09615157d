/**
 * Demo: train a small penguin-species classifier with our sparse
 * cross-entropy (the fused kernel where the backend has one), next to the
 * same network trained with tfjs's built-in 'sparseCategoricalCrossentropy',
 * from the same initial weights. Prints, per epoch, each run's loss, training
 * accuracy and time, then test accuracy.
 *
 *   npm run demo                       # cpu backend
 *   npm run demo -- --backend wasm     # our WebAssembly SIMD kernels on tfjs-backend-wasm
 *   npm run demo -- --backend webgpu   # WebGPU in Node through Dawn (needs a Vulkan driver)
 *   npm run demo -- --epochs 50
 *
 * Ours: a logits model compiled with
 *   compileWithSparseLabels(model, {loss: new SparseCategoricalCrossentropy({fromLogits: true}), ...})
 * which takes integer labels and reports sparse accuracy (see src/losses/layers_sparse.ts).
 * tfjs's: the same model ending in a softmax layer, loss 'sparseCategoricalCrossentropy'.
 */
import * as tf from '@tensorflow/tfjs';
import {performance} from 'perf_hooks';
import {parseArgs} from 'util';
import {SparseSoftmaxCrossEntropy} from '../kernels/kernel_names';
import '../src/index';
import {compileWithSparseLabels, SparseCategoricalCrossentropy} from '../src/losses';
import {fusedKernelChoice} from '../src/ops/fused';
import {accuracy, buildModel, copyWeights, loadPenguins, NUM_FEATURES, penguinsPath} from './penguins';

const BACKENDS = ['cpu', 'wasm', 'webgpu'] as const;

async function useBackend(name: string): Promise<void> {
  if (name === 'webgpu') {
    const {ensureNodeWebGPU} = await import('../kernels/webgpu/node_webgpu');
    const info = await ensureNodeWebGPU();
    console.log(`WebGPU adapter: ${info.vendor || '?'} ${info.architecture || ''} ${info.description || ''}`.trim());
  } else if (name === 'wasm') {
    await import('@tensorflow/tfjs-backend-wasm');
    await tf.setBackend('wasm');
  } else if (name === 'cpu') {
    await tf.setBackend('cpu');
  } else {
    throw new Error(`--backend must be one of ${BACKENDS.join(', ')}, got '${name}'`);
  }
  await tf.ready();
}

async function main(): Promise<void> {
  const {values} = parseArgs({options: {
    backend: {type: 'string', default: 'cpu'},
    epochs: {type: 'string', default: '30'},
    'batch-size': {type: 'string', default: '32'},
  }});
  const epochs = Number(values.epochs), batchSize = Number(values['batch-size']);
  if (!(Number.isInteger(epochs) && epochs > 0) || !(Number.isInteger(batchSize) && batchSize > 0)) {
    throw new Error('--epochs and --batch-size must be positive integers');
  }
  await useBackend(values.backend as string);

  console.log(`Loading penguins from ${penguinsPath()}`);
  const data = loadPenguins();
  console.log(`${data.train.n} training rows, ${data.test.n} test rows, ${NUM_FEATURES} features, 3 species`);
  // Which path our loss takes, and why (fusedKernelChoice: the fused kernel, or the composite path and the reason).
  const choice = fusedKernelChoice(SparseSoftmaxCrossEntropy);
  console.log(`Backend: ${tf.getBackend()}; our loss: ${choice.fused ? 'runs ' : ''}${choice.reason}\n`);

  const xs = tf.tensor2d(data.train.x, [data.train.n, NUM_FEATURES]);
  // Float32 ids [N, 1]: tfjs's built-in sparse loss refuses int32 labels; ours takes either.
  const ys = tf.tensor2d(Float32Array.from(data.train.y), [data.train.n, 1]);

  const theirs = buildModel(true);
  theirs.compile({optimizer: tf.train.adam(0.01), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy']});
  const ours = buildModel(false);
  copyWeights(theirs, ours);
  compileWithSparseLabels(ours, {optimizer: tf.train.adam(0.01), loss: new SparseCategoricalCrossentropy({fromLogits: true}),
                                 metrics: ['accuracy']});

  const runs = [{label: 'ours', model: ours, ms: 0}, {label: 'tfjs', model: theirs, ms: 0}];
  let maxGap = 0;
  const pad = (s: string, n: number) => s.padEnd(n);
  console.log(`${pad('epoch', 8)}${pad('ours loss', 12)}${pad('acc', 8)}${pad('ms', 8)}${pad('tfjs loss', 12)}${pad('acc', 8)}${pad('ms', 8)}|Δloss|`);
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const row: Array<{loss: number, acc: number, ms: number}> = [];
    for (const run of runs) {
      const t0 = performance.now();
      // One epoch at a time, both models in lockstep (the optimizers keep their state across calls).
      const h = await run.model.fit(xs, ys, {epochs: 1, batchSize, shuffle: false, verbose: 0});
      const ms = performance.now() - t0;
      run.ms += ms;
      row.push({loss: h.history.loss[0] as number, acc: h.history.acc[0] as number, ms});
    }
    const gap = Math.abs(row[0].loss - row[1].loss);
    maxGap = Math.max(maxGap, gap);
    console.log(`${pad(`${epoch}/${epochs}`, 8)}` +
        row.map(r => `${pad(r.loss.toFixed(5), 12)}${pad(r.acc.toFixed(3), 8)}${pad(r.ms.toFixed(0), 8)}`).join('') +
        gap.toExponential(1));
  }
  const [accOurs, accTheirs] = [await accuracy(ours, data.test), await accuracy(theirs, data.test)];
  console.log(`\nTest accuracy: ours ${accOurs.toFixed(3)}, tfjs ${accTheirs.toFixed(3)}`);
  console.log(`Training time: ours ${runs[0].ms.toFixed(0)} ms, tfjs ${runs[1].ms.toFixed(0)} ms ` +
              `(a 7→16→3 network: the loss is a small part of each step)`);
  console.log(`Largest per-epoch loss difference: ${maxGap.toExponential(2)}`);
  tf.dispose([xs, ys]);
  ours.dispose();
  theirs.dispose();
}

main().catch(e => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});

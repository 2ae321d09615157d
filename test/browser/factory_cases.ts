/**
 * Browser cases of the page plan 'webgpu-factory' (protocol.ts): the webgpu
 * backend created by our `registerWebGPUBackend()` (kernels/webgpu/
 * backend_factory.ts; entry.ts registers it before the backend is first
 * used), and on it the subgroup WGSL path next to the workgroup-memory one,
 * each checked against the float64 reference and by the pipelines it built
 * (row programs carry '_sg' exactly when subgroups are on). Chromium's
 * SwiftShader adapter may or may not expose 'subgroups': the first case
 * reports what the adapter has ('[measure]' in the page log); without it the
 * subgroup case fails, saying so, rather than pass untested.
 */
import * as tf from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';

import {REQUESTED_FEATURES} from '../../kernels/webgpu/backend_factory';
import {SUBGROUPS_FLAG} from '../../kernels/webgpu/flags_webgpu';
import {fusedPipelineKeys} from '../../kernels/webgpu/launch';
import {softmaxCrossEntropyWithLogits, sparseSoftmaxCrossEntropyWithLogits} from '../../src/index';
import {refSoftmaxCrossEntropy, refSparseSoftmaxCrossEntropy} from '../reference/reference';
import {expect, expectClose, randLabels, randn, randProbs, values} from '../spec/assert';
import type {SpecCase} from '../spec/registry';

function webgpu(): WebGPUBackend {
  expect(tf.getBackend() === 'webgpu', () => `expected the webgpu backend, got ${tf.getBackend()}`);
  return tf.backend() as unknown as WebGPUBackend;
}

async function adapterFeatures(): Promise<Set<string>> {
  const adapter = await (navigator as unknown as {gpu: GPU}).gpu.requestAdapter();
  if (adapter == null) throw new Error('requestAdapter() = null');
  return new Set([...adapter.features].map(String));
}

/** Dense and sparse softmax CE, loss and d/dlogits, vs float64 at rtol; the fused pipelines this built. */
async function checkRows(rows: number, C: number, seed: number, rtol: number): Promise<string[]> {
  const before = new Set(fusedPipelineKeys(webgpu()));
  const x = randn(rows * C, seed, 2), y = randProbs(rows, C, seed + 1), t = randLabels(rows, C, seed + 2), dy = randn(rows, seed + 3);
  const opts = {temperature: 1.3, labelSmoothing: 0.1, zLoss: 1e-3};
  const X = tf.tensor2d(x, [rows, C]), Y = tf.tensor2d(y, [rows, C]), T = tf.tensor1d(t, 'int32'), DY = tf.tensor1d(dy);
  const dense = refSoftmaxCrossEntropy(x, y, rows, C, opts), sparse = refSparseSoftmaxCrossEntropy(x, t, rows, C, opts);
  expectClose(await values(softmaxCrossEntropyWithLogits(Y, X, opts)), dense.loss, rtol, `dense C=${C}: loss`);
  expectClose(await values(tf.grad(l => softmaxCrossEntropyWithLogits(Y, l, opts))(X, DY)), dense.dlogits(dy), rtol, `dense C=${C}: d/dlogits`);
  expectClose(await values(sparseSoftmaxCrossEntropyWithLogits(T, X, opts)), sparse.loss, rtol, `sparse C=${C}: loss`);
  expectClose(await values(tf.grad(l => sparseSoftmaxCrossEntropyWithLogits(T, l, opts))(X, DY)), sparse.dlogits(dy), rtol,
              `sparse C=${C}: d/dlogits`);
  tf.dispose([X, Y, T, DY]);
  return fusedPipelineKeys(webgpu()).filter(k => !before.has(k));
}

export function factoryCases(): SpecCase[] {
  return [
    {
      suite: 'registerWebGPUBackend',
      name: 'the webgpu backend runs on a device our factory created, with every requested feature the adapter has',
      fn: async () => {
        const device = (webgpu() as unknown as {device: GPUDevice}).device;
        const has = await adapterFeatures();
        const features = new Set([...device.features].map(String));
        console.log(`[measure] registerWebGPUBackend: adapter features {${[...has].sort().join(', ')}}; ` +
                    `device features {${[...features].sort().join(', ')}}; subgroups ${has.has('subgroups') ? 'available' : 'NOT available'}`);
        for (const f of REQUESTED_FEATURES) {
          expect(features.has(f) === has.has(f), () => `feature ${f}: adapter ${has.has(f)}, device ${features.has(f)}`);
        }
      },
    },
    {
      suite: 'registerWebGPUBackend',
      name: 'subgroup and workgroup-memory row reductions vs float64 (C = 100, 1000, 5000), each on its own pipelines',
      fn: async env => {
        const device = (webgpu() as unknown as {device: GPUDevice}).device;
        expect(device.features.has('subgroups'),
               () => `this adapter has no 'subgroups' (device features: ${[...device.features].join(', ')}): the subgroup path cannot be tested here`);
        try {
          for (const subgroups of [true, false]) {
            tf.env().set(SUBGROUPS_FLAG, subgroups);
            const used: string[] = [];
            for (const C of [100, 1000, 5000]) used.push(...await checkRows(5, C, 40 + C, env.rtol));
            // Row programs (one team of threads per row, C > 64) carry '_sg' exactly when subgroups are on.
            const rowKeys = used.filter(k => k.includes('team') && !k.includes('team1_'));
            expect(rowKeys.length > 0 && rowKeys.every(k => k.includes('_sg') === subgroups),
                   () => `subgroups ${subgroups}: new pipelines ${used.join(', ')}`);
          }
        } finally {
          tf.env().set(SUBGROUPS_FLAG, true);
        }
      },
    },
  ];
}

/**
 * The shared op spec on tfjs's `wasm` backend in Node. The softmax
 * cross-entropy kernels (dense and sparse, forward and backward), the
 * sigmoid ones and the focal ones (softmax and binary) are ours there: the
 * WebAssembly SIMD module over tfjs-wasm's own heap (kernels/wasm/); the
 * linear CE's chunks run our sparse kernels between tfjs-wasm's matMuls. (A gather
 * with batchDims = 1, fine on cpu, webgl and webgpu, read out of bounds on
 * tfjs-wasm 4.22: only running the
 * spec here shows that. So did the linear-CE spec: tfjs-wasm's _FusedMatMul
 * throws on a rank-2 bias and adds a rank-1 bias wrongly with transposeB; see
 * matMulPlus in src/ops/linear_cross_entropy_chunks.ts.)
 *
 * Tolerance: cpu's 1e-6 for every suite (the linear CE and the higher-level
 * APIs at their own floor, max(rtol, 1e-5), for their float32 matMuls and
 * means). Until 2026-12-08 the linear CE and higher-level suites ran at 2e-4,
 * written when they took the composite path on tfjs-wasm's float32 kernels
 * (whose exp and row sums give 1.1e-5 normwise on a C = 1000 gradient and
 * 1.15e-4 at C = 32000); the forced composite path keeps 2e-4 in Chromium.
 */
import * as tf from '@tensorflow/tfjs-core';
// The union package registers tfjs-core's gradients; then the wasm backend.
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '../src/index';
import {sigmoidCrossEntropyWithLogits, sparseSoftmaxCrossEntropyWithLogits, softmaxCrossEntropyWithLogits} from '../src/index';
import {allCases, caseName} from './spec/index';
import './spec/linear_cross_entropy.spec';
import type {SpecEnv} from './spec/registry';
import {applies, runCase} from './spec/run_case';
import * as names from '../kernels/kernel_names';
import {wasmSimdRuns} from '../kernels/wasm/wasm_simd';

const OUR_WASM_KERNELS = [...names.ALL_KERNEL_NAMES, ...names.ONE_HOT_KERNEL_NAMES, ...names.FOCAL_KERNEL_NAMES];

beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true);
  await tf.ready();
});

describe('wasm (softmax kernels: WebAssembly SIMD on the backend\'s heap; the rest composite)', () => {
  test('our softmax, sigmoid and focal kernels, and only those, are registered for wasm, and run on its memory', () => {
    const ours = new Set<string>([...names.ALL_KERNEL_NAMES, ...names.ONE_HOT_KERNEL_NAMES, ...names.FOCAL_KERNEL_NAMES, ...names.IN_PLACE_KERNEL_NAMES,
                                  names.LinearSparseSoftmaxCrossEntropy]);
    expect(tf.getKernelsForBackend('wasm').map(k => k.kernelName).filter(n => ours.has(n)).sort())
        .toEqual([...OUR_WASM_KERNELS].sort());
    expect(wasmSimdRuns()).toBe(true);
  });

  for (const c of allCases()) {
    const env: SpecEnv = {backend: 'wasm', platform: 'node', composite: false, rtol: 1e-6};
    if (applies(c, env)) {
      test(caseName(c), () => runCase(c, env), c.slow ? 120000 : 30000);
    }
  }
});

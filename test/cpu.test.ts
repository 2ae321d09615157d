/**
 * The shared op spec on the `cpu` backend: with the fused cpu kernels (their
 * WebAssembly SIMD path, kernels/simd, where it runs: everywhere in CI) and
 * with the composite path forced (FUSED_CE_FORCE_COMPOSITE); then the softmax
 * sigmoid and focal suites (dense, sparse, precision, +∞, sigmoid, fused
 * reductions, focal, focal precision) once more on the fused kernels'
 * JavaScript path (FUSED_CE_CPU_SIMD = false), the fallback where WebAssembly
 * SIMD is missing.
 */
import * as tf from '@tensorflow/tfjs-core';
// The union package registers tfjs-core's gradients (Reshape, Transpose, …) and the cpu backend.
import '@tensorflow/tfjs';
import {allCases, caseName} from './spec/index';
import type {SpecEnv} from './spec/registry';
import {applies, runCase} from './spec/run_case';
import {CPU_SIMD_FLAG} from '../kernels/simd/flags_simd';
import {simdAvailable} from '../kernels/simd/simd_module';

/** The suites run a second time on the JavaScript kernels. */
const JS_PATH_SUITES = new Set(['softmaxCrossEntropyWithLogits', 'sparseSoftmaxCrossEntropyWithLogits',
                                'precision at large logit scales', '+Infinity logits', 'sigmoidCrossEntropyWithLogits',
                                'fused reductions', 'focal cross-entropy', 'precision at large logit scales (focal)']);

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

test('WebAssembly SIMD runs here, and the cpu kernels take it by default', () => {
  expect(simdAvailable()).toBe(true);
  expect(tf.env().getBool(CPU_SIMD_FLAG)).toBe(true);
});

for (const composite of [false, true]) {
  const env: SpecEnv = {backend: 'cpu', platform: 'node', composite, rtol: 1e-6};
  describe(`cpu (${composite ? 'composite path' : 'fused kernels'})`, () => {
    // Cases that do not apply to this env (e.g. the cpu kernel's own error) are not registered here.
    for (const c of allCases().filter(c => applies(c, env))) {
      test(caseName(c), () => runCase(c, env));
    }
  });
}

describe(`cpu (fused kernels, JavaScript path: ${CPU_SIMD_FLAG} = false)`, () => {
  const env: SpecEnv = {backend: 'cpu', platform: 'node', composite: false, rtol: 1e-6};
  beforeAll(() => tf.env().set(CPU_SIMD_FLAG, false));
  afterAll(() => tf.env().set(CPU_SIMD_FLAG, simdAvailable()));
  for (const c of allCases().filter(c => JS_PATH_SUITES.has(c.suite) && applies(c, env))) {
    test(caseName(c), () => runCase(c, env));
  }
});

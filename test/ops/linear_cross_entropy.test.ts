/**
 * linearSoftmaxCrossEntropy on the `cpu` backend, three times: with the fused
 * cpu kernels on the WebAssembly SIMD GEMM (assembly/matmul_accumulate.ts, the
 * default where SIMD runs: everywhere in CI), with their JavaScript loops
 * (FUSED_CE_CPU_SIMD = false, the fallback), and with the composite path
 * forced (FUSED_CE_FORCE_COMPOSITE). The cases live in
 * linear_cross_entropy.spec.ts (runner-independent).
 */
import * as tf from '@tensorflow/tfjs-core';
// The union package: the cpu backend and the gradients of tfjs's own kernels (matMul, reshape, ...).
import '@tensorflow/tfjs';
import '../../src/index';
import '../spec/linear_cross_entropy.spec';
import {CPU_SIMD_FLAG} from '../../kernels/simd/flags_simd';
import {simdAvailable} from '../../kernels/simd/simd_module';
import {allCases, caseName, SpecEnv} from '../spec/registry';
import {applies, runCase} from '../spec/run_case';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

const cases = allCases().filter(c => c.suite === 'linearSoftmaxCrossEntropy');

test('the spec registered its cases, and the fused kernels take the SIMD GEMM by default', () => {
  expect(cases.length).toBeGreaterThan(20);
  expect(simdAvailable()).toBe(true);
  expect(tf.env().getBool(CPU_SIMD_FLAG)).toBe(true);
});

for (const [composite, simd] of [[false, true], [false, false], [true, true]]) {
  const env: SpecEnv = {backend: 'cpu', platform: 'node', composite, rtol: 1e-6};
  const name = composite ? 'composite path' : `fused kernels, ${simd ? 'WebAssembly SIMD GEMM' : `JavaScript GEMM: ${CPU_SIMD_FLAG} = false`}`;
  describe(`cpu (${name})`, () => {
    if (!simd) {
      beforeAll(() => tf.env().set(CPU_SIMD_FLAG, false));
      afterAll(() => tf.env().set(CPU_SIMD_FLAG, simdAvailable()));
    }
    for (const c of cases.filter(c => applies(c, env))) {
      test(caseName(c), () => runCase(c, env));
    }
  });
}

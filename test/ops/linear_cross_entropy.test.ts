/**
 * linearSoftmaxCrossEntropy on the `cpu` backend, twice: with the fused cpu
 * kernels and with the composite path forced (FUSED_CE_FORCE_COMPOSITE).
 * The cases live in linear_cross_entropy.spec.ts (runner-independent).
 */
import * as tf from '@tensorflow/tfjs-core';
// The union package: the cpu backend and the gradients of tfjs's own kernels (matMul, reshape, ...).
import '@tensorflow/tfjs';
import '../../src/index';
import '../spec/linear_cross_entropy.spec';
import {allCases, caseName, SpecEnv} from '../spec/registry';
import {applies, runCase} from '../spec/run_case';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

const cases = allCases().filter(c => c.suite === 'linearSoftmaxCrossEntropy');

test('the spec registered its cases', () => {
  expect(cases.length).toBeGreaterThan(20);
});

for (const composite of [false, true]) {
  const env: SpecEnv = {backend: 'cpu', platform: 'node', composite, rtol: 1e-6};
  describe(`cpu (${composite ? 'composite path' : 'fused kernels'})`, () => {
    for (const c of cases.filter(c => applies(c, env))) {
      test(caseName(c), () => runCase(c, env));
    }
  });
}

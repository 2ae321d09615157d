/**
 * The shared op spec on the `cpu` backend, twice: with the fused cpu kernels
 * and with the composite path forced (FUSED_CE_FORCE_COMPOSITE).
 */
import * as tf from '@tensorflow/tfjs-core';
// The union package registers tfjs-core's gradients (Reshape, Transpose, …) and the cpu backend.
import '@tensorflow/tfjs';
import {allCases, caseName} from './spec/index';
import type {SpecEnv} from './spec/registry';
import {applies, runCase} from './spec/run_case';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
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

/**
 * linearSoftmaxCrossEntropy on `webgpu` in plain Node (Dawn through the
 * package's Node helper, kernels/webgpu/node_webgpu.ts), with the fused WGSL kernels and
 * with the composite path forced. Same cases as the cpu runner
 * (linear_cross_entropy.spec.ts); every case runs inside a WebGPU validation
 * error scope. Without an adapter the suite is skipped loudly, except under
 * CI=true where it fails.
 */
import {describeWebGPU} from '../../tools/webgpu/node_webgpu_env';
import '../../kernels/webgpu/node_webgpu';
import * as tf from '@tensorflow/tfjs-core';
// The union package registers tfjs-core's gradients; the webgpu backend after the globals above.
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import '../../src/index';
import '../spec/linear_cross_entropy.spec';
import {allCases, caseName, SpecEnv} from '../spec/registry';
import {applies, runCase} from '../spec/run_case';
import {inErrorScope, setupWebGPU} from '../../tools/webgpu/harness';

const cases = allCases().filter(c => c.suite === 'linearSoftmaxCrossEntropy');

describeWebGPU('linearSoftmaxCrossEntropy on webgpu in Node', () => {
  let backend: WebGPUBackend;
  beforeAll(async () => {
    backend = await setupWebGPU();
    expect(tf.getBackend()).toBe('webgpu');
  });

  for (const composite of [false, true]) {
    const env: SpecEnv = {backend: 'webgpu', platform: 'node', composite, rtol: 1e-5};
    describe(composite ? 'composite path' : 'fused kernels', () => {
      for (const c of cases.filter(c => applies(c, env))) {
        test(caseName(c), () => inErrorScope(backend, () => runCase(c, env)), c.slow ? 120000 : 30000);
      }
    });
  }
});

/**
 * The shared op spec on `webgpu` in plain Node: Dawn through the package's
 * Node helper (src/node/webgpu.ts), on whatever Vulkan driver is installed
 * (SwiftShader from Debian's chromium on CI and dev machines). Every case runs
 * inside a WebGPU validation error scope and fails on any error. Without an
 * adapter the suite is skipped loudly, except under CI=true where it fails.
 */
import {describeWebGPU} from './kernels/webgpu/node_webgpu_env';
import '../src/node/webgpu';
import * as tf from '@tensorflow/tfjs-core';
// The union package registers tfjs-core's gradients; the webgpu backend after the globals above.
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import '../src/index';
import {allCases, caseName} from './spec/index';
import type {SpecEnv} from './spec/registry';
import {applies, runCase} from './spec/run_case';
import {inErrorScope, setupWebGPU, teardownWebGPU} from './kernels/webgpu/harness';

describeWebGPU('webgpu in Node', () => {
  let backend: WebGPUBackend;
  beforeAll(async () => {
    backend = await setupWebGPU();
    expect(tf.getBackend()).toBe('webgpu');
  });
  afterAll(teardownWebGPU);

  // The fused kernels, then the composite path on the same backend (tfjs's own WGSL kernels).
  for (const composite of [false, true]) {
    const env: SpecEnv = {backend: 'webgpu', platform: 'node', composite, rtol: 1e-5};
    describe(composite ? 'composite path' : 'fused kernels', () => {
      for (const c of allCases().filter(c => applies(c, env))) {
        test(caseName(c), () => inErrorScope(backend, () => runCase(c, env)), c.slow ? 120000 : 30000);
      }
    });
  }
});

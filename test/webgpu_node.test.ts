/**
 * The shared op spec on `webgpu` in plain Node: Dawn through the package's
 * Node helper (kernels/webgpu/node_webgpu.ts), on whatever Vulkan driver is installed
 * (SwiftShader from Debian's chromium on CI and dev machines). Every case runs
 * inside a WebGPU validation error scope and fails on any error. Without an
 * adapter the suite is skipped loudly, except under CI=true where it fails.
 */
import {describeWebGPU} from '../tools/webgpu/node_webgpu_env';
import '../kernels/webgpu/node_webgpu';
import * as tf from '@tensorflow/tfjs-core';
// The union package registers tfjs-core's gradients; the webgpu backend after the globals above.
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import '../src/index';
import {allCases, caseName} from './spec/index';
import type {SpecEnv} from './spec/registry';
import {applies, runCase} from './spec/run_case';
import {inErrorScope, setupWebGPU, teardownWebGPU} from '../tools/webgpu/harness';

describeWebGPU('webgpu in Node', () => {
  let backend: WebGPUBackend;
  beforeAll(async () => {
    backend = await setupWebGPU();
    expect(tf.getBackend()).toBe('webgpu');
  });
  afterAll(teardownWebGPU);

  // The fused kernels, then the composite path on the same backend (tfjs's own WGSL kernels).
  // The composite path leaves out the slow cases (70000 rows × 3 classes): they test our kernels'
  // 2-D dispatch grid, which the composite path does not use, and tfjs's row reductions launch a
  // 64–256-thread workgroup per 3-element row, which SwiftShader runs on the cpu: 52 s, 68 s and
  // over 120 s for the dense, sparse and focal cases (2 cores, load 6), against 3–8 s fused.
  // The composite path at 70000 rows runs on cpu (test/cpu.test.ts) and on the H200 (spec.mjs).
  for (const composite of [false, true]) {
    const env: SpecEnv = {backend: 'webgpu', platform: 'node', composite, rtol: 1e-5};
    describe(composite ? 'composite path' : 'fused kernels', () => {
      for (const c of allCases().filter(c => applies(c, env) && !(composite && c.slow))) {
        test(caseName(c), () => inErrorScope(backend, () => runCase(c, env)), c.slow ? 120000 : 30000);
      }
    });
  }
});

/**
 * The shared op spec on tfjs's `wasm` backend in Node, which has no fused
 * kernels of ours: every op runs its composite path on tfjs's own wasm
 * kernels. (A gather with batchDims = 1, fine on cpu, webgl and webgpu, read
 * out of bounds on tfjs-wasm 4.22: only running the spec here shows that.
 * So did the linear-CE spec: tfjs-wasm's _FusedMatMul throws on a rank-2 bias
 * and adds a rank-1 bias wrongly with transposeB; see matMulPlus in
 * src/ops/linear_cross_entropy_chunks.ts.)
 * Tolerance 2e-4, looser than cpu's 1e-6 and the GPUs' 1e-5, measured: the
 * composite path's accuracy here is that of tfjs-wasm's float32 kernels, whose
 * exp and row sums give 1.1e-5 normwise on a C = 1000 gradient and 1.15e-4 at
 * C = 32000 (a float32 sum of 32000 terms); tfjs's cpu kernels stay < 1e-6.
 * Our fused kernels never run here.
 */
import * as tf from '@tensorflow/tfjs-core';
// The union package registers tfjs-core's gradients; then the wasm backend.
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '../src/index';
import {allCases, caseName} from './spec/index';
import './spec/linear_cross_entropy.spec';
import type {SpecEnv} from './spec/registry';
import {applies, runCase} from './spec/run_case';
import {ALL_KERNEL_NAMES, FOCAL_KERNEL_NAMES, IN_PLACE_KERNEL_NAMES, LinearSparseSoftmaxCrossEntropy} from '../kernels/kernel_names';

beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true);
  await tf.ready();
});

const env: SpecEnv = {backend: 'wasm', platform: 'node', composite: false, rtol: 2e-4};

describe('wasm (composite path: no fused kernels there)', () => {
  test('none of our kernels is registered for wasm', () => {
    const ours = new Set<string>([...ALL_KERNEL_NAMES, ...FOCAL_KERNEL_NAMES, ...IN_PLACE_KERNEL_NAMES, LinearSparseSoftmaxCrossEntropy]);
    expect(tf.getKernelsForBackend('wasm').map(k => k.kernelName).filter(n => ours.has(n))).toEqual([]);
  });
  for (const c of allCases().filter(c => applies(c, env))) {
    test(caseName(c), () => runCase(c, env), c.slow ? 120000 : 30000);
  }
});

/**
 * The `wasm` backend (tfjs-backend-wasm): the softmax cross-entropy kernels
 * (dense and sparse, forward and backward, and the one-hot pair that runs
 * one-hot dense labels as class ids), the sigmoid ones (with the
 * fused reductions) and the focal ones (softmax and binary) on the WebAssembly
 * SIMD module over the backend's own heap (SoftmaxCrossEntropy.ts,
 * SigmoidCrossEntropy.ts, FocalCrossEntropy.ts; the instance: wasm_simd.ts);
 * each declares that it runs only where that module can be instantiated over
 * the backend's memory (else the ops take the composite path). The other ops
 * take the composite path here. And the facts about it that
 * the ops ask for (kernels/capabilities.ts), including the tfjs-wasm 4.22
 * quirks the composite path works around:
 *  - its Exp kernel is scalar while its Softmax (XNNPACK) vectorises exp, so
 *    row sums of exponentials come from `softmax` (src/ops/composite.ts,
 *    rowLogSumExp; timings in benchmarks/results);
 *  - its _FusedMatMul accepts only a rank-1 bias and adds one wrongly with
 *    transposeB (rows after the first come out shifted), so the linear
 *    cross-entropy adds the bias after a plain matMul.
 * Other quirks are handled on every backend alike, needing no declaration:
 * its Transpose of an empty tensor throws (the ops reshape empty tensors),
 * its Sum of an empty tensor is uninitialised (src/losses/reduction.ts), its
 * OneHot writes int32 ones into a float32 output (the composite path casts an
 * int32 one-hot) and its float32 → bool cast truncates.
 *
 * Kernels for it (WebAssembly SIMD) register here, through
 * registerKernelsOnce, as the other backends' do.
 */
import {declareCapabilities, registerAttrSupport} from '../capabilities';
import {registerKernelsOnce} from '../register_util';
import {wasmFocalKernelConfigs} from './FocalCrossEntropy';
import {wasmSigmoidKernelConfigs} from './SigmoidCrossEntropy';
import {wasmSoftmaxKernelConfigs} from './SoftmaxCrossEntropy';
import {wasmSimdRuns} from './wasm_simd';

export function registerWasmKernels(): void {
  const configs = [...wasmSoftmaxKernelConfigs, ...wasmSigmoidKernelConfigs, ...wasmFocalKernelConfigs];
  registerKernelsOnce(configs);
  for (const {kernelName} of configs) {
    registerAttrSupport('wasm', kernelName, wasmSimdRuns);
  }
  declareCapabilities('wasm', {
    hostMemory: true,
    compositeOnHost: true,
    softmaxFasterThanExp: true,
    fusedMatMulBiasBroken: true,
  });
}

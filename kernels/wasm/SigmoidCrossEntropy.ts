/**
 * Sigmoid cross-entropy kernels for tfjs-backend-wasm on the WebAssembly SIMD
 * module over the backend's own heap (as SoftmaxCrossEntropy.ts here: in
 * place, no copies), with the fused reductions ('none', 'rows', 'all') of the
 * contract.
 */
import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {SigmoidCrossEntropy, SigmoidCrossEntropyAttrs, SigmoidCrossEntropyGrad, SigmoidCrossEntropyGradAttrs, SigmoidCrossEntropyGradInputs, SigmoidCrossEntropyInputs} from '../kernel_names';
import {dyStride, posWeightIn, reductionCode, sigmoidOutputShape} from '../simd/sigmoid_host';
import {WasmBackendLike, wasmSimdKernels} from './wasm_simd';

interface Args<I, A> {
  inputs: I;
  backend: WasmBackendLike;
  attrs: A;
}

/** posWeight in a malloc'd block (freed by the caller when q ≠ 0). */
function posWeight(backend: WasmBackendLike, attrs: SigmoidCrossEntropyAttrs, C: number): {q: number, q0: number} {
  return posWeightIn(values => {
    const p = backend.wasm._malloc(4 * values.length);
    new Float32Array(backend.wasm.HEAPU8.buffer, p, values.length).set(values);
    return p;
  }, attrs, C);
}

function sigmoidCrossEntropy({inputs, backend, attrs}: Args<SigmoidCrossEntropyInputs, SigmoidCrossEntropyAttrs>): TensorInfo {
  const [rows, C] = inputs.logits.shape;
  const reduction = attrs.reduction ?? 'none';
  const code = reductionCode(reduction, SigmoidCrossEntropy);
  const k = wasmSimdKernels(backend);
  const out = backend.makeOutput(sigmoidOutputShape(reduction, rows, C), 'float32');
  const {q, q0} = posWeight(backend, attrs, C);
  const off = (t: TensorInfo) => backend.getMemoryOffset(t.dataId);
  const eps = attrs.labelSmoothing;
  if (rows * C > 0 || reduction !== 'none') {
    k.sigmoidForward(off(inputs.logits), off(inputs.labels), rows, C, 1 - eps, eps / 2, q, q0, code,
                     attrs.scale ?? 1, off(out));
  }
  if (q !== 0) backend.wasm._free(q);
  return out;
}

function sigmoidCrossEntropyGrad({inputs, backend, attrs}: Args<SigmoidCrossEntropyGradInputs, SigmoidCrossEntropyGradAttrs>): TensorInfo {
  const [rows, C] = inputs.logits.shape;
  const mode = dyStride(attrs.reduction, inputs.dy.shape.reduce((a, b) => a * b, 1), rows, C, SigmoidCrossEntropyGrad);
  const k = wasmSimdKernels(backend);
  const out = backend.makeOutput([rows, C], 'float32');
  const {q, q0} = posWeight(backend, attrs, C);
  const off = (t: TensorInfo) => backend.getMemoryOffset(t.dataId);
  const eps = attrs.labelSmoothing;
  k.sigmoidGrad(off(inputs.logits), off(inputs.labels), off(inputs.dy), mode, rows, C, 1 - eps, eps / 2, q, q0,
                attrs.scale ?? 1, attrs.wrt === 'labels' ? 1 : 0, off(out));
  if (q !== 0) backend.wasm._free(q);
  return out;
}

export const wasmSigmoidKernelConfigs: KernelConfig[] = [
  {kernelName: SigmoidCrossEntropy, backendName: 'wasm', kernelFunc: sigmoidCrossEntropy as unknown as KernelFunc},
  {kernelName: SigmoidCrossEntropyGrad, backendName: 'wasm', kernelFunc: sigmoidCrossEntropyGrad as unknown as KernelFunc},
];

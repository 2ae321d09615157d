/**
 * Focal cross-entropy kernels for tfjs-backend-wasm on the WebAssembly SIMD
 * module over the backend's own heap (as SoftmaxCrossEntropy.ts here: in place
 * at each dataId's memory offset, no copies): softmax focal (dense and sparse,
 * forward, d/dlogits, dense d/dlabels; and OneHotFocalCrossEntropy, one-hot
 * dense labels as class ids) and binary focal (the fused reductions,
 * both wrt). Same outputs, saved (m, s) and attributes as the cpu kernels. A
 * sparse label outside [0, C) gives NaN for its row (the labels are not read
 * on the host). Scratch (α·w as float64 [C], and the backward's float64 row of
 * f + B and p, [2·C]) comes from the backend's malloc and is freed before the
 * call returns.
 */
import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {BinaryFocalCrossEntropy, BinaryFocalCrossEntropyAttrs, BinaryFocalCrossEntropyGrad, BinaryFocalCrossEntropyGradAttrs, FocalCrossEntropy, FocalCrossEntropyAttrs, FocalCrossEntropyGrad, FocalCrossEntropyGradAttrs, OneHotFocalCrossEntropy, OneHotSoftmaxCrossEntropyInputs, SigmoidCrossEntropyGradInputs, SigmoidCrossEntropyInputs, SoftmaxCrossEntropyGradInputs, SoftmaxCrossEntropyInputs, SparseFocalCrossEntropy, SparseFocalCrossEntropyGrad} from '../kernel_names';
import {FocalSimdExports, focalClassWeights, focalScalars} from '../simd/focal_host';
import {dyStride, reductionCode, sigmoidOutputShape} from '../simd/sigmoid_host';
import {WasmBackendLike, wasmSimdKernels} from './wasm_simd';

interface Args<I, A> {
  inputs: I;
  backend: WasmBackendLike;
  attrs: A;
}

/** The module's focal exports on `backend`'s memory (throws where it cannot run there). */
function kernels(backend: WasmBackendLike): FocalSimdExports {
  return wasmSimdKernels(backend) as unknown as FocalSimdExports;
}

/** a[c] = α[c]·w[c] as float64 in a malloc'd block (free it). */
function classFactors(backend: WasmBackendLike, attrs: FocalCrossEntropyAttrs, C: number): number {
  const a = focalClassWeights(attrs, C);
  const ptr = backend.wasm._malloc(8 * Math.max(C, 1));
  new Float64Array(backend.wasm.HEAPU8.buffer, ptr, C).set(a);
  return ptr;
}

const offset = (backend: WasmBackendLike, t: TensorInfo) => backend.getMemoryOffset(t.dataId);

function forward(sparse: boolean, {inputs, backend, attrs}: Args<SoftmaxCrossEntropyInputs, FocalCrossEntropyAttrs>): TensorInfo[] {
  const [rows, C] = inputs.logits.shape;
  const k = kernels(backend);
  const loss = backend.makeOutput([rows], 'float32'), stats = backend.makeOutput([rows, 2], 'float32');
  const a = classFactors(backend, attrs, C);
  const s = focalScalars(attrs, C);
  const labels = offset(backend, inputs.labels);
  try {
    k.focalForward(offset(backend, inputs.logits), sparse ? 0 : labels, sparse ? labels : 0, rows, C, s.invT, s.keep,
                   s.base, a, s.gamma, sparse ? s.hasIgnore : 0, s.ignore, offset(backend, loss), offset(backend, stats));
  } finally {
    backend.wasm._free(a);
  }
  return [loss, stats];
}

function backward(sparse: boolean, {inputs, backend, attrs}: Args<SoftmaxCrossEntropyGradInputs, FocalCrossEntropyGradAttrs>): TensorInfo {
  if (sparse && attrs.wrt !== 'logits') {
    throw new Error('sparse focal cross-entropy: sparse labels are not differentiable');
  }
  const [rows, C] = inputs.logits.shape;
  const k = kernels(backend);
  const out = backend.makeOutput([rows, C], 'float32');
  const a = classFactors(backend, attrs, C);
  const s = focalScalars(attrs, C);
  const off = (t: TensorInfo) => offset(backend, t);
  let park = 0;
  try {
    if (attrs.wrt === 'labels') {
      k.focalLabelsGrad(off(inputs.logits), off(inputs.lse), off(inputs.dy), rows, C, s.invT, s.keep, a, s.gamma, off(out));
    } else {
      park = backend.wasm._malloc(16 * Math.max(C, 1));  // f + B and p of a row, float64
      const labels = off(inputs.labels);
      k.focalGrad(off(inputs.logits), sparse ? 0 : labels, sparse ? labels : 0, off(inputs.lse), off(inputs.dy), rows, C,
                  s.invT, s.keep, s.base, a, s.gamma, sparse ? s.hasIgnore : 0, s.ignore, park, off(out));
    }
  } finally {
    backend.wasm._free(a);
    if (park !== 0) backend.wasm._free(park);
  }
  return out;
}

function binaryForward({inputs, backend, attrs}: Args<SigmoidCrossEntropyInputs, BinaryFocalCrossEntropyAttrs>): TensorInfo {
  const [rows, C] = inputs.logits.shape;
  const code = reductionCode(attrs.reduction ?? 'none', BinaryFocalCrossEntropy);
  const reduction = attrs.reduction ?? 'none';
  const k = kernels(backend);
  const out = backend.makeOutput(sigmoidOutputShape(reduction, rows, C), 'float32');
  const eps = attrs.labelSmoothing;
  if (rows * C > 0 || reduction !== 'none') {
    k.binaryFocalForward(offset(backend, inputs.logits), offset(backend, inputs.labels), rows, C, 1 - eps, eps / 2,
                         attrs.gamma, attrs.alpha, attrs.applyClassBalancing ? 1 : 0, code, attrs.scale ?? 1,
                         offset(backend, out));
  }
  return out;
}

function binaryBackward({inputs, backend, attrs}: Args<SigmoidCrossEntropyGradInputs, BinaryFocalCrossEntropyGradAttrs>): TensorInfo {
  const [rows, C] = inputs.logits.shape;
  const mode = dyStride(attrs.reduction, inputs.dy.shape.reduce((a, b) => a * b, 1), rows, C, BinaryFocalCrossEntropyGrad);
  const k = kernels(backend);
  const out = backend.makeOutput([rows, C], 'float32');
  const eps = attrs.labelSmoothing;
  if (rows * C > 0) {
    const off = (t: TensorInfo) => offset(backend, t);
    k.binaryFocalGrad(off(inputs.logits), off(inputs.labels), off(inputs.dy), mode, rows, C, 1 - eps, eps / 2, attrs.gamma,
                      attrs.alpha, attrs.applyClassBalancing ? 1 : 0, attrs.scale ?? 1, attrs.wrt === 'labels' ? 1 : 0,
                      off(out));
  }
  return out;
}

const config = (kernelName: string, kernelFunc: unknown): KernelConfig =>
    ({kernelName, backendName: 'wasm', kernelFunc: kernelFunc as KernelFunc});

type SoftmaxArgs = Args<SoftmaxCrossEntropyInputs, FocalCrossEntropyAttrs>;
type SoftmaxGradArgs = Args<SoftmaxCrossEntropyGradInputs, FocalCrossEntropyGradAttrs>;

export const wasmFocalKernelConfigs: KernelConfig[] = [
  config(FocalCrossEntropy, (args: SoftmaxArgs) => forward(false, args)),
  config(SparseFocalCrossEntropy, (args: SoftmaxArgs) => forward(true, args)),
  config(FocalCrossEntropyGrad, (args: SoftmaxGradArgs) => backward(false, args)),
  config(SparseFocalCrossEntropyGrad, (args: SoftmaxGradArgs) => backward(true, args)),
  // One-hot dense labels as class ids (kernel_names.ts): the sparse forward on them.
  config(OneHotFocalCrossEntropy, ({inputs, backend, attrs}: Args<OneHotSoftmaxCrossEntropyInputs, FocalCrossEntropyAttrs>) =>
      forward(true, {inputs: {logits: inputs.logits, labels: inputs.classIds}, backend, attrs})),
  config(BinaryFocalCrossEntropy, binaryForward),
  config(BinaryFocalCrossEntropyGrad, binaryBackward),
];

/**
 * Softmax cross-entropy kernels for tfjs-backend-wasm: the WebAssembly SIMD
 * module (kernels/simd) instantiated over the backend's own heap, so every
 * kernel reads its inputs and writes its outputs where the backend keeps its
 * tensors (each dataId's memoryOffset), with no copies. Forward, backward,
 * dense and sparse, every attribute of the contract; and the one-hot pair
 * (DenseLabelClassIds, OneHotSoftmaxCrossEntropy: one-hot dense labels run
 * as class ids, so the engine's clone for the backward copies [rows] ids, not
 * the [rows, C] labels; kernel_names.ts). A sparse label outside
 * [0, C) gives NaN for its row, as on the GPU backends (the labels are not
 * read on the host).
 *
 * The few scratch bytes a call needs (class weights) come from the backend's
 * own malloc and are freed before the call returns. The module's instance on
 * the backend's memory: wasm_simd.ts.
 */
import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {DenseLabelClassIds, DenseLabelClassIdsInputs, OneHotSoftmaxCrossEntropy, OneHotSoftmaxCrossEntropyInputs, SoftmaxCrossEntropy, SoftmaxCrossEntropyAttrs, SoftmaxCrossEntropyGrad, SoftmaxCrossEntropyGradAttrs, SoftmaxCrossEntropyGradInputs, SoftmaxCrossEntropyInputs, SparseSoftmaxCrossEntropy, SparseSoftmaxCrossEntropyGrad} from '../kernel_names';
import {checkRowDy, fillRowDy, isUnreduced, reduceRowLoss} from '../softmax_reduction';
import {WasmBackendLike, wasmSimdKernels as kernels} from './wasm_simd';

/** The class weights (float32) in a malloc'd block (0 when none; free with freeWeights) and Σ w (C when none). */
function weightsIn(backend: WasmBackendLike, attrs: SoftmaxCrossEntropyAttrs, C: number): {w: number, sumW: number} {
  if (attrs.classWeights == null) {
    return {w: 0, sumW: C};
  }
  const w = backend.wasm._malloc(4 * C);
  new Float32Array(backend.wasm.HEAPU8.buffer, w, C).set(attrs.classWeights);
  let sumW = 0;
  for (const v of attrs.classWeights) sumW += v;
  return {w, sumW};
}

function freeWeights(backend: WasmBackendLike, w: number): void {
  if (w !== 0) backend.wasm._free(w);
}

interface Args<I, A> {
  inputs: I;
  backend: WasmBackendLike;
  attrs: A;
}

/**
 * The forward's loss output for the contract's reduction (softmax_reduction.ts):
 * the module always writes [rows]; for anything else its values are read from
 * the heap, reduced in float64 and written to a new output.
 */
function reducedLoss(backend: WasmBackendLike, loss: TensorInfo, attrs: SoftmaxCrossEntropyAttrs, kernel: string): TensorInfo {
  if (isUnreduced(attrs)) {
    return loss;
  }
  const rows = loss.shape[0];
  const perRow = new Float32Array(backend.wasm.HEAPU8.buffer, backend.getMemoryOffset(loss.dataId), rows);
  const r = reduceRowLoss(perRow, attrs, `${kernel} (wasm)`);
  const out = backend.makeOutput(r.shape, 'float32');
  // makeOutput may grow the heap: view it afresh.
  new Float32Array(backend.wasm.HEAPU8.buffer, backend.getMemoryOffset(out.dataId), r.values.length).set(r.values);
  backend.disposeData(loss.dataId);
  return out;
}

/**
 * dy's heap offset as the module reads it, one value per row: dy's own, or a
 * malloc'd block of `scale·dy_b[i]` (free it with `freeRowDy`).
 */
function rowDyIn(backend: WasmBackendLike, dy: TensorInfo, rows: number, attrs: SoftmaxCrossEntropyAttrs,
                 kernel: string): {dy: number, temp: boolean} {
  const size = dy.shape.reduce((a, b) => a * b, 1);
  checkRowDy(size, rows, attrs, `${kernel} (wasm)`);
  if (isUnreduced(attrs)) {
    return {dy: backend.getMemoryOffset(dy.dataId), temp: false};
  }
  const ptr = backend.wasm._malloc(4 * Math.max(rows, 1));
  const heap = backend.wasm.HEAPU8.buffer;
  const dyValues = new Float32Array(heap, backend.getMemoryOffset(dy.dataId), size);
  fillRowDy(dyValues, attrs, new Float32Array(heap, ptr, rows));
  return {dy: ptr, temp: true};
}

function freeRowDy(backend: WasmBackendLike, d: {dy: number, temp: boolean}): void {
  if (d.temp) backend.wasm._free(d.dy);
}

function softmaxCrossEntropy({inputs, backend, attrs}: Args<SoftmaxCrossEntropyInputs, SoftmaxCrossEntropyAttrs>): TensorInfo[] {
  const [rows, C] = inputs.logits.shape;
  const k = kernels(backend);
  const loss = backend.makeOutput([rows], 'float32'), stats = backend.makeOutput([rows, 2], 'float32');
  const {w} = weightsIn(backend, attrs, C);
  const eps = attrs.labelSmoothing;
  const off = (t: TensorInfo) => backend.getMemoryOffset(t.dataId);
  k.denseForward(off(inputs.logits), off(inputs.labels), rows, C, 1 / attrs.temperature, 1 - eps, eps / C, w,
                 attrs.zLoss, off(loss), off(stats));
  freeWeights(backend, w);
  return [reducedLoss(backend, loss, attrs, SoftmaxCrossEntropy), stats];
}

/** The sparse forward on int32 class ids `ids` [rows] (SparseSoftmaxCrossEntropy, OneHotSoftmaxCrossEntropy). */
function sparseForward(backend: WasmBackendLike, logits: TensorInfo, ids: TensorInfo, attrs: SoftmaxCrossEntropyAttrs,
                       kernel: string): TensorInfo[] {
  const [rows, C] = logits.shape;
  const ignore = attrs.ignoreIndex;
  const k = kernels(backend);
  const loss = backend.makeOutput([rows], 'float32'), stats = backend.makeOutput([rows, 2], 'float32');
  const {w, sumW} = weightsIn(backend, attrs, C);
  const off = (t: TensorInfo) => backend.getMemoryOffset(t.dataId);
  k.sparseForward(off(logits), off(ids), rows, C, 1 / attrs.temperature, attrs.labelSmoothing, w, sumW,
                  attrs.zLoss, ignore == null ? 0 : 1, ignore ?? 0, off(loss), off(stats));
  freeWeights(backend, w);
  return [reducedLoss(backend, loss, attrs, kernel), stats];
}

function sparseSoftmaxCrossEntropy({inputs, backend, attrs}: Args<SoftmaxCrossEntropyInputs, SoftmaxCrossEntropyAttrs>): TensorInfo[] {
  return sparseForward(backend, inputs.logits, inputs.labels, attrs, SparseSoftmaxCrossEntropy);
}

/**
 * Dense labels → each row's class id if every row is one-hot, else an int32
 * [0] (kernel_names.ts, DenseLabelClassIds): one SIMD read of the labels,
 * stopping at the first row that is not one-hot.
 */
function denseLabelClassIds({inputs, backend}: Args<DenseLabelClassIdsInputs, unknown>): TensorInfo {
  const [rows, C] = inputs.labels.shape;
  const ids = backend.makeOutput([rows], 'int32');
  const off = (t: TensorInfo) => backend.getMemoryOffset(t.dataId);
  if (kernels(backend).oneHotClassIds(off(inputs.labels), rows, C, off(ids)) === 1) {
    return ids;
  }
  backend.disposeData(ids.dataId);
  return backend.makeOutput([0], 'int32');
}

/** One-hot dense labels as class ids: the sparse forward (kernel_names.ts, OneHotSoftmaxCrossEntropy). */
function oneHotSoftmaxCrossEntropy({inputs, backend, attrs}: Args<OneHotSoftmaxCrossEntropyInputs, SoftmaxCrossEntropyAttrs>): TensorInfo[] {
  return sparseForward(backend, inputs.logits, inputs.classIds, attrs, OneHotSoftmaxCrossEntropy);
}

function softmaxCrossEntropyGrad({inputs, backend, attrs}: Args<SoftmaxCrossEntropyGradInputs, SoftmaxCrossEntropyGradAttrs>): TensorInfo {
  const [rows, C] = inputs.logits.shape;
  const k = kernels(backend);
  const out = backend.makeOutput([rows, C], 'float32');
  const {w} = weightsIn(backend, attrs, C);
  const off = (t: TensorInfo) => backend.getMemoryOffset(t.dataId);
  const invT = 1 / attrs.temperature, eps = attrs.labelSmoothing;
  const d = rowDyIn(backend, inputs.dy, rows, attrs, SoftmaxCrossEntropyGrad);
  if (attrs.wrt === 'labels') {
    k.denseLabelsGrad(off(inputs.logits), off(inputs.lse), d.dy, rows, C, invT, 1 - eps, w, off(out));
  } else {
    k.denseGrad(off(inputs.logits), off(inputs.labels), off(inputs.lse), d.dy, rows, C, invT, 1 - eps, eps / C,
                w, attrs.zLoss, off(out));
  }
  freeRowDy(backend, d);
  freeWeights(backend, w);
  return out;
}

function sparseSoftmaxCrossEntropyGrad({inputs, backend, attrs}: Args<SoftmaxCrossEntropyGradInputs, SoftmaxCrossEntropyGradAttrs>): TensorInfo {
  if (attrs.wrt !== 'logits') {
    throw new Error('sparseSoftmaxCrossEntropyWithLogits: sparse labels are not differentiable');
  }
  const [rows, C] = inputs.logits.shape;
  const ignore = attrs.ignoreIndex;
  const k = kernels(backend);
  const out = backend.makeOutput([rows, C], 'float32');
  const {w, sumW} = weightsIn(backend, attrs, C);
  const off = (t: TensorInfo) => backend.getMemoryOffset(t.dataId);
  const d = rowDyIn(backend, inputs.dy, rows, attrs, SparseSoftmaxCrossEntropyGrad);
  k.sparseGrad(off(inputs.logits), off(inputs.labels), off(inputs.lse), d.dy, rows, C, 1 / attrs.temperature,
               attrs.labelSmoothing, w, sumW, attrs.zLoss, ignore == null ? 0 : 1, ignore ?? 0, off(out));
  freeRowDy(backend, d);
  freeWeights(backend, w);
  return out;
}

const config = (kernelName: string, kernelFunc: unknown): KernelConfig =>
    ({kernelName, backendName: 'wasm', kernelFunc: kernelFunc as KernelFunc});

export const wasmSoftmaxKernelConfigs: KernelConfig[] = [
  config(SoftmaxCrossEntropy, softmaxCrossEntropy),
  config(SparseSoftmaxCrossEntropy, sparseSoftmaxCrossEntropy),
  config(SoftmaxCrossEntropyGrad, softmaxCrossEntropyGrad),
  config(SparseSoftmaxCrossEntropyGrad, sparseSoftmaxCrossEntropyGrad),
  config(DenseLabelClassIds, denseLabelClassIds),
  config(OneHotSoftmaxCrossEntropy, oneHotSoftmaxCrossEntropy),
];

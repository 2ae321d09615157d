/**
 * WebGPU forward kernels of softmax cross-entropy, dense and sparse labels:
 * host work only (shapes, variant choice, uniforms, launch). One dispatch
 * writes both outputs, loss [rows] (times the scale) and (m, s) [rows, 2]
 * (kernel_names.ts); with reduction 'all' tfjs's Sum kernel then sums the
 * loss into a scalar on the device (softmax_reduction_webgpu.ts). The WGSL
 * lives in softmax_cross_entropy_webgpu.ts.
 */
import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import {
  SoftmaxCrossEntropy, SoftmaxCrossEntropyAttrs, SoftmaxCrossEntropyInputs,
  SparseSoftmaxCrossEntropy, SparseSoftmaxCrossEntropyInputs,
} from '../kernel_names';
import {disposeTemp, launch, makeEmpty, makeOutput, storageType, UniformScalar, uploadVector} from './launch';
import {rowVariant, rowWorkgroups} from './row_layout';
import {SoftmaxCrossEntropyProgram} from './softmax_cross_entropy_webgpu';
import {emptyLoss, reduceLoss, softmaxReduction} from './softmax_reduction_webgpu';

/** `[rows, C]` of a kernel's logits, checking the label dtype the contract fixes. */
export function rowsAndClasses(logits: TensorInfo, labels: TensorInfo, sparse: boolean, kernel: string): [number, number] {
  if (logits.shape.length !== 2) {
    throw new Error(`${kernel} (webgpu): logits must be [rows, C], got [${logits.shape}]`);
  }
  const want = sparse ? 'int32' : 'float32';
  if (labels.dtype !== want || logits.dtype !== 'float32') {
    throw new Error(`${kernel} (webgpu): expected float32 logits and ${want} labels, got ${logits.dtype} and ${labels.dtype}`);
  }
  return [logits.shape[0], logits.shape[1]];
}

/**
 * Uniform values of the softmax programs, in SOFTMAX_UNIFORMS order (the
 * linear CE reads the leading attribute ones; the trailing scale is unused there).
 */
export function softmaxUniforms(rows: number, C: number, attrs: SoftmaxCrossEntropyAttrs): UniformScalar[] {
  const w = attrs.classWeights;
  let sumWeights = C;
  if (w != null) {
    sumWeights = 0;
    for (let c = 0; c < C; c++) {
      sumWeights += w[c];
    }
  }
  return [
    {type: 'uint32', data: [rows]},
    {type: 'uint32', data: [C]},
    {type: 'float32', data: [attrs.temperature]},
    {type: 'float32', data: [attrs.labelSmoothing]},
    {type: 'float32', data: [attrs.zLoss]},
    {type: 'int32', data: [attrs.ignoreIndex ?? 0]},
    {type: 'uint32', data: [attrs.ignoreIndex == null ? 0 : 1]},
    {type: 'float32', data: [sumWeights]},
    {type: 'float32', data: [-Infinity]},
    {type: 'float32', data: [NaN]},
    // keep = 1 − ε and spread = ε/C in float64 here, then rounded once (1 − ε in float32 is 1.3e-5 off at ε = 0.999).
    {type: 'float32', data: [1 - attrs.labelSmoothing]},
    {type: 'float32', data: [C > 0 ? attrs.labelSmoothing / C : 0]},
    {type: 'float32', data: [attrs.scale ?? 1]},
  ];
}

/** Checks that class weights, when given, have one entry per class. */
export function checkClassWeights(attrs: SoftmaxCrossEntropyAttrs, C: number, kernel: string): void {
  if (attrs.classWeights != null && attrs.classWeights.length !== C) {
    throw new Error(`${kernel} (webgpu): classWeights has ${attrs.classWeights.length} entries for ${C} classes`);
  }
}

function forward(sparse: boolean, kernel: string): KernelFunc {
  return ({inputs, backend, attrs}) => {
    const {logits, labels} = inputs as SoftmaxCrossEntropyInputs | SparseSoftmaxCrossEntropyInputs;
    const a = attrs as unknown as SoftmaxCrossEntropyAttrs;
    const webgpu = backend as WebGPUBackend;
    const [rows, C] = rowsAndClasses(logits, labels, sparse, kernel);
    checkClassWeights(a, C, kernel);
    const reduction = softmaxReduction(a.reduction, kernel);
    if (rows === 0) {
      return [emptyLoss(webgpu, reduction, a.scale ?? 1), makeEmpty(webgpu, [0, 2])];
    }
    const variant = rowVariant(webgpu, C, a.classWeights != null);
    const loss = makeOutput(webgpu, [rows]);
    const lse = makeOutput(webgpu, [rows, 2]);
    const weights = a.classWeights != null ? uploadVector(webgpu, a.classWeights) : null;
    launch(webgpu, new SoftmaxCrossEntropyProgram(variant, sparse, [logits, labels].map(t => storageType(webgpu, t))), [loss, lse],
        weights ? [logits, labels, weights] : [logits, labels],
        softmaxUniforms(rows, C, a), rowWorkgroups(variant, rows));
    if (weights) {
      disposeTemp(webgpu, weights);
    }
    return [reduceLoss(webgpu, loss, reduction), lse];
  };
}

export const softmaxCrossEntropyConfig: KernelConfig = {
  kernelName: SoftmaxCrossEntropy,
  backendName: 'webgpu',
  kernelFunc: forward(false, SoftmaxCrossEntropy),
};

export const sparseSoftmaxCrossEntropyConfig: KernelConfig = {
  kernelName: SparseSoftmaxCrossEntropy,
  backendName: 'webgpu',
  kernelFunc: forward(true, SparseSoftmaxCrossEntropy),
};

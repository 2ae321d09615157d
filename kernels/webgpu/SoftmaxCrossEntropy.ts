/**
 * WebGPU forward kernels of softmax cross-entropy, dense and sparse labels:
 * host work only (shapes, variant choice, uniforms, launch). One dispatch
 * writes both outputs, loss [rows] (times the scale) and (m, s) [rows, 2]
 * (kernel_names.ts); with reduction 'all' tfjs's Sum kernel then sums the
 * loss into a scalar on the device (softmax_reduction_webgpu.ts). The WGSL
 * lives in softmax_cross_entropy_webgpu.ts.
 */
import {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import {
  SoftmaxCrossEntropy, SoftmaxCrossEntropyAttrs, SoftmaxCrossEntropyInputs,
  SparseSoftmaxCrossEntropy, SparseSoftmaxCrossEntropyInputs,
} from '../kernel_names';
import {disposeTemp, launch, makeEmpty, makeOutput, storageType, uploadVector} from './launch';
import {rowVariant, rowWorkgroups} from './row_layout';
import {SoftmaxCrossEntropyProgram} from './softmax_cross_entropy_webgpu';
import {checkClassWeights, rowsAndClasses, softmaxUniforms} from './softmax_host';
import {emptyLoss, reduceLoss, softmaxReduction} from './softmax_reduction_webgpu';

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

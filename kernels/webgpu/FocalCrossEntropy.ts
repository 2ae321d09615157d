/**
 * WebGPU forward kernels of softmax focal cross-entropy, dense and sparse
 * labels: host work only (shapes, variant, uniforms, launch). One dispatch
 * writes loss [rows] and lse [rows]; the WGSL (online log-sum-exp, then the
 * focal terms) is FocalRowProgram in focal_cross_entropy_webgpu.ts.
 */
import {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import {
  FocalCrossEntropy, FocalCrossEntropyAttrs, SoftmaxCrossEntropyInputs, SparseFocalCrossEntropy,
} from '../kernel_names';
import {focalClassFactor, runFocalRows} from './focal_host';
import {makeEmpty, makeOutput} from './launch';
import {rowsAndClasses} from './softmax_host';

function forward(sparse: boolean, kernel: string): KernelFunc {
  return ({inputs, backend, attrs}) => {
    const {logits, labels} = inputs as SoftmaxCrossEntropyInputs;
    const a = attrs as unknown as FocalCrossEntropyAttrs;
    const webgpu = backend as WebGPUBackend;
    const [rows, C] = rowsAndClasses(logits, labels, sparse, kernel);
    focalClassFactor(a, C, kernel);
    if (rows === 0) {
      return [makeEmpty(webgpu, [0]), makeEmpty(webgpu, [0])];
    }
    const loss = makeOutput(webgpu, [rows]);
    const lse = makeOutput(webgpu, [rows]);
    runFocalRows(webgpu, 'forward', sparse, [loss, lse], [logits, labels], rows, C, a, kernel);
    return [loss, lse];
  };
}

export const focalCrossEntropyConfig: KernelConfig = {
  kernelName: FocalCrossEntropy,
  backendName: 'webgpu',
  kernelFunc: forward(false, FocalCrossEntropy),
};

export const sparseFocalCrossEntropyConfig: KernelConfig = {
  kernelName: SparseFocalCrossEntropy,
  backendName: 'webgpu',
  kernelFunc: forward(true, SparseFocalCrossEntropy),
};

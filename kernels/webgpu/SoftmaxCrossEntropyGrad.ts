/**
 * WebGPU backward kernels of softmax cross-entropy: host work only.
 *  - dense, w.r.t. logits: a row program (a label-mass row sum, then the
 *    elementwise sweep), softmax_cross_entropy_webgpu.ts;
 *  - sparse w.r.t. logits and dense w.r.t. labels: elementwise programs,
 *    softmax_cross_entropy_grad_webgpu.ts.
 */
import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import {
  SoftmaxCrossEntropyGrad, SoftmaxCrossEntropyGradAttrs, SoftmaxCrossEntropyGradInputs,
  SparseSoftmaxCrossEntropyGrad,
} from '../kernel_names';
import {disposeTemp, FusedProgram, launch, makeEmpty, makeOutput, storageType, uploadVector} from './launch';
import {ELEMENTWISE_WG, rowVariant, rowWorkgroups} from './row_layout';
import {checkClassWeights, rowsAndClasses, softmaxUniforms} from './SoftmaxCrossEntropy';
import {SoftmaxCrossEntropyGradProgram} from './softmax_cross_entropy_webgpu';
import {SoftmaxCrossEntropyLabelsGradProgram, SparseSoftmaxCrossEntropyGradProgram} from './softmax_cross_entropy_grad_webgpu';

function backward(sparse: boolean, kernel: string): KernelFunc {
  return ({inputs, backend, attrs}) => {
    const {logits, labels, lse, dy} = inputs as SoftmaxCrossEntropyGradInputs;
    const a = attrs as unknown as SoftmaxCrossEntropyGradAttrs;
    const webgpu = backend as WebGPUBackend;
    const [rows, C] = rowsAndClasses(logits, labels, sparse, kernel);
    checkClassWeights(a, C, kernel);
    if (sparse && a.wrt === 'labels') {
      throw new Error(`${kernel} (webgpu): sparse labels have no gradient`);
    }
    if (rows === 0) {
      return makeEmpty(webgpu, [0, C]);
    }
    const hasWeights = a.classWeights != null;
    const vec = C % 4 === 0 ? 4 : 1;
    const types = (ts: TensorInfo[]) => ts.map(t => storageType(webgpu, t));
    let program: FusedProgram;
    let programInputs = [logits, labels, lse, dy];
    let workgroups: number;
    if (!sparse && a.wrt === 'logits') {
      const variant = rowVariant(webgpu, C, hasWeights);
      program = new SoftmaxCrossEntropyGradProgram(variant, types(programInputs));
      workgroups = rowWorkgroups(variant, rows);
    } else {
      const variant = {wg: ELEMENTWISE_WG, vec, weights: hasWeights} as const;
      if (sparse) {
        program = new SparseSoftmaxCrossEntropyGradProgram(variant, types(programInputs));
      } else {
        programInputs = [logits, lse, dy];
        program = new SoftmaxCrossEntropyLabelsGradProgram(variant, types(programInputs));
      }
      workgroups = Math.ceil(rows * C / vec / ELEMENTWISE_WG);
    }
    const out = makeOutput(webgpu, [rows, C]);
    const weights = hasWeights ? uploadVector(webgpu, a.classWeights as number[]) : null;
    launch(webgpu, program, [out], weights ? [...programInputs, weights] : programInputs,
        softmaxUniforms(rows, C, a), workgroups);
    if (weights) {
      disposeTemp(webgpu, weights);
    }
    return out;
  };
}

export const softmaxCrossEntropyGradConfig: KernelConfig = {
  kernelName: SoftmaxCrossEntropyGrad,
  backendName: 'webgpu',
  kernelFunc: backward(false, SoftmaxCrossEntropyGrad),
};

export const sparseSoftmaxCrossEntropyGradConfig: KernelConfig = {
  kernelName: SparseSoftmaxCrossEntropyGrad,
  backendName: 'webgpu',
  kernelFunc: backward(true, SparseSoftmaxCrossEntropyGrad),
};

/**
 * WebGPU backward kernels of softmax cross-entropy: host work only.
 *  - dense, w.r.t. logits: a row program (a label-mass row sum, then the
 *    elementwise sweep), softmax_cross_entropy_webgpu.ts;
 *  - sparse w.r.t. logits and dense w.r.t. labels: elementwise programs,
 *    softmax_cross_entropy_grad_webgpu.ts; the sparse one also over the
 *    logits' own buffer (SparseSoftmaxCrossEntropyGradInPlace, aliasing rule
 *    in kernel_names.ts).
 * Every program multiplies by the uniform scale and reads dy per row, or its
 * one element for reduction 'all' (the dy mode, in the program's key).
 */
import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import {
  SoftmaxCrossEntropyGrad, SoftmaxCrossEntropyGradAttrs, SoftmaxCrossEntropyGradInputs,
  SparseSoftmaxCrossEntropyGrad, SparseSoftmaxCrossEntropyGradInPlace,
} from '../kernel_names';
import {checkInPlaceTarget} from '../linear_cross_entropy_checks';
import {aliasInPlace, disposeTemp, FusedProgram, launch, makeEmpty, makeOutput, storageType, uploadVector} from './launch';
import {ELEMENTWISE_WG, rowVariant, rowWorkgroups} from './row_layout';
import {SoftmaxCrossEntropyGradProgram} from './softmax_cross_entropy_webgpu';
import {checkClassWeights, rowsAndClasses, softmaxUniforms} from './softmax_host';
import {SoftmaxCrossEntropyLabelsGradProgram, SparseSoftmaxCrossEntropyGradProgram} from './softmax_cross_entropy_grad_webgpu';
import {checkRowDy, softmaxReduction} from './softmax_reduction_webgpu';

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
    const dyMode = softmaxReduction(a.reduction, kernel);
    checkRowDy(dyMode, dy, rows, kernel);
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
      program = new SoftmaxCrossEntropyGradProgram(variant, types(programInputs), dyMode);
      workgroups = rowWorkgroups(variant, rows);
    } else {
      const variant = {wg: ELEMENTWISE_WG, vec, weights: hasWeights} as const;
      if (sparse) {
        program = new SparseSoftmaxCrossEntropyGradProgram(variant, types(programInputs), false, dyMode);
      } else {
        programInputs = [logits, lse, dy];
        program = new SoftmaxCrossEntropyLabelsGradProgram(variant, types(programInputs), dyMode);
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

/** The sparse gradient written over the logits; the output shares their dataId. */
const sparseGradInPlace: KernelFunc = ({inputs, backend, attrs}) => {
  const {logits, labels, lse, dy} = inputs as SoftmaxCrossEntropyGradInputs;
  const a = attrs as unknown as SoftmaxCrossEntropyGradAttrs;
  const webgpu = backend as WebGPUBackend;
  const kernel = SparseSoftmaxCrossEntropyGradInPlace;
  const [rows, C] = rowsAndClasses(logits, labels, true, kernel);
  checkClassWeights(a, C, kernel);
  if (a.wrt !== 'logits') {
    throw new Error(`${kernel} (webgpu): sparse labels have no gradient`);
  }
  const dyMode = softmaxReduction(a.reduction, kernel);
  checkRowDy(dyMode, dy, rows, kernel);
  checkInPlaceTarget(kernel, logits, [labels, lse, dy], webgpu.refCount(logits.dataId));
  if (storageType(webgpu, logits) !== 'f32') {
    throw new Error(`${kernel} (webgpu): the logits' buffer is not float32 (a cast tensor): not written in place`);
  }
  if (rows * C === 0) {
    // Nothing written: the logits' own (empty) data, shared as aliasInPlace
    // would but keeping tfjs's host copy, the only copy an empty tensor has.
    webgpu.incRef(logits.dataId);
    return {dataId: logits.dataId, shape: logits.shape, dtype: logits.dtype};
  }
  const hasWeights = a.classWeights != null;
  const variant = {wg: ELEMENTWISE_WG, vec: C % 4 === 0 ? 4 : 1, weights: hasWeights} as const;
  const inputsRead = [labels, lse, dy];
  const program = new SparseSoftmaxCrossEntropyGradProgram(variant, ['f32', ...inputsRead.map(t => storageType(webgpu, t))],
      true, dyMode);
  const weights = hasWeights ? uploadVector(webgpu, a.classWeights as number[]) : null;
  launch(webgpu, program, [logits], weights ? [...inputsRead, weights] : inputsRead,
      softmaxUniforms(rows, C, a), Math.ceil(rows * C / variant.vec / ELEMENTWISE_WG));
  if (weights) {
    disposeTemp(webgpu, weights);
  }
  return aliasInPlace(webgpu, logits);
};

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

export const sparseSoftmaxCrossEntropyGradInPlaceConfig: KernelConfig = {
  kernelName: SparseSoftmaxCrossEntropyGradInPlace,
  backendName: 'webgpu',
  kernelFunc: sparseGradInPlace,
};

/**
 * WebGPU kernel LinearSparseSoftmaxCrossEntropy (kernels/kernel_names.ts):
 * host work only. Plans the vocabulary slices, then launches the tile program
 * (matmul fused with the online softmax, one workgroup per 32 rows × slice)
 * and the combine program (one thread per row) of linear_cross_entropy_webgpu.ts.
 */
import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import {LinearSparseSoftmaxCrossEntropy, LinearSparseSoftmaxCrossEntropyAttrs, LinearSparseSoftmaxCrossEntropyInputs} from '../kernel_names';
import {linearCrossEntropyShape} from '../linear_cross_entropy_checks';
import {disposeTemp, launch, makeEmpty, makeOutput, storageType, uploadVector} from './launch';
import {LCE_COMBINE_WG, LCE_STATE, LCE_TILE, LinearCrossEntropyCombineProgram, LinearCrossEntropyTileProgram} from './linear_cross_entropy_webgpu';
import {checkClassWeights, softmaxUniforms} from './softmax_host';
import {sliceLongLoop} from './split_k';

/**
 * Vocabulary slices: MatMulAccumulate's split-K rule (sliceLongLoop) with the
 * row tiles as the workgroups that would each walk the whole vocabulary (its
 * constants are a model, not measured on a GPU; see split_k.ts).
 */
export function vocabSlices(N: number, V: number): {splits: number, vSlice: number} {
  const {splits, kSlice} = sliceLongLoop(Math.ceil(N / LCE_TILE), V);
  return {splits, vSlice: kSlice};
}

const linearSparseSoftmaxCrossEntropy: KernelFunc = ({inputs, backend, attrs}) => {
  const ins = inputs as LinearSparseSoftmaxCrossEntropyInputs;
  const a = attrs as unknown as LinearSparseSoftmaxCrossEntropyAttrs;
  const webgpu = backend as WebGPUBackend;
  const kernel = LinearSparseSoftmaxCrossEntropy;
  const {N, H, V} = linearCrossEntropyShape(ins, a.weightLayout);
  checkClassWeights(a, V, kernel);
  if (ins.labels.dtype !== 'int32') {
    throw new Error(`${kernel} (webgpu): labels must be int32, got ${ins.labels.dtype}`);
  }
  if (N === 0) {
    return [makeEmpty(webgpu, [0]), makeEmpty(webgpu, [0, 2])];
  }
  const {splits, vSlice} = vocabSlices(N, V);
  const rowTiles = Math.ceil(N / LCE_TILE);
  // W(v, k) = weight[v·wRow + k·wCol]
  const [wRow, wCol] = a.weightLayout === 'VH' ? [H, 1] : [1, V];
  const bias = ins.bias ?? null;
  const hasWeights = a.classWeights != null;
  const variant = {
    types: [ins.hidden, ins.weight, ...(bias ? [bias] : [])].map(t => storageType(webgpu, t)),
    hasBias: bias != null, weights: hasWeights,
  };
  const u = (data: number) => ({type: 'uint32' as const, data: [data] as [number]});
  // The softmax attributes in the order of LINEAR_CE_UNIFORMS (after the sizes).
  const attrUniforms = softmaxUniforms(N, V, a).slice(2);
  const uniforms = [u(N), u(H), u(V), u(wRow), u(wCol), u(vSlice), u(splits), u(rowTiles), ...attrUniforms];
  const weights = hasWeights ? uploadVector(webgpu, a.classWeights as number[]) : null;
  const partial = makeOutput(webgpu, [splits, N, LCE_STATE]);
  const tileInputs: TensorInfo[] = [ins.hidden, ins.weight, ins.labels, ...(bias ? [bias] : []), ...(weights ? [weights] : [])];
  launch(webgpu, new LinearCrossEntropyTileProgram(variant), [partial], tileInputs, uniforms, rowTiles * splits);
  const loss = makeOutput(webgpu, [N]);
  const lse = makeOutput(webgpu, [N, 2]);  // (m, s) per row
  launch(webgpu, new LinearCrossEntropyCombineProgram(hasWeights), [loss, lse],
      [partial, ins.labels, ...(weights ? [weights] : [])], uniforms, Math.ceil(N / LCE_COMBINE_WG));
  disposeTemp(webgpu, partial);
  if (weights) {
    disposeTemp(webgpu, weights);
  }
  return [loss, lse];
};

export const linearSparseSoftmaxCrossEntropyConfig: KernelConfig = {
  kernelName: LinearSparseSoftmaxCrossEntropy,
  backendName: 'webgpu',
  kernelFunc: linearSparseSoftmaxCrossEntropy,
};

/**
 * WebGL kernels FusedSoftmaxCrossEntropyGrad and
 * FusedSparseSoftmaxCrossEntropyGrad: host side only. Programs and formulas
 * in softmax_cross_entropy_grad_gpu.ts.
 *
 * Launches: sparse, 1 elementwise pass. Dense w.r.t. logits, 1 row-sum pass
 * over the labels (more stages when C > singlePassMax()) for W[i], then 1 elementwise
 * pass. Dense w.r.t. labels, 1 elementwise pass.
 */
import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {SoftmaxCrossEntropyGrad, SoftmaxCrossEntropyGradAttrs, SparseSoftmaxCrossEntropyGrad} from '../kernel_names';

import {asWebGL, isPackedOnGpu, planReduction, sumOf, uploadVector} from './kernel_util';
import {SoftmaxCEGradProgram, SoftmaxCERowWeightProgram} from './softmax_cross_entropy_grad_gpu';

type Args = Parameters<KernelFunc>[0];

/** W[i] = Σ_c w[c]·ŷ[i,c] as a [rows] tensor, by a staged row sum. */
function rowTargetWeight(
    backend: MathBackendWebGL, labels: TensorInfo, weights: TensorInfo | null,
    attrs: SoftmaxCrossEntropyGradAttrs, packed: boolean): TensorInfo {
  const [rows, numClasses] = labels.shape;
  const smoothing = [
    [1 - attrs.labelSmoothing], [numClasses > 0 ? attrs.labelSmoothing / numClasses : 0],
  ];
  let partial: TensorInfo | null = null;
  for (const stage of planReduction(numClasses)) {
    const fromLabels = partial == null;
    const program = new SoftmaxCERowWeightProgram({
      rows,
      numWindows: stage.outSize,
      loopBound: stage.loopBound,
      source: fromLabels ? 'labels' : 'partials',
      weighted: weights != null,
      packed,
    });
    const inputs = partial != null ? [partial] : weights == null ? [labels] : [labels, weights];
    const next: TensorInfo = backend.runWebGLProgram(
        program, inputs, 'float32', [[stage.inSize], [stage.windowSize], ...smoothing]);
    if (partial != null) backend.disposeIntermediateTensorInfo(partial);
    partial = next;
  }
  // [rows, 1] unpacked -> [rows]: same texture, same flat layout (the reshape
  // tfjs does for unpacked tensors); the caller disposes it through this info.
  const result = partial as TensorInfo;
  return {dataId: result.dataId, shape: [rows], dtype: result.dtype};
}

function softmaxCrossEntropyBackward(args: Args, sparse: boolean): TensorInfo {
  const backend = asWebGL(args.backend);
  const {logits, labels, lse, dy} = args.inputs as
      {logits: TensorInfo, labels: TensorInfo, lse: TensorInfo, dy: TensorInfo};
  const attrs = args.attrs as unknown as SoftmaxCrossEntropyGradAttrs;
  const [rows, numClasses] = logits.shape;
  const packed = isPackedOnGpu(backend, logits);
  const weights = attrs.classWeights == null ? null : uploadVector(backend, attrs.classWeights);
  const rowWeight = !sparse && attrs.wrt === 'logits' ?
      // Reads only the labels: their layout picks the variant.
      rowTargetWeight(backend, labels, weights, attrs, isPackedOnGpu(backend, labels)) :
      null;

  const inputs = [logits, labels, lse, dy];
  if (rowWeight != null) inputs.push(rowWeight);
  if (weights != null) inputs.push(weights);
  const program = new SoftmaxCEGradProgram({
    rows,
    numClasses,
    sparse,
    wrt: attrs.wrt,
    weighted: weights != null,
    hasIgnoreIndex: sparse && attrs.ignoreIndex != null,
    packed,
  });
  const result = backend.runWebGLProgram(program, inputs, 'float32', [
    [numClasses], [1 / attrs.temperature], [1 - attrs.labelSmoothing],
    [numClasses > 0 ? attrs.labelSmoothing / numClasses : 0], [attrs.zLoss],
    [sumOf(attrs.classWeights, numClasses)], [attrs.ignoreIndex ?? 0],
  ]);

  if (rowWeight != null) backend.disposeIntermediateTensorInfo(rowWeight);
  if (weights != null) backend.disposeIntermediateTensorInfo(weights);
  return result;
}

export const softmaxCrossEntropyGradConfig: KernelConfig = {
  kernelName: SoftmaxCrossEntropyGrad,
  backendName: 'webgl',
  kernelFunc: (args) => softmaxCrossEntropyBackward(args, false),
};

export const sparseSoftmaxCrossEntropyGradConfig: KernelConfig = {
  kernelName: SparseSoftmaxCrossEntropyGrad,
  backendName: 'webgl',
  kernelFunc: (args) => softmaxCrossEntropyBackward(args, true),
};

/**
 * WebGL kernels FusedSoftmaxCrossEntropy (dense labels) and
 * FusedSparseSoftmaxCrossEntropy (int32 labels): host side only (shapes,
 * uniforms, launches). The programs and the algorithm are in
 * softmax_cross_entropy_gpu.ts.
 *
 * Launches per call: 1 stats pass over the logits, merge passes over the
 * partials when C > singlePassMax() (1 up to C = 128², 2 for C = 32000), then
 * 2 finalize passes over `rows` texels (loss, and the saved (m, s) [rows, 2];
 * the sparse loss reads the labels in their own layout).
 * The loss is `scale·L[i]`; reduction 'all' sums it with tfjs's Sum kernel
 * (its own reduce programs over `rows` values: softmax_reduction_webgl.ts).
 */
import type {KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {SoftmaxCrossEntropy, SoftmaxCrossEntropyAttrs, SparseSoftmaxCrossEntropy} from '../kernel_names';

import {asWebGL, isPackedOnGpu, planReduction, texShapeIs, uploadVector, webglKernel, withRawTexels} from './kernel_util';
import {SoftmaxCEFinalizeProgram, SoftmaxCEMergeProgram, SoftmaxCEStatsProgram} from './softmax_cross_entropy_gpu';
import {reduceLoss, softmaxReduction} from './softmax_reduction_webgl';

type Args = Parameters<KernelFunc>[0];

function softmaxCrossEntropyForward(args: Args, sparse: boolean): TensorInfo[] {
  const backend = asWebGL(args.backend);
  const {logits, labels} = args.inputs as {logits: TensorInfo, labels: TensorInfo};
  const attrs = args.attrs as unknown as SoftmaxCrossEntropyAttrs;
  const {reduction, scale} = softmaxReduction(attrs, sparse ? SparseSoftmaxCrossEntropy : SoftmaxCrossEntropy);
  const [rows, numClasses] = logits.shape;
  const packed = isPackedOnGpu(backend, logits);
  const weights = attrs.classWeights == null ? null : uploadVector(backend, attrs.classWeights);
  const negInf = [-Infinity];
  // Unpacked: make every texture the stats pass addresses linearly exist
  // now (a no-op for tensors already on the GPU; nothing for empty ones).
  if (!packed && rows * numClasses > 0) {
    for (const t of sparse ? [logits, weights] : [logits, labels, weights]) {
      if (t != null) backend.uploadToGPU(t.dataId);
    }
  }

  const [first, ...merges] = planReduction(numClasses);
  let stats = backend.runWebGLProgram(
      new SoftmaxCEStatsProgram({
        rows,
        numWindows: first.outSize,
        loopBound: first.loopBound,
        sparse,
        weighted: weights != null,
        packed,
        linear: !packed,
        smoothed: attrs.labelSmoothing > 0,
      }),
      weights == null ? [logits, labels] : [logits, labels, weights], 'float32', [
        [numClasses], [first.windowSize], [1 / attrs.temperature], [1 - attrs.labelSmoothing],
        [numClasses > 0 ? attrs.labelSmoothing / numClasses : 0], negInf,
      ]);
  for (const stage of merges) {
    const merged = backend.runWebGLProgram(
        new SoftmaxCEMergeProgram({rows, numWindows: stage.outSize, loopBound: stage.loopBound}),
        [stats], 'float32', [[stage.inSize], [stage.windowSize], negInf, [1 / attrs.temperature]]);
    backend.disposeIntermediateTensorInfo(stats);
    stats = merged;
  }

  const hasIgnoreIndex = sparse && attrs.ignoreIndex != null;
  const finalUniforms = [[numClasses], [attrs.zLoss], [attrs.ignoreIndex ?? 0], [1 / attrs.temperature]];
  // Sparse: unpacked labels stay unpacked (no pack pass over them), the
  // packed stats read raw when their texture has the [2·rows, 2] shape.
  const rawStats = sparse && !isPackedOnGpu(backend, labels) && texShapeIs(backend, stats, 2 * rows, 2);
  const finalizeLoss = () => backend.runWebGLProgram(
      new SoftmaxCEFinalizeProgram({rows, output: 'loss', sparse, hasIgnoreIndex, rawStats}),
      sparse ? [stats, labels] : [stats], 'float32', [...finalUniforms, [scale]]);
  const loss = rawStats ? withRawTexels(backend, [stats], finalizeLoss) : finalizeLoss();
  // The saved (m, s) per row, [rows, 2] (kernel_names.ts).
  const lse = backend.runWebGLProgram(
      new SoftmaxCEFinalizeProgram({rows, output: 'stats', sparse, hasIgnoreIndex}), [stats],
      'float32', finalUniforms);

  backend.disposeIntermediateTensorInfo(stats);
  if (weights != null) backend.disposeIntermediateTensorInfo(weights);
  return [reduceLoss(backend, loss, reduction, scale), lse];
}

export const softmaxCrossEntropyConfig = webglKernel(SoftmaxCrossEntropy,
    (args) => softmaxCrossEntropyForward(args, false));

export const sparseSoftmaxCrossEntropyConfig = webglKernel(SparseSoftmaxCrossEntropy,
    (args) => softmaxCrossEntropyForward(args, true));

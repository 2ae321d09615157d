/**
 * WebGL kernels FusedFocalCrossEntropy (dense labels) and
 * FusedSparseFocalCrossEntropy (int32 labels): host side only. Programs and
 * formulas in focal_cross_entropy_gpu.ts.
 *
 * Launches per call: the saved (m, s) [rows, 2] as the softmax cross-entropy
 * forward computes it (its stats pass, merge passes when C > singlePassMax(),
 * its stats finalize), then the focal row sum (1 pass, plus merges when
 * C > singlePassMax()) whose last stage is the loss. Sparse without
 * smoothing: (m, s), then one per-row pass (FocalTargetLossProgram).
 */
import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';
import type {KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {FocalCrossEntropy, FocalCrossEntropyAttrs, SparseFocalCrossEntropy} from '../kernel_names';

import {FocalTargetLossProgram} from './focal_cross_entropy_gpu';
import {focalRowSum, focalUniformValues, uploadFocalAlpha} from './focal_host';
import {asWebGL, isPackedOnGpu, planReduction, webglKernel} from './kernel_util';
import {SoftmaxCEFinalizeProgram, SoftmaxCEMergeProgram, SoftmaxCEStatsProgram} from './softmax_cross_entropy_gpu';

type Args = Parameters<KernelFunc>[0];

/**
 * The saved (m, s) [rows, 2] of z = logits/T (kernel_names.ts: m the row max
 * of the raw logits, s = Σ exp((x − m)/T)) by the softmax cross-entropy's own
 * staged online-lse programs (softmax_cross_entropy_gpu.ts). Their target
 * sums are switched off: ŷ = 0·y + 0 with zero smoothing uniforms, so no
 * class enters them (a NaN ŷ from an infinite "label" only reaches the A, B
 * statistics, which the stats finalize does not read). Sparse: the real labels (read once
 * per fragment). Dense: the logits stand in for the labels, so the pass reads
 * no second [rows, C] texture (each texel is fetched twice, from one texture).
 */
function stagedStats(backend: MathBackendWebGL, logits: TensorInfo, labels: TensorInfo, sparse: boolean,
                          packed: boolean, temperature: number): TensorInfo {
  const [rows, numClasses] = logits.shape;
  const negInf = [-Infinity];
  const [first, ...merges] = planReduction(numClasses);
  let stats = backend.runWebGLProgram(
      new SoftmaxCEStatsProgram(
          {rows, numWindows: first.outSize, loopBound: first.loopBound, sparse, weighted: false, packed}),
      [logits, sparse ? labels : logits], 'float32',
      [[numClasses], [first.windowSize], [1 / temperature], [0], [0], negInf]);
  for (const stage of merges) {
    const merged = backend.runWebGLProgram(
        new SoftmaxCEMergeProgram({rows, numWindows: stage.outSize, loopBound: stage.loopBound}), [stats],
        'float32', [[stage.inSize], [stage.windowSize], negInf, [1 / temperature]]);
    backend.disposeIntermediateTensorInfo(stats);
    stats = merged;
  }
  const saved = backend.runWebGLProgram(
      new SoftmaxCEFinalizeProgram({rows, output: 'stats', sparse, hasIgnoreIndex: false}), [stats], 'float32',
      [[numClasses], [0], [0], [1 / temperature]]);
  backend.disposeIntermediateTensorInfo(stats);
  return saved;
}

function focalForward(args: Args, sparse: boolean): TensorInfo[] {
  const backend = asWebGL(args.backend);
  const {logits, labels} = args.inputs as {logits: TensorInfo, labels: TensorInfo};
  const attrs = args.attrs as unknown as FocalCrossEntropyAttrs;
  const [rows, numClasses] = logits.shape;
  const packed = isPackedOnGpu(backend, logits);
  const alpha = uploadFocalAlpha(backend, attrs, numClasses);
  const lse = stagedStats(backend, logits, labels, sparse, packed, attrs.temperature);
  let loss: TensorInfo;
  if (sparse && attrs.labelSmoothing === 0) {
    loss = backend.runWebGLProgram(
        new FocalTargetLossProgram(
            {rows, hasIgnoreIndex: attrs.ignoreIndex != null, perClassAlpha: alpha != null, packed}),
        alpha == null ? [logits, labels, lse] : [logits, labels, lse, alpha], 'float32',
        focalUniformValues(attrs, numClasses));
  } else {
    loss = focalRowSum(backend, 'loss', logits, labels, lse, alpha, attrs, sparse, packed);
  }
  if (alpha != null) backend.disposeIntermediateTensorInfo(alpha);
  return [loss, lse];
}

export const focalCrossEntropyConfig = webglKernel(FocalCrossEntropy, (args) => focalForward(args, false));

export const sparseFocalCrossEntropyConfig = webglKernel(SparseFocalCrossEntropy, (args) => focalForward(args, true));

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

import {FocalPartialSumProgram, FocalRowSumProgram, FocalTargetLossProgram} from './focal_cross_entropy_gpu';
import {asWebGL, isPackedOnGpu, planReduction, uploadVector, webglKernel} from './kernel_util';
import {SoftmaxCEFinalizeProgram, SoftmaxCEMergeProgram, SoftmaxCEStatsProgram} from './softmax_cross_entropy_gpu';

type Args = Parameters<KernelFunc>[0];

/**
 * a[c] = α[c]·w[c] as an uploaded [C] vector (caller disposes), or null when
 * a is one scalar (`alphaScalar` uniform: α alone, no class weights).
 */
export function uploadFocalAlpha(backend: MathBackendWebGL, attrs: FocalCrossEntropyAttrs, C: number): TensorInfo | null {
  const {alpha, classWeights} = attrs;
  if (alpha.length !== 1 && alpha.length !== C) {
    throw new Error(`focal cross-entropy: alpha has length ${alpha.length}, expected 1 or ${C}`);
  }
  if (alpha.length === 1 && classWeights == null) return null;
  const a = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    a[c] = (alpha.length === 1 ? alpha[0] : alpha[c]) * (classWeights == null ? 1 : classWeights[c]);
  }
  return uploadVector(backend, a);
}

/** Values of FOCAL_UNIFORMS, in order. */
export function focalUniformValues(attrs: FocalCrossEntropyAttrs, C: number, windowSize = 0): number[][] {
  return [
    [C], [windowSize], [1 / attrs.temperature], [1 - attrs.labelSmoothing],
    [C > 0 ? attrs.labelSmoothing / C : 0], [attrs.gamma], [attrs.alpha.length === 1 ? attrs.alpha[0] : 1],
    [attrs.ignoreIndex ?? 0],
  ];
}

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
export function stagedStats(backend: MathBackendWebGL, logits: TensorInfo, labels: TensorInfo, sparse: boolean,
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

/**
 * The focal row sum ('loss': Σ f·g, 'grad': S = Σ (f + B)) as a [rows]
 * tensor: stage 1 over the row's classes, then merges of the partials.
 */
export function focalRowSum(backend: MathBackendWebGL, sum: 'loss' | 'grad', logits: TensorInfo, labels: TensorInfo,
                            lse: TensorInfo, alpha: TensorInfo | null, attrs: FocalCrossEntropyAttrs, sparse: boolean,
                            packed: boolean): TensorInfo {
  const [rows, numClasses] = logits.shape;
  const [first, ...merges] = planReduction(numClasses);
  let partial = backend.runWebGLProgram(
      new FocalRowSumProgram({
        rows,
        numWindows: first.outSize,
        loopBound: first.loopBound,
        sum,
        sparse,
        hasIgnoreIndex: sparse && attrs.ignoreIndex != null,
        perClassAlpha: alpha != null,
        packed,
      }),
      alpha == null ? [logits, labels, lse] : [logits, labels, lse, alpha], 'float32',
      focalUniformValues(attrs, numClasses, first.windowSize));
  for (const stage of merges) {
    const merged = backend.runWebGLProgram(
        new FocalPartialSumProgram({rows, numWindows: stage.outSize, loopBound: stage.loopBound}), [partial],
        'float32', [[stage.inSize], [stage.windowSize]]);
    backend.disposeIntermediateTensorInfo(partial);
    partial = merged;
  }
  // [rows, 1] unpacked -> [rows]: the same texture and flat layout (what
  // tfjs's reshape does for unpacked data); disposed through this info.
  return {dataId: partial.dataId, shape: [rows], dtype: partial.dtype};
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

/**
 * Host-side helpers of the WebGL focal kernels (FocalCrossEntropy.ts,
 * FocalCrossEntropyGrad.ts): the class factor upload, the FOCAL_UNIFORMS
 * values and the staged focal row sum. Programs in focal_cross_entropy_gpu.ts.
 */
import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';
import type {TensorInfo} from '@tensorflow/tfjs-core';

import {FocalCrossEntropyAttrs} from '../kernel_names';

import {FocalPartialSumProgram, FocalRowSumProgram} from './focal_cross_entropy_gpu';
import {planReduction, uploadVector} from './kernel_util';

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

/**
 * WebGL kernels FusedFocalCrossEntropyGrad and
 * FusedSparseFocalCrossEntropyGrad: host side only. Programs and formulas in
 * focal_cross_entropy_gpu.ts.
 *
 * Launches: w.r.t. logits, the row sum S = A + Bs (1 pass over logits and
 * labels, plus merges when C > singlePassMax()) and 1 elementwise pass;
 * sparse without smoothing, the elementwise pass alone (S from the target
 * logit). W.r.t. dense labels, 1 elementwise pass. The forward's saved
 * (m, s) [rows, 2] is read as is: d = (x − m)/T − log s
 * (focal_cross_entropy_gpu.ts).
 */
import type {KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {FocalCrossEntropyGrad, FocalCrossEntropyGradAttrs, SparseFocalCrossEntropyGrad} from '../kernel_names';

import {FocalGradProgram} from './focal_cross_entropy_gpu';
import {focalRowSum, focalUniformValues, uploadFocalAlpha} from './focal_host';
import {asWebGL, isPackedOnGpu, webglKernel} from './kernel_util';

type Args = Parameters<KernelFunc>[0];

function focalBackward(args: Args, sparse: boolean): TensorInfo {
  const backend = asWebGL(args.backend);
  const {logits, labels, lse, dy} = args.inputs as
      {logits: TensorInfo, labels: TensorInfo, lse: TensorInfo, dy: TensorInfo};
  const attrs = args.attrs as unknown as FocalCrossEntropyGradAttrs;
  if (sparse && attrs.wrt !== 'logits') {
    throw new Error('sparse focal cross-entropy: sparse labels are not differentiable');
  }
  const [rows, numClasses] = logits.shape;
  const packed = isPackedOnGpu(backend, logits);
  const alpha = uploadFocalAlpha(backend, attrs, numClasses);
  const targetOnly = sparse && attrs.labelSmoothing === 0;
  const rowSum = attrs.wrt === 'logits' && !targetOnly ?
      focalRowSum(backend, 'grad', logits, labels, lse, alpha, attrs, sparse, packed) :
      null;

  const inputs = [logits, labels, lse, dy];
  if (rowSum != null) inputs.push(rowSum);
  if (alpha != null) inputs.push(alpha);
  const result = backend.runWebGLProgram(
      new FocalGradProgram({
        rows,
        numClasses,
        sparse,
        wrt: attrs.wrt,
        targetOnly,
        hasIgnoreIndex: sparse && attrs.ignoreIndex != null,
        perClassAlpha: alpha != null,
        packed,
      }),
      inputs, 'float32', focalUniformValues(attrs, numClasses));

  if (rowSum != null) backend.disposeIntermediateTensorInfo(rowSum);
  if (alpha != null) backend.disposeIntermediateTensorInfo(alpha);
  return result;
}

export const focalCrossEntropyGradConfig = webglKernel(FocalCrossEntropyGrad, (args) => focalBackward(args, false));

export const sparseFocalCrossEntropyGradConfig = webglKernel(SparseFocalCrossEntropyGrad,
    (args) => focalBackward(args, true));

/**
 * WebGL kernels FusedSigmoidCrossEntropy and FusedSigmoidCrossEntropyGrad:
 * host side only, one elementwise launch each. Program and formulas in
 * sigmoid_cross_entropy_gpu.ts.
 */
import type {KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {SigmoidCrossEntropy, SigmoidCrossEntropyGrad, SigmoidCrossEntropyGradAttrs} from '../kernel_names';

import {checkDy, dyView, reduceRows} from './elementwise_reduction_webgl';
import {asWebGL, isPackedOnGpu, uploadVector, webglKernel, wrtOf} from './kernel_util';
import {SigmoidCEProgram} from './sigmoid_cross_entropy_gpu';

type Args = Parameters<KernelFunc>[0];

function sigmoidCrossEntropy(args: Args, mode: 'forward' | 'logits' | 'labels'): TensorInfo {
  const backend = asWebGL(args.backend);
  const {logits, labels, dy} = args.inputs as {logits: TensorInfo, labels: TensorInfo, dy?: TensorInfo};
  const attrs = args.attrs as unknown as SigmoidCrossEntropyGradAttrs;
  const [rows, numClasses] = logits.shape;
  const dyMode = mode === 'forward' ? 'none' : checkDy(attrs.reduction, dy as TensorInfo, rows, numClasses, SigmoidCrossEntropyGrad);
  const q = attrs.posWeight;
  // A length-1 posWeight is a scalar uniform; a length-C one an input.
  const posWeight = q != null && q.length > 1 ? uploadVector(backend, q) : null;
  const program = new SigmoidCEProgram({
    rows,
    numClasses,
    mode,
    perClassPosWeight: posWeight != null,
    packed: isPackedOnGpu(backend, logits),
    dyMode,
  });
  const inputs = [logits, labels];
  if (mode !== 'forward') inputs.push(dyView(dy as TensorInfo, dyMode));
  if (posWeight != null) inputs.push(posWeight);
  const result = backend.runWebGLProgram(program, inputs, 'float32', [
    [1 - attrs.labelSmoothing], [attrs.labelSmoothing / 2], [q != null && q.length === 1 ? q[0] : 1], [attrs.scale ?? 1],
  ]);
  if (posWeight != null) backend.disposeIntermediateTensorInfo(posWeight);
  return mode === 'forward' ? reduceRows(backend, result, attrs.reduction, attrs.scale) : result;
}

export const sigmoidCrossEntropyConfig = webglKernel(SigmoidCrossEntropy,
    (args) => sigmoidCrossEntropy(args, 'forward'));

export const sigmoidCrossEntropyGradConfig = webglKernel(SigmoidCrossEntropyGrad,
    (args) => sigmoidCrossEntropy(args, wrtOf(args)));

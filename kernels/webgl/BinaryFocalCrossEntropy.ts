/**
 * WebGL kernels FusedBinaryFocalCrossEntropy and
 * FusedBinaryFocalCrossEntropyGrad: host side only, one elementwise launch
 * each. Program and formulas in binary_focal_cross_entropy_gpu.ts.
 */
import type {KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {BinaryFocalCrossEntropy, BinaryFocalCrossEntropyGrad, BinaryFocalCrossEntropyGradAttrs} from '../kernel_names';

import {BinaryFocalProgram} from './binary_focal_cross_entropy_gpu';
import {checkDy, dyView, reduceRows} from './elementwise_reduction_webgl';
import {asWebGL, isPackedOnGpu, webglKernel, wrtOf} from './kernel_util';

type Args = Parameters<KernelFunc>[0];

function binaryFocal(args: Args, mode: 'forward' | 'logits' | 'labels'): TensorInfo {
  const backend = asWebGL(args.backend);
  const {logits, labels, dy} = args.inputs as {logits: TensorInfo, labels: TensorInfo, dy?: TensorInfo};
  const attrs = args.attrs as unknown as BinaryFocalCrossEntropyGradAttrs;
  const [rows, numClasses] = logits.shape;
  const dyMode = mode === 'forward' ? 'none' : checkDy(attrs.reduction, dy as TensorInfo, rows, numClasses, BinaryFocalCrossEntropyGrad);
  const program = new BinaryFocalProgram({rows, numClasses, mode, packed: isPackedOnGpu(backend, logits), dyMode});
  const inputs = mode === 'forward' ? [logits, labels] : [logits, labels, dyView(dy as TensorInfo, dyMode)];
  const result = backend.runWebGLProgram(program, inputs, 'float32', [
    [1 - attrs.labelSmoothing], [attrs.labelSmoothing / 2], [attrs.gamma], [attrs.alpha],
    [attrs.applyClassBalancing ? 1 : 0], [attrs.scale ?? 1],
  ]);
  return mode === 'forward' ? reduceRows(backend, result, attrs.reduction, attrs.scale) : result;
}

export const binaryFocalCrossEntropyConfig = webglKernel(BinaryFocalCrossEntropy,
    (args) => binaryFocal(args, 'forward'));

export const binaryFocalCrossEntropyGradConfig = webglKernel(BinaryFocalCrossEntropyGrad,
    (args) => binaryFocal(args, wrtOf(args)));

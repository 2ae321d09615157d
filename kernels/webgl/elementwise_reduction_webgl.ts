/**
 * Host side of the fused reductions of the elementwise WebGL kernels
 * (sigmoid, binary focal; kernels/FORMULAS.md, "Fused reductions"): the
 * forward writes `scale·L` elementwise and sums it with tfjs-backend-webgl's
 * own Sum kernel (on the GPU); the backward reads dy per element, per row or
 * once (DyMode).
 */
import {getKernel, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';
import type {ElementwiseReduction} from '../kernel_names';
import {ElementArg, elementInput, rowInput, scalarInput} from './program_generator';

/**
 * How an elementwise backward reads dy (kernels/FORMULAS.md, "Fused
 * reductions"): 'none' [rows, C], 'rows' [rows] broadcast along C, 'all' a
 * scalar.
 */
export type DyMode = 'none' | 'rows' | 'all';

/**
 * dy as an `element` argument (DyMode above): a [rows, C] input, a [rows]
 * one (the (row, row + 1) pair of a packed texel, as the softmax backward
 * reads it), or one value (a [] input, as the softmax kernels' reduced dy).
 */
export function dyArg(mode: DyMode): ElementArg {
  switch (mode) {
    case 'none':
      return elementInput('dy', 'dy');
    case 'rows':
      return rowInput('dy', 'dy');
    case 'all':
      return scalarInput('dy', 'dy');
  }
}

/**
 * dy as the program samples it (its size already checked): for 'all' its
 * one element as a [] view of the same data (any layout holds it at flat
 * index 0), read with `getDy()` whatever shape the caller gave it, as the
 * softmax kernels' rowDy does; otherwise as given.
 */
export function dyView(dy: TensorInfo, dyMode: DyMode): TensorInfo {
  return dyMode === 'all' ? {dataId: dy.dataId, shape: [], dtype: dy.dtype} : dy;
}

/** The dy layout of a backward with `reduction`, after checking dy's size. */
export function checkDy(reduction: ElementwiseReduction | undefined, dy: TensorInfo, rows: number, C: number,
                        kernel: string): DyMode {
  const r = reduction ?? 'none';
  const expected: Record<string, number> = {none: rows * C, rows, all: 1};
  if (!(r in expected)) {
    throw new Error(`${kernel} (webgl): unknown reduction '${r}'`);
  }
  const size = dy.shape.reduce((a, b) => a * b, 1);
  if (size !== expected[r]) {
    throw new Error(`${kernel} (webgl): dy has ${size} elements, expected ${expected[r]} for reduction '${r}' of [${rows}, ${C}]`);
  }
  return r as DyMode;
}

/**
 * The forward's reduction of `loss` ([rows, C], already times scale): itself
 * for 'none', else its row sums ([rows]) or total ([]) by the backend's Sum
 * kernel. Disposes `loss` when it returns something else.
 */
export function reduceRows(backend: MathBackendWebGL, loss: TensorInfo, reduction: ElementwiseReduction | undefined,
                           scale = 1): TensorInfo {
  const r = reduction ?? 'none';
  if (r === 'none') {
    return loss;
  }
  const [rows, C] = loss.shape;
  let out: TensorInfo;
  if (rows * C === 0) {
    // Empty sums are 0, times scale (NaN for the mean of nothing, as tf.mean).
    out = backend.makeTensorInfo(r === 'rows' ? [rows] : [], 'float32',
        new Float32Array(r === 'rows' ? rows : 1).fill(0 * scale));
  } else {
    const sum = getKernel('Sum', 'webgl');
    if (sum == null) {
      throw new Error('fused cross-entropy (webgl): tfjs-backend-webgl has no Sum kernel');
    }
    out = (sum.kernelFunc as KernelFunc)({
      inputs: {x: loss}, backend, attrs: {axis: r === 'rows' ? [1] : [0, 1], keepDims: false},
    }) as TensorInfo;
  }
  backend.disposeIntermediateTensorInfo(loss);
  return out;
}

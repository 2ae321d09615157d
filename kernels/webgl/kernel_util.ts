/**
 * Host-side helpers of the WebGL kernels: layout choice, per-call uploads of
 * attribute vectors, and the plan of a staged row reduction.
 *
 * Type-only imports from tfjs-backend-webgl: importing its index at runtime
 * would register the webgl backend as a side effect; the kernels receive the
 * live backend instance from the engine instead.
 */
import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {loopBound} from './cross_entropy_glsl';
import {packedInputsEnabled, singlePassMax} from './flags_webgl';

export function asWebGL(backend: unknown): MathBackendWebGL {
  return backend as unknown as MathBackendWebGL;
}

/** The webgl KernelConfig of `kernelName`, run by `kernelFunc`. */
export function webglKernel(kernelName: string, kernelFunc: KernelFunc): KernelConfig {
  return {kernelName, backendName: 'webgl', kernelFunc};
}

/** A backward kernel's `wrt` attribute ('logits' or 'labels'). */
export function wrtOf(args: Parameters<KernelFunc>[0]): 'logits' | 'labels' {
  return (args.attrs as unknown as {wrt: 'logits' | 'labels'}).wrt;
}

/**
 * Whether `t` already lives on the GPU as a packed texture. The programs then
 * run their packed variant, so the backend does not unpack `t` first (tensors
 * still on the CPU upload in whichever layout the program asks for, free).
 * Always false when FUSED_CE_WEBGL_PACKED_INPUTS is off.
 */
export function isPackedOnGpu(backend: MathBackendWebGL, t: TensorInfo): boolean {
  if (!packedInputsEnabled()) return false;
  const data = backend.texData.get(t.dataId);
  return data != null && data.texture != null && data.isPacked === true;
}

/** Uploads a per-class attribute vector as a [n] float32 tensor (caller disposes). */
export function uploadVector(backend: MathBackendWebGL, values: ArrayLike<number>): TensorInfo {
  return backend.makeTensorInfo([values.length], 'float32', Float32Array.from(values));
}

/**
 * Rows up to `singlePassMax()` classes (default 128, flags_webgl.ts) are
 * reduced by one fragment each; longer rows are split into windows of ⌈√size⌉
 * elements reduced by parallel fragments, then merged: the square-root split
 * of tfjs's computeOptimalWindowSize, whose own threshold of 30 suits its
 * 4-wide sum/max programs, not one online-softmax fragment per row. The
 * measurement behind the default is in kernels/webgl/README.md.
 */
export interface ReductionStage {
  /** Elements per row entering the stage. */
  inSize: number;
  /** Elements each fragment reduces. */
  windowSize: number;
  /** Partials per row leaving the stage. */
  outSize: number;
  /** Baked loop bound: power of two ≥ windowSize (part of the shader key). */
  loopBound: number;
}

/** Stages of a row reduction of `size` elements down to one per row. */
export function planReduction(size: number): ReductionStage[] {
  const stages: ReductionStage[] = [];
  const limit = Math.max(singlePassMax(), 2);
  let inSize = Math.max(size, 1);
  do {
    // Windows of a split row start at even elements: the packed programs
    // then read whole texels (two classes) per step.
    const windowSize = inSize <= limit ? inSize : 2 * Math.ceil(Math.sqrt(inSize) / 2);
    const outSize = Math.ceil(inSize / windowSize);
    stages.push({inSize, windowSize, outSize, loopBound: loopBound(windowSize)});
    inSize = outSize;
  } while (inSize > 1);
  return stages;
}

/** Σ of a per-class weight vector (C ones when absent). */
export function sumOf(values: ArrayLike<number> | null, c: number): number {
  if (values == null) return c;
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s;
}

/** Whether `t`'s texture shape (tfjs's texData.texShape) is [h, w]. */
export function texShapeIs(backend: MathBackendWebGL, t: TensorInfo, h: number, w: number): boolean {
  const shape = backend.texData.get(t.dataId).texShape;
  return shape != null && shape[0] === h && shape[1] === w;
}

/**
 * Runs `f` with the packed textures of `ts` presented as unpacked, so an
 * unpacked program gets it bound as is (tfjs would otherwise run an unpack
 * pass) and reads whole RGBA texels itself (SoftmaxCEAlignedGradProgram's
 * `coefs`, the sparse loss finalize's `stats`). tfjs decides the layout per program, not per input; this is the
 * inputs of ours that want the other one. The flag is restored before
 * anything else sees the tensor (its texture returns to the packed pool on
 * disposal).
 */
export function withRawTexels<T>(backend: MathBackendWebGL, ts: TensorInfo[], f: () => T): T {
  const data = ts.map(t => backend.texData.get(t.dataId));
  for (const d of data) d.isPacked = false;
  try {
    return f();
  } finally {
    for (const d of data) d.isPacked = true;
  }
}

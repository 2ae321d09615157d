/**
 * Host-side helpers of the WebGPU softmax focal kernels (FocalCrossEntropy.ts,
 * FocalCrossEntropyGrad.ts): the class factor, the FOCAL_UNIFORMS values and
 * the launch of a FocalRowProgram (focal_cross_entropy_webgpu.ts).
 */
import type {TensorInfo} from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import type {FocalCrossEntropyAttrs} from '../kernel_names';
import {FocalRowMode, FocalRowProgram} from './focal_cross_entropy_webgpu';
import {disposeTemp, launch, storageType, UniformScalar, uploadVector} from './launch';
import {rowVariant, rowWorkgroups} from './row_layout';

/**
 * The class factor a[c] = α[c]·w[c]: null when it is one scalar for every
 * class (α scalar, no class weights; then it travels as the `alpha` uniform),
 * else the per-class vector (uploaded for the call).
 */
export function focalClassFactor(attrs: FocalCrossEntropyAttrs, C: number, kernel: string): number[] | null {
  const {alpha, classWeights} = attrs;
  if (alpha.length !== 1 && alpha.length !== C) {
    throw new Error(`${kernel} (webgpu): alpha has ${alpha.length} entries for ${C} classes (expected 1 or ${C})`);
  }
  if (classWeights != null && classWeights.length !== C) {
    throw new Error(`${kernel} (webgpu): classWeights has ${classWeights.length} entries for ${C} classes`);
  }
  if (alpha.length === 1 && classWeights == null) {
    return null;
  }
  return Array.from({length: C}, (_, c) => (alpha.length === 1 ? alpha[0] : alpha[c]) * (classWeights == null ? 1 : classWeights[c]));
}

/** Uniform values of the softmax focal programs, in FOCAL_UNIFORMS order. */
export function focalUniforms(rows: number, C: number, attrs: FocalCrossEntropyAttrs, perClass: boolean): UniformScalar[] {
  return [
    {type: 'uint32', data: [rows]},
    {type: 'uint32', data: [C]},
    {type: 'float32', data: [attrs.temperature]},
    {type: 'float32', data: [attrs.labelSmoothing]},
    {type: 'float32', data: [1 - attrs.labelSmoothing]},
    {type: 'float32', data: [attrs.labelSmoothing / C]},
    {type: 'float32', data: [attrs.gamma]},
    {type: 'float32', data: [perClass ? 1 : attrs.alpha[0]]},
    {type: 'int32', data: [attrs.ignoreIndex ?? 0]},
    {type: 'uint32', data: [attrs.ignoreIndex == null ? 0 : 1]},
    {type: 'float32', data: [-Infinity]},
    {type: 'float32', data: [NaN]},
  ];
}

/**
 * Runs one softmax focal row program over `inputs` (logits first) into
 * `outputs`: the variant from C, the class-factor buffer when per class.
 */
export function runFocalRows(
    backend: WebGPUBackend, mode: FocalRowMode, sparse: boolean, outputs: TensorInfo[], inputs: TensorInfo[],
    rows: number, C: number, attrs: FocalCrossEntropyAttrs, kernel: string): void {
  const a = focalClassFactor(attrs, C, kernel);
  const variant = rowVariant(backend, C, a != null);
  const program = new FocalRowProgram(variant, mode, sparse, inputs.map(t => storageType(backend, t)));
  const aBuffer = a != null ? uploadVector(backend, a) : null;
  launch(backend, program, outputs, aBuffer ? [...inputs, aBuffer] : inputs,
      focalUniforms(rows, C, attrs, a != null), rowWorkgroups(variant, rows));
  if (aBuffer) {
    disposeTemp(backend, aBuffer);
  }
}

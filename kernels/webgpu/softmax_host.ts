/**
 * Host-side helpers of the WebGPU softmax cross-entropy kernels
 * (SoftmaxCrossEntropy.ts, SoftmaxCrossEntropyGrad.ts,
 * LinearSparseSoftmaxCrossEntropy.ts; the focal kernels share
 * rowsAndClasses): input checks and the SOFTMAX_UNIFORMS values.
 */
import type {TensorInfo} from '@tensorflow/tfjs-core';
import type {SoftmaxCrossEntropyAttrs} from '../kernel_names';
import type {UniformScalar} from './launch';

/** `[rows, C]` of a kernel's logits, checking the label dtype the contract fixes. */
export function rowsAndClasses(logits: TensorInfo, labels: TensorInfo, sparse: boolean, kernel: string): [number, number] {
  if (logits.shape.length !== 2) {
    throw new Error(`${kernel} (webgpu): logits must be [rows, C], got [${logits.shape}]`);
  }
  const want = sparse ? 'int32' : 'float32';
  if (labels.dtype !== want || logits.dtype !== 'float32') {
    throw new Error(`${kernel} (webgpu): expected float32 logits and ${want} labels, got ${logits.dtype} and ${labels.dtype}`);
  }
  return [logits.shape[0], logits.shape[1]];
}

/**
 * Uniform values of the softmax programs, in SOFTMAX_UNIFORMS order (the
 * linear CE reads the leading attribute ones; the trailing scale is unused there).
 */
export function softmaxUniforms(rows: number, C: number, attrs: SoftmaxCrossEntropyAttrs): UniformScalar[] {
  const w = attrs.classWeights;
  let sumWeights = C;
  if (w != null) {
    sumWeights = 0;
    for (let c = 0; c < C; c++) {
      sumWeights += w[c];
    }
  }
  return [
    {type: 'uint32', data: [rows]},
    {type: 'uint32', data: [C]},
    {type: 'float32', data: [attrs.temperature]},
    {type: 'float32', data: [attrs.labelSmoothing]},
    {type: 'float32', data: [attrs.zLoss]},
    {type: 'int32', data: [attrs.ignoreIndex ?? 0]},
    {type: 'uint32', data: [attrs.ignoreIndex == null ? 0 : 1]},
    {type: 'float32', data: [sumWeights]},
    {type: 'float32', data: [-Infinity]},
    {type: 'float32', data: [NaN]},
    // keep = 1 − ε and spread = ε/C in float64 here, then rounded once (1 − ε in float32 is 1.3e-5 off at ε = 0.999).
    {type: 'float32', data: [1 - attrs.labelSmoothing]},
    {type: 'float32', data: [C > 0 ? attrs.labelSmoothing / C : 0]},
    {type: 'float32', data: [attrs.scale ?? 1]},
  ];
}

/** Checks that class weights, when given, have one entry per class. */
export function checkClassWeights(attrs: SoftmaxCrossEntropyAttrs, C: number, kernel: string): void {
  if (attrs.classWeights != null && attrs.classWeights.length !== C) {
    throw new Error(`${kernel} (webgpu): classWeights has ${attrs.classWeights.length} entries for ${C} classes`);
  }
}

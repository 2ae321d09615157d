/**
 * Elementwise WGSL programs of sigmoid cross-entropy (forward and backward),
 * one thread per element or per vec4 where C % 4 == 0. The positive weight q is
 * a uniform (absent or scalar) or a per-class buffer. Formulas:
 * kernels/FORMULAS.md; host code: SigmoidCrossEntropy.ts.
 *
 *   ẑ = z·(1 − ε) + ε/2,  softplus(v) = max(v, 0) + log1p(exp(−|v|))
 *   loss      = q·ẑ·softplus(−x) + (1 − ẑ)·softplus(x)   (two non-negative terms: no cancellation)
 *   d/dlogits = dy·(σ(x)·(q·ẑ + 1 − ẑ) − q·ẑ)
 *   d/dlabels = dy·(1 − ε)·(q·softplus(−x) − softplus(x))
 */
import {ElementwiseVariant, elementwiseHeader, elementwiseKey, elementwisePrologue} from './softmax_cross_entropy_grad_webgpu';
import {FusedProgram, StorageType} from './launch';
import {mathSnippet, storage} from './wgsl_common';

export const SIGMOID_UNIFORMS = `
struct Uniforms {
  rows : u32,
  cols : u32,
  smoothing : f32,
  posWeight : f32,
  negInf : f32,
  nan : f32,
};`;

/** `weights` in the variant means a per-class posWeight buffer. */
export class SigmoidCrossEntropyProgram implements FusedProgram {
  readonly key: string;
  readonly workgroupSize: number;

  /** mode 'forward' writes the loss; 'logits' / 'labels' the gradient w.r.t. that input. */
  /** `types`: WGSL scalar type of each input buffer (logits, labels[, dy]). */
  constructor(
      readonly variant: ElementwiseVariant, readonly mode: 'forward' | 'logits' | 'labels',
      readonly types: readonly StorageType[]) {
    this.key = `sigmoidCE_${mode}_${elementwiseKey(variant)}_${types.join('')}`;
    this.workgroupSize = variant.wg;
  }

  getCode(): string {
    const v = this.variant;
    const backward = this.mode !== 'forward';
    const qBinding = backward ? 4 : 3;
    const bindings = `
@group(0) @binding(0) var<storage, read_write> result : array<V>;
@group(0) @binding(1) var<storage, read> logits : array<${storage(v.vec, this.types[0])}>;
@group(0) @binding(2) var<storage, read> labels : array<${storage(v.vec, this.types[1])}>;${backward ? `
@group(0) @binding(3) var<storage, read> dy : array<${storage(v.vec, this.types[2])}>;` : ''}
@group(0) @binding(${v.weights ? qBinding + 1 : qBinding}) var<uniform> u : Uniforms;`;
    const value = {
      forward: 'q * zh * softplusV(-x) + (V(1.0) - zh) * softplusV(x)',
      logits: 'V(dy[e]) * (sigmoidV(x) * (q * zh + V(1.0) - zh) - q * zh)',
      labels: 'V(dy[e]) * (1.0 - u.smoothing) * (q * softplusV(-x) - softplusV(x))',
    }[this.mode];
    return `${elementwiseHeader(v, SIGMOID_UNIFORMS, bindings, v.weights ? qBinding : null, 'posWeights')}
${mathSnippet}
${elementwisePrologue(v.wg, 'u.rows * (u.cols / VEC)')}
  let x = V(logits[e]);
  let zh = V(labels[e]) * (1.0 - u.smoothing) + V(0.5 * u.smoothing);
  let q = ${v.weights ? 'weightV(col / VEC)' : 'V(u.posWeight)'};
  result[e] = select(${value}, V(u.nan), isNanV(x) | isNanV(zh));
}
`;
  }
}

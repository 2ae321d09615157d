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
 * times the uniform `scale`; the backward reads dy per element, per row or
 * once (`DyMode`, the forward's fused reduction; the host code sums the
 * forward's rows with tfjs's own reduction).
 */
import {dyAccess, DyMode, ElementwiseVariant, elementwiseHeader, elementwiseKey, elementwisePrologue} from './elementwise_webgpu';
import {StorageType, WgslProgram} from './launch';
import {arrayOf, bindingBlock, mathSnippet, storage} from './wgsl_common';

export const SIGMOID_UNIFORMS = `
struct Uniforms {
  rows : u32,
  cols : u32,
  keep : f32,
  halfEps : f32,
  posWeight : f32,
  negInf : f32,
  nan : f32,
  scale : f32,
};`;

/** `weights` in the variant means a per-class posWeight buffer. */
export class SigmoidCrossEntropyProgram extends WgslProgram {
  /** mode 'forward' writes the loss; 'logits' / 'labels' the gradient w.r.t. that input. */
  /** `types`: WGSL scalar type of each input buffer (logits, labels[, dy]). */
  constructor(
      readonly variant: ElementwiseVariant, readonly mode: 'forward' | 'logits' | 'labels',
      readonly types: readonly StorageType[], readonly dyMode: DyMode = 'none') {
    super(`sigmoidCE_${mode}_${elementwiseKey(variant)}_${types.join('')}_dy${dyMode}`, variant.wg);
  }

  getCode(): string {
    const v = this.variant;
    const backward = this.mode !== 'forward';
    const dy = dyAccess(this.dyMode, v.vec, this.types[2] ?? 'f32');
    const {code: bindings, weightBinding} = bindingBlock([
      {name: 'result', type: arrayOf('V'), write: true},
      {name: 'logits', type: arrayOf(storage(v.vec, this.types[0]))},
      {name: 'labels', type: arrayOf(storage(v.vec, this.types[1]))},
      backward ? {name: 'dy', type: dy.binding} : null,
    ], v.weights);
    const value = {
      forward: 'u.scale * (q * zh * softplusV(-x) + (V(1.0) - zh) * softplusV(x))',
      logits: `u.scale * ${dy.value} * (sigmoidV(x) * (q * zh + V(1.0) - zh) - q * zh)`,
      labels: `u.scale * ${dy.value} * u.keep * (q * softplusV(-x) - softplusV(x))`,
    }[this.mode];
    return `${elementwiseHeader(v, SIGMOID_UNIFORMS, bindings, weightBinding, 'posWeights')}
${mathSnippet}
${elementwisePrologue(v.wg, 'u.rows * (u.cols / VEC)')}
  let x = V(logits[e]);
  let zh = V(labels[e]) * u.keep + V(u.halfEps);
  let q = ${v.weights ? 'weightV(col / VEC)' : 'V(u.posWeight)'};
  result[e] = select(${value}, V(u.nan), isNanV(x) | isNanV(zh));
}
`;
  }
}

/**
 * GLSL programs of the fused sigmoid cross-entropy, forward and backward
 * (elementwise over [rows, C]). Formulas: kernels/FORMULAS.md:
 *
 *     ẑ = z·(1 − ε) + ε/2,  softplus(v) = max(v, 0) + log1p(exp(−|v|))
 *     loss      = q·ẑ·softplus(−x) + (1 − ẑ)·softplus(x)
 *     d/dx      = dy·(σ(x)·(q·ẑ + 1 − ẑ) − q·ẑ)
 *     d/dlabels = dy·(1 − ε)·(q·softplus(−x) − softplus(x))
 *
 * One fragment per element (unpacked) or per 2x2 texel (packed in and out,
 * chosen when the logits arrive packed: no unpack pass, each input texel
 * fetched once, and the result stays packed like tfjs's own elementwise ops). q is a uniform (none or scalar) or
 * a per-class [C] input.
 */
import {IS_NAN, SOFTPLUS_SIGMOID} from './cross_entropy_glsl';
import {ElementwiseProgram, elementwiseMain, packedElementwiseMain, perClass, perElement} from './elementwise_program';

export interface SigmoidProgramConfig {
  rows: number;
  numClasses: number;
  /** 'forward' (loss), or the backward w.r.t. 'logits' or 'labels'. */
  mode: 'forward' | 'logits' | 'labels';
  /** posWeight has one value per class (an input) rather than a scalar uniform. */
  perClassPosWeight: boolean;
  packed: boolean;
}

export class SigmoidCEProgram extends ElementwiseProgram {
  constructor(cfg: SigmoidProgramConfig) {
    const backward = cfg.mode !== 'forward';
    super(cfg, [
      'logits', 'labels', ...(backward ? ['dy'] : []),
      ...(cfg.perClassPosWeight ? ['posWeight'] : []),
    ], [
      {name: 'oneMinusSmoothing', type: 'float'},
      {name: 'halfSmoothing', type: 'float'},
      {name: 'posWeightScalar', type: 'float'},
    ]);
    const p = cfg.packed;

    const value = {
      forward: 'q * zHat * softplus(-x) + (1.0 - zHat) * softplus(x)',
      logits: 'dy * (sigmoid(x) * (q * zHat + 1.0 - zHat) - q * zHat)',
      labels: 'dy * oneMinusSmoothing * (q * softplus(-x) - softplus(x))',
    }[cfg.mode];
    const q = cfg.perClassPosWeight ? (p ? 'getPosWeight(c).xy' : 'getPosWeight(col)') :
                                      (p ? 'vec2(posWeightScalar)' : 'posWeightScalar');

    // Packed: one 2x2 texel of each input per fragment, fetched once.
    const main = p ?
        packedElementwiseMain(`
        vec4 x = getLogits(r, c);
        vec4 z = getLabels(r, c);
        vec4 dy = ${backward ? 'getDy(r, c)' : 'vec4(0.0)'};
        vec2 q = ${q};`,
                              [perElement('x'), perElement('z'), perClass('q'), perElement('dy')]) :
        elementwiseMain('', ['getLogits(row, col)', 'getLabels(row, col)', q, backward ? 'getDy(row, col)' : '0.0']);

    this.userCode = `
      ${IS_NAN}
      ${SOFTPLUS_SIGMOID}

      float element(float x, float z, float q, float dy) {
        // NaN in x or z gives NaN out, whatever the compiler does with max().
        if (isNaN(x) || isNaN(z)) return NAN;
        float zHat = z * oneMinusSmoothing + halfSmoothing;
        return ${value};
      }
      ${main}
    `;
  }
}

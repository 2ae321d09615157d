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
import {DyMode, dyArg} from './elementwise_reduction_webgl';
import {classValue, elementInput, elementwiseMain, ElementwiseProgram, sameEverywhere, uniforms} from './program_generator';

export interface SigmoidProgramConfig {
  rows: number;
  numClasses: number;
  /** 'forward' (loss), or the backward w.r.t. 'logits' or 'labels'. */
  mode: 'forward' | 'logits' | 'labels';
  /** posWeight has one value per class (an input) rather than a scalar uniform. */
  perClassPosWeight: boolean;
  packed: boolean;
  /**
   * How the backward reads dy (kernels/FORMULAS.md, "Fused reductions"):
   * 'none' [rows, C], 'rows' [rows] broadcast along C, 'all' a scalar.
   */
  dyMode?: DyMode;
}

export class SigmoidCEProgram extends ElementwiseProgram {
  constructor(cfg: SigmoidProgramConfig) {
    const backward = cfg.mode !== 'forward';
    super(cfg, [
      'logits', 'labels', ...(backward ? ['dy'] : []),
      ...(cfg.perClassPosWeight ? ['posWeight'] : []),
    ], uniforms({oneMinusSmoothing: 'float', halfSmoothing: 'float', posWeightScalar: 'float', scale: 'float'}));

    const value = {
      forward: 'scale * (q * zHat * softplus(-x) + (1.0 - zHat) * softplus(x))',
      logits: 'scale * dy * (sigmoid(x) * (q * zHat + 1.0 - zHat) - q * zHat)',
      labels: 'scale * dy * oneMinusSmoothing * (q * softplus(-x) - softplus(x))',
    }[cfg.mode];
    const q = cfg.perClassPosWeight ? classValue('getPosWeight(col)', 'getPosWeight(c).xy', 'q') :
                                      classValue('posWeightScalar', 'vec2(posWeightScalar)', 'q');
    const main = elementwiseMain(cfg.packed, [
      elementInput('logits', 'x'), elementInput('labels', 'z'), q,
      backward ? dyArg(cfg.dyMode ?? 'none') : sameEverywhere('0.0'),
    ]);

    this.setBody(`
      ${IS_NAN}
      ${SOFTPLUS_SIGMOID}

      float element(float x, float z, float q, float dy) {
        // NaN in x or z gives NaN out, whatever the compiler does with max().
        if (isNaN(x) || isNaN(z)) return NAN;
        float zHat = z * oneMinusSmoothing + halfSmoothing;
        return ${value};
      }
      ${main}
    `);
  }
}

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
import {ElementwiseProgram, elementwiseMain, PackedArg, packedElementwiseMain, perClass, perElement, perRow} from './elementwise_program';

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

export type DyMode = 'none' | 'rows' | 'all';

/**
 * dy in an elementwise program: the unpacked `element` argument, and the
 * packed prelude line plus argument (DyMode above). A [rows] dy is fetched as
 * the (row, row + 1) pair of a packed texel, as the softmax backward does.
 */
export function dyArgs(mode: DyMode): {unpacked: string, prelude: string, packed: PackedArg} {
  switch (mode) {
    case 'none':
      return {unpacked: 'getDy(row, col)', prelude: 'vec4 dy = getDy(r, c);', packed: perElement('dy')};
    case 'rows':
      return {unpacked: 'getDy(row)', prelude: 'vec2 dy = getDy(r).xy;', packed: perRow('dy')};
    case 'all':
      return {unpacked: 'getDy()', prelude: 'float dy = getDy().x;', packed: () => 'dy'};
  }
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
      {name: 'scale', type: 'float'},
    ]);
    const dy = dyArgs(cfg.dyMode ?? 'none');
    const p = cfg.packed;

    const value = {
      forward: 'scale * (q * zHat * softplus(-x) + (1.0 - zHat) * softplus(x))',
      logits: 'scale * dy * (sigmoid(x) * (q * zHat + 1.0 - zHat) - q * zHat)',
      labels: 'scale * dy * oneMinusSmoothing * (q * softplus(-x) - softplus(x))',
    }[cfg.mode];
    const q = cfg.perClassPosWeight ? (p ? 'getPosWeight(c).xy' : 'getPosWeight(col)') :
                                      (p ? 'vec2(posWeightScalar)' : 'posWeightScalar');

    // Packed: one 2x2 texel of each input per fragment, fetched once.
    const main = p ?
        packedElementwiseMain(`
        vec4 x = getLogits(r, c);
        vec4 z = getLabels(r, c);
        ${backward ? dy.prelude : ''}
        vec2 q = ${q};`,
                              [perElement('x'), perElement('z'), perClass('q'), backward ? dy.packed : () => '0.0']) :
        elementwiseMain('', ['getLogits(row, col)', 'getLabels(row, col)', q, backward ? dy.unpacked : '0.0']);

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

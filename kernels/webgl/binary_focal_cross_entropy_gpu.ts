/**
 * GLSL program of the fused binary (sigmoid) focal cross-entropy, forward and
 * backward, elementwise over [rows, C] (kernels/FORMULAS.md, "Binary focal"):
 *
 *     ẑ = z·(1 − ε) + ε/2,  p = σ(x),  1 − p = σ(−x) (both stable)
 *     bce = ẑ·softplus(−x) + (1 − ẑ)·softplus(x),  u = ẑ·σ(−x) + (1 − ẑ)·σ(x)
 *     b = α·ẑ + (1 − α)·(1 − ẑ) when balancing, else 1;  b' = 2α − 1 or 0
 *     loss      = b·u^γ·bce
 *     d/dx      = dy·b·(γ·u^(γ−1)·(1 − 2ẑ)·p·(1 − p)·bce + u^γ·(p − ẑ))
 *     d/dlabels = dy·(1 − ε)·(b'·u^γ·bce + b·γ·u^(γ−1)·(1 − 2p)·bce − b·u^γ·x)
 *
 * One fragment per element (unpacked) or per 2x2 texel (packed in and out,
 * chosen when the logits arrive packed), like the sigmoid cross-entropy
 * program. Every attribute is a uniform: one shader per (mode, layout).
 */
import {IS_NAN, SOFTPLUS_SIGMOID} from './cross_entropy_glsl';
import {POW_GAMMA} from './focal_glsl';
import {elementInput, elementwiseMain, ElementwiseProgram, sameEverywhere, uniforms} from './program_generator';
import {DyMode, dyArg} from './elementwise_reduction_webgl';

export interface BinaryFocalProgramConfig {
  rows: number;
  numClasses: number;
  /** 'forward' (loss), or the backward w.r.t. 'logits' or 'labels'. */
  mode: 'forward' | 'logits' | 'labels';
  packed: boolean;
  /** How the backward reads dy (fused reductions, as the sigmoid program). */
  dyMode?: DyMode;
}

export class BinaryFocalProgram extends ElementwiseProgram {
  constructor(cfg: BinaryFocalProgramConfig) {
    const backward = cfg.mode !== 'forward';
    // balancing: 1 when applyClassBalancing, else 0.
    super(cfg, ['logits', 'labels', ...(backward ? ['dy'] : [])], uniforms({
      oneMinusSmoothing: 'float', halfSmoothing: 'float', gamma: 'float', alpha: 'float', balancing: 'float',
      scale: 'float',
    }));

    const value = {
      forward: 'scale * b * powGamma(u) * bce',
      logits: 'scale * dy * b * (gammaPowGamma1(u) * (1.0 - 2.0 * zHat) * p * pm * bce + powGamma(u) * (p - zHat))',
      labels: `scale * dy * oneMinusSmoothing * (db * powGamma(u) * bce + b * gammaPowGamma1(u) * (1.0 - 2.0 * p) * bce -
                                         b * powGamma(u) * x)`,
    }[cfg.mode];
    const main = elementwiseMain(cfg.packed, [
      elementInput('logits', 'x'), elementInput('labels', 'z'),
      backward ? dyArg(cfg.dyMode ?? 'none') : sameEverywhere('0.0'),
    ]);

    this.setBody(`
      ${IS_NAN}
      ${SOFTPLUS_SIGMOID}
      ${POW_GAMMA}

      float element(float x, float z, float dy) {
        // NaN in x or z gives NaN out, whatever the compiler does with max().
        if (isNaN(x) || isNaN(z)) return NAN;
        float zHat = z * oneMinusSmoothing + halfSmoothing;
        float p = sigmoid(x);
        float pm = sigmoid(-x);
        float bce = zHat * softplus(-x) + (1.0 - zHat) * softplus(x);
        float u = zHat * pm + (1.0 - zHat) * p;
        float b = balancing != 0.0 ? alpha * zHat + (1.0 - alpha) * (1.0 - zHat) : 1.0;
        float db = balancing != 0.0 ? 2.0 * alpha - 1.0 : 0.0;
        return ${value};
      }
      ${main}
    `);
  }
}

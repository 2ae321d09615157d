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
 * chosen when the logits arrive packed: no unpack pass, and the result stays
 * packed like tfjs's own elementwise ops). q is a uniform (none or scalar) or
 * a per-class [C] input.
 */
import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';

import {IS_NAN, matrixAccessor, SOFTPLUS_SIGMOID, vectorAccessor} from './cross_entropy_glsl';

type UniformType = NonNullable<GPGPUProgram['customUniforms']>[number]['type'];
type CustomUniforms = Array<{name: string, type: UniformType}>;

export interface SigmoidProgramConfig {
  rows: number;
  numClasses: number;
  /** 'forward' (loss), or the backward w.r.t. 'logits' or 'labels'. */
  mode: 'forward' | 'logits' | 'labels';
  /** posWeight has one value per class (an input) rather than a scalar uniform. */
  perClassPosWeight: boolean;
  packed: boolean;
}

export class SigmoidCEProgram implements GPGPUProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  packedInputs: boolean;
  packedOutput: boolean;
  enableShapeUniforms = true;
  customUniforms: CustomUniforms = [
    {name: 'oneMinusSmoothing', type: 'float'},
    {name: 'halfSmoothing', type: 'float'},
    {name: 'posWeightScalar', type: 'float'},
  ];

  constructor(cfg: SigmoidProgramConfig) {
    const backward = cfg.mode !== 'forward';
    this.variableNames = [
      'logits', 'labels', ...(backward ? ['dy'] : []),
      ...(cfg.perClassPosWeight ? ['posWeight'] : []),
    ];
    this.outputShape = [cfg.rows, cfg.numClasses];
    this.packedInputs = cfg.packed;
    this.packedOutput = cfg.packed;
    const p = cfg.packed;

    const value = {
      forward: 'q * zHat * softplus(-x) + (1.0 - zHat) * softplus(x)',
      logits: 'dyAt(row, col) * (sigmoid(x) * (q * zHat + 1.0 - zHat) - q * zHat)',
      labels: 'dyAt(row, col) * oneMinusSmoothing * (q * softplus(-x) - softplus(x))',
    }[cfg.mode];

    const main = p ? `
      void main() {
        ivec2 rc = getOutputCoords();
        vec4 result = vec4(0.0);
        for (int k = 0; k < 4; k++) {
          int row = rc.x + k / 2;
          int col = rc.y + imod(k, 2);
          if (row < outShape[0] && col < outShape[1]) {
            float v = valueAt(row, col);
            if (k == 0) result.x = v;
            else if (k == 1) result.y = v;
            else if (k == 2) result.z = v;
            else result.w = v;
          }
        }
        setOutput(result);
      }` :
                     `
      void main() {
        ivec2 rc = getOutputCoords();
        setOutput(valueAt(rc.x, rc.y));
      }`;

    this.userCode = `
      ${IS_NAN}
      ${SOFTPLUS_SIGMOID}
      ${matrixAccessor('logitAt', 'logits', p)}
      ${matrixAccessor('labelAt', 'labels', p)}
      ${backward ? matrixAccessor('dyAt', 'dy', p) : ''}
      ${cfg.perClassPosWeight ? vectorAccessor('posWeightAt', 'posWeight', p) :
                                'float posWeightAt(int c) { return posWeightScalar; }'}

      float valueAt(int row, int col) {
        float x = logitAt(row, col);
        float zHat = labelAt(row, col) * oneMinusSmoothing + halfSmoothing;
        float q = posWeightAt(col);
        // NaN in x or z gives NaN out, whatever the compiler does with max().
        if (isNaN(x) || isNaN(zHat)) return NAN;
        return ${value};
      }
      ${main}
    `;
  }
}

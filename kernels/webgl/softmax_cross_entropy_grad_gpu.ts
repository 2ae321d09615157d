/**
 * GLSL programs of the fused softmax cross-entropy backward (dense and
 * sparse labels). Formulas: kernels/FORMULAS.md.
 *
 * The gradient is elementwise given three per-row values: lse (saved by the
 * forward), dy, and the row's target weight W[i] = Σ_c w[c]·ŷ[i,c]:
 *
 *     d/dlogits  = dy / T · ((W + 2λ·lse)·p − w[c]·ŷ[c]),  p = exp(z − lse)
 *     d/dlabels  = dy·(1 − ε)·w[c]·(lse − z)                 (dense only)
 *
 * Sparse W has a closed form, (1 − ε)·w[t] + (ε/C)·Σ_c w[c], so the sparse
 * backward is one elementwise program. Dense W needs a row sum of the labels
 * the kernel contract does not carry: `SoftmaxCERowWeightProgram` computes it
 * first (windows of ≤ ~√C classes per fragment, staged like the forward; one
 * pass over the labels, writing `rows` floats per stage).
 *
 * Layouts: when the logits are packed, the elementwise program runs packed in
 * and packed out (each fragment writes one 2x2 texel, like tfjs's packed
 * binary ops), so no [rows, C] texture is unpacked or repacked on the way.
 */
import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';

import {classWeightAccessor, IS_NAN, matrixAccessor, vectorAccessor} from './cross_entropy_glsl';

type UniformType = NonNullable<GPGPUProgram['customUniforms']>[number]['type'];
type CustomUniforms = Array<{name: string, type: UniformType}>;

export interface RowWeightProgramConfig {
  rows: number;
  numWindows: number;
  loopBound: number;
  /** 'labels': stage 1 over the [rows, C] labels; 'partials': later stages. */
  source: 'labels' | 'partials';
  weighted: boolean;
  packed: boolean;
}

/**
 * Row sums for the dense backward: stage 1 writes Σ_{c in window} w[c]·ŷ[c]
 * per (row, window) into an unpacked [rows, numWindows] texture; later
 * stages sum windows of those partials.
 */
export class SoftmaxCERowWeightProgram implements GPGPUProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  packedInputs: boolean;
  enableShapeUniforms = true;
  customUniforms: CustomUniforms = [
    {name: 'size', type: 'int'},
    {name: 'windowSize', type: 'int'},
    {name: 'oneMinusSmoothing', type: 'float'},
    {name: 'smoothingOverC', type: 'float'},
  ];

  constructor(cfg: RowWeightProgramConfig) {
    const fromLabels = cfg.source === 'labels';
    this.variableNames = fromLabels ?
        ['labels', ...(cfg.weighted ? ['classWeights'] : [])] :
        ['partials'];
    this.outputShape = [cfg.rows, cfg.numWindows];
    this.packedInputs = fromLabels && cfg.packed;
    const term = fromLabels ?
        'weightAt(c) * (oneMinusSmoothing * labelAt(row, c) + smoothingOverC)' :
        'getPartials(row, c)';
    this.userCode = `
      ${fromLabels ? matrixAccessor('labelAt', 'labels', cfg.packed) : ''}
      ${fromLabels ? classWeightAccessor('weightAt', cfg.weighted, cfg.packed) : ''}

      void main() {
        ivec2 coords = getOutputCoords();
        int row = coords.x;
        int start = coords.y * windowSize;
        int count = size - start;
        if (count > windowSize) count = windowSize;
        float sum = 0.0;
        for (int i = 0; i < ${cfg.loopBound}; i++) {
          if (i >= count) break;
          int c = start + i;
          sum += ${term};
        }
        setOutput(sum);
      }
    `;
  }
}

export interface SoftmaxGradProgramConfig {
  rows: number;
  numClasses: number;
  sparse: boolean;
  wrt: 'logits' | 'labels';
  weighted: boolean;
  hasIgnoreIndex: boolean;
  /** Packed in and packed out (the logits came packed). */
  packed: boolean;
}

/**
 * The elementwise backward. Inputs: logits [rows, C], labels ([rows, C] or
 * [rows]), lse [rows], dy [rows], then rowWeight [rows] (dense, wrt logits)
 * and classWeights [C] (when weighted).
 */
export class SoftmaxCEGradProgram implements GPGPUProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  packedInputs: boolean;
  packedOutput: boolean;
  enableShapeUniforms = true;
  customUniforms: CustomUniforms = [
    {name: 'numClasses', type: 'int'},
    {name: 'invTemperature', type: 'float'},
    {name: 'oneMinusSmoothing', type: 'float'},
    {name: 'smoothingOverC', type: 'float'},
    {name: 'zLoss', type: 'float'},
    {name: 'sumClassWeights', type: 'float'},
    {name: 'ignoreIndex', type: 'int'},
  ];

  constructor(cfg: SoftmaxGradProgramConfig) {
    const needsRowWeight = !cfg.sparse && cfg.wrt === 'logits';
    this.variableNames = [
      'logits', 'labels', 'lse', 'dy', ...(needsRowWeight ? ['rowWeight'] : []),
      ...(cfg.weighted ? ['classWeights'] : []),
    ];
    this.outputShape = [cfg.rows, cfg.numClasses];
    this.packedInputs = cfg.packed;
    this.packedOutput = cfg.packed;
    const p = cfg.packed;

    // Per-row prologue: target, ignore / out-of-range rows, W.
    const rowPrologue = cfg.sparse ? `
        int target = round(labelOfRow(row));
        ${cfg.hasIgnoreIndex ? 'if (target == ignoreIndex) return 0.0;' : ''}
        if (target < 0 || target >= numClasses) return NAN;
        float y = col == target ? 1.0 : 0.0;
        float rowW = oneMinusSmoothing * weightAt(target) + smoothingOverC * sumClassWeights;` :
                                     `
        float y = labelAt(row, col);
        ${needsRowWeight ? 'float rowW = rowWeightAt(row);' : ''}`;
    const body = cfg.wrt === 'logits' ? `
        float yHat = oneMinusSmoothing * y + smoothingOverC;
        float p = exp(z - lse);
        float zTerm = zLoss > 0.0 ? 2.0 * zLoss * lse : 0.0;
        return dy * invTemperature * ((rowW + zTerm) * p - weightAt(col) * yHat);` :
                                        `
        return dy * oneMinusSmoothing * weightAt(col) * (lse - z);`;

    const main = p ? `
      void main() {
        ivec2 rc = getOutputCoords();
        vec4 result = vec4(0.0);
        for (int k = 0; k < 4; k++) {
          int row = rc.x + k / 2;
          int col = rc.y + imod(k, 2);
          if (row < outShape[0] && col < outShape[1]) {
            float v = gradAt(row, col);
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
        setOutput(gradAt(rc.x, rc.y));
      }`;

    this.userCode = `
      ${IS_NAN}
      ${matrixAccessor('logitAt', 'logits', p)}
      ${cfg.sparse ? vectorAccessor('labelOfRow', 'labels', p) :
                     matrixAccessor('labelAt', 'labels', p)}
      ${vectorAccessor('lseAt', 'lse', p)}
      ${vectorAccessor('dyAt', 'dy', p)}
      ${needsRowWeight ? vectorAccessor('rowWeightAt', 'rowWeight', p) : ''}
      ${classWeightAccessor('weightAt', cfg.weighted, p)}

      float gradAt(int row, int col) {
        ${rowPrologue}
        float z = logitAt(row, col) * invTemperature;
        float lse = lseAt(row);
        float dy = dyAt(row);
        // exp(NaN) is +Inf on SwiftShader (Chromium 156): propagate NaN by hand.
        if (isNaN(z) || isNaN(lse)) return NAN;
        ${body}
      }
      ${main}
    `;
  }
}

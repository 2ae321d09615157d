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

import {classWeightAccessor, IS_NAN} from './cross_entropy_glsl';

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
    const w = (c: string) => cfg.weighted ? `getClassWeights(${c})` : '1.0';
    // Packed labels: one texel (two classes of this row) per step; windows
    // start at even classes (planReduction).
    const loop = !fromLabels ? `
        for (int i = 0; i < ${cfg.loopBound}; i++) {
          if (i >= count) break;
          sum += getPartials(row, start + i);
        }` :
                               !cfg.packed ? `
        for (int i = 0; i < ${cfg.loopBound}; i++) {
          if (i >= count) break;
          int c = start + i;
          sum += ${w('c')} * (oneMinusSmoothing * getLabels(row, c) + smoothingOverC);
        }` :
                                             `
        bool oddRow = imod(row, 2) == 1;
        for (int i = 0; i < ${cfg.loopBound}; i += 2) {
          if (i >= count) break;
          int c = start + i;
          vec4 yt = getLabels(row, c);
          vec2 yHat = oneMinusSmoothing * (oddRow ? yt.zw : yt.xy) + smoothingOverC;
          vec2 wc = ${cfg.weighted ? 'getClassWeights(c).xy' : 'vec2(1.0)'};
          sum += wc.x * yHat.x;
          if (i + 1 < count) sum += wc.y * yHat.y;
        }`;
    this.userCode = `
      void main() {
        ivec2 coords = getOutputCoords();
        int row = coords.x;
        int start = coords.y * windowSize;
        int count = size - start;
        if (count > windowSize) count = windowSize;
        float sum = 0.0;
        ${loop}
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

    const value = cfg.wrt === 'logits' ? `
          float p = exp(z - lse);
          float zTerm = zLoss > 0.0 ? 2.0 * zLoss * lse : 0.0;
          return dy * invTemperature * ((rowW + zTerm) * p - w * yHat);` :
                                         `
          return dy * oneMinusSmoothing * w * (lse - z);`;
    // Sparse rows: ignored -> 0, label outside [0, C) -> NaN, else
    // W = (1 − ε)·w[t] + (ε/C)·Σw and ŷ = (1 − ε)·[c = t] + ε/C.
    const element = cfg.sparse ? `
      float element(float z, int col, int target, float lse, float dy, float w) {
        ${cfg.hasIgnoreIndex ? 'if (target == ignoreIndex) return 0.0;' : ''}
        if (target < 0 || target >= numClasses) return NAN;
        float rowW = oneMinusSmoothing * weightAt(target) + smoothingOverC * sumClassWeights;
        return gradValue(z, oneMinusSmoothing * (col == target ? 1.0 : 0.0) + smoothingOverC, w, lse, dy, rowW);
      }` :
                                 `
      float element(float z, float y, float lse, float dy, float w, float rowW) {
        return gradValue(z, oneMinusSmoothing * y + smoothingOverC, w, lse, dy, rowW);
      }`;
    const weightPair = cfg.weighted ? 'getClassWeights(c).xy' : 'vec2(1.0)';
    // Packed: the fragment's 2x2 texel of every [rows, C] input and the
    // (row, row + 1) pair of every [rows] input, each fetched once.
    const main = !p ? `
      void main() {
        ivec2 rc = getOutputCoords();
        int row = rc.x;
        int col = rc.y;
        float z = getLogits(row, col) * invTemperature;
        ${cfg.sparse ?
          'setOutput(element(z, col, round(getLabels(row)), getLse(row), getDy(row), weightAt(col)));' :
          `setOutput(element(z, getLabels(row, col), getLse(row), getDy(row), weightAt(col),
                             ${needsRowWeight ? 'getRowWeight(row)' : '0.0'}));`}
      }` :
                      cfg.sparse ? `
      void main() {
        ivec2 rc = getOutputCoords();
        int r = rc.x;
        int c = rc.y;
        vec4 z = getLogits(r, c) * invTemperature;
        vec2 lse = getLse(r).xy;
        vec2 dy = getDy(r).xy;
        vec2 w = ${weightPair};
        vec2 t = getLabels(r).xy;
        int t0 = round(t.x);
        int t1 = round(t.y);
        setOutput(vec4(element(z.x, c, t0, lse.x, dy.x, w.x), element(z.y, c + 1, t0, lse.x, dy.x, w.y),
                       element(z.z, c, t1, lse.y, dy.y, w.x), element(z.w, c + 1, t1, lse.y, dy.y, w.y)));
      }` :
                                   `
      void main() {
        ivec2 rc = getOutputCoords();
        int r = rc.x;
        int c = rc.y;
        vec4 z = getLogits(r, c) * invTemperature;
        vec4 y = getLabels(r, c);
        vec2 lse = getLse(r).xy;
        vec2 dy = getDy(r).xy;
        vec2 w = ${weightPair};
        vec2 rowW = ${needsRowWeight ? 'getRowWeight(r).xy' : 'vec2(0.0)'};
        setOutput(vec4(element(z.x, y.x, lse.x, dy.x, w.x, rowW.x), element(z.y, y.y, lse.x, dy.x, w.y, rowW.x),
                       element(z.z, y.z, lse.y, dy.y, w.x, rowW.y), element(z.w, y.w, lse.y, dy.y, w.y, rowW.y)));
      }`;

    this.userCode = `
      ${IS_NAN}
      ${classWeightAccessor('weightAt', cfg.weighted, p)}

      float gradValue(float z, float yHat, float w, float lse, float dy, float rowW) {
        // exp(NaN) is +Inf on SwiftShader (Chromium 156): propagate NaN by hand.
        if (isNaN(z) || isNaN(lse)) return NAN;
        ${value}
      }
      ${element}
      ${main}
    `;
  }
}

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
import {
  classWeightAccessor, getterName, IS_NAN, packedWindowLoop, SAMPLE_RGBA, targetChecks, windowLoop,
} from './cross_entropy_glsl';
import {
  classValue, COLUMN, ElementArg, elementInput, elementwiseMain, ElementwiseProgram, GeneratedProgram, rowInput,
  sameEverywhere, scalarInput, uniforms, windowReductionMain,
} from './program_generator';
import {FETCH4, linearChunkLoop, linearCursor, linearFetch4} from './softmax_cross_entropy_gpu';

export interface RowWeightProgramConfig {
  rows: number;
  numWindows: number;
  loopBound: number;
  /** 'labels': stage 1 over the [rows, C] labels; 'partials': later stages. */
  source: 'labels' | 'partials';
  weighted: boolean;
  packed: boolean;
  /**
   * Stage 1, unpacked: the host uploaded labels (and weights) as textures;
   * linear addressing, four classes per step (as the forward's stats pass,
   * softmax_cross_entropy_gpu.ts: linearCursor).
   */
  linear?: boolean;
}

/**
 * Row sums for the dense backward: stage 1 writes Σ_{c in window} w[c]·ŷ[c]
 * per (row, window) into an unpacked [rows, numWindows] texture; later
 * stages sum windows of those partials.
 */
const ROW_WEIGHT_UNIFORMS = uniforms({
  size: 'int', windowSize: 'int', oneMinusSmoothing: 'float', smoothingOverC: 'float',
});

export class SoftmaxCERowWeightProgram extends GeneratedProgram {
  constructor(cfg: RowWeightProgramConfig) {
    const fromLabels = cfg.source === 'labels';
    super({
      inputs: fromLabels ? ['labels', ...(cfg.weighted ? ['classWeights'] : [])] : ['partials'],
      outputShape: [cfg.rows, cfg.numWindows],
      uniforms: ROW_WEIGHT_UNIFORMS,
      packedInputs: fromLabels && cfg.packed,
    });
    const w = (c: string) => cfg.weighted ? `getClassWeights(${c})` : '1.0';
    // Packed labels: one texel (two classes of this row) per step
    // (packedWindowLoop). Linear: as the forward's stats pass
    // (linearChunkLoop).
    const chunk = (masked: boolean) => `
          vec4 yHat = oneMinusSmoothing * ${linearFetch4('labels', 'k')} + smoothingOverC;
          vec4 wy = ${cfg.weighted ? `${linearFetch4('classWeights', 'k')} * yHat` : 'yHat'};
          ${masked ? `bvec4 valid = lessThan(k, vec4(float(count)));
          wy = vec4(valid.x ? wy.x : 0.0, valid.y ? wy.y : 0.0, valid.z ? wy.z : 0.0, 0.0);` : ''}
          acc += wy;`;
    const linearLoop = `
        ${linearCursor('labels', 'row * size + start')}
        ${cfg.weighted ? linearCursor('classWeights', 'start') : ''}
        vec4 acc = vec4(0.0);
        ${linearChunkLoop(cfg.loopBound, chunk)}
        sum = (acc.x + acc.y) + (acc.z + acc.w);`;
    const loop = fromLabels && cfg.linear && !cfg.packed ? linearLoop :
        !fromLabels ? windowLoop(cfg.loopBound, 'sum += getPartials(row, c);') :
        !cfg.packed ?
        windowLoop(cfg.loopBound, `sum += ${w('c')} * (oneMinusSmoothing * getLabels(row, c) + smoothingOverC);`) :
        packedWindowLoop(cfg.loopBound, `
          vec4 yt = getLabels(row, c);
          vec2 yHat = oneMinusSmoothing * (oddRow ? yt.zw : yt.xy) + smoothingOverC;
          vec2 wc = ${cfg.weighted ? 'getClassWeights(c).xy' : 'vec2(1.0)'};`,
                         (k) => `sum += wc.${'xy'[k]} * yHat.${'xy'[k]};`);
    this.setBody(`
      ${fromLabels && cfg.linear && !cfg.packed ? FETCH4 : ''}
      ${windowReductionMain({
      texelPerWindow: false,
      size: 'size',
      accumulator: 'float sum = 0.0;',
      loop,
      result: 'sum',
      nan: null,
    })}
    `);
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
  /** dy is one element for every row (reduction 'all', a [] input), else [rows]. */
  dyAll: boolean;
}

export interface SoftmaxGradMainConfig {
  packed: boolean;
  sparse: boolean;
  /** The per-class factor (class weight, focal α): a `classValue` named `w`. */
  classValue: ElementArg;
  /** The [rows] input of a per-row value (passed as `given`), or null (0). */
  rowInput: string | null;
  /**
   * Sparse: whether `element` takes a per-row value, computed once per row
   * by the program's `float rowValue(int row, int target, float m, float given, float s)`.
   */
  sparseRowValue: boolean;
  /**
   * The `lse` input is the forward's saved (m, s) [rows, 2]: every element
   * function (and a sparse `rowValue`) takes the row's s last ('s'), or
   * log s ('logS': the program's `float logOfS(float s)` of it, once per
   * row).
   */
  stats: 's' | 'logS';
  /**
   * The `dy` input is one element for every row (a [] input: reduction
   * 'all', FORMULAS.md "Fused reductions"), else [rows] (default).
   */
  dyAll?: boolean;
}

/**
 * `main` of the elementwise softmax-style backward (this file's and the
 * focal one, focal_cross_entropy_gpu.ts), calling the program's
 *
 *     dense:  float element(float x, float y, float m, float dy, float w, float given, float s)
 *     sparse: float element(float x, int col, int target, float m, float dy, float w
 *                           [, float rowValue], float s)
 *
 * with x the raw logit, the label (dense) or the row's target (sparse), the
 * row's saved m, dy, the per-class factor w, the per-row value, and the
 * row's s (or log s, `stats`). The layouts: program_generator.ts.
 */
export function softmaxGradMain(cfg: SoftmaxGradMainConfig): string {
  const logS = cfg.stats === 'logS';
  // m and s of the row(s) from the one [rows, 2] input (a packed texel holds both rows' pairs).
  const statsFetch = {
    unpacked: `float lse = getLse(row, 0);
        float rowS = ${logS ? 'logOfS(getLse(row, 1))' : 'getLse(row, 1)'};`,
    packed: `vec4 mS = getLse(r, 0);
        vec2 lse = mS.xz;
        vec2 rowS = ${logS ? 'vec2(logOfS(mS.y), logOfS(mS.w))' : 'mS.yw'};`,
  };
  const m: ElementArg = {unpacked: 'lse', packed: (i) => `lse.${'xy'[i]}`, fetch: statsFetch};
  const rowS: ElementArg = {unpacked: 'rowS', packed: (i) => `rowS.${'xy'[i]}`, fetch: statsFetch};
  const given = cfg.rowInput != null ? rowInput(cfg.rowInput, 'given') : sameEverywhere('0.0');
  const dy = cfg.dyAll ? scalarInput('dy', 'dy') : rowInput('dy', 'dy');
  if (!cfg.sparse) {
    return elementwiseMain(cfg.packed, [
      elementInput('logits', 'z'), elementInput('labels', 'y'), m, dy, cfg.classValue, given, rowS,
    ]);
  }
  const target: ElementArg = {
    unpacked: 'target',
    packed: (i) => `t${i}`,
    fetch: {
      unpacked: 'int target = round(getLabels(row));',
      packed: `vec2 t = getLabels(r).xy;
        int t0 = round(t.x);
        int t1 = round(t.y);`,
    },
  };
  // The per-row value, once per row (after the target, m and s: argument order).
  const packedGiven = cfg.rowInput != null ? `${getterName(cfg.rowInput)}(r).xy` : 'vec2(0.0)';
  const rowValue: ElementArg = {
    unpacked: 'v',
    packed: (i) => `v${i}`,
    fetch: {
      unpacked: `float v = rowValue(row, target, lse, ${given.unpacked}, rowS);`,
      packed: `vec2 given = ${packedGiven};
        float v0 = rowValue(r, t0, lse.x, given.x, rowS.x);
        float v1 = rowValue(r + 1, t1, lse.y, given.y, rowS.y);`,
    },
  };
  return elementwiseMain(cfg.packed, [
    elementInput('logits', 'z'), COLUMN, target, m, dy, cfg.classValue,
    ...(cfg.sparseRowValue ? [rowValue] : []), rowS,
  ]);
}

/** Uniforms of the elementwise backward (values: SoftmaxCrossEntropyGrad.ts). */
const GRAD_UNIFORMS = uniforms({
  numClasses: 'int', invTemperature: 'float', oneMinusSmoothing: 'float', smoothingOverC: 'float', zLoss: 'float',
  sumClassWeights: 'float', ignoreIndex: 'int', scale: 'float',
});

/**
 * The elementwise backward. Inputs: logits [rows, C], labels ([rows, C] or
 * [rows]), the saved (m, s) [rows, 2], dy ([rows], or [] when `dyAll`), then
 * rowWeight [rows] (dense, wrt logits) and classWeights [C] (when weighted).
 * dy enters as scale·dy (FORMULAS.md, "Fused reductions").
 */
export class SoftmaxCEGradProgram extends ElementwiseProgram {
  constructor(cfg: SoftmaxGradProgramConfig) {
    const needsRowWeight = !cfg.sparse && cfg.wrt === 'logits';
    super(cfg, [
      'logits', 'labels', 'lse', 'dy', ...(needsRowWeight ? ['rowWeight'] : []),
      ...(cfg.weighted ? ['classWeights'] : []),
    ], GRAD_UNIFORMS);
    const p = cfg.packed;

    // d = (x − m)/T, p = exp(d)/s, lse − z = log s − d (FORMULAS.md "Precision").
    const value = cfg.wrt === 'logits' ? `
          float p = exp(d) / s;
          float zTerm = zLoss > 0.0 ? 2.0 * zLoss * (m * invTemperature + log(s)) : 0.0;
          return scale * dy * invTemperature * ((rowW + zTerm) * p - w * yHat);` :
                                         `
          return scale * dy * oneMinusSmoothing * w * (log(s) - d);`;
    // Sparse rows: ignored -> 0, label outside [0, C) -> NaN, else
    // W = (1 − ε)·w[t] + (ε/C)·Σw and ŷ = (1 − ε)·[c = t] + ε/C.
    const element = cfg.sparse ? `
      float element(float z, int col, int target, float lse, float dy, float w, float s) {
        ${targetChecks(cfg.hasIgnoreIndex)}
        float rowW = oneMinusSmoothing * weightAt(target) + smoothingOverC * sumClassWeights;
        return gradValue(z, oneMinusSmoothing * (col == target ? 1.0 : 0.0) + smoothingOverC, w, lse, dy, rowW, s);
      }` :
                                 `
      float element(float z, float y, float lse, float dy, float w, float rowW, float s) {
        return gradValue(z, oneMinusSmoothing * y + smoothingOverC, w, lse, dy, rowW, s);
      }`;
    const main = softmaxGradMain({
      packed: p,
      sparse: cfg.sparse,
      classValue: classValue('weightAt(col)', cfg.weighted ? 'getClassWeights(c).xy' : 'vec2(1.0)', 'w'),
      rowInput: needsRowWeight ? 'rowWeight' : null,
      sparseRowValue: false,
      stats: 's',
      dyAll: cfg.dyAll,
    });

    this.setBody(`
      ${IS_NAN}
      ${classWeightAccessor('weightAt', cfg.weighted, p)}

      float gradValue(float x, float yHat, float w, float m, float dy, float rowW, float s) {
        // exp(NaN) is +Inf on SwiftShader (Chromium 156): propagate NaN by
        // hand: x − m is NaN when either is (and for x = m = ±∞); s is NaN
        // for a row with a NaN or +∞ logit (the forward's finalize).
        float d = (x - m) * invTemperature;
        if (isNaN(d) || isNaN(s)) return NAN;
        // s ≥ 1 in every real row (an all −∞ row has d = NaN above); s = 0 is a
        // packed texture's padding lane past an odd row count, which must stay
        // finite: tfjs's packed MatMul sums it (see composite.ts logSumExpRows).
        if (s == 0.0) return 0.0;
        ${value}
      }
      ${element}
      ${main}
    `);
  }
}

/**
 * How the aligned backward finds a fragment's row:
 * - 'rows': the logits' texture is [rows, C] (C ≤ the maximum texture size):
 *   texel (x, y) is element (y, x);
 * - 'split': a squarish texture of width W < C (tfjs's layout when C exceeds
 *   the maximum texture size, e.g. C = 32000 > 8192 on SwiftShader, > 16384
 *   on most GPUs): a texel row holds at most one row boundary. The host
 *   computes, per texel row y, where it is and which rows it separates
 *   (rowMap, one RGBA texel per texel row: see SoftmaxCrossEntropyGrad.ts).
 */
export type AlignedLayout = 'rows' | 'split';

/**
 * Per-row coefficients of the aligned backward, one RGBA texel per row:
 *
 * with dy the row's scale·dy_b (FORMULAS.md, "Fused reductions"):
 *
 *   dense, d/dlogits:  (m, a = dy/T·(W + 2λ·lse)/s, g = dy/T, 0)
 *                      dx = a·exp((x − m)/T) − g·w[c]·ŷ
 *   dense, d/dlabels:  (m, c = dy·(1 − ε), log s, 0)  dl = c·w[c]·(log s − (x − m)/T)
 *   sparse:            (m, a, g, t) with W = (1 − ε)·w[t] + (ε/C)·Σw;
 *                      (m, s) the forward's saved pair, lse = m/T + log s;
 *                      an ignored row has a = g = 0, t = −1 (its gradient
 *                      row is 0 whatever the logits); a label outside
 *                      [0, C) makes lse NaN and t = C (the row's gradient
 *                      is NaN).
 *
 * The texels are a packed [2, 2·rows] tensor (texel j holds (0, 2j), (0,
 * 2j + 1), (1, 2j), (1, 2j + 1): row j's four coefficients), which the host
 * hands to the unpacked elementwise program as is (see
 * SoftmaxCrossEntropyGrad.ts, withRawTexels): one texture sample per
 * fragment for all of a row's terms, where three separate [rows] inputs took
 * three (slower on SwiftShader: kernels/webgl/README.md, "Measurements").
 */
export interface RowCoefProgramConfig {
  rows: number;
  sparse: boolean;
  wrt: 'logits' | 'labels';
  weighted: boolean;
  hasIgnoreIndex: boolean;
  /** dy is one element for every row (a [] input), else [rows]. */
  dyAll: boolean;
}

/** Uniforms of the aligned backward's programs (the getter program's, plus −∞). */
const ALIGNED_GRAD_UNIFORMS = [...GRAD_UNIFORMS, ...uniforms({negInf: 'float'})];

/**
 * One fragment per row. Inputs: the saved (m, s) [rows, 2] (named lse), dy
 * ([rows], or [] when `dyAll`), then rowWeight (dense, d/dlogits) or labels
 * [rows] and classWeights (sparse, weighted).
 */
export class SoftmaxCERowCoefProgram extends GeneratedProgram {
  constructor(cfg: RowCoefProgramConfig) {
    super({
      inputs: cfg.sparse ? ['lse', 'dy', 'labels', ...(cfg.weighted ? ['classWeights'] : [])] :
          cfg.wrt === 'logits' ? ['lse', 'dy', 'rowWeight'] : ['lse', 'dy'],
      outputShape: [2, 2 * cfg.rows],
      uniforms: ALIGNED_GRAD_UNIFORMS,
      packedOutput: true,
    });
    const zTerm = '(zLoss > 0.0 ? 2.0 * zLoss * lse : 0.0)';
    const dy = cfg.dyAll ? 'scale * getDy()' : 'scale * getDy(row)';
    const body = cfg.sparse ? `
        int t = round(getLabels(row));
        bool ignored = ${cfg.hasIgnoreIndex ? 't == ignoreIndex' : 'false'};
        bool outside = !ignored && (t < 0 || t >= numClasses);
        float g = ${dy} * invTemperature;
        float wt = ${cfg.weighted ? 'getClassWeights(t < 0 ? 0 : t >= numClasses ? numClasses - 1 : t)' : '1.0'};
        float a = g * (oneMinusSmoothing * wt + smoothingOverC * sumClassWeights + ${zTerm}) / s;
        setOutput(ignored ? vec4(0.0, 0.0, 0.0, -1.0) :
                  outside || nanRow ? vec4(NAN, NAN, NAN, float(numClasses)) : vec4(m, a, g, float(t)));` :
                                       cfg.wrt === 'logits' ? `
        float g = ${dy} * invTemperature;
        setOutput(nanRow ? vec4(NAN) : vec4(m, g * (getRowWeight(row) + ${zTerm}) / s, g, 0.0));` :
                                                              `
        setOutput(nanRow ? vec4(NAN) : vec4(m, ${dy} * oneMinusSmoothing, log(s), 0.0));`;
    this.setBody(`
      ${IS_NAN}
      void main() {
        int row = getOutputCoords().y / 2;
        float m = getLse(row, 0);
        float s = getLse(row, 1);
        float lse = m * invTemperature + (s > 0.0 ? log(s) : negInf);
        // A NaN logit makes its row's lse NaN, and lse = −∞ (every logit
        // −∞) makes every exp(z − lse) NaN in the reference: either way the
        // whole gradient row is NaN, written into the coefficients here so
        // the elementwise pass needs no NaN test of its own (its exp(NaN)
        // is +Inf on SwiftShader). An ignored row stays 0.
        bool nanRow = isNaN(m) || isNaN(s) || m == negInf || m == -negInf;
        ${body}
      }
    `);
  }
}

export interface AlignedGradProgramConfig {
  /** The logits' stored shape: the output gets it, hence the logits' texture shape. */
  outputShape: number[];
  layout: AlignedLayout;
  sparse: boolean;
  wrt: 'logits' | 'labels';
  weighted: boolean;
  /** Dense: the labels share the logits' texture shape (read at the fragment's texel); else tfjs's getter. */
  alignedLabels: boolean;
}

/**
 * The elementwise backward on unpacked, unsliced logits, written into a
 * texture of the logits' own shape, so the fragment at texel (x, y) reads
 * the logit (and aligned labels) at its own texel (resultUV), and finds its
 * row's coefficients (SoftmaxCERowCoefProgram: one RGBA texel per row) with
 * no integer arithmetic: 'rows', at u = resultUV.y (texel row y is row y);
 * 'split', at u0 or u1 of its texel row's rowMap texel (splitU, u0, u1,
 * splitX): u0 left of the boundary (resultUV.x < splitU), u1 right of it.
 * Inputs: logits, labels, coefs, then classWeights (weighted), rowMap
 * ('split').
 *
 * SwiftShader, the CPU "GPU" this was tuned on, compiles shaders without
 * hoisting or common subexpressions (Subzero), so every operation of the
 * text runs per fragment: coordinates come precomputed, and the column is
 * computed only where it is used (class weights, sparse targets). A
 * fragment computing its row in float from a split map was slower (figures
 * for both versions: kernels/webgl/README.md, "Measurements").
 */
export class SoftmaxCEAlignedGradProgram extends GeneratedProgram {
  constructor(cfg: AlignedGradProgramConfig) {
    super({
      inputs: [
        'logits', 'labels', 'coefs', ...(cfg.weighted ? ['classWeights'] : []),
        ...(cfg.layout === 'split' ? ['rowMap'] : []),
      ],
      // The logits' stored shape: only the texture layout is baked (sizes are shape uniforms).
      outputShape: cfg.outputShape,
      uniforms: ALIGNED_GRAD_UNIFORMS,
    });
    const needsCol = cfg.sparse || cfg.weighted || (!cfg.alignedLabels && cfg.wrt === 'logits');
    const locate = cfg.layout === 'rows' ? `
        float coefU = resultUV.y;
        ${needsCol ? 'float col = floor(resultUV.x * float(outTexShape[1]));' : ''}` :
                                           `
        vec4 map = sampleRGBA(rowMap, vec2(resultUV.y, 0.5));
        bool next = resultUV.x > map.x;
        float coefU = next ? map.z : map.y;
        ${needsCol ? `float texX = floor(resultUV.x * float(outTexShape[1]));
        float col = next ? texX - map.w : texX + (float(numClasses) - map.w);` : ''}`;
    // The class weight w[col] from a [C] texture of any shape: its texel in
    // float (col < 2^24).
    const weight = cfg.weighted ? `
        float wTexW = float(classWeightsTexShape[1]);
        float wTy = floor((col + 0.5) / wTexW);
        float w = sampleTexture(classWeights,
            vec2((col - wTy * wTexW + 0.5) / wTexW, (wTy + 0.5) / float(classWeightsTexShape[0])));` :
                                      '';
    const w = cfg.weighted ? 'w * ' : '';
    // Unaligned dense labels: tfjs's getter at (row, col); the row from the
    // coefficient coordinate (u = (row + ½) / rows).
    const labels = cfg.alignedLabels ? 'sampleTexture(labels, resultUV)' :
                                       'getLabels(int(coefU * float(coefsTexShape[1] / 2)), int(col))';
    const value = cfg.sparse ? `
        float yHat = oneMinusSmoothing * (col == coef.w ? 1.0 : 0.0) + smoothingOverC;
        float v = coef.w < 0.0 ? 0.0 : coef.y * exp(d) - coef.z * ${w}yHat;` :
                                   cfg.wrt === 'logits' ? `
        float yHat = oneMinusSmoothing * ${labels} + smoothingOverC;
        float v = coef.y * exp(d) - coef.z * ${w}yHat;` :
                                                          `
        float v = coef.y * ${w}(coef.z - d);`;
    this.setBody(`
      ${IS_NAN}
      ${SAMPLE_RGBA}
      void main() {
        ${locate}
        // coefs (and rowMap): packed textures read raw, one RGBA texel per row.
        vec4 coef = sampleRGBA(coefs, vec2(coefU, 0.5));
        ${weight}
        // No NaN test here: a row with a NaN or +∞ logit, or all −∞, has NaN
        // coefficients (SoftmaxCERowCoefProgram), so v is NaN whatever exp
        // gives. d = (x − m)/T, m the row's max logit.
        float d = (sampleTexture(logits, resultUV) - coef.x) * invTemperature;
        ${value}
        setOutput(v);
      }
    `);
  }
}

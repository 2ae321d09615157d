/**
 * GLSL programs of the fused softmax focal cross-entropy, forward and
 * backward, dense and sparse labels (kernels/FORMULAS.md, "Focal
 * cross-entropy, softmax"). Per class, from the row's saved (m, s) (the row
 * max of the raw logits and the shifted sum, kernel_names.ts):
 *
 *     d = log p = (x − m)/T − log s,  q = −expm1(d),  g = −d,  a = α[c]·w[c]
 *     f = a·ŷ·q^γ,  B = a·ŷ·γ·q^(γ−1)·p·g
 *     loss      = Σ_{ŷ≠0} f·g
 *     d/dlogits = dy/T·(p·S − f − B),  S = Σ_c (f + B)   (= A + Bs of FORMULAS.md)
 *     d/dlabels = dy·(1 − ε)·a·q^γ·g                       (dense only)
 *
 * d keeps x − m (exact) and log s (small) apart: a float32 lse = m/T + log s
 * would put up to ½ ulp(|lse|) into every p (FORMULAS.md, "Precision").
 *
 * Algorithm. q needs the finished (m, s), so each direction is two passes
 * over a row: (m, s) (the softmax cross-entropy's staged online-lse programs,
 * run by the host), then a row reduction of the focal terms (`FocalRowSumProgram`:
 * one fragment per (row, window of classes), windows of ⌈√C⌉ as planned by
 * planReduction, partial sums merged by `FocalPartialSumProgram`). Forward:
 * that sum is the loss. Backward: the sum S, then the elementwise
 * `FocalGradProgram`; only A + Bs enters dx, so one row sum serves both.
 *
 * Sparse labels without smoothing have a single target class, so no row
 * reduction is needed after the lse: `FocalTargetLossProgram` reads one logit
 * per row for the loss, and the gradient program computes S = f[t] + B[t]
 * itself from the row's target logit ("target-only" variants).
 *
 * Sizes are uniforms (shape uniforms plus the custom ones below); the shader
 * text depends only on the variant flags and the loop bound (a power of two ≥
 * the window): a new batch size never compiles a new shader.
 * Packed variants (packedInputs, chosen when the logits arrive packed) read a
 * texel of two classes per step in the row reductions and compute whole 2x2
 * texels in the elementwise program, as the cross-entropy programs do.
 */
import {
  IS_NAN, packedLogitsLabelsFetch, packedWindowLoop, setOutputAndReturn, targetChecks, vectorAccessor,
  windowLoop,
} from './cross_entropy_glsl';
import {EXPM1, FOCAL_TERMS, POW_GAMMA} from './focal_glsl';
import {classValue, ElementwiseProgram, GeneratedProgram, uniforms, windowReductionMain} from './program_generator';
import {softmaxGradMain} from './softmax_cross_entropy_grad_gpu';

/**
 * Uniforms of every softmax focal program, in this order (values:
 * `focalUniformValues` in focal_host.ts). Unused ones cost nothing:
 * the compiler drops them and tfjs skips a null location.
 */
export const FOCAL_UNIFORMS = uniforms({
  numClasses: 'int', windowSize: 'int', invTemperature: 'float', oneMinusSmoothing: 'float', smoothingOverC: 'float',
  gamma: 'float', alphaScalar: 'float', ignoreIndex: 'int',
});

/**
 * `float logOfS(float s)`: log s of a saved (m, s) pair, NaN kept (a row with
 * a +∞ logit has s NaN), and 0 for s = 0: a packed texture's padding lane
 * past an odd row count, which must stay finite (an all −∞ row, the other
 * s = 0, is NaN already through x − m).
 */
const LOG_OF_S = `
  float logOfS(float s) {
    if (isNaN(s)) return NAN;
    return s > 0.0 ? log(s) : 0.0;
  }`;

const HELPERS = `
  ${IS_NAN}
  ${LOG_OF_S}
  ${EXPM1}
  ${POW_GAMMA}
  ${FOCAL_TERMS}`;

/**
 * `vec2 statsOfRow(int row)`: (m, log s) of the row from the saved (m, s)
 * [rows, 2] input `lse`, in either layout (a packed texel holds rows r, r + 1
 * of both columns: (m, s) of an odd row in zw).
 */
function statsAccessor(packed: boolean): string {
  if (!packed) return 'vec2 statsOfRow(int row) { return vec2(getLse(row, 0), logOfS(getLse(row, 1))); }';
  return `
    vec2 statsOfRow(int row) {
      vec4 t = getLse(row, 0);
      vec2 ms = imod(row, 2) == 1 ? t.zw : t.xy;
      return vec2(ms.x, logOfS(ms.y));
    }`;
}

/** `float alphaAt(int c)`: a[c] from the `alpha` input, or the scalar uniform. */
function alphaAccessor(perClassAlpha: boolean, packed: boolean): string {
  return perClassAlpha ? vectorAccessor('alphaAt', 'alpha', packed) : 'float alphaAt(int c) { return alphaScalar; }';
}

/** `float logitAt(int row, int col)` in either layout (one texel fetch). */
function logitAccessor(packed: boolean): string {
  if (!packed) return 'float logitAt(int row, int col) { return getLogits(row, col); }';
  return `
    float logitAt(int row, int col) {
      vec4 t = getLogits(row, col);
      vec2 h = imod(row, 2) == 1 ? t.zw : t.xy;
      return imod(col, 2) == 1 ? h.y : h.x;
    }`;
}

/**
 * Header of the per-row focal programs (row sum, target loss). Inputs:
 * logits [rows, C], labels ([rows, C] or [rows]), the saved (m, s) [rows, 2]
 * (named lse), then alpha [C]
 * when a is per class; packed when the logits are.
 */
abstract class FocalRowProgram extends GeneratedProgram {
  protected constructor(cfg: {perClassAlpha: boolean, packed: boolean}, outputShape: number[]) {
    super({
      inputs: ['logits', 'labels', 'lse', ...(cfg.perClassAlpha ? ['alpha'] : [])],
      outputShape,
      uniforms: FOCAL_UNIFORMS,
      packedInputs: cfg.packed,
    });
  }
}

export interface FocalRowSumConfig {
  rows: number;
  numWindows: number;
  /** Baked loop bound (power of two) ≥ the window size. */
  loopBound: number;
  /** 'loss': Σ f·g (forward); 'grad': S = Σ (f + B) (backward). */
  sum: 'loss' | 'grad';
  sparse: boolean;
  hasIgnoreIndex: boolean;
  perClassAlpha: boolean;
  packed: boolean;
}

/**
 * Stage 1 of the focal row reduction: one fragment per (row, window of
 * classes) sums the focal terms of the window's classes with ŷ ≠ 0 (skipped,
 * never multiplied: 0·∞ would be NaN) into an unpacked [rows, numWindows]
 * texture. Inputs: logits [rows, C], labels ([rows, C] or [rows]), (m, s)
 * [rows, 2], then alpha [C] when a is per class. Sparse rows: ignored → 0, label
 * outside [0, C) → NaN, in every window.
 */
export class FocalRowSumProgram extends FocalRowProgram {
  constructor(cfg: FocalRowSumConfig) {
    super(cfg, [cfg.rows, cfg.numWindows]);
    const target = (c: string, dense: string) =>
        cfg.sparse ? `oneMinusSmoothing * (${c} == target ? 1.0 : 0.0) + smoothingOverC` :
                     `oneMinusSmoothing * ${dense} + smoothingOverC`;
    const term = cfg.sum === 'loss' ? 't.x * t.z' : 't.x + t.y';
    const xy = (k: number) => 'xy'[k];
    const loop = !cfg.packed ?
        windowLoop(cfg.loopBound, `
          add(sum, sawNaN, getLogits(row, c), ${target('c', 'getLabels(row, c)')}, alphaAt(c), ms);`) :
        packedWindowLoop(cfg.loopBound, `${packedLogitsLabelsFetch(cfg.sparse, true)}
          vec2 a = ${cfg.perClassAlpha ? 'getAlpha(c).xy' : 'vec2(alphaScalar)'};`,
                         (k) => `add(sum, sawNaN, z.${xy(k)}, ${target(k ? 'c + 1' : 'c', `y.${xy(k)}`)}, a.${xy(k)}, ms);`);
    this.setBody(`
      ${HELPERS}
      ${alphaAccessor(cfg.perClassAlpha, cfg.packed)}
      ${statsAccessor(cfg.packed)}
      ${cfg.sparse ? vectorAccessor('labelOfRow', 'labels', cfg.packed) : ''}

      // x the raw logit, ms = (m, log s) of its row.
      void add(inout float sum, inout bool sawNaN, float x, float yHat, float a, vec2 ms) {
        if (yHat == 0.0) return;
        float d = (x - ms.x) * invTemperature - ms.y;
        if (isNaN(d) || isNaN(yHat)) {
          sawNaN = true;
          return;
        }
        vec4 t = focalTerms(min(d, 0.0), a * yHat);
        sum += ${term};
      }

      ${windowReductionMain({
      texelPerWindow: false,
      size: 'numClasses',
      setup: `${cfg.sparse ? `int target = round(labelOfRow(row)); ${targetChecks(cfg.hasIgnoreIndex, setOutputAndReturn)}` : ''}
        vec2 ms = statsOfRow(row);`,
      accumulator: 'float sum = 0.0;',
      loop,
      result: 'sum',
      // Sums keep NaN in IEEE arithmetic, but make it explicit (as the
      // other programs do) rather than trust the compiler with it.
      nan: 'NAN',
    })}
    `);
  }
}

export interface PartialSumConfig {
  rows: number;
  numWindows: number;
  loopBound: number;
}

/** Merge stage: sums windows of an unpacked [rows, numPartials] texture of partial sums. */
const PARTIAL_SUM_UNIFORMS = uniforms({numPartials: 'int', windowSize: 'int'});

export class FocalPartialSumProgram extends GeneratedProgram {
  constructor(cfg: PartialSumConfig) {
    super({inputs: ['partials'], outputShape: [cfg.rows, cfg.numWindows], uniforms: PARTIAL_SUM_UNIFORMS});
    this.setBody(`
      ${IS_NAN}
      ${windowReductionMain({
      texelPerWindow: false,
      size: 'numPartials',
      accumulator: 'float sum = 0.0;',
      loop: windowLoop(cfg.loopBound, `
          float v = getPartials(row, c);
          if (isNaN(v)) sawNaN = true;
          sum += v;`),
      result: 'sum',
      nan: 'NAN',
    })}
    `);
  }
}

export interface TargetLossConfig {
  rows: number;
  hasIgnoreIndex: boolean;
  perClassAlpha: boolean;
  packed: boolean;
}

/**
 * Sparse forward without smoothing: ŷ is 1 on the target class t and 0
 * elsewhere, so loss = a[t]·q[t]^γ·g[t] from one logit per row. Inputs:
 * logits, labels [rows], (m, s) [rows, 2], alpha [C] when per class. Output [rows].
 */
export class FocalTargetLossProgram extends FocalRowProgram {
  constructor(cfg: TargetLossConfig) {
    super(cfg, [cfg.rows]);
    this.setBody(`
      ${HELPERS}
      ${alphaAccessor(cfg.perClassAlpha, cfg.packed)}
      ${logitAccessor(cfg.packed)}
      ${statsAccessor(cfg.packed)}
      ${vectorAccessor('labelOfRow', 'labels', cfg.packed)}

      void main() {
        int row = getOutputCoords();
        int target = round(labelOfRow(row));
        ${targetChecks(cfg.hasIgnoreIndex, setOutputAndReturn)}
        vec2 ms = statsOfRow(row);
        float d = (logitAt(row, target) - ms.x) * invTemperature - ms.y;
        if (isNaN(d)) { setOutput(NAN); return; }
        vec4 t = focalTerms(min(d, 0.0), alphaAt(target));
        setOutput(t.x * t.z);
      }
    `);
  }
}

export interface FocalGradConfig {
  rows: number;
  numClasses: number;
  sparse: boolean;
  wrt: 'logits' | 'labels';
  /** Sparse without smoothing: S from the target logit, no rowSum input. */
  targetOnly: boolean;
  hasIgnoreIndex: boolean;
  perClassAlpha: boolean;
  /** Packed in and packed out (the logits came packed). */
  packed: boolean;
}

/**
 * The elementwise backward. Inputs: logits [rows, C], labels ([rows, C] or
 * [rows]), the saved (m, s) [rows, 2] (named lse), dy [rows], then rowSum
 * [rows] (S; wrt logits, not target-only) and alpha [C] (when per class).
 * Output [rows, C].
 */
export class FocalGradProgram extends ElementwiseProgram {
  constructor(cfg: FocalGradConfig) {
    const needsRowSum = cfg.wrt === 'logits' && !cfg.targetOnly;
    super(cfg, [
      'logits', 'labels', 'lse', 'dy', ...(needsRowSum ? ['rowSum'] : []),
      ...(cfg.perClassAlpha ? ['alpha'] : []),
    ], FOCAL_UNIFORMS);
    const p = cfg.packed;

    // gradValue(x, ŷ, a, m, dy, S, log s): one element of dx or dlabels.
    const value = cfg.wrt === 'logits' ? `
        if (isNaN(yHat) || isNaN(S)) return NAN;
        vec4 t = focalTerms(min(d, 0.0), a * yHat);
        return dy * invTemperature * (t.w * S - t.x - t.y);` : `
        vec4 t = focalTerms(min(d, 0.0), a);
        return dy * oneMinusSmoothing * t.x * t.z;`;

    // Per-row part of the sparse element: the checks, then S of a
    // target-only row (f[t] + B[t] from its own logit).
    const sparseRow = cfg.targetOnly ? `
      float rowS(int row, int target, float m, float ls) {
        float d = (logitAt(row, target) - m) * invTemperature - ls;
        if (isNaN(d)) return NAN;
        vec4 t = focalTerms(min(d, 0.0), alphaAt(target));
        return t.x + t.y;
      }` : '';
    const element = cfg.sparse ? `
      ${sparseRow}
      float element(float x, int col, int target, float m, float dy, float a, float S, float ls) {
        ${targetChecks(cfg.hasIgnoreIndex)}
        return gradValue(x, oneMinusSmoothing * (col == target ? 1.0 : 0.0) + smoothingOverC, a, m, dy, S, ls);
      }
      // S of a row: from the row-sum input, or (target-only) its target logit.
      float rowValue(int row, int target, float m, float given, float ls) {
        ${cfg.targetOnly ? `
        ${targetChecks(cfg.hasIgnoreIndex)}
        return rowS(row, target, m, ls);` : 'return given;'}
      }` : `
      float element(float x, float y, float m, float dy, float a, float S, float ls) {
        return gradValue(x, oneMinusSmoothing * y + smoothingOverC, a, m, dy, S, ls);
      }`;

    const main = softmaxGradMain({
      packed: p,
      sparse: cfg.sparse,
      classValue: classValue('alphaAt(col)', cfg.perClassAlpha ? 'getAlpha(c).xy' : 'vec2(alphaScalar)', 'w'),
      rowInput: needsRowSum ? 'rowSum' : null,
      sparseRowValue: true,
      stats: 'logS',
    });

    this.setBody(`
      ${HELPERS}
      ${alphaAccessor(cfg.perClassAlpha, p)}
      ${cfg.targetOnly ? logitAccessor(p) : ''}

      float gradValue(float x, float yHat, float a, float m, float dy, float S, float ls) {
        // NaN in x, m or log s (any NaN logit of the row, a +∞ one), and for
        // dx in ŷ or S (a NaN label in the row), gives NaN, by hand: min()
        // and exp() may drop it (exp(NaN) = +Inf on SwiftShader).
        float d = (x - m) * invTemperature - ls;
        if (isNaN(d)) return NAN;
        ${value}
      }
      ${element}
      ${main}
    `);
  }
}

/**
 * GLSL programs of the fused softmax focal cross-entropy, forward and
 * backward, dense and sparse labels (kernels/FORMULAS.md, "Focal
 * cross-entropy, softmax"). Per class, from z = x/T and the row's lse:
 *
 *     d = log p = z − lse,  q = −expm1(d),  g = −d,  a = α[c]·w[c]
 *     f = a·ŷ·q^γ,  B = a·ŷ·γ·q^(γ−1)·p·g
 *     loss      = Σ_{ŷ≠0} f·g
 *     d/dlogits = dy/T·(p·S − f − B),  S = Σ_c (f + B)   (= A + Bs of FORMULAS.md)
 *     d/dlabels = dy·(1 − ε)·a·q^γ·g                       (dense only)
 *
 * Algorithm. q needs the finished lse, so each direction is two passes over
 * a row: the lse (the softmax cross-entropy's staged online-lse programs, run
 * by the host), then a row reduction of the focal terms (`FocalRowSumProgram`:
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
import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';

import {
  IS_NAN, packedLogitsLabelsFetch, packedWindowLoop, setOutputAndReturn, targetChecks, vectorAccessor, windowBounds,
  windowLoop,
} from './cross_entropy_glsl';
import {CustomUniforms, ElementwiseProgram} from './elementwise_program';
import {EXPM1, FOCAL_TERMS, POW_GAMMA} from './focal_glsl';
import {softmaxGradMain} from './softmax_cross_entropy_grad_gpu';

/**
 * Uniforms of every softmax focal program, in this order (values:
 * `focalUniformValues` in FocalCrossEntropy.ts). Unused ones cost nothing:
 * the compiler drops them and tfjs skips a null location.
 */
export const FOCAL_UNIFORMS: CustomUniforms = [
  {name: 'numClasses', type: 'int'},
  {name: 'windowSize', type: 'int'},
  {name: 'invTemperature', type: 'float'},
  {name: 'oneMinusSmoothing', type: 'float'},
  {name: 'smoothingOverC', type: 'float'},
  {name: 'gamma', type: 'float'},
  {name: 'alphaScalar', type: 'float'},
  {name: 'ignoreIndex', type: 'int'},
];

const HELPERS = `
  ${IS_NAN}
  ${EXPM1}
  ${POW_GAMMA}
  ${FOCAL_TERMS}`;

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
 * logits [rows, C], labels ([rows, C] or [rows]), lse [rows], then alpha [C]
 * when a is per class; packed when the logits are.
 */
abstract class FocalRowProgram implements GPGPUProgram {
  variableNames: string[];
  outputShape: number[];
  userCode = '';
  packedInputs: boolean;
  enableShapeUniforms = true;
  customUniforms = FOCAL_UNIFORMS;

  constructor(cfg: {perClassAlpha: boolean, packed: boolean}, outputShape: number[]) {
    this.variableNames = ['logits', 'labels', 'lse', ...(cfg.perClassAlpha ? ['alpha'] : [])];
    this.outputShape = outputShape;
    this.packedInputs = cfg.packed;
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
 * texture. Inputs: logits [rows, C], labels ([rows, C] or [rows]), lse
 * [rows], then alpha [C] when a is per class. Sparse rows: ignored → 0, label
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
          add(sum, sawNaN, getLogits(row, c) * invTemperature, ${target('c', 'getLabels(row, c)')},
              alphaAt(c), lse);`) :
        packedWindowLoop(cfg.loopBound, `${packedLogitsLabelsFetch(cfg.sparse)}
          vec2 a = ${cfg.perClassAlpha ? 'getAlpha(c).xy' : 'vec2(alphaScalar)'};`,
                         (k) => `add(sum, sawNaN, z.${xy(k)}, ${target(k ? 'c + 1' : 'c', `y.${xy(k)}`)}, a.${xy(k)}, lse);`);
    this.userCode = `
      ${HELPERS}
      ${alphaAccessor(cfg.perClassAlpha, cfg.packed)}
      ${vectorAccessor('lseOfRow', 'lse', cfg.packed)}
      ${cfg.sparse ? vectorAccessor('labelOfRow', 'labels', cfg.packed) : ''}

      void add(inout float sum, inout bool sawNaN, float z, float yHat, float a, float lse) {
        if (yHat == 0.0) return;
        float d = z - lse;
        if (isNaN(d) || isNaN(yHat)) {
          sawNaN = true;
          return;
        }
        vec4 t = focalTerms(min(d, 0.0), a * yHat);
        sum += ${term};
      }

      void main() {
        ivec2 coords = getOutputCoords();
        int row = coords.x;
        ${windowBounds('coords.y', 'numClasses')}
        ${cfg.sparse ? `int target = round(labelOfRow(row)); ${targetChecks(cfg.hasIgnoreIndex, setOutputAndReturn)}` : ''}
        float lse = lseOfRow(row);
        float sum = 0.0;
        bool sawNaN = false;
        ${loop}
        // Sums keep NaN in IEEE arithmetic, but make it explicit (as the
        // other programs do) rather than trust the compiler with it.
        setOutput(sawNaN ? NAN : sum);
      }
    `;
  }
}

export interface PartialSumConfig {
  rows: number;
  numWindows: number;
  loopBound: number;
}

/** Merge stage: sums windows of an unpacked [rows, numPartials] texture of partial sums. */
export class FocalPartialSumProgram implements GPGPUProgram {
  variableNames = ['partials'];
  outputShape: number[];
  userCode: string;
  enableShapeUniforms = true;
  customUniforms: CustomUniforms = [
    {name: 'numPartials', type: 'int'},
    {name: 'windowSize', type: 'int'},
  ];

  constructor(cfg: PartialSumConfig) {
    this.outputShape = [cfg.rows, cfg.numWindows];
    this.userCode = `
      ${IS_NAN}
      void main() {
        ivec2 coords = getOutputCoords();
        ${windowBounds('coords.y', 'numPartials')}
        float sum = 0.0;
        bool sawNaN = false;
        ${windowLoop(cfg.loopBound, `
          float v = getPartials(coords.x, c);
          if (isNaN(v)) sawNaN = true;
          sum += v;`)}
        setOutput(sawNaN ? NAN : sum);
      }
    `;
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
 * logits, labels [rows], lse [rows], alpha [C] when per class. Output [rows].
 */
export class FocalTargetLossProgram extends FocalRowProgram {
  constructor(cfg: TargetLossConfig) {
    super(cfg, [cfg.rows]);
    this.userCode = `
      ${HELPERS}
      ${alphaAccessor(cfg.perClassAlpha, cfg.packed)}
      ${logitAccessor(cfg.packed)}
      ${vectorAccessor('lseOfRow', 'lse', cfg.packed)}
      ${vectorAccessor('labelOfRow', 'labels', cfg.packed)}

      void main() {
        int row = getOutputCoords();
        int target = round(labelOfRow(row));
        ${targetChecks(cfg.hasIgnoreIndex, setOutputAndReturn)}
        float d = logitAt(row, target) * invTemperature - lseOfRow(row);
        if (isNaN(d)) { setOutput(NAN); return; }
        vec4 t = focalTerms(min(d, 0.0), alphaAt(target));
        setOutput(t.x * t.z);
      }
    `;
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
 * [rows]), lse [rows], dy [rows], then rowSum [rows] (S; wrt logits, not
 * target-only) and alpha [C] (when per class). Output [rows, C].
 */
export class FocalGradProgram extends ElementwiseProgram {
  constructor(cfg: FocalGradConfig) {
    const needsRowSum = cfg.wrt === 'logits' && !cfg.targetOnly;
    super(cfg, [
      'logits', 'labels', 'lse', 'dy', ...(needsRowSum ? ['rowSum'] : []),
      ...(cfg.perClassAlpha ? ['alpha'] : []),
    ], FOCAL_UNIFORMS);
    const p = cfg.packed;

    // gradValue(z, ŷ, a, lse, dy, S): one element of dx or dlabels.
    const value = cfg.wrt === 'logits' ? `
        if (isNaN(yHat) || isNaN(S)) return NAN;
        vec4 t = focalTerms(min(d, 0.0), a * yHat);
        return dy * invTemperature * (t.w * S - t.x - t.y);` : `
        vec4 t = focalTerms(min(d, 0.0), a);
        return dy * oneMinusSmoothing * t.x * t.z;`;

    // Per-row part of the sparse element: the checks, then S of a
    // target-only row (f[t] + B[t] from its own logit).
    const sparseRow = cfg.targetOnly ? `
      float rowS(int row, int target, float lse) {
        float d = logitAt(row, target) * invTemperature - lse;
        if (isNaN(d)) return NAN;
        vec4 t = focalTerms(min(d, 0.0), alphaAt(target));
        return t.x + t.y;
      }` : '';
    const element = cfg.sparse ? `
      ${sparseRow}
      float element(float z, int col, int target, float lse, float dy, float a, float S) {
        ${targetChecks(cfg.hasIgnoreIndex)}
        return gradValue(z, oneMinusSmoothing * (col == target ? 1.0 : 0.0) + smoothingOverC, a, lse, dy, S);
      }
      // S of a row: from the row-sum input, or (target-only) its target logit.
      float rowValue(int row, int target, float lse, float given) {
        ${cfg.targetOnly ? `
        ${targetChecks(cfg.hasIgnoreIndex)}
        return rowS(row, target, lse);` : 'return given;'}
      }` : `
      float element(float z, float y, float lse, float dy, float a, float S) {
        return gradValue(z, oneMinusSmoothing * y + smoothingOverC, a, lse, dy, S);
      }`;

    const main = softmaxGradMain({
      packed: p,
      sparse: cfg.sparse,
      classValue: p ? (cfg.perClassAlpha ? 'getAlpha(c).xy' : 'vec2(alphaScalar)') : 'alphaAt(col)',
      rowInput: needsRowSum ? 'rowSum' : null,
      sparseRowValue: true,
    });

    this.userCode = `
      ${HELPERS}
      ${alphaAccessor(cfg.perClassAlpha, p)}
      ${cfg.targetOnly ? logitAccessor(p) : ''}

      float gradValue(float z, float yHat, float a, float lse, float dy, float S) {
        // NaN in z or lse (any NaN logit of the row), and for dx in ŷ or S
        // (a NaN label in the row), gives NaN, by hand: min() and exp() may
        // drop it (exp(NaN) = +Inf on SwiftShader).
        float d = z - lse;
        if (isNaN(d)) return NAN;
        ${value}
      }
      ${element}
      ${main}
    `;
  }
}

/**
 * GLSL programs of the fused softmax cross-entropy forward (dense and sparse
 * labels). Formulas: kernels/FORMULAS.md.
 *
 * Algorithm: an online log-sum-exp reduction over each row, with no
 * [rows, C] intermediate. Per (row, window of classes) a fragment keeps the
 * running statistics
 *
 *     m = max z,  s = Σ exp(z − m),  A = Σ w·ŷ,  B = Σ w·ŷ·(z − m)
 *
 * (sums over the window's classes with ŷ ≠ 0; z = logits / T). When the
 * running max moves from m to m', s is rescaled by exp(m − m') and B by
 * −A·(m' − m), so windows merge exactly like single elements do: (m, s, A, B)
 * partials of any split of a row combine associatively. At the end
 *
 *     lse  = m + log s
 *     loss = Σ w·ŷ·(lse − z) + λ·lse² = A·log s − B + λ·lse²
 *
 * B is kept relative to the row max, so the loss has no cancellation between
 * two large numbers (A·lse and Σ w·ŷ·z) when logits are shifted far from 0.
 *
 * Staging (as tfjs's own reductions): stage 1 reduces windows of the logits
 * row into a packed [2·rows, 2·numWindows] texture whose 2x2 texel per
 * (row, window) holds (m, s / A, B); merge stages reduce windows of partials
 * until one is left; two tiny finalize programs then read the single texel
 * per row and write `loss` and `lse` ([rows] each). tfjs runs one output per
 * program: the second output costs one extra program reading 4 floats and
 * writing 1 per row, nothing per class.
 *
 * Shapes go through shape uniforms and the custom uniforms below: the shader
 * text (hence tfjs's binary cache key) depends only on the variant (dense or
 * sparse, weighted, packed input, ignoreIndex present) and on the loop bound,
 * a power of two ≥ the window size: a new batch size never compiles a new
 * shader, and neither does a new C of the same power-of-two class.
 */
import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';

import {IS_NAN, vectorAccessor} from './cross_entropy_glsl';

type UniformType = NonNullable<GPGPUProgram['customUniforms']>[number]['type'];
type CustomUniforms = Array<{name: string, type: UniformType}>;

/**
 * Merges partial statistics (m2, s2, A2, B2) into the running ones. Written
 * for the IEEE corner cases the formulas name: an all −∞ window has m = −∞ and
 * s = 0 and contributes nothing to s (never exp(−∞ − (−∞)) = NaN); B is only
 * rescaled when the max really moves and some weight sits in the partial.
 */
const MERGE_STATS = `
  float rescaleB(float b, float a, float dm) {
    return (dm > 0.0 && a != 0.0) ? b - a * dm : b;
  }
  void mergeStats(inout vec4 acc, vec4 part) {
    float mNew = max(acc.x, part.x);
    float s = (acc.y == 0.0 ? 0.0 : acc.y * exp(acc.x - mNew)) +
              (part.y == 0.0 ? 0.0 : part.y * exp(part.x - mNew));
    float b = rescaleB(acc.w, acc.z, mNew - acc.x) +
              rescaleB(part.w, part.z, mNew - part.x);
    acc = vec4(mNew, s, acc.z + part.z, b);
  }`;

/** Uniforms every forward program shares (values: see `forwardUniformValues`). */
const STATS_UNIFORMS: CustomUniforms = [
  {name: 'numClasses', type: 'int'},
  {name: 'windowSize', type: 'int'},
  {name: 'invTemperature', type: 'float'},
  {name: 'oneMinusSmoothing', type: 'float'},
  {name: 'smoothingOverC', type: 'float'},
  {name: 'negInf', type: 'float'},
];

export interface StatsProgramConfig {
  rows: number;
  numWindows: number;
  /** Baked loop bound (power of two) ≥ the window size. */
  loopBound: number;
  sparse: boolean;
  weighted: boolean;
  /** Inputs are packed textures (the logits came from a packed producer). */
  packed: boolean;
}

/**
 * Stage 1: one fragment per (row, window of classes) runs the online
 * log-sum-exp and the weighted target sums over the window's logits and
 * writes the texel (m, s, A, B).
 */
export class SoftmaxCEStatsProgram implements GPGPUProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  packedInputs: boolean;
  packedOutput = true;
  enableShapeUniforms = true;
  customUniforms = STATS_UNIFORMS;

  constructor(cfg: StatsProgramConfig) {
    this.variableNames = ['logits', 'labels', ...(cfg.weighted ? ['classWeights'] : [])];
    this.outputShape = [2 * cfg.rows, 2 * cfg.numWindows];
    this.packedInputs = cfg.packed;
    // Sparse: y[c] = [c = t]. An out-of-range t matches no class here; the
    // finalize program turns that row into NaN.
    const label = (c: string, dense: string) => cfg.sparse ? `(${c} == target ? 1.0 : 0.0)` : dense;
    // Unpacked: one element per iteration. Packed: one texel per iteration,
    // i.e. two classes of this row (windows start at even classes, see
    // planReduction), so every texel is fetched once per row.
    const loop = !cfg.packed ? `
        for (int i = 0; i < ${cfg.loopBound}; i++) {
          if (i >= count) break;
          int c = start + i;
          accumulate(st, sawNaN, getLogits(row, c) * invTemperature,
                     ${label('c', 'getLabels(row, c)')}, ${cfg.weighted ? 'getClassWeights(c)' : '1.0'});
        }` : `
        bool oddRow = imod(row, 2) == 1;
        for (int i = 0; i < ${cfg.loopBound}; i += 2) {
          if (i >= count) break;
          int c = start + i;
          vec4 xt = getLogits(row, c);
          vec2 x = (oddRow ? xt.zw : xt.xy) * invTemperature;
          ${cfg.sparse ? '' : 'vec4 yt = getLabels(row, c); vec2 y = oddRow ? yt.zw : yt.xy;'}
          vec2 w = ${cfg.weighted ? 'getClassWeights(c).xy' : 'vec2(1.0)'};
          accumulate(st, sawNaN, x.x, ${label('c', 'y.x')}, w.x);
          if (i + 1 < count) accumulate(st, sawNaN, x.y, ${label('c + 1', 'y.y')}, w.y);
        }`;
    this.userCode = `
      ${IS_NAN}
      ${cfg.sparse ? vectorAccessor('labelOfRow', 'labels', cfg.packed) : ''}

      // One element into the running (m, s, A, B) = st: online log-sum-exp
      // (FORMULAS.md step 2) plus the target sums.
      void accumulate(inout vec4 st, inout bool sawNaN, float z, float y, float w) {
        if (isNaN(z)) {
          sawNaN = true;
          return;
        }
        if (z > st.x) {
          // s·exp(m − z) is 0·0 when m = −∞: the empty sum, not NaN.
          st.y = st.y * exp(st.x - z) + 1.0;
          if (st.z != 0.0) st.w -= st.z * (z - st.x);
          st.x = z;
        } else if (z > negInf) {
          st.y += exp(z - st.x);
        }
        float yHat = oneMinusSmoothing * y + smoothingOverC;
        // Terms with ŷ = 0 are skipped, never multiplied (0·∞ = NaN).
        if (yHat != 0.0) {
          float wy = w * yHat;
          st.z += wy;
          // A target on a −∞ logit: its term is +∞ (or NaN if the whole row
          // is −∞), whatever the current max.
          st.w += wy * (z > negInf ? z - st.x : z);
        }
      }

      void main() {
        ivec2 coords = getOutputCoords();
        int row = coords.x / 2;
        int start = (coords.y / 2) * windowSize;
        int count = numClasses - start;
        if (count > windowSize) count = windowSize;
        ${cfg.sparse ? 'int target = round(labelOfRow(row));' : ''}
        vec4 st = vec4(negInf, 0.0, 0.0, 0.0);
        bool sawNaN = false;
        ${loop}
        // GLSL max/compare silently drop NaN: propagate it explicitly, to
        // every statistic (the loss does not read m).
        setOutput(sawNaN ? vec4(NAN) : st);
      }
    `;
  }
}

export interface MergeProgramConfig {
  rows: number;
  numWindows: number;
  loopBound: number;
}

/**
 * Merge stage: one fragment per (row, window of partials) folds the (m, s,
 * A, B) texels of its window with `mergeStats`. Stats textures are always
 * packed (written by this file's programs).
 */
export class SoftmaxCEMergeProgram implements GPGPUProgram {
  variableNames = ['stats'];
  outputShape: number[];
  userCode: string;
  packedInputs = true;
  packedOutput = true;
  enableShapeUniforms = true;
  customUniforms: CustomUniforms = [
    {name: 'numPartials', type: 'int'},
    {name: 'windowSize', type: 'int'},
    {name: 'negInf', type: 'float'},
  ];

  constructor(cfg: MergeProgramConfig) {
    this.outputShape = [2 * cfg.rows, 2 * cfg.numWindows];
    this.userCode = `
      ${IS_NAN}
      ${MERGE_STATS}

      void main() {
        ivec2 coords = getOutputCoords();
        int start = (coords.y / 2) * windowSize;
        int count = numPartials - start;
        if (count > windowSize) count = windowSize;
        vec4 acc = vec4(negInf, 0.0, 0.0, 0.0);
        bool sawNaN = false;
        for (int i = 0; i < ${cfg.loopBound}; i++) {
          if (i >= count) break;
          vec4 part = getStats(coords.x, 2 * (start + i));
          if (isNaN(part.x)) sawNaN = true;
          mergeStats(acc, part);
        }
        setOutput(sawNaN ? vec4(NAN) : acc);
      }
    `;
  }
}

export interface FinalizeProgramConfig {
  rows: number;
  output: 'loss' | 'lse';
  sparse: boolean;
  /** Sparse only: an ignoreIndex attribute is set. */
  hasIgnoreIndex: boolean;
}

/**
 * Finalize: one fragment per row reads the row's single (m, s, A, B) texel
 * and writes `lse = m + log s` or `loss = A·log s − B + λ·lse²`. Sparse loss
 * also reads the row's label: ignored rows give 0 (no z-loss), labels outside
 * [0, C) give NaN (FORMULAS.md, "Sparse labels out of range").
 */
export class SoftmaxCEFinalizeProgram implements GPGPUProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  packedInputs = true;
  enableShapeUniforms = true;
  customUniforms: CustomUniforms = [
    {name: 'numClasses', type: 'int'},
    {name: 'zLoss', type: 'float'},
    {name: 'ignoreIndex', type: 'int'},
  ];

  constructor(cfg: FinalizeProgramConfig) {
    const withLabels = cfg.sparse && cfg.output === 'loss';
    this.variableNames = withLabels ? ['stats', 'labels'] : ['stats'];
    this.outputShape = [cfg.rows];
    const labelChecks = withLabels ? `
        int target = round(labelOfRow(row));
        ${cfg.hasIgnoreIndex ? 'if (target == ignoreIndex) { setOutput(0.0); return; }' : ''}
        if (target < 0 || target >= numClasses) { setOutput(NAN); return; }` :
                                     '';
    const result = cfg.output === 'lse' ? 'lse' : `
        // A = 0 (no target mass) skips the sum: 0·log 0 would be NaN.
        (st.z == 0.0 ? 0.0 : st.z * logS) - st.w +
        (zLoss > 0.0 ? zLoss * lse * lse : 0.0)`;
    this.userCode = `
      ${withLabels ? vectorAccessor('labelOfRow', 'labels', true) : ''}

      void main() {
        int row = getOutputCoords();
        ${labelChecks}
        vec4 st = getStats(2 * row, 0);
        float logS = log(st.y);
        float lse = st.x + logS;
        setOutput(${result});
      }
    `;
  }
}

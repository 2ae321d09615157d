/**
 * GLSL programs of the fused softmax cross-entropy forward (dense and sparse
 * labels). Formulas: kernels/FORMULAS.md.
 *
 * Algorithm: an online log-sum-exp reduction over each row, with no
 * [rows, C] intermediate. Per (row, window of classes) a fragment keeps the
 * running statistics
 *
 *     m = max x,  s = Σ exp((x − m)/T),  A = Σ w·ŷ,  B = Σ w·ŷ·(x − m)/T
 *
 * (sums over the window's classes with ŷ ≠ 0; x the raw logits, m kept in
 * logit units: FORMULAS.md "Precision"). When the running max moves from m
 * to m', s is rescaled by exp((m − m')/T) and B by −A·(m' − m)/T, so windows
 * merge exactly like single elements do: (m, s, A, B) partials of any split
 * of a row combine associatively. At the end
 *
 *     lse  = m/T + log s
 *     loss = Σ w·ŷ·(lse − z) + λ·lse² = A·log s − B + λ·lse²
 *
 * B is kept relative to the row max, so the loss has no cancellation between
 * two large numbers (A·lse and Σ w·ŷ·z) when logits are shifted far from 0.
 *
 * Staging (as tfjs's own reductions): stage 1 reduces windows of the logits
 * row into a packed [2·rows, 2·numWindows] texture whose 2x2 texel per
 * (row, window) holds (m, s / A, B); merge stages reduce windows of partials
 * until one is left; two tiny finalize programs then read the single texel
 * per row and write `loss` [rows] and the saved (m, s) [rows, 2]
 * (kernel_names.ts; the focal kernels save the same pair). tfjs runs one output per
 * program: the second output costs one extra program reading 4 floats and
 * writing 1 per row, nothing per class.
 *
 * Shapes go through shape uniforms and the custom uniforms below: the shader
 * text (hence tfjs's binary cache key) depends only on the variant (dense or
 * sparse, weighted, packed input, ignoreIndex present) and on the loop bound,
 * a power of two ≥ the window size: a new batch size never compiles a new
 * shader, and neither does a new C of the same power-of-two class.
 */
import {
  IS_NAN, packedLogitsLabelsFetch, packedWindowLoop, SAMPLE_RGBA, setOutputAndReturn, targetChecks, vectorAccessor,
  windowLoop,
} from './cross_entropy_glsl';
import {GeneratedProgram, uniforms, windowReductionMain} from './program_generator';

/**
 * Merges partial statistics (m2, s2, A2, B2) into the running ones. Written
 * for the IEEE corner cases the formulas name: an all −∞ window has m = −∞ and
 * s = 0 and contributes nothing to s (never exp(−∞ − (−∞)) = NaN); B is only
 * rescaled when the max really moves and some weight sits in the partial.
 */
const MERGE_STATS = `
  float rescaleB(float b, float a, float dm) {
    return (dm > 0.0 && a != 0.0) ? b - a * dm * invTemperature : b;
  }
  void mergeStats(inout vec4 acc, vec4 part) {
    float mNew = max(acc.x, part.x);
    float s = (acc.y == 0.0 ? 0.0 : acc.y * exp((acc.x - mNew) * invTemperature)) +
              (part.y == 0.0 ? 0.0 : part.y * exp((part.x - mNew) * invTemperature));
    float b = rescaleB(acc.w, acc.z, mNew - acc.x) +
              rescaleB(part.w, part.z, mNew - part.x);
    acc = vec4(mNew, s, acc.z + part.z, b);
  }`;

/**
 * Linear addressing of unpacked inputs, the fast path of the row reductions
 * on unpacked textures. tfjs's getters turn every (row, col) into a texel
 * with an integer division by the texture width; on SwiftShader (Chromium's
 * CPU "GPU") a per-element integer division costs about as much as two
 * texture fetches, and the squarish
 * textures tfjs uses once a dimension exceeds the maximum texture size
 * (C = 32000 > 8192 there, > 16384 on most GPUs) take that path. A
 * fragment here divides once, for the first element of its window; element
 * k of the window is then column x0 + k of texel row y0, wrapped in float:
 * four elements at a time, `floor` of (x0 + k + ½)/width counts the wraps
 * (exact: x0 + k < 2^17 and never a multiple of the width after + ½).
 * Why: it beat tfjs's getters and texelFetch with integer wrap checks on
 * SwiftShader (figures: kernels/webgl/README.md, "Measurements"; `npx tsx
 * scripts/browser-bench-webgl.ts 3 profile` times every program).
 *
 * `linearCursor(name, flat)` declares the start texel of flat element `flat`
 * of input `name` (its slice offset included; variables named after
 * `prefix`, default `name`); `linearFetch4(name, k)`
 * reads elements k, k+1, k+2, k+3 (k a vec4 of float offsets from there).
 */
export function linearCursor(name: string, flat: string, prefix = name): string {
  return `
        int ${prefix}Flat = ${flat} + offset${name};
        int ${prefix}Ty = ${prefix}Flat / ${name}TexShape[1];
        float ${prefix}X0 = float(${prefix}Flat - ${prefix}Ty * ${name}TexShape[1]) + 0.5;
        float ${prefix}Y0 = float(${prefix}Ty) + 0.5;
        vec2 ${prefix}Inv = 1.0 / vec2(float(${name}TexShape[1]), float(${name}TexShape[0]));`;
}
export function linearFetch4(name: string, k: string): string {
  return `fetch4(${name}, ${name}X0 + ${k}, ${name}Y0, ${name}Inv)`;
}
/**
 * The linear loop over a window (after `windowBounds`), four elements per
 * step: `chunk(false)` per full chunk at offsets `vec4 k`, then the
 * partial last chunk, `chunk(true)` (which masks lanes k ≥ count), once
 * after the loop, so the loop body carries no tail test (SwiftShader paid
 * for the untaken masking block in every chunk: kernels/webgl/README.md).
 */
export function linearChunkLoop(loopBound: number, chunk: (masked: boolean) => string): string {
  return `
        int full = (count / 4) * 4;
        for (int i = 0; i < ${loopBound}; i += 4) {
          if (i >= full) break;
          vec4 k = vec4(float(i)) + vec4(0.0, 1.0, 2.0, 3.0);
          ${chunk(false)}
        }
        if (full < count) {
          vec4 k = vec4(float(full)) + vec4(0.0, 1.0, 2.0, 3.0);
          ${chunk(true)}
        }`;
}
/** GLSL of `fetch4` (pasted once per program that uses linearFetch4). */
export const FETCH4 = `
  vec4 fetch4(sampler2D tex, vec4 x, float y0, vec2 inv) {
    vec4 u = x * inv.x;
    vec4 wraps = floor(u);
    u -= wraps;
    vec4 v = (y0 + wraps) * inv.y;
    return vec4(sampleTexture(tex, vec2(u.x, v.x)), sampleTexture(tex, vec2(u.y, v.y)),
                sampleTexture(tex, vec2(u.z, v.z)), sampleTexture(tex, vec2(u.w, v.w)));
  }`;

/**
 * GLSL of the linear stats loop's helpers. The loop keeps the online
 * log-sum-exp (m, s) by chunks of four, the chunk's max first, so s is
 * rescaled once per chunk (5 exps per 4 elements instead of the per-element
 * form's 1 to 2, whose data-dependent branch SwiftShader's 4-wide SIMD runs
 * both sides of).
 */
export const LINEAR_STATS_HELPERS = `
  bool anyNaN4(vec4 v) {
    return isNaN(v.x) || isNaN(v.y) || isNaN(v.z) || isNaN(v.w);
  }
  float sum4(vec4 v) {
    return (v.x + v.y) + (v.z + v.w);
  }
  float skipZero(float yHat, float term) {
    return yHat != 0.0 ? term : 0.0;
  }
  // Σ a·d over the chunk, lanes with ŷ = 0 skipped (0·−∞ would be NaN).
  float skipZero4(vec4 y, vec4 a, vec4 d) {
    return (skipZero(y.x, a.x * d.x) + skipZero(y.y, a.y * d.y)) +
           (skipZero(y.z, a.z * d.z) + skipZero(y.w, a.w * d.w));
  }`;

/** Uniforms every forward program shares (values: see `forwardUniformValues`). */
const STATS_UNIFORMS = uniforms({
  numClasses: 'int', windowSize: 'int', invTemperature: 'float', oneMinusSmoothing: 'float', smoothingOverC: 'float',
  negInf: 'float',
});

export interface StatsProgramConfig {
  rows: number;
  numWindows: number;
  /** Baked loop bound (power of two) ≥ the window size. */
  loopBound: number;
  sparse: boolean;
  weighted: boolean;
  /** Inputs are packed textures (the logits came from a packed producer). */
  packed: boolean;
  /**
   * Unpacked only: the host has uploaded every [rows, C] / [C] input as a
   * texture (backend.uploadToGPU; tfjs would pass tiny CPU tensors as
   * uniforms, which have no texels to address), so the loop may use linear
   * addressing (linearCursor) and chunks of four. Default false: tfjs's
   * getters, one element per step.
   */
  linear?: boolean;
  /**
   * Linear only: the label smoothing ε is > 0 (default true). false drops
   * the ε/C sums from the loop; ε must then be 0.
   */
  smoothed?: boolean;
}

/**
 * Stage 1: one fragment per (row, window of classes) runs the online
 * log-sum-exp and the weighted target sums over the window's logits and
 * writes the texel (m, s, A, B).
 */
export class SoftmaxCEStatsProgram extends GeneratedProgram {
  constructor(cfg: StatsProgramConfig) {
    super({
      inputs: ['logits', 'labels', ...(cfg.weighted ? ['classWeights'] : [])],
      outputShape: [2 * cfg.rows, 2 * cfg.numWindows],
      uniforms: STATS_UNIFORMS,
      packedInputs: cfg.packed,
      packedOutput: true,
    });
    // Sparse: y[c] = [c = t]. An out-of-range t matches no class here; the
    // finalize program turns that row into NaN.
    const label = (c: string, dense: string) => cfg.sparse ? `(${c} == target ? 1.0 : 0.0)` : dense;
    // Unpacked: one element per iteration. Packed: one texel per iteration,
    // i.e. two classes of this row (windows start at even classes, see
    // planReduction), so every texel is fetched once per row.
    // Linear (unpacked inputs uploaded by the host): chunks of four
    // elements, each input addressed by linearCursor; lanes past the
    // window read clamped texels and are masked (z = −∞, ŷ = 0, left out of
    // the sums). With d = z − m (m the running max; the d-sums are rescaled
    // like s when it moves, B −= A·Δm):
    // - dense: A = Σ w·ŷ, B = Σ w·ŷ·d with FORMULAS.md's ŷ = 0 skip (a
    //   select per lane: 0·(−∞) never happens, a target on −∞ gives −∞);
    //   unsmoothed (ε = 0, cfg.smoothed false) uses ŷ = y as is;
    // - sparse: ŷ = (1 − ε)·[c = t] + ε/C, so A, B are the target's
    //   (1 − ε)·w[t] share, added after the loop from the target's own
    //   logit (one sample, when it is in the window), plus (ε/C)·Σ w and
    //   (ε/C)·Σ w·d when smoothed; unsmoothed sparse windows do no
    //   per-element target work at all.
    // No data-dependent branches per element (SwiftShader runs both sides
    // of a divergent one; a select per lane is cheaper). GPU-process CPU
    // time at 1024 × 32000 (SwiftShader): see kernels/webgl/README.md.
    const smoothed = cfg.smoothed ?? true;
    const dense = !cfg.sparse;
    const wMul = cfg.weighted ? 'w * ' : '';
    // One chunk at offset k (a vec4 of window offsets); `masked` for the
    // window's last, partial chunk (linearChunkLoop).
    const chunk = (masked: boolean) => `
          vec4 z = ${linearFetch4('logits', 'k')};  // raw logits: m in logit units
          ${dense ? `vec4 yHat = ${smoothed ? `oneMinusSmoothing * ${linearFetch4('labels', 'k')} + smoothingOverC` :
                                           linearFetch4('labels', 'k')};` :
                    smoothed ? 'vec4 yHat = vec4(smoothingOverC);' : ''}
          ${cfg.weighted ? `vec4 w = ${linearFetch4('classWeights', 'k')};` : ''}
          ${masked ? `bvec4 valid = lessThan(k, vec4(countF));
          z = vec4(valid.x ? z.x : negInf, valid.y ? z.y : negInf, valid.z ? z.z : negInf, negInf);
          ${dense || smoothed ? 'yHat = vec4(valid.x ? yHat.x : 0.0, valid.y ? yHat.y : 0.0, valid.z ? yHat.z : 0.0, 0.0);' : ''}` : ''}
          sawNaN = sawNaN || anyNaN4(z);
          float mNew = max(m, max(max(z.x, z.y), max(z.z, z.w)));
          ${dense || smoothed ? `float dm = mNew - m;
          if (dm > 0.0 && A != 0.0) B -= A * dm * invTemperature;` : ''}
          float mRef = mNew == negInf ? 0.0 : mNew;
          vec4 d = (z - mRef) * invTemperature;
          vec4 e = exp(d);
          s = (s == 0.0 ? 0.0 : s * exp((m - mRef) * invTemperature)) + sum4(e);
          m = mNew;
          ${dense || smoothed ? `vec4 wy = ${wMul}yHat;
          A += sum4(wy);
          B += skipZero4(yHat, wy, d);` : ''}`;
    const linearLoop = `
        ${linearCursor('logits', 'base')}
        ${dense ? linearCursor('labels', 'base') : ''}
        ${cfg.weighted ? linearCursor('classWeights', 'start') : ''}
        float countF = float(count);
        float m = negInf;
        float s = 0.0;
        float A = 0.0, B = 0.0;
        ${linearChunkLoop(cfg.loopBound, chunk)}
        ${dense ? '' : `
        if (target >= start && target < start + count) {
          // The target's (1 − ε)·w[t] share of ŷ (its ε/C share is summed above).
          ${linearCursor('logits', 'base + target - start', 'tgt')}
          float zt = sampleTexture(logits, vec2(tgtX0, tgtY0) * tgtInv);
          float at = oneMinusSmoothing * ${cfg.weighted ? 'getClassWeights(target)' : '1.0'};
          A += at;
          B += at * (m > negInf ? (zt - m) * invTemperature : zt);
        }`}
        st = vec4(m, s, A, B);`;
    const xy = (k: number) => 'xy'[k];
    const loop = cfg.linear && !cfg.packed ? linearLoop : !cfg.packed ?
        windowLoop(cfg.loopBound, `
          accumulate(st, sawNaN, getLogits(row, c),
                     ${label('c', 'getLabels(row, c)')}, ${cfg.weighted ? 'getClassWeights(c)' : '1.0'});`) :
        packedWindowLoop(cfg.loopBound, `${packedLogitsLabelsFetch(cfg.sparse, true)}
          vec2 w = ${cfg.weighted ? 'getClassWeights(c).xy' : 'vec2(1.0)'};`,
                         (k) => `accumulate(st, sawNaN, z.${xy(k)}, ${label(k ? 'c + 1' : 'c', `y.${xy(k)}`)}, w.${xy(k)});`);
    this.setBody(`
      ${IS_NAN}
      ${cfg.sparse ? vectorAccessor('labelOfRow', 'labels', cfg.packed) : ''}
      ${cfg.linear && !cfg.packed ? FETCH4 + LINEAR_STATS_HELPERS : ''}

      // One raw logit x into the running (m, s, A, B) = st: online log-sum-exp
      // (FORMULAS.md step 2, m in logit units) plus the target sums.
      void accumulate(inout vec4 st, inout bool sawNaN, float z, float y, float w) {
        if (isNaN(z)) {
          sawNaN = true;
          return;
        }
        if (z > st.x) {
          // s·exp((m − x)/T) is 0·0 when m = −∞: the empty sum, not NaN.
          st.y = st.y * exp((st.x - z) * invTemperature) + 1.0;
          if (st.z != 0.0) st.w -= st.z * (z - st.x) * invTemperature;
          st.x = z;
        } else if (z > negInf) {
          st.y += exp((z - st.x) * invTemperature);
        }
        float yHat = oneMinusSmoothing * y + smoothingOverC;
        // Terms with ŷ = 0 are skipped, never multiplied (0·∞ = NaN).
        if (yHat != 0.0) {
          float wy = w * yHat;
          st.z += wy;
          // A target on a −∞ logit: its term is +∞ (or NaN if the whole row
          // is −∞), whatever the current max.
          st.w += wy * (z > negInf ? (z - st.x) * invTemperature : z);
        }
      }

      ${windowReductionMain({
      texelPerWindow: true,
      size: 'numClasses',
      setup: `int base = row * numClasses + start;
        ${cfg.sparse ? 'int target = round(labelOfRow(row));' : ''}`,
      accumulator: 'vec4 st = vec4(negInf, 0.0, 0.0, 0.0);',
      loop,
      result: 'st',
      nan: 'vec4(NAN)',  // to every statistic (the loss does not read m)
    })}
    `);
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
const MERGE_UNIFORMS = uniforms({numPartials: 'int', windowSize: 'int', negInf: 'float', invTemperature: 'float'});

export class SoftmaxCEMergeProgram extends GeneratedProgram {
  constructor(cfg: MergeProgramConfig) {
    super({
      inputs: ['stats'],
      outputShape: [2 * cfg.rows, 2 * cfg.numWindows],
      uniforms: MERGE_UNIFORMS,
      packedInputs: true,
      packedOutput: true,
    });
    this.setBody(`
      ${IS_NAN}
      ${MERGE_STATS}

      ${windowReductionMain({
      texelPerWindow: true,
      size: 'numPartials',
      accumulator: 'vec4 acc = vec4(negInf, 0.0, 0.0, 0.0);',
      loop: windowLoop(cfg.loopBound, `
          vec4 part = getStats(2 * row, 2 * c);
          if (isNaN(part.x)) sawNaN = true;
          mergeStats(acc, part);`),
      result: 'acc',
      nan: 'vec4(NAN)',
    })}
    `);
  }
}

export interface FinalizeProgramConfig {
  rows: number;
  /** 'loss' [rows], or 'stats': the saved (m, s) [rows, 2] (softmax and focal kernels). */
  output: 'loss' | 'stats';
  sparse: boolean;
  /** Sparse only: an ignoreIndex attribute is set. */
  hasIgnoreIndex: boolean;
  /**
   * Sparse loss only: an unpacked program, so the [rows] labels are read in
   * their own (unpacked) layout instead of being packed by tfjs first; the
   * packed [2·rows, 2] stats texture is bound raw (kernel_util.ts
   * `withRawTexels`: the host checked its texture shape) and each row's texel
   * sampled whole. Default false: packed inputs.
   */
  rawStats?: boolean;
}

/**
 * Finalize: one fragment per row reads the row's single (m, s, A, B) texel
 * and writes (m, s) ([rows, 2]; s NaN where m = +∞: FORMULAS.md, a +∞ logit
 * makes the row NaN), or `loss = scale·(A·log s − B + λ·lse²)` with
 * lse = m/T + log s (NaN where m = +∞; `scale` a uniform of the loss
 * program only, FORMULAS.md "Fused reductions"). Sparse loss also reads the
 * row's label: ignored rows give 0 (no z-loss), labels outside
 * [0, C) give NaN (FORMULAS.md, "Sparse labels out of range").
 */
const FINALIZE_UNIFORMS = uniforms({numClasses: 'int', zLoss: 'float', ignoreIndex: 'int', invTemperature: 'float'});
const FINALIZE_LOSS_UNIFORMS = [...FINALIZE_UNIFORMS, ...uniforms({scale: 'float'})];

export class SoftmaxCEFinalizeProgram extends GeneratedProgram {
  constructor(cfg: FinalizeProgramConfig) {
    const withLabels = cfg.sparse && cfg.output === 'loss';
    super({
      inputs: withLabels ? ['stats', 'labels'] : ['stats'],
      outputShape: cfg.output === 'stats' ? [cfg.rows, 2] : [cfg.rows],
      uniforms: cfg.output === 'loss' ? FINALIZE_LOSS_UNIFORMS : FINALIZE_UNIFORMS,
      packedInputs: !(withLabels && cfg.rawStats),
    });
    const raw = withLabels && (cfg.rawStats ?? false);
    const labelChecks = withLabels ? `
        int target = round(labelOfRow(row));
        ${targetChecks(cfg.hasIgnoreIndex, setOutputAndReturn)}` :
                                     '';
    const result = cfg.output === 'stats' ?
        '(coords.y == 0 ? st.x : plusInf ? NAN : st.y)' : `
        // A = 0 (no target mass) skips the sum: 0·log 0 would be NaN.
        plusInf ? NAN : scale * ((st.z == 0.0 ? 0.0 : st.z * logS) - st.w +
        (zLoss > 0.0 ? zLoss * lse * lse : 0.0))`;
    this.setBody(`
      ${withLabels ? vectorAccessor('labelOfRow', 'labels', !raw) : ''}
      ${raw ? SAMPLE_RGBA : ''}
      // −∞ without a uniform (tfjs declares INFINITY on WebGL1 only).
      float minusInfinity() {
      #if __VERSION__ >= 300
        return uintBitsToFloat(0xff800000u);
      #else
        return -INFINITY;
      #endif
      }

      void main() {
        ${cfg.output === 'stats' ? 'ivec2 coords = getOutputCoords();\n        int row = coords.x;' : 'int row = getOutputCoords();'}
        ${labelChecks}
        ${raw ? `// Texel row \`row\` of the [rows, 1]-texel texture of the packed [2·rows, 2] stats.
        vec4 st = sampleRGBA(stats, vec2(0.5, (float(row) + 0.5) / (0.5 * float(statsTexShape[0]))));` :
                'vec4 st = getStats(2 * row, 0);'}
        // s = 0 (every logit −∞): log 0 = −∞ by hand, SwiftShader's log(0)
        // is finite; lse = −∞, and the loss NaN as in the reference.
        float logS = st.y > 0.0 ? log(st.y) : minusInfinity();
        float lse = st.x * invTemperature + logS;
        bool plusInf = st.x == -minusInfinity();
        setOutput(${result});
      }
    `);
  }
}

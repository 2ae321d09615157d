/**
 * GLSL building blocks shared by the WebGL cross-entropy programs.
 *
 * Layouts. tfjs-backend-webgl stores a tensor either unpacked (one value per
 * texel, `getX(row, col)` returns a float) or packed (a 2x2 block per RGBA
 * texel, `getX(row, col)` returns the vec4 holding (row, col)). A program
 * declares one layout for all its inputs (`packedInputs`); an input in the
 * other layout costs the backend a full conversion pass (read every texel,
 * write a new [rows, C] texture) before the program runs. Our programs come in
 * both layouts and the host picks the one that matches the logits, so a
 * packed producer (matMul, packed binary ops) feeds a kernel without an
 * unpack pass. The packed variants read whole texels: a per-row reduction
 * takes two classes of its row per fetch (so each texel is fetched twice, once
 * for each of the two rows it holds, against once plus the unpack pass's read
 * and write for unpacked data), an elementwise fragment computes a whole 2x2
 * texel from one fetch per input. Small per-row
 * inputs in the other layout ([rows] labels, dy, lse) are still converted by
 * the backend: a pass over `rows` values, negligible next to `rows·C`. Dense
 * [rows, C] labels in the other layout than the logits cost one conversion
 * pass whichever variant runs; the logits decide.
 *
 * Every helper here is text; anything that changes the text must be in the
 * program's `userCode` (it is, since the helpers are pasted into it), which is
 * part of tfjs's shader cache key.
 */

/** Capitalised getter tfjs generates for an input variable: `logits` -> `getLogits`. */
export function getterName(variable: string): string {
  return `get${variable.charAt(0).toUpperCase()}${variable.slice(1)}`;
}

/**
 * Defines `float <fn>(int index)` reading element `index` of a 1-D input in
 * either layout (a packed 1-D texel holds indices 2k and 2k+1 in x and y).
 */
export function vectorAccessor(fn: string, variable: string, packed: boolean): string {
  const get = getterName(variable);
  if (!packed) {
    return `float ${fn}(int index) { return ${get}(index); }`;
  }
  return `
    float ${fn}(int index) {
      vec4 texel = ${get}(index);
      return imod(index, 2) == 0 ? texel.x : texel.y;
    }`;
}

/**
 * Defines `float <fn>(int c)`: the class weight w[c], from the `classWeights`
 * input when the kernel has weights, else the constant 1 (no texture read).
 */
export function classWeightAccessor(fn: string, weighted: boolean, packed: boolean): string {
  if (!weighted) {
    return `float ${fn}(int c) { return 1.0; }`;
  }
  return vectorAccessor(fn, 'classWeights', packed);
}

/**
 * `log1p` is not in GLSL ES. Where |x| < 1/8, its series to x⁹ (truncation
 * below 2e-9 relative); elsewhere Goldberg's correction, log1p(x) =
 * log(u)·x/(u − 1) with u = 1 + x (exact when u == 1). Goldberg alone needs a
 * log accurate relative to log(u) near 1, which GLSL ES does not promise
 * (SwiftShader's is about 6e-8 absolute: 1.9e-4 relative at x = 2.6e-4, the
 * sigmoid loss of a confident logit at |x| = 8.25). Used by softplus for
 * x = exp(−|v|).
 */
export const LOG1P = `
  float log1pStable(float x) {
    if (abs(x) < 0.125) {
      return x * (1.0 + x * (-0.5 + x * (1.0 / 3.0 + x * (-0.25 + x * (0.2 + x * (-1.0 / 6.0 +
             x * (1.0 / 7.0 + x * (-0.125 + x / 9.0))))))));
    }
    float u = 1.0 + x;
    return u == 1.0 ? x : log(u) * (x / (u - 1.0));
  }`;

/**
 * softplus(v) = max(v, 0) + log1p(exp(−|v|)), and the logistic function
 * σ(v), computed on the side where exp cannot overflow. NaN is propagated
 * explicitly: GLSL's max() may drop it. Needs IS_NAN.
 */
export const SOFTPLUS_SIGMOID = `
  ${LOG1P}
  float softplus(float v) {
    if (isNaN(v)) return v;
    return max(v, 0.0) + log1pStable(exp(-abs(v)));
  }
  float sigmoid(float v) {
    if (v >= 0.0) return 1.0 / (1.0 + exp(-v));
    float e = exp(v);
    return e / (1.0 + e);
  }`;

/**
 * A NaN test the shader compiler cannot fold away. The builtin isnan() is
 * unreliable across WebGL implementations (tfjs keeps its WEBGL2_ISNAN_CUSTOM
 * flag for that, off by default, so its prefix may hand us the builtin);
 * WebGL2 tests the bits, WebGL1 (no bit casts) uses tfjs's comparison trick.
 * Needed because NaN must be propagated by hand: GLSL max() and comparisons
 * drop it, and SwiftShader's exp(NaN) returns +Inf (Chromium 156, checked).
 */
export const IS_NAN = `
  bool isNaN(float v) {
  #if __VERSION__ >= 300
    return (floatBitsToUint(v) & 0x7fffffffu) > 0x7f800000u;
  #else
    return (v > 0.0 || v < 1.0 || v == 0.0) ? false : true;
  #endif
  }`;

/**
 * `vec4 sampleRGBA(sampler2D, vec2 uv)`: a whole RGBA texel, for the packed
 * textures a program reads raw (bound as they are, see kernel_util.ts
 * `withRawTexels`): one sample for four values.
 */
export const SAMPLE_RGBA = `
  vec4 sampleRGBA(sampler2D tex, vec2 uv) {
  #if __VERSION__ >= 300
    return texture(tex, uv);
  #else
    return texture2D(tex, uv);
  #endif
  }`;

/** Smallest power of two ≥ n (≥ 4): the baked loop bound of a "size class". */
export function loopBound(n: number): number {
  let p = 4;
  while (p < n) p *= 2;
  return p;
}

/**
 * Row reductions are staged (kernel_util.ts, planReduction): one fragment
 * per (row, window of `windowSize` elements). Declares `start`, the window's
 * first element (window `windowIndex` of the row), and `count`, its length
 * (the last window of a row of `size` elements is shorter).
 */
export function windowBounds(windowIndex: string, size: string): string {
  return `
        int start = ${windowIndex} * windowSize;
        int count = ${size} - start;
        if (count > windowSize) count = windowSize;`;
}

/**
 * The loop over a window (after `windowBounds`): to the baked power-of-two
 * bound (WebGL1 needs constant loop bounds; part of the shader text, hence of
 * the key), breaking at `count`. `body` runs per element, with `int c`, its
 * index in the row.
 */
export function windowLoop(loopBound: number, body: string): string {
  return `
        for (int i = 0; i < ${loopBound}; i++) {
          if (i >= count) break;
          int c = start + i;
          ${body}
        }`;
}

/**
 * The loop over a window of a packed [rows, C] input: one texel per step,
 * i.e. two classes c, c + 1 of this row (windows start at even classes, see
 * planReduction), so every texel is fetched once per row; `oddRow` picks the
 * texel's half (zw for odd rows). `fetch` runs once per texel, then
 * `step(0)` for class c and `step(1)` for c + 1 when it is in the window.
 */
export function packedWindowLoop(loopBound: number, fetch: string, step: (k: number) => string): string {
  return `
        bool oddRow = imod(row, 2) == 1;
        for (int i = 0; i < ${loopBound}; i += 2) {
          if (i >= count) break;
          int c = start + i;
          ${fetch}
          ${step(0)}
          if (i + 1 < count) ${step(1)}
        }`;
}

/**
 * In `packedWindowLoop`'s fetch: z = logits / T of classes (c, c + 1) as
 * `vec2 z`, and the dense labels as `vec2 y` (none when sparse).
 */
export function packedLogitsLabelsFetch(sparse: boolean, raw = false): string {
  return `
          vec4 xt = getLogits(row, c);
          vec2 z = (oddRow ? xt.zw : xt.xy)${raw ? '' : ' * invTemperature'};
          ${sparse ? '' : 'vec4 yt = getLabels(row, c); vec2 y = oddRow ? yt.zw : yt.xy;'}`;
}

/**
 * The sparse label rules of FORMULAS.md, where `int target` is known: an
 * ignored row gives 0, a label outside [0, C) gives NaN. `exit(value)` is
 * the statement that ends the function with that value (default `return`).
 */
export function targetChecks(hasIgnoreIndex: boolean, exit = (value: string) => `return ${value};`): string {
  return `
        ${hasIgnoreIndex ? `if (target == ignoreIndex) ${exit('0.0')}` : ''}
        if (target < 0 || target >= numClasses) ${exit('NAN')}`;
}
/** `targetChecks` exit for `main`: write the value and stop. */
export const setOutputAndReturn = (value: string): string => `{ setOutput(${value}); return; }`;

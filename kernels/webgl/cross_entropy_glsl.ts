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
 * `log1p` is not in GLSL ES. Goldberg's correction keeps it accurate for tiny
 * x, where log(1 + x) would round 1 + x to 1: log1p(x) = log(u)·x/(u − 1)
 * with u = 1 + x (exact when u == 1). Used by softplus for x = exp(−|v|).
 */
export const LOG1P = `
  float log1pStable(float x) {
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

/** Smallest power of two ≥ n (≥ 4): the baked loop bound of a "size class". */
export function loopBound(n: number): number {
  let p = 4;
  while (p < n) p *= 2;
  return p;
}

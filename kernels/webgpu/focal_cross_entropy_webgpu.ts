/**
 * WGSL programs of the focal cross-entropy kernels (kernels/FORMULAS.md,
 * "Focal cross-entropy, softmax" and "Binary focal"). Host code:
 * FocalCrossEntropy.ts, FocalCrossEntropyGrad.ts, BinaryFocalCrossEntropy.ts.
 *
 * Softmax focal (dense and sparse labels): row programs with the layout of the
 * softmax cross-entropy programs (a team of `team` threads per row, rows over
 * a 2-D grid, sizes and attributes in uniforms, see
 * softmax_cross_entropy_webgpu.ts). Every program starts with the online
 * log-sum-exp of z = x/T in the r form of wgsl_common.ts (m the max logit,
 * r = Σe^(z−m/T) − 1), from which, per class, with d = (x − m)/T (exactly 0 for
 * the max: the max is compared and subtracted unscaled, see lseRSnippet):
 *
 *     log p = d − log1p(r),  p = exp(log p),  g = −log p = log1p(r) − d
 *     q = 1 − p = r/(1 + r) where d = 0 (a max of the row), else 1 − p
 *
 * Every non-max class has p ≤ 1/2, so 1 − p loses nothing there, and the
 * max's q is exact to rounding however close p is to 1 — also for logits
 * around ±1e4, where lse − z in float32 would lose everything below ulp(lse)
 * ≈ 1e-3. (The contract's q = −expm1(z − lse) has the same value; WGSL has no
 * expm1, and lse − z would carry the rounding of the float32 lse.)
 *
 *   forward:  pass 2 sums f·g = a·ŷ·q^γ·g over ŷ ≠ 0 (sparse without label
 *             smoothing: the target's term alone, no second pass);
 *   backward: pass 2 sums A = Σ f and Bs = Σ B (one reduction of a vec2), pass 3
 *             writes dx = dy/T·(p·(A + Bs) − f − B) (sparse without smoothing:
 *             A = f[t], Bs = B[t], no reduction);
 *   labels:   pass 2 writes dy·(1 − ε)·a·q^γ·g.
 * The backward recomputes the lse pass instead of reading the saved float32
 * lse: q and g above need m and r, which lse = m + log1p(r) has rounded away
 * (the cpu kernel recomputes its lse in float64 for the same reason).
 *
 * Binary focal: elementwise (one thread per element, or per vec4 where
 * C % 4 == 0), as the sigmoid programs.
 */
import {StorageType, WgslProgram} from './launch';
import type {RowVariant} from './softmax_cross_entropy_webgpu';
import {dyAccess, DyMode, ElementwiseVariant, elementwiseHeader, elementwiseKey, elementwisePrologue} from './elementwise_webgpu';
import {
  arrayOf, bindingBlock, BufferBinding, entrySnippet, lseRSnippet, lseSnippet, mathSnippet, reductionRSnippet, rowProgramPrelude, storage,
} from './wgsl_common';

/** Uniforms of the softmax focal programs, in this order (values: focalUniforms in FocalCrossEntropy.ts). */
export const FOCAL_UNIFORMS = `
struct Uniforms {
  rows : u32,
  cols : u32,
  temperature : f32,
  smoothing : f32,
  keep : f32,
  spread : f32,
  gamma : f32,
  alpha : f32,
  ignoreIndex : i32,
  hasIgnore : u32,
  negInf : f32,
  nan : f32,
};`;

/** Uniforms of the binary focal programs, in this order. */
export const BINARY_FOCAL_UNIFORMS = `
struct Uniforms {
  rows : u32,
  cols : u32,
  smoothing : f32,
  keep : f32,
  halfEps : f32,
  gamma : f32,
  alpha : f32,
  balancing : u32,
  negInf : f32,
  nan : f32,
  scale : f32,
};`;

/**
 * `powGamma(q)` = q^γ for q in [0, 1] (γ = u.gamma, uniform, so the branches
 * are uniform): 1 at γ = 0 (also for q = 0); repeated products plus one sqrt
 * for integer and half-integer γ ≤ 16 (exact to rounding, Keras's γ = 2
 * included); otherwise exp2(γ·log2 q), whose relative error is log2's error
 * times γ·|log2 q|, and 0 at q = 0 (log2(0) is not defined in WGSL).
 */
export const powGammaSnippet = `
fn powGamma(q : V) -> V {
  let gm = u.gamma;
  if (gm == 0.0) {
    return V(1.0);
  }
  let twice = 2.0 * gm;
  if (twice == floor(twice) && gm <= 16.0) {
    var r = V(1.0);
    for (var k = 1.0; k <= gm; k += 1.0) {
      r *= q;
    }
    if (twice != 2.0 * floor(gm)) {
      r *= sqrt(q);
    }
    return r;
  }
  return select(exp2(V(gm) * log2(q)), V(0.0), q <= V(0.0));
}
// γ·q^(γ−1) given qG = q^γ: 0 at γ = 0 and at q = 0 (the limits the formulas use).
fn gammaPowM1(q : V, qG : V) -> V {
  return select(V(u.gamma) * qG / q, V(0.0), B(u.gamma == 0.0) | (q == V(0.0)));
}`;

/** Per-class focal quantities from the row's (m, log1p(r), r/(1 + r)). */
const focalPartsSnippet = `
struct Parts {
  p : V,
  q : V,
  g : V,
};
// x: raw logits; m: the row's max logit (unscaled); lseScale = 1/T.
fn focalParts(x : V, m : f32, lr : f32, rq : f32) -> Parts {
  let dx = x - V(m);
  let d = dx * V(lseScale);
  let p = exp(d - V(lr));
  return Parts(p, select(V(1.0) - p, V(rq), dx == V(0.0)), V(lr) - d);
}
// B = a·ŷ·γ·q^(γ−1)·p·g, 0 where p = 0 (p·g → 0; p·∞ would be NaN).
fn focalB(ay : V, qG : V, P : Parts) -> V {
  return select(ay * gammaPowM1(P.q, qG) * P.p * P.g, V(0.0), P.p == V(0.0));
}`;

/** What a softmax focal program computes. */
export type FocalMode = 'forward' | 'logits' | 'labels';
/** Row-program modes: the above, plus 'stats' (the first half of the split backward). */
export type FocalRowMode = FocalMode | 'stats';

function rowKey(v: RowVariant): string {
  return `wg${v.wg}_team${v.team}_vec${v.vec}${v.subgroups ? '_sg' : ''}${v.weights ? '_a' : ''}`;
}

/**
 * One softmax focal row program: `mode` forward (outputs loss [rows], lse
 * [rows]), logits (dx [rows, C]) or labels (dlabels [rows, C], dense only).
 * `variant.weights`: a per-class a = α·w buffer is bound (else a = u.alpha).
 */
export class FocalRowProgram extends WgslProgram {
  /** `types`: WGSL scalar type of each input buffer, in binding order (see getCode). */
  constructor(readonly variant: RowVariant, readonly mode: FocalRowMode, readonly sparse: boolean,
              readonly types: readonly StorageType[]) {
    super(`focal_${mode}_${sparse ? 'sparse' : 'dense'}_${rowKey(variant)}_${types.join('')}`, variant.wg);
    if (sparse && mode === 'labels') {
      throw new Error('sparse focal labels have no gradient');
    }
  }

  /** Bindings: outputs, then logits, labels (not for 'labels'), dy (backward), the a buffer, uniforms. */
  private bindings(): {code: string, weightBinding: number | null} {
    const v = this.variant;
    const outputs: BufferBinding[] = this.mode === 'forward' ?
        [{name: 'lossOut', type: arrayOf('f32'), write: true}, {name: 'lseOut', type: arrayOf('f32'), write: true}] :
        this.mode === 'stats' ? [{name: 'stats', type: arrayOf('vec4<f32>'), write: true}] :
        [{name: 'result', type: arrayOf('V'), write: true}];
    const hasLabels = this.mode !== 'labels';
    const dyType = this.types[hasLabels ? 2 : 1];
    return bindingBlock([
      ...outputs,
      {name: 'logits', type: arrayOf(storage(v.vec, this.types[0]))},
      hasLabels ? {name: 'labels', type: arrayOf(this.sparse ? 'i32' : storage(v.vec, this.types[1]))} : null,
      this.mode === 'logits' || this.mode === 'labels' ? {name: 'dy', type: arrayOf(dyType)} : null,
    ], v.weights);
  }

  getCode(): string {
    const v = this.variant;
    const e = entrySnippet(v.wg, v.subgroups);
    const {code: bindings, weightBinding} = this.bindings();
    return `${rowProgramPrelude(v, FOCAL_UNIFORMS, bindings, weightBinding, 'alphaWeights', lseSnippet)}
${lseRSnippet}
${reductionRSnippet(v.team, v.subgroups)}
${powGammaSnippet}
${focalPartsSnippet}
fn aV(c4 : u32) -> V { return V(u.alpha) * weightV(c4); }
${e.header} {${e.init}
  let row = group * ROWS_PER_WG + localIndex / TEAM;
  let valid = row < u.rows;
  let C = u.cols;
  let C4 = C / VEC;
  let base4 = row * C4;
  let T = u.temperature;
  let eps = u.smoothing;
  // 1 − ε and ε/C from the host, in float64 (ε near 1: 1 − ε in float32 loses its digits).
  let keep = u.keep;
  let spread = u.spread;
  lseScale = 1.0 / T;
  // Pass 1: online log-sum-exp of z = x / T, r form.
  var st = lseREmpty();
  if (valid) {
    for (var c4 = lane; c4 < C4; c4 += TEAM) {
      let x = V(logits[base4 + c4]);
      for (var k = 0u; k < VEC; k++) {
        st = lseRPush(st, comp(x, k));
      }
    }
  }
  st = teamLseR(st);
  let m = st.x;
  let lr = log1pF(st.y);
  let rq = st.y / (1.0 + st.y);
  let rowNan = st.z != 0.0;
${this.sparse ? SPARSE_ROW : DENSE_ROW}
${{forward: this.forwardBody(), logits: this.logitsBody(), labels: LABELS_BODY, stats: this.statsBody()}[this.mode]}
}
`;
  }

  private forwardBody(): string {
    if (this.sparse) {
      return `
  // Sparse: ŷ = (1 − ε)·[c = t] + ε/C. Without smoothing only the target term.
  var total = 0.0;
  if (eps != 0.0) {
    var acc = 0.0;
    if (valid) {
      for (var c4 = lane; c4 < C4; c4 += TEAM) {
        let yh = keep * indicator(c4 * VEC, tu) + V(spread);
        let P = focalParts(V(logits[base4 + c4]), m, lr, rq);
        acc += hsum(aV(c4) * yh * powGamma(P.q) * P.g);
      }
    }
    total = teamSum(acc);
  } else if (valid) {
    let P = focalParts(V(logitAt(row, tu)), m, lr, rq);
    total = comp(V(u.alpha * weight(tu)) * powGamma(P.q) * P.g, 0u);
  }
  if (valid && lane == 0u) {
    var loss = select(total, u.nan, rowNan);
    if (ignored) {
      loss = 0.0;
    } else if (outOfRange) {
      loss = u.nan;
    }
    lossOut[row] = loss;
    lseOut[row] = select(m * lseScale + lr, u.nan, rowNan);
  }`;
    }
    return `
  // Dense: Σ over ŷ ≠ 0 of a·ŷ·q^γ·g (ŷ = 0 terms are skipped: 0·∞ is NaN).
  var acc = 0.0;
  if (valid) {
    for (var c4 = lane; c4 < C4; c4 += TEAM) {
      let yh = keep * V(labels[base4 + c4]) + V(spread);
      let P = focalParts(V(logits[base4 + c4]), m, lr, rq);
      let term = aV(c4) * yh * powGamma(P.q) * P.g;
      acc += hsum(select(term, V(0.0), yh == V(0.0)));
    }
  }
  let total = teamSum(acc);
  if (valid && lane == 0u) {
    lossOut[row] = select(total, u.nan, rowNan || isNanF(total));
    lseOut[row] = select(m * lseScale + lr, u.nan, rowNan);
  }`;
  }

  /** `sums` = (A, Bs) of the row (every lane of the team gets them). */
  private sumsCode(): string {
    return this.sparse ? `
  var sums = vec2<f32>(0.0);
  if (eps != 0.0) {
    var acc = vec2<f32>(0.0);
    if (valid) {
      for (var c4 = lane; c4 < C4; c4 += TEAM) {
        let ay = aV(c4) * (keep * indicator(c4 * VEC, tu) + V(spread));
        let P = focalParts(V(logits[base4 + c4]), m, lr, rq);
        let qG = powGamma(P.q);
        acc += vec2<f32>(hsum(ay * qG), hsum(focalB(ay, qG, P)));
      }
    }
    sums = teamSum2(acc);
  } else if (valid) {
    // Only the target: A = f[t], Bs = B[t].
    let ay = V(u.alpha * weight(tu));
    let P = focalParts(V(logitAt(row, tu)), m, lr, rq);
    let qG = powGamma(P.q);
    sums = vec2<f32>(comp(ay * qG, 0u), comp(focalB(ay, qG, P), 0u));
  }` : `
  var acc = vec2<f32>(0.0);
  if (valid) {
    for (var c4 = lane; c4 < C4; c4 += TEAM) {
      let yh = keep * V(labels[base4 + c4]) + V(spread);
      let ay = aV(c4) * yh;
      let P = focalParts(V(logits[base4 + c4]), m, lr, rq);
      let qG = powGamma(P.q);
      let fb = vec2<f32>(hsum(select(ay * qG, V(0.0), yh == V(0.0))), hsum(select(focalB(ay, qG, P), V(0.0), yh == V(0.0))));
      acc += fb;
    }
  }
  let sums = teamSum2(acc);`;
  }

  /** Split backward, first half: per row (m, log1p(r), r/(1 + r), A + Bs), A + Bs NaN for a NaN row. */
  private statsBody(): string {
    return `${this.sumsCode()}
  let S = sums.x + sums.y;
  if (valid && lane == 0u) {
    stats[row] = vec4<f32>(m, lr, rq, select(S, u.nan, rowNan || isNanF(S)));
  }`;
  }

  private logitsBody(): string {
    // The row sums A and Bs, then one sweep writing dx.
    const sums = this.sumsCode();
    const target = this.sparse ? 'keep * indicator(c4 * VEC, tu) + V(spread)' : 'keep * V(labels[base4 + c4]) + V(spread)';
    const rowFill = this.sparse ? `
    if (ignored || outOfRange) {
      let fill = select(V(0.0), V(u.nan), B(outOfRange));
      for (var c4 = lane; c4 < C4; c4 += TEAM) {
        result[base4 + c4] = fill;
      }
      return;
    }` : '';
    return `${sums}
  let S = sums.x + sums.y;
  let bad = rowNan || isNanF(S);
  if (valid) {${rowFill}
    let g0 = f32(dy[row]) / T;
    for (var c4 = lane; c4 < C4; c4 += TEAM) {
      let yh = ${target};
      let ay = aV(c4) * yh;
      let P = focalParts(V(logits[base4 + c4]), m, lr, rq);
      let qG = powGamma(P.q);
      let fb = select(ay * qG + focalB(ay, qG, P), V(0.0), yh == V(0.0));
      result[base4 + c4] = select(V(g0) * (P.p * V(S) - fb), V(u.nan), B(bad));
    }
  }`;
  }
}

/**
 * Split backward, second half (elementwise, one thread per element or vec4):
 * dx = dy/T·(p·S − f − B) from the row's stats (max logit m, log1p(r), r/(1 + r),
 * S = A + Bs) written by the 'stats' row program.
 */
export class FocalApplyProgram extends WgslProgram {
  /** `types`: WGSL scalar type of each input buffer (logits, labels, dy). */
  constructor(readonly variant: ElementwiseVariant, readonly sparse: boolean, readonly types: readonly StorageType[]) {
    super(`focal_apply_${sparse ? 'sparse' : 'dense'}_${elementwiseKey(variant)}_${types.join('')}`, variant.wg);
  }

  getCode(): string {
    const v = this.variant;
    const {code: bindings, weightBinding} = bindingBlock([
      {name: 'result', type: arrayOf('V'), write: true},
      {name: 'logits', type: arrayOf(storage(v.vec, this.types[0]))},
      {name: 'labels', type: arrayOf(this.sparse ? 'i32' : storage(v.vec, this.types[1]))},
      {name: 'dy', type: arrayOf(this.types[2])},
      {name: 'stats', type: arrayOf('vec4<f32>')},
    ], v.weights);
    const target = this.sparse ? `
  let t = labels[row];
  if (u.hasIgnore != 0u && t == u.ignoreIndex) {
    result[e] = V(0.0);
    return;
  }
  if (t < 0 || t >= i32(u.cols)) {
    result[e] = V(u.nan);
    return;
  }
  let yh = u.keep * indicator(col, u32(t)) + V(u.spread);` : `
  let yh = u.keep * V(labels[e]) + V(u.spread);`;
    return `${elementwiseHeader(v, FOCAL_UNIFORMS, bindings, weightBinding, 'alphaWeights')}
var<private> lseScale : f32;
${powGammaSnippet}
${focalPartsSnippet}
${elementwisePrologue(v.wg, 'u.rows * (u.cols / VEC)')}${target}
  let st = stats[row];
  let ay = V(u.alpha) * weightV(col / VEC) * yh;
  lseScale = 1.0 / u.temperature;
  let P = focalParts(V(logits[e]), st.x, st.y, st.z);
  let qG = powGamma(P.q);
  let fb = select(ay * qG + focalB(ay, qG, P), V(0.0), yh == V(0.0));
  result[e] = select(V(f32(dy[row]) / u.temperature) * (P.p * V(st.w) - fb), V(u.nan), B(isNanF(st.w)));
}
`;
  }
}

/** Dense rows: nothing per row beyond the lse. */
const DENSE_ROW = '';

/**
 * Sparse rows: the label t, whether the row is ignored or out of range, and a
 * safe class index `tu` for reads (the results of such rows are overwritten).
 */
const SPARSE_ROW = `
  var t = 0;
  if (valid) {
    t = labels[row];
  }
  let ignored = u.hasIgnore != 0u && t == u.ignoreIndex;
  let outOfRange = !ignored && (t < 0 || t >= i32(C));
  let tu = u32(clamp(t, 0, i32(C) - 1));`;

/** Dense backward w.r.t. labels: dy·(1 − ε)·a·q^γ·g (plain product: −∞ logits give +∞, the true derivative). */
const LABELS_BODY = `
  if (valid) {
    let scale = f32(dy[row]) * keep;
    for (var c4 = lane; c4 < C4; c4 += TEAM) {
      let P = focalParts(V(logits[base4 + c4]), m, lr, rq);
      result[base4 + c4] = select(V(scale) * aV(c4) * powGamma(P.q) * P.g, V(u.nan), B(rowNan));
    }
  }`;

/**
 * Binary focal, elementwise: mode 'forward' (loss), 'logits' or 'labels'
 * (the gradient w.r.t. that input). With ẑ = z·(1 − ε) + ε/2, p = σ(x),
 * 1 − p = σ(−x) (both stable), bce = ẑ·softplus(−x) + (1 − ẑ)·softplus(x),
 * u = ẑ·σ(−x) + (1 − ẑ)·σ(x), b = α·ẑ + (1 − α)·(1 − ẑ) when balancing:
 *   loss = b·u^γ·bce
 *   dx   = dy·b·(γ·u^(γ−1)·(1 − 2ẑ)·p·(1 − p)·bce + u^γ·(p − ẑ))
 *   dz   = dy·(1 − ε)·(b'·u^γ·bce + b·γ·u^(γ−1)·(1 − 2p)·bce − b·u^γ·x),  b' = 2α − 1 or 0
 * p·(1 − p) is σ(x)·σ(−x) and 1 − 2p is σ(−x) − σ(x): no cancellation.
 */
export class BinaryFocalProgram extends WgslProgram {
  /** `types`: WGSL scalar type of each input buffer (logits, labels[, dy]). */
  constructor(readonly variant: ElementwiseVariant, readonly mode: FocalMode, readonly types: readonly StorageType[],
              readonly dyMode: DyMode = 'none') {
    super(`binaryFocal_${mode}_${elementwiseKey(variant)}_${types.join('')}_dy${dyMode}`, variant.wg);
  }

  getCode(): string {
    const v = this.variant;
    const backward = this.mode !== 'forward';
    const dy = dyAccess(this.dyMode, v.vec, this.types[2] ?? 'f32');
    const {code: bindings} = bindingBlock([
      {name: 'result', type: arrayOf('V'), write: true},
      {name: 'logits', type: arrayOf(storage(v.vec, this.types[0]))},
      {name: 'labels', type: arrayOf(storage(v.vec, this.types[1]))},
      backward ? {name: 'dy', type: dy.binding} : null,
    ]);
    const value = {
      forward: 'u.scale * b * uG * bce',
      logits: `u.scale * ${dy.value} * b * (uG1 * (V(1.0) - 2.0 * zh) * p * pm * bce + uG * (p - zh))`,
      labels: `u.scale * ${dy.value} * u.keep * (db * uG * bce + b * uG1 * (pm - p) * bce - b * uG * x)`,
    }[this.mode];
    return `${elementwiseHeader(v, BINARY_FOCAL_UNIFORMS, bindings, null)}
${mathSnippet}
${powGammaSnippet}
${elementwisePrologue(v.wg, 'u.rows * (u.cols / VEC)')}
  let x = V(logits[e]);
  let zh = V(labels[e]) * u.keep + V(u.halfEps);
  let p = sigmoidV(x);
  let pm = sigmoidV(-x);
  let bce = zh * softplusV(-x) + (V(1.0) - zh) * softplusV(x);
  let uu = zh * pm + (V(1.0) - zh) * p;
  let uG = powGamma(uu);
  let uG1 = gammaPowM1(uu, uG);
  let balancing = u.balancing != 0u;
  let b = select(V(1.0), V(u.alpha) * zh + V(1.0 - u.alpha) * (V(1.0) - zh), balancing);
  let db = select(0.0, 2.0 * u.alpha - 1.0, balancing);
  result[e] = select(${value}, V(u.nan), isNanV(x) | isNanV(zh));
}
`;
  }
}

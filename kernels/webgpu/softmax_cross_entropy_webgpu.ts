/**
 * WGSL programs of the softmax cross-entropy kernels (dense and sparse
 * labels): the forward, and the dense backward w.r.t. logits, which needs a
 * row sum too. Formulas: kernels/FORMULAS.md. Host code: SoftmaxCrossEntropy.ts
 * and SoftmaxCrossEntropyGrad.ts.
 *
 * Layout: a team of `team` threads owns one row (team = workgroup: one row
 * per workgroup; team = 1: one row per thread, for small C); rows are
 * `group * (wg / team) + localIndex / team` over a 2-D grid. Sizes (rows, C)
 * and every numeric attribute are uniforms; only the variant flags below are
 * baked into the WGSL and the key.
 */
import {StorageType, WgslProgram} from './launch';
import {arrayOf, bindingBlock, entrySnippet, rowProgramPrelude, storage} from './wgsl_common';

/** What is baked into a row program (everything else is a uniform). */
export interface RowVariant {
  /** Threads per workgroup. */
  wg: number;
  /** Threads per row: 1 or wg. */
  team: number;
  /** Vector width of loads/stores: 4 where C % 4 == 0. */
  vec: 1 | 4;
  /** Reductions through subgroup operations (team = wg only). */
  subgroups: boolean;
  /** A classWeights buffer is bound. */
  weights: boolean;
}

function variantKey(v: RowVariant): string {
  return `wg${v.wg}_team${v.team}_vec${v.vec}${v.subgroups ? '_sg' : ''}${v.weights ? '_w' : ''}`;
}

/** Uniforms of the softmax programs, in this order. */
export const SOFTMAX_UNIFORMS = `
struct Uniforms {
  rows : u32,
  cols : u32,
  temperature : f32,
  smoothing : f32,
  zLoss : f32,
  ignoreIndex : i32,
  hasIgnore : u32,
  sumWeights : f32,
  negInf : f32,
  nan : f32,
  keep : f32,
  spread : f32,
  scale : f32,
};`;

/**
 * Which dy element a backward program reads for row `row` (kernels/FORMULAS.md,
 * "Fused reductions", softmax kernels): its own ('none', dy [rows]) or the one
 * element of reduction 'all' (dy[0], broadcast to every row). Baked into the
 * WGSL and the program's key.
 */
export type SoftmaxDyMode = 'none' | 'all';

/** The WGSL expression of the row's upstream value (times the uniform scale): `u.scale·dy_b[row]`. */
export function scaledDy(mode: SoftmaxDyMode): string {
  return `u.scale * f32(dy[${mode === 'all' ? '0u' : 'row'}])`;
}

/** Shared prologue: row index, bounds, the lane's online log-sum-exp pass. */
function rowPrologue(v: RowVariant): string {
  const e = entrySnippet(v.wg, v.subgroups);
  return `${e.header} {${e.init}
  let row = group * ROWS_PER_WG + localIndex / TEAM;
  let valid = row < u.rows;
  let C = u.cols;
  let C4 = C / VEC;
  let base4 = row * C4;
  let T = u.temperature;
  let keep = u.keep;      // 1 − ε, from the host in float64 (not 1 − ε in float32: 1.3e-5 off at ε = 0.999)
  let spread = u.spread;  // ε / C, likewise`;
}

function header(v: RowVariant, bindings: string, weightBinding: number | null): string {
  return rowProgramPrelude(v, SOFTMAX_UNIFORMS, bindings, weightBinding);
}

/**
 * Forward: writes scale·loss [rows] (binding 0; the host sums it for
 * reduction 'all') and (m, s) [rows, 2] (binding 1, kernel_names.ts). Pass 1
 * is the online log-sum-exp (one read of the row, running max m of the raw
 * logits with the rescaled sum s = Σ exp((x − m)/T)).
 * Pass 2 sums the target terms w·ŷ·(lse − z) = w·ŷ·(log s + (m − x)/T) one by one, so each
 * term is as accurate as its own subtraction (m − x is exact where it matters,
 * and no float32 lse is formed); the one-pass alternative
 * W·lse − Σ w·ŷ·z cancels catastrophically when |lse| ≫ loss (logits offset by
 * 1e3 lose about 1e-4 of a unit of loss in float32). Pass 2 re-reads a row that
 * pass 1 just brought into cache, and runs for sparse labels only with label
 * smoothing (otherwise the loss needs the single logit z[t]).
 */
export class SoftmaxCrossEntropyProgram extends WgslProgram {
  /** `types`: WGSL scalar type of each input buffer (logits, labels). */
  constructor(readonly variant: RowVariant, readonly sparse: boolean, readonly types: readonly StorageType[]) {
    super(`softmaxCE_${sparse ? 'sparse' : 'dense'}_${variantKey(variant)}_${types.join('')}`, variant.wg);
  }

  getCode(): string {
    const v = this.variant;
    const {code: bindings, weightBinding} = bindingBlock([
      {name: 'lossOut', type: arrayOf('f32'), write: true},
      {name: 'lseOut', type: arrayOf('f32'), write: true},
      {name: 'logits', type: arrayOf(storage(v.vec, this.types[0]))},
      {name: 'labels', type: arrayOf(this.sparse ? 'i32' : storage(v.vec, this.types[1]))},
    ], v.weights);
    const targetPass = this.sparse ? `
  // Sparse: ŷ = (1 − ε)·[c = t] + ε/C, so the loss is
  // (1 − ε)·w[t]·(lse − z[t]) + ε/C·Σ_c w[c]·(lse − z[c]).
  var spreadSum = 0.0;
  if (spread != 0.0) {
    var acc = 0.0;
    if (valid) {
      for (var c4 = lane; c4 < C4; c4 += TEAM) {
        acc += hsum(weightV(c4) * (V(ls) + (V(m) - V(logits[base4 + c4])) * V(lseScale)));
      }
    }
    spreadSum = teamSum(acc);
  }
  if (valid && lane == 0u) {
    let t = labels[row];
    let ignored = u.hasIgnore != 0u && t == u.ignoreIndex;
    var loss = 0.0;
    if (ignored) {
      loss = 0.0;  // whatever the row holds, NaN included (FORMULAS.md: ignored rows)
    } else if (t < 0 || t >= i32(C)) {
      loss = u.nan;
    } else {
      let tu = u32(t);
      loss = keep * weight(tu) * (ls + (m - logitAt(row, tu)) * lseScale);
      if (spread != 0.0) {
        loss += spread * spreadSum;
      }
      if (u.zLoss != 0.0) {
        loss += u.zLoss * lse * lse;
      }
    }
    lossOut[row] = u.scale * select(loss, u.nan, isNanF(s) && !ignored);
    lseOut[2u * row] = m;
    lseOut[2u * row + 1u] = s;
  }` : `
  // Dense: Σ over ŷ ≠ 0 of w·ŷ·(lse − z) (ŷ = 0 terms are skipped: 0·∞ is NaN).
  var acc = 0.0;
  if (valid) {
    for (var c4 = lane; c4 < C4; c4 += TEAM) {
      let yh = keep * V(labels[base4 + c4]) + V(spread);
      let term = weightV(c4) * yh * (V(ls) + (V(m) - V(logits[base4 + c4])) * V(lseScale));
      acc += hsum(select(term, V(0.0), yh == V(0.0)));
    }
  }
  let total = teamSum(acc);
  if (valid && lane == 0u) {
    var loss = total;
    if (u.zLoss != 0.0) {
      loss += u.zLoss * lse * lse;
    }
    lossOut[row] = u.scale * select(loss, u.nan, isNanF(s));
    lseOut[2u * row] = m;
    lseOut[2u * row + 1u] = s;
  }`;
    return `${header(v, bindings, weightBinding)}
${rowPrologue(v)}
  // Pass 1: online log-sum-exp of x / T over this lane's columns (m in logit units).
  lseScale = 1.0 / T;
  var st = vec3<f32>(u.negInf, 0.0, 0.0);
  if (valid) {
    for (var c4 = lane; c4 < C4; c4 += TEAM) {
      let x = V(logits[base4 + c4]);
      for (var k = 0u; k < VEC; k++) {
        st = lsePush(st, comp(x, k));
      }
    }
  }
  st = teamLse(st);
  let m = st.x;
  let s = lseSum(st);  // NaN for a NaN or +∞ logit
  let ls = log(s);
  let lse = m * lseScale + ls;  // only for the z-loss
  // Pass 2: the target terms.${targetPass}
}
`;
  }
}

/**
 * Dense backward w.r.t. logits: W = Σ_c w[c]·ŷ[c] is a row sum over the
 * labels (rows need not sum to 1), then one elementwise sweep writes
 * dx = scale·dy_b/T·((W + 2λ·lse)·p − w·ŷ), p = exp((x − m)/T)·(1/s) from the
 * saved (m, s), the 1/s folded into the row's factor. Output binding 0 [rows, C].
 */
export class SoftmaxCrossEntropyGradProgram extends WgslProgram {
  /** `types`: WGSL scalar type of each input buffer (logits, labels, lse, dy); `dyMode`: dy per row or one. */
  constructor(readonly variant: RowVariant, readonly types: readonly StorageType[],
              readonly dyMode: SoftmaxDyMode = 'none') {
    super(`softmaxCEGrad_dense_${variantKey(variant)}_${types.join('')}_dy${dyMode}`, variant.wg);
  }

  getCode(): string {
    const v = this.variant;
    const {code: bindings, weightBinding} = bindingBlock([
      {name: 'dx', type: arrayOf('V'), write: true},
      {name: 'logits', type: arrayOf(storage(v.vec, this.types[0]))},
      {name: 'labels', type: arrayOf(storage(v.vec, this.types[1]))},
      {name: 'lseIn', type: arrayOf(this.types[2])},
      {name: 'dy', type: arrayOf(this.types[3])},
    ], v.weights);
    return `${header(v, bindings, weightBinding)}
${rowPrologue(v)}
  var acc = 0.0;
  if (valid) {
    for (var c4 = lane; c4 < C4; c4 += TEAM) {
      acc += hsum(weightV(c4) * (keep * V(labels[base4 + c4]) + V(spread)));
    }
  }
  let W = teamSum(acc);
  if (valid) {
    let invT = 1.0 / T;
    let m = f32(lseIn[2u * row]);
    let s = f32(lseIn[2u * row + 1u]);
    let k = 1.0 / s;
    var scale = W * k;
    if (u.zLoss != 0.0) {
      scale += 2.0 * u.zLoss * (m * invT + log(s)) * k;
    }
    let g = ${scaledDy(this.dyMode)} / T;
    for (var c4 = lane; c4 < C4; c4 += TEAM) {
      let x = V(logits[base4 + c4]);
      let yh = keep * V(labels[base4 + c4]) + V(spread);
      let grad = g * (scale * exp((x - V(m)) * V(invT)) - weightV(c4) * yh);
      dx[base4 + c4] = select(grad, V(u.nan), isNanV(x) | B(isNanF(s)));
    }
  }
}
`;
  }
}

/**
 * WGSL programs of LinearSparseSoftmaxCrossEntropy (kernels/kernel_names.ts):
 * the sparse softmax cross-entropy of logits = hidden·Wᵀ + bias without the
 * `[N, V]` logits in memory, launched by LinearSparseSoftmaxCrossEntropy.ts.
 *
 * LinearCrossEntropyTileProgram: the matmul fused with the online softmax
 * (FORMULAS.md step 2). Workgroup (s, r) owns 32 rows of hidden and the
 * vocabulary slice s. It walks the slice 32 classes at a time: a 32 × 32 tile
 * of logits is computed by the tile product shared with MatMulAccumulate
 * (TILE_PRODUCT_SNIPPET: 64 threads, 4 × 4 outputs each, k staged through
 * workgroup memory 32 at a time; A = hidden, B(k, v) = W(v, k) through
 * strides in uniforms) and left in workgroup memory;
 * then thread i < 32 folds row i of the tile into that row's state:
 *   (m, s, nan)  the online log-sum-exp of z = x / T, x = logit + bias, with
 *                m the max of x in logit units (lseScaledSnippet, lsePush),
 *   sw, wSeen    Σ w[c]·(x[c] − m)/T and Σ w[c] over the classes seen, with sw
 *                re-based whenever m grows (sw += (m_old − m_new)/T·wSeen), so
 *                the smoothing term never forms the large Σ w·z next to
 *                Σ w·lse (the float32 cancellation the softmax forward avoids
 *                with a second pass, which here would mean a second matmul);
 *   xt           x of the row's label, when the label falls in the slice.
 * Only the 32 × 32 tile of logits ever exists. The state of each (slice, row)
 * goes to `partial` [splits, N, 6].
 *
 * LinearCrossEntropyCombineProgram: one thread per row combines the slices'
 * states (lseCombine; sw re-based to the final m) and writes, as the sparse
 * forward kernel does, (m, s) per row ([N, 2], kernel_names.ts) and
 *   loss = (1 − ε)·w[t]·((m − x[t])/T + log s) + ε/V·(Σw·log s − sw) + λ·lse²
 * with lse = m/T + log s (for the z-loss only), 1 − ε and ε/V from the host
 * (each term a sum of non-negative parts: no cancellation), 0 for ignored
 * rows (whatever they hold), NaN for labels out of range and for the other
 * rows whose lse is NaN.
 */
import {StorageType, WgslProgram} from './launch';
import {MM_TILE, TILE_PRODUCT_SNIPPET} from './matmul_accumulate_webgpu';
import {arrayOf, bindingBlock, flatEntrySnippet, lseScaledSnippet, vecSnippet, weightSnippet, workgroupEntrySnippet} from './wgsl_common';

/** Rows (and vocabulary entries) per tile, and threads per workgroup of the tile program. */
export const LCE_TILE = MM_TILE;
const LCE_THREADS = 64;
/** Floats of state per (slice, row) in `partial`. */
export const LCE_STATE = 6;
/** Threads per workgroup of the combine program. */
export const LCE_COMBINE_WG = 128;

export const LINEAR_CE_UNIFORMS = `
struct Uniforms {
  rows : u32, hid : u32, vocab : u32,
  wRow : u32, wCol : u32, vSlice : u32, splits : u32, rowTiles : u32,
  temperature : f32, smoothing : f32, zLoss : f32,
  ignoreIndex : i32, hasIgnore : u32, sumWeights : f32, negInf : f32, nan : f32,
  keep : f32, spread : f32,
};`;

/** What is baked into the WGSL text of both programs (and so into their keys). */
export interface LinearCrossEntropyVariant {
  /** WGSL storage type of hidden, weight and (when present) bias. */
  types: readonly StorageType[];
  hasBias: boolean;
  weights: boolean;
}

function variantKey(v: LinearCrossEntropyVariant): string {
  return `${v.types.join('')}${v.hasBias ? '_b' : ''}${v.weights ? '_w' : ''}`;
}

export class LinearCrossEntropyTileProgram extends WgslProgram {
  constructor(readonly variant: LinearCrossEntropyVariant) {
    super(`linearCE_tile_t${LCE_TILE}_${variantKey(variant)}`, LCE_THREADS);
  }

  getCode(): string {
    const v = this.variant;
    const [th, tw, tb] = v.types;
    const {code: bindings, weightBinding} = bindingBlock([
      {name: 'partial', type: arrayOf('f32'), write: true},
      {name: 'hidden', type: arrayOf(th)},
      {name: 'weights', type: arrayOf(tw)},
      {name: 'labels', type: arrayOf('i32')},
      v.hasBias ? {name: 'bias', type: arrayOf(tb)} : null,
    ], v.weights);
    return `${LINEAR_CE_UNIFORMS}
${vecSnippet(1)}${bindings}
${weightSnippet(weightBinding)}
${lseScaledSnippet}

var<workgroup> Ls : array<array<f32, ${LCE_TILE + 1}>, ${LCE_TILE}>;  // Ls[i][j]: the logits tile (padded: no bank conflicts by row)
var<private> vEnd : u32;  // end of this workgroup's vocabulary slice

fn loadA(i : u32, k : u32) -> f32 {
  if (i >= u.rows) {
    return 0.0;
  }
  return f32(hidden[i * u.hid + k]);
}
// B(k, v) = W(v, k) = weights[v·wRow + k·wCol].
fn loadB(k : u32, v : u32) -> f32 {
  if (v >= vEnd) {
    return 0.0;
  }
  return f32(weights[v * u.wRow + k * u.wCol]);
}
${TILE_PRODUCT_SNIPPET}

${workgroupEntrySnippet(LCE_THREADS, 'u.rowTiles * u.splits')}
  let split = g / u.rowTiles;
  let i0 = (g % u.rowTiles) * TILE;
  let vBegin = split * u.vSlice;
  let sliceEnd = min(u.vocab, vBegin + u.vSlice);  // uniform: bounds the loop with barriers
  vEnd = sliceEnd;
  let tx = lid % 8u;
  let ty = lid / 8u;
  let row = i0 + lid;
  let owner = lid < TILE && row < u.rows;
  var t = -1;
  if (owner) {
    t = labels[row];
  }
  lseScale = 1.0 / u.temperature;
  var st = vec3<f32>(u.negInf, 0.0, 0.0);
  var sw = 0.0;
  var wSeen = 0.0;
  var xt = 0.0;
  for (var v0 = vBegin; v0 < sliceEnd; v0 += TILE) {
    // The 32 × 32 logits tile: A = hidden (contiguous along k), B(k, v) = W(v, k) (contiguous along k for [V, H]).
    let sum = tileProduct(lid, i0, v0, 0u, u.hid, true, u.wCol != 1u);
    for (var r = 0u; r < 4u; r++) {
      for (var c = 0u; c < 4u; c++) {
        Ls[4u * ty + r][4u * tx + c] = sum[r][c];
      }
    }
    workgroupBarrier();
    if (owner) {
      let n = min(TILE, sliceEnd - v0);
      for (var j = 0u; j < n; j++) {
        let c = v0 + j;
        let x = Ls[lid][j]${v.hasBias ? ' + f32(bias[c])' : ''};
        let mOld = st.x;
        st = lsePush(st, x);
        if (i32(c) == t) {
          xt = x;
        }
        if (u.spread != 0.0) {
          let wc = weight(c);
          if (wSeen != 0.0 && st.x != mOld) {
            sw += (mOld - st.x) * lseScale * wSeen;
          }
          // x = −∞ (a masked class): w·x is −∞ (w > 0) or NaN (w = 0), as w·ŷ·(lse − z) is +∞ or NaN.
          sw += select(wc * ((x - st.x) * lseScale), wc * x, x == u.negInf);
          wSeen += wc;
        }
      }
    }
    workgroupBarrier();
  }
  if (owner) {
    let o = (split * u.rows + row) * ${LCE_STATE}u;
    partial[o] = st.x;
    partial[o + 1u] = st.y;
    partial[o + 2u] = st.z;
    partial[o + 3u] = sw;
    partial[o + 4u] = wSeen;
    partial[o + 5u] = xt;
  }
}
`;
  }
}

export class LinearCrossEntropyCombineProgram extends WgslProgram {
  constructor(readonly weights: boolean) {
    super(`linearCE_combine${weights ? '_w' : ''}`, LCE_COMBINE_WG);
  }

  getCode(): string {
    const {code: bindings, weightBinding} = bindingBlock([
      {name: 'lossOut', type: arrayOf('f32'), write: true},
      {name: 'lseOut', type: arrayOf('f32'), write: true},
      {name: 'partial', type: arrayOf('f32')},
      {name: 'labels', type: arrayOf('i32')},
    ], this.weights);
    return `${LINEAR_CE_UNIFORMS}
${vecSnippet(1)}${bindings}
${weightSnippet(weightBinding)}
${lseScaledSnippet}

${flatEntrySnippet(LCE_COMBINE_WG)}
  let row = e;
  if (row >= u.rows) {
    return;
  }
  lseScale = 1.0 / u.temperature;
  var st = vec3<f32>(u.negInf, 0.0, 0.0);
  for (var s = 0u; s < u.splits; s++) {
    let o = (s * u.rows + row) * ${LCE_STATE}u;
    st = lseCombine(st, vec3<f32>(partial[o], partial[o + 1u], partial[o + 2u]));
  }
  var sw = 0.0;
  var xt = 0.0;
  for (var s = 0u; s < u.splits; s++) {
    let o = (s * u.rows + row) * ${LCE_STATE}u;
    let wSeen = partial[o + 4u];
    sw += partial[o + 3u];
    if (wSeen != 0.0) {
      sw += (partial[o] - st.x) * lseScale * wSeen;  // re-based from the slice's max to the row's
    }
    xt += partial[o + 5u];  // only the slice holding the label wrote a nonzero x
  }
  let m = st.x;
  let sum = lseSum(st);  // NaN for a NaN or +∞ logit
  let logS = log(sum);
  let lse = m * lseScale + logS;
  let t = labels[row];
  let ignored = u.hasIgnore != 0u && t == u.ignoreIndex;
  var loss = 0.0;
  if (ignored) {
    loss = 0.0;  // whatever the row holds, NaN included
  } else if (t < 0 || t >= i32(u.vocab)) {
    loss = u.nan;
  } else {
    loss = u.keep * weight(u32(t)) * ((m - xt) * lseScale + logS);
    if (u.spread != 0.0) {
      loss += u.spread * (u.sumWeights * logS - sw);
    }
    if (u.zLoss != 0.0) {
      loss += u.zLoss * lse * lse;
    }
  }
  lossOut[row] = select(loss, u.nan, isNanF(sum) && !ignored);
  lseOut[2u * row] = m;
  lseOut[2u * row + 1u] = sum;
}
`;
  }
}

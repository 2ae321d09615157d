/**
 * WGSL programs of the in-place kernels (contract and aliasing rule:
 * kernels/kernel_names.ts), launched by MatMulAccumulate.ts through launch.ts.
 *
 * MatMulAccumulateProgram: acc[rowOffset + i, j] += Σ_k A(i,k)·B(k,j), the
 * accumulator bound once as `read_write` storage (binding 0) and updated by
 * the one thread that owns each element, so no other invocation reads or
 * writes it (no race). Classic shared-memory tiling: a workgroup of 64 threads
 * owns a 32 × 32 tile of the product; per 32-wide step of k it stages a 32 × 32
 * tile of A and of B in workgroup memory (both stored k-major, as vec4 rows),
 * and each thread accumulates a 4 × 4 block (4 consecutive rows × 4
 * consecutive columns) in four vec4 registers, added to acc once at the end.
 * A(i,k) = a[i·aRow + k·aCol] and B(k,j) = b[k·bRow + j·bCol]: transposes are
 * strides, all in uniforms. Float32 inputs whose contiguous dimension is a
 * multiple of 4 (the linear-CE chunks: H and V) are bound as array<vec4<f32>>
 * and staged with vec4 loads, one pipeline per layout pair; otherwise scalar
 * loads with the layout read from the strides (one pipeline per pair of
 * input storage types). Either way tiles are loaded along the contiguous index
 * (aCol = 1 or aRow = 1) so neighbouring threads read neighbouring words.
 * Tiles past the edges load zeros and skip their writes. Workgroups: one per
 * tile, folded into a 2-D grid by launch.ts (recovered as wid.y·nwg.x + wid.x).
 *
 * Why vec4 registers and tiles: the first version kept the 4 × 4 sums and the
 * operands in private arrays indexed by loop counters (sum[r][c]) and loaded
 * 8 scalars from workgroup memory per k step, and ran slower than tfjs's
 * matMul on Dawn/SwiftShader; vec4 sums and tiles (2 vec4 loads and 4 vec4
 * multiply-adds per k step, the layout of tfjs's vec4 matMul) made it faster
 * (README.md, "vec4 registers and tiles").
 *
 * Split-K (`partial` programs): a product with few output tiles and a long k
 * (linear cross-entropy's dh = G·W of one chunk: M = rows of the chunk, P = H,
 * K = V, e.g. 4 × 16 = 64 tiles over K = 32000) would run a handful of
 * workgroups through a long serial loop of k steps, each waiting on its global
 * loads: most of the GPU idles. Its k range is cut into `splits` slices of
 * kSlice (a multiple of the tile) and workgroup (s, tile) writes the partial
 * product of slice s into scratch[s, i, j] (plain stores, no accumulator);
 * then SplitKReduceProgram adds Σ_s scratch[s, i, j] into acc, one thread per
 * element, summing s in a fixed order: deterministic, no atomics (WGSL has no
 * float atomics). The plan (how many splits) is `splitKPlan` in
 * MatMulAccumulate.ts.
 *
 * ScaleInPlaceProgram: x[e] *= s[0], one thread per element.
 */
import {StorageType, WgslProgram} from './launch';
import {arrayOf, bindingBlock, flatEntrySnippet, workgroupEntrySnippet} from './wgsl_common';

/** Side of the product tile per workgroup, its k step, and threads (8 × 8, 4 × 4 outputs each). */
export const MM_TILE = 32;
const MM_THREADS = 64;

/**
 * How MatMulAccumulateProgram stages its tiles: `vec4` loads of 4
 * consecutive words from the inputs bound as array<vec4<f32>> (their
 * contiguous dimension a multiple of 4), the two layouts fixed in the
 * program's text. Without it (null) the scalar loads of `loadA` / `loadB`
 * with the layouts chosen at run time (`aAlongK`, `bAlongJ`).
 */
export interface TileStaging {
  /** A(i, k) contiguous in k (a is [M, K]) rather than in i (a is [K, M]). */
  aAlongK: boolean;
  /** B(k, j) contiguous in j (b is [K, P]) rather than in k (b is [P, K]). */
  bAlongJ: boolean;
}

/**
 * Stages 32 × 32 words of one operand with 64 threads, 4 vec4 loads each;
 * consecutive threads load consecutive vec4 of one row of the input (so the
 * loads are coalesced). `outer` is the tile's non-k index (i of A, j of B).
 * A vec4 past the outer bound or at k ≥ kEnd loads zeros (K, M or P being
 * multiples of 4, and k0, kEnd too, a vec4 is either wholly in or wholly out).
 */
function vec4StageSnippet(name: 'A' | 'B', alongK: boolean): string {
  const [tile, src, outer0, outerBound, stride] = name === 'A' ?
      ['As', 'a', 'i0', 'u.M', alongK ? 'u.aRow' : 'u.aCol'] : ['Bs', 'b', 'j0', 'u.P', alongK ? 'u.bCol' : 'u.bRow'];
  if (alongK) {
    // row o of the input holds k contiguously: vec4 g of it is k = k0 + 4g .. + 3
    return `
    for (var e = lid; e < 256u; e += ${MM_THREADS}u) {
      let o = e / 8u;
      let g = e % 8u;
      var v = vec4<f32>(0.0);
      if (${outer0} + o < ${outerBound} && k0 + 4u * g < kEnd) {
        v = ${src}[((${outer0} + o) * ${stride} + k0) / 4u + g];
      }
      ${tile}[4u * g][o / 4u][o % 4u] = v.x;
      ${tile}[4u * g + 1u][o / 4u][o % 4u] = v.y;
      ${tile}[4u * g + 2u][o / 4u][o % 4u] = v.z;
      ${tile}[4u * g + 3u][o / 4u][o % 4u] = v.w;
    }`;
  }
  // row k of the input holds the outer index contiguously: vec4 g of it is outer0 + 4g .. + 3
  return `
    for (var e = lid; e < 256u; e += ${MM_THREADS}u) {
      let kk = e / 8u;
      let g = e % 8u;
      var v = vec4<f32>(0.0);
      if (${outer0} + 4u * g < ${outerBound} && k0 + kk < kEnd) {
        v = ${src}[((k0 + kk) * ${stride} + ${outer0}) / 4u + g];
      }
      ${tile}[kk][g] = v;
    }`;
}

/** The scalar staging of both tiles, layouts chosen at run time (loadA / loadB defined by the program). */
const SCALAR_STAGE_SNIPPET = `
    for (var e = lid; e < TILE * TILE; e += ${MM_THREADS}u) {
      var ii = e / TILE;
      var kk = e % TILE;
      if (!aAlongK) {
        ii = e % TILE;
        kk = e / TILE;
      }
      var va = 0.0;
      if (k0 + kk < kEnd) {
        va = loadA(i0 + ii, k0 + kk);
      }
      As[kk][ii / 4u][ii % 4u] = va;
      var jj = e % TILE;
      var kb = e / TILE;
      if (!bAlongJ) {
        jj = e / TILE;
        kb = e % TILE;
      }
      var vb = 0.0;
      if (k0 + kb < kEnd) {
        vb = loadB(k0 + kb, j0 + jj);
      }
      Bs[kb][jj / 4u][jj % 4u] = vb;
    }`;

/**
 * The shared tile product (WGSL), used by MatMulAccumulateProgram and by the
 * linear cross-entropy tile program (linear_cross_entropy_webgpu.ts):
 * `tileProduct(lid, i0, j0, kBegin, kEnd, aAlongK, bAlongJ)` returns the
 * calling thread's 4 × 4 block of Σ_{k ∈ [kBegin, kEnd)} A(i, k)·B(k, j):
 * element [r][c] is row i0 + 4·ty + r, column j0 + 4·tx + c of the 32 × 32
 * tile (tx = lid % 8, ty = lid / 8), staging 32 k at a time through
 * workgroup memory as vec4 rows (As[k][i / 4], Bs[k][j / 4]), so each k step
 * is 2 vec4 loads and 4 vec4 multiply-adds per thread (the layout of tfjs's
 * vec4 matMul for a transposed A). With scalar staging (`staging` null) the
 * program defines `loadA(i, k)` and `loadB(k, j)` (0 past its own row and
 * column bounds; k is always < kEnd) and `aAlongK` / `bAlongJ` say which
 * index is contiguous in memory, so neighbouring threads load neighbouring
 * words; with vec4 staging the program binds `a` and `b` as
 * array<vec4<f32>> and provides the uniforms M, P, aRow, aCol, bRow, bCol
 * (the two flags are then ignored).
 * Calls must be in uniform control flow (barriers). The sums start from
 * explicit zeros: a `var` declared in a loop body was not re-zeroed on every
 * iteration by Dawn on SwiftShader (the linear-CE tile program summed across
 * vocabulary tiles until it was initialised by hand).
 */
export function tileProductSnippet(staging: TileStaging | null): string {
  const stage = staging == null ? SCALAR_STAGE_SNIPPET :
      vec4StageSnippet('A', staging.aAlongK) + vec4StageSnippet('B', !staging.bAlongJ);
  return `
const TILE = ${MM_TILE}u;
var<workgroup> As : array<array<vec4<f32>, ${MM_TILE / 4}>, ${MM_TILE}>;  // As[k][i / 4][i % 4]
var<workgroup> Bs : array<array<vec4<f32>, ${MM_TILE / 4}>, ${MM_TILE}>;  // Bs[k][j / 4][j % 4]

fn tileProduct(lid : u32, i0 : u32, j0 : u32, kBegin : u32, kEnd : u32, aAlongK : bool, bAlongJ : bool) -> array<vec4<f32>, 4> {
  let tx = lid % 8u;
  let ty = lid / 8u;
  var s0 = vec4<f32>(0.0);
  var s1 = vec4<f32>(0.0);
  var s2 = vec4<f32>(0.0);
  var s3 = vec4<f32>(0.0);
  for (var k0 = kBegin; k0 < kEnd; k0 += TILE) {${stage}
    workgroupBarrier();
    for (var kk = 0u; kk < TILE; kk++) {
      let av = As[kk][ty];
      let bv = Bs[kk][tx];
      s0 = fma(vec4<f32>(av.x), bv, s0);
      s1 = fma(vec4<f32>(av.y), bv, s1);
      s2 = fma(vec4<f32>(av.z), bv, s2);
      s3 = fma(vec4<f32>(av.w), bv, s3);
    }
    workgroupBarrier();
  }
  return array<vec4<f32>, 4>(s0, s1, s2, s3);
}`;
}

/** The tile product with scalar staging (the linear cross-entropy tile program's). */
export const TILE_PRODUCT_SNIPPET = tileProductSnippet(null);

export const MATMUL_ACCUMULATE_UNIFORMS = `
struct Uniforms {
  M : u32, K : u32, P : u32,
  aRow : u32, aCol : u32, bRow : u32, bCol : u32,
  rowOffset : u32, tilesP : u32, tiles : u32,
  kSlice : u32, splits : u32,
};`;

/** loadA / loadB of the scalar staging, strides from the uniforms. */
const SCALAR_LOADS = `
fn loadA(i : u32, k : u32) -> f32 {
  if (i >= u.M) {
    return 0.0;
  }
  return f32(a[i * u.aRow + k * u.aCol]);
}
fn loadB(k : u32, j : u32) -> f32 {
  if (j >= u.P) {
    return 0.0;
  }
  return f32(b[k * u.bRow + j * u.bCol]);
}`;

export class MatMulAccumulateProgram extends WgslProgram {
  /**
   * `types`: WGSL scalar type of the a and b buffers. `partial`: binding 0 is
   * the split-K scratch [splits, M, P], written (not accumulated) by workgroup
   * (s, tile) for k in [s·kSlice, (s + 1)·kSlice); otherwise it is acc,
   * updated in place over the whole k range (one slice).
   */
  constructor(readonly types: readonly [StorageType, StorageType], readonly partial: boolean,
              readonly staging: TileStaging | null = null) {
    const stage = staging == null ? '' : `_vec4${staging.aAlongK ? 'Ak' : 'Ai'}${staging.bAlongJ ? 'Bj' : 'Bk'}`;
    super(`matMulAccumulate_t${MM_TILE}_${types.join('')}${partial ? '_splitK' : ''}${stage}`, MM_THREADS);
  }

  getCode(): string {
    const [ta, tb] = this.staging == null ? this.types : ['vec4<f32>', 'vec4<f32>'];
    const store = this.partial ?
        `out[(split * u.M + i) * u.P + j] = sum[r][c];` :
        `let idx = (u.rowOffset + i) * u.P + j;
        out[idx] = out[idx] + sum[r][c];`;
    return `${MATMUL_ACCUMULATE_UNIFORMS}${bindingBlock([
      {name: 'out', type: arrayOf('f32'), write: true}, {name: 'a', type: arrayOf(ta)}, {name: 'b', type: arrayOf(tb)},
    ]).code}

${this.staging == null ? SCALAR_LOADS : ''}
${tileProductSnippet(this.staging)}

${workgroupEntrySnippet(MM_THREADS, 'u.tiles * u.splits')}
  let split = g / u.tiles;
  let tile = g % u.tiles;
  let kBegin = split * u.kSlice;
  let kEnd = min(u.K, kBegin + u.kSlice);
  let i0 = (tile / u.tilesP) * TILE;
  let j0 = (tile % u.tilesP) * TILE;
  let tx = lid % 8u;
  let ty = lid / 8u;
  let sum = tileProduct(lid, i0, j0, kBegin, kEnd, u.aCol == 1u, u.bCol == 1u);
  for (var r = 0u; r < 4u; r++) {
    let i = i0 + 4u * ty + r;
    for (var c = 0u; c < 4u; c++) {
      let j = j0 + 4u * tx + c;
      if (i < u.M && j < u.P) {
        ${store}
      }
    }
  }
}
`;
  }
}

/** Threads per workgroup of the elementwise programs (reduce, scale). */
export const SCALE_WG = 256;

/** acc[(rowOffset + i)·P + j] += Σ_s scratch[s, i, j], s in order; one thread per (i, j). */
export class SplitKReduceProgram extends WgslProgram {
  constructor() {
    super('matMulAccumulate_splitKReduce', SCALE_WG);
  }

  getCode(): string {
    return `
struct Uniforms { M : u32, P : u32, rowOffset : u32, splits : u32, };${bindingBlock([
      {name: 'acc', type: arrayOf('f32'), write: true}, {name: 'scratch', type: arrayOf('f32')},
    ]).code}

${flatEntrySnippet(SCALE_WG)}
  let size = u.M * u.P;
  if (e >= size) {
    return;
  }
  var total = 0.0;
  for (var s = 0u; s < u.splits; s++) {
    total += scratch[s * size + e];
  }
  let idx = u.rowOffset * u.P + e;
  acc[idx] = acc[idx] + total;
}
`;
  }
}

export class ScaleInPlaceProgram extends WgslProgram {
  constructor(readonly scaleType: StorageType) {
    super(`scaleInPlace_${scaleType}`, SCALE_WG);
  }

  getCode(): string {
    return `
struct Uniforms { size : u32, };${bindingBlock([
      {name: 'x', type: arrayOf('f32'), write: true}, {name: 's', type: arrayOf(this.scaleType)},
    ]).code}

${flatEntrySnippet(SCALE_WG)}
  if (e < u.size) {
    x[e] = x[e] * f32(s[0]);
  }
}
`;
  }
}

/**
 * WGSL programs of the in-place kernels (contract and aliasing rule:
 * kernels/kernel_names.ts), launched by MatMulAccumulate.ts through launch.ts.
 *
 * MatMulAccumulateProgram: acc[rowOffset + i, j] += Σ_k A(i,k)·B(k,j), the
 * accumulator bound once as `read_write` storage (binding 0) and updated by
 * the one thread that owns each element, so no other invocation reads or
 * writes it (no race). Classic shared-memory tiling: a workgroup of 64 threads
 * owns a 32 × 32 tile of the product; per 32-wide step of k it stages a 32 × 32
 * tile of A and of B in workgroup memory (both stored k-major), and each thread
 * accumulates a 4 × 4 block in registers (f32), added to acc once at the end.
 * A(i,k) = a[i·aRow + k·aCol] and B(k,j) = b[k·bRow + j·bCol]: transposes are
 * strides, all in uniforms, so one pipeline per pair of input storage types
 * serves every shape and layout; tiles are loaded along the contiguous index
 * (aCol = 1 or aRow = 1) so neighbouring threads read neighbouring words.
 * Tiles past the edges load zeros and skip their writes. Workgroups: one per
 * tile, folded into a 2-D grid by launch.ts (recovered as wid.y·nwg.x + wid.x).
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
import {FusedProgram, StorageType} from './launch';
import {flatEntrySnippet} from './wgsl_common';

/** Side of the product tile per workgroup, its k step, and threads (8 × 8, 4 × 4 outputs each). */
export const MM_TILE = 32;
const MM_THREADS = 64;

/**
 * The shared tile product (WGSL), used by MatMulAccumulateProgram and by the
 * linear cross-entropy tile program (linear_cross_entropy_webgpu.ts):
 * `tileProduct(lid, i0, j0, kBegin, kEnd, aAlongK, bAlongJ)` returns the
 * calling thread's 4 × 4 block (rows i0 + ty + 8r, columns j0 + tx + 8c of
 * the 32 × 32 tile; tx = lid % 8, ty = lid / 8) of Σ_{k ∈ [kBegin, kEnd)}
 * A(i, k)·B(k, j), staging 32 k at a time through workgroup memory. The
 * program defines `loadA(i, k)` and `loadB(k, j)` (0 past its own row and
 * column bounds; k is always < kEnd). `aAlongK` / `bAlongJ` say which index
 * is contiguous in memory, so neighbouring threads load neighbouring words.
 * Calls must be in uniform control flow (barriers). The 4 × 4 sums start
 * from explicit zeros: a `var` declared in a loop body was not re-zeroed on
 * every iteration by Dawn on SwiftShader (the linear-CE tile program summed
 * across vocabulary tiles until it was initialised by hand).
 */
export const TILE_PRODUCT_SNIPPET = `
const TILE = ${MM_TILE}u;
var<workgroup> As : array<array<f32, ${MM_TILE}>, ${MM_TILE}>;  // As[k][i]
var<workgroup> Bs : array<array<f32, ${MM_TILE}>, ${MM_TILE}>;  // Bs[k][j]

fn tileProduct(lid : u32, i0 : u32, j0 : u32, kBegin : u32, kEnd : u32, aAlongK : bool, bAlongJ : bool) -> array<array<f32, 4>, 4> {
  let tx = lid % 8u;
  let ty = lid / 8u;
  var sum : array<array<f32, 4>, 4>;
  for (var r = 0u; r < 4u; r++) {
    sum[r] = array<f32, 4>(0.0, 0.0, 0.0, 0.0);
  }
  for (var k0 = kBegin; k0 < kEnd; k0 += TILE) {
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
      As[kk][ii] = va;
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
      Bs[kb][jj] = vb;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TILE; kk++) {
      var av : array<f32, 4>;
      var bv : array<f32, 4>;
      for (var r = 0u; r < 4u; r++) {
        av[r] = As[kk][ty + 8u * r];
        bv[r] = Bs[kk][tx + 8u * r];
      }
      for (var r = 0u; r < 4u; r++) {
        for (var c = 0u; c < 4u; c++) {
          sum[r][c] = fma(av[r], bv[c], sum[r][c]);
        }
      }
    }
    workgroupBarrier();
  }
  return sum;
}`;

export const MATMUL_ACCUMULATE_UNIFORMS = `
struct Uniforms {
  M : u32, K : u32, P : u32,
  aRow : u32, aCol : u32, bRow : u32, bCol : u32,
  rowOffset : u32, tilesP : u32, tiles : u32,
  kSlice : u32, splits : u32,
};`;

export class MatMulAccumulateProgram implements FusedProgram {
  readonly key: string;
  readonly workgroupSize = MM_THREADS;

  /**
   * `types`: WGSL scalar type of the a and b buffers. `partial`: binding 0 is
   * the split-K scratch [splits, M, P], written (not accumulated) by workgroup
   * (s, tile) for k in [s·kSlice, (s + 1)·kSlice); otherwise it is acc,
   * updated in place over the whole k range (one slice).
   */
  constructor(readonly types: readonly [StorageType, StorageType], readonly partial: boolean) {
    this.key = `matMulAccumulate_t${MM_TILE}_${types.join('')}${partial ? '_splitK' : ''}`;
  }

  getCode(): string {
    const [ta, tb] = this.types;
    const store = this.partial ?
        `out[(split * u.M + i) * u.P + j] = sum[r][c];` :
        `let idx = (u.rowOffset + i) * u.P + j;
        out[idx] = out[idx] + sum[r][c];`;
    return `${MATMUL_ACCUMULATE_UNIFORMS}
@group(0) @binding(0) var<storage, read_write> out : array<f32>;
@group(0) @binding(1) var<storage, read> a : array<${ta}>;
@group(0) @binding(2) var<storage, read> b : array<${tb}>;
@group(0) @binding(3) var<uniform> u : Uniforms;

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
}
${TILE_PRODUCT_SNIPPET}

@compute @workgroup_size(${MM_THREADS})
fn main(@builtin(local_invocation_index) lid : u32,
        @builtin(workgroup_id) wid : vec3<u32>,
        @builtin(num_workgroups) nwg : vec3<u32>) {
  let g = wid.y * nwg.x + wid.x;
  if (g >= u.tiles * u.splits) {
    return;  // uniform per workgroup: the overshoot of the 2-D fold
  }
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
    let i = i0 + ty + 8u * r;
    for (var c = 0u; c < 4u; c++) {
      let j = j0 + tx + 8u * c;
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
export class SplitKReduceProgram implements FusedProgram {
  readonly key = 'matMulAccumulate_splitKReduce';
  readonly workgroupSize = SCALE_WG;

  getCode(): string {
    return `
struct Uniforms { M : u32, P : u32, rowOffset : u32, splits : u32, };
@group(0) @binding(0) var<storage, read_write> acc : array<f32>;
@group(0) @binding(1) var<storage, read> scratch : array<f32>;
@group(0) @binding(2) var<uniform> u : Uniforms;

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

export class ScaleInPlaceProgram implements FusedProgram {
  readonly key: string;
  readonly workgroupSize = SCALE_WG;

  constructor(readonly scaleType: StorageType) {
    this.key = `scaleInPlace_${scaleType}`;
  }

  getCode(): string {
    return `
struct Uniforms { size : u32, };
@group(0) @binding(0) var<storage, read_write> x : array<f32>;
@group(0) @binding(1) var<storage, read> s : array<${this.scaleType}>;
@group(0) @binding(2) var<uniform> u : Uniforms;

${flatEntrySnippet(SCALE_WG)}
  if (e < u.size) {
    x[e] = x[e] * f32(s[0]);
  }
}
`;
  }
}

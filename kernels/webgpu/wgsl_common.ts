/**
 * WGSL building blocks shared by the fused programs: vector-width helpers,
 * stable math (log1p, softplus, sigmoid), the online log-sum-exp combine and
 * the team reductions (workgroup-memory tree or subgroup operations).
 *
 * Conventions of every module built from these pieces:
 *  - `V` is the element type (`f32`, or `vec4<f32>` where C % 4 == 0);
 *  - the uniform struct has `negInf` and `nan` fields (WGSL constant
 *    expressions cannot produce non-finite values);
 *  - private `lid` (local index) and `lane` (index inside the row's team) are
 *    set first thing in `main`.
 */

/**
 * WGSL of a workgroup-memory tree reduction of a vec3 state over a team of
 * TEAM lanes (redA/redB/redC scratch, `lid`, `lane` in scope), combining with
 * the WGSL function `combine`; every lane gets the team's result. Shared by the
 * softmax (lseCombine) and focal (lseRCombine) row passes.
 */
function teamReduce3(name: string, combine: string): string {
  return `fn ${name}(v : vec3<f32>) -> vec3<f32> {
  redA[lid] = v.x;
  redB[lid] = v.y;
  redC[lid] = v.z;
  workgroupBarrier();
  for (var stride = TEAM / 2u; stride > 0u; stride /= 2u) {
    if (lane < stride) {
      let r = ${combine}(vec3<f32>(redA[lid], redB[lid], redC[lid]),
                         vec3<f32>(redA[lid + stride], redB[lid + stride], redC[lid + stride]));
      redA[lid] = r.x;
      redB[lid] = r.y;
      redC[lid] = r.z;
    }
    workgroupBarrier();
  }
  let r = vec3<f32>(redA[lid - lane], redB[lid - lane], redC[lid - lane]);
  workgroupBarrier();
  return r;
}`;
}

/** Storage element type of a buffer of scalar type `type` read `vec` at a time. */
export function storage(vec: 1 | 4, type: string): string {
  return vec === 4 ? `vec4<${type}>` : type;
}

/**
 * Element type and width helpers for a vector width of 1 or 4, and NaN tests
 * on the bits: compilers may assume no NaN in float compares, min/max and
 * exp (SwiftShader returns exp(NaN) = +Inf), so NaN is tested and written
 * explicitly wherever it must come out.
 */
export function vecSnippet(vec: 1 | 4): string {
  return `
fn isNanF(x : f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }` + vecOnly(vec);
}

function vecOnly(vec: 1 | 4): string {
  if (vec === 4) {
    return `
alias V = vec4<f32>;
alias B = vec4<bool>;
const VEC = 4u;
fn isNanV(v : V) -> B { return (bitcast<vec4<u32>>(v) & vec4<u32>(0x7fffffffu)) > vec4<u32>(0x7f800000u); }
fn comp(v : V, k : u32) -> f32 { return v[k]; }
fn hsum(v : V) -> f32 { return (v.x + v.y) + (v.z + v.w); }
fn colsOf(c : u32) -> vec4<u32> { return vec4<u32>(c) + vec4<u32>(0u, 1u, 2u, 3u); }
fn indicator(c : u32, t : u32) -> V { return select(V(0.0), V(1.0), colsOf(c) == vec4<u32>(t)); }`;
  }
  return `
alias V = f32;
alias B = bool;
const VEC = 1u;
fn isNanV(v : V) -> B { return isNanF(v); }
fn comp(v : V, k : u32) -> f32 { return v; }
fn hsum(v : V) -> f32 { return v; }
fn indicator(c : u32, t : u32) -> V { return select(0.0, 1.0, c == t); }`;
}

/**
 * WGSL of log1p as `name` on `type` (V or f32): the series to x⁹ where |x| < 1/8
 * and Goldberg's log(w)·x/(w − 1), w = 1 + x, elsewhere (mathSnippet says why).
 */
function log1pFn(name: string, type: string): string {
  const c = (v: string) => `${type}(${v})`;
  return `fn ${name}(x : ${type}) -> ${type} {
  let series = x * (${c('1.0')} + x * (${c('-0.5')} + x * (${c('1.0 / 3.0')} + x * (${c('-0.25')} + x * (${c('0.2')} +
               x * (${c('-1.0 / 6.0')} + x * (${c('1.0 / 7.0')} + x * (${c('-0.125')} + x * ${c('1.0 / 9.0')}))))))));
  let w = ${c('1.0')} + x;
  return select(select(log(w) * (x / (w - ${c('1.0')})), x, w == ${c('1.0')}), series, abs(x) < ${c('0.125')});
}`;
}

/**
 * Stable elementwise math on V. WGSL has no log1p: `log1pV` takes its series
 * to x⁹ where |x| < 1/8 (truncation below 2e-9 relative) and Goldberg's trick
 * (log(w)·x/(w − 1) with w = 1 + x, exact where w rounds to 1) elsewhere.
 * Goldberg alone needs a log accurate relative to log(w) near 1, and Vulkan
 * asks only 2⁻²¹ absolute there (SwiftShader: about 6e-8): 1.9e-4 relative at
 * x = 2.6e-4, the sigmoid loss of a confident logit at |x| = 8.25. From 1/8 on,
 * 2⁻²¹ is under 5e-6 of log(w). `sigmoidV` never overflows; NaN in gives NaN
 * out everywhere.
 */
export const mathSnippet = `
${log1pFn('log1pV', 'V')}
fn softplusV(v : V) -> V {
  return max(v, V(0.0)) + log1pV(exp(-abs(v)));
}
fn sigmoidV(x : V) -> V {
  let e = exp(-abs(x));
  return select(e / (V(1.0) + e), V(1.0) / (V(1.0) + e), x >= V(0.0));
}`;

/**
 * Online log-sum-exp state (m, s, n): m the running max, s = Σ exp(z − m), n
 * the count of NaN logits seen (tested on the bits, see vecSnippet).
 * `scaleTo` rescales s from max `mFrom` to max `mTo`; equal maxima (both −∞
 * for a row of −∞, or both +∞) are left unscaled instead of giving exp(NaN).
 * m never sees a NaN (it only moves on `z > m` for non-NaN z), so no max()
 * has to order one.
 */
export const lseSnippet = `
fn scaleTo(s : f32, mFrom : f32, mTo : f32) -> f32 {
  return select(s * exp(mFrom - mTo), s, mFrom == mTo);
}
fn lseCombine(a : vec3<f32>, b : vec3<f32>) -> vec3<f32> {
  let m = max(a.x, b.x);
  return vec3<f32>(m, scaleTo(a.y, a.x, m) + scaleTo(b.y, b.x, m), a.z + b.z);
}
fn lsePush(st : vec3<f32>, z : f32) -> vec3<f32> {
  if (isNanF(z)) {
    return vec3<f32>(st.x, st.y, st.z + 1.0);
  }
  if (z > st.x) {
    return vec3<f32>(z, st.y * exp(st.x - z) + 1.0, st.z);
  }
  if (z != u.negInf) {
    return vec3<f32>(st.x, st.y + exp(z - st.x), st.z);
  }
  return st;
}
fn lseOf(st : vec3<f32>) -> f32 {
  return select(st.x + log(st.y), u.nan, st.z != 0.0);
}`;

/**
 * The online log-sum-exp state (m, s, n) of lseSnippet over raw logits x with
 * z = x·lseScale (lseScale = 1/T, a private the program sets before its first
 * push): m the running max of x (an exact float32 logit), s = Σ exp((x − m)·lseScale),
 * n the NaN count. Same function names as lseSnippet (the team reductions call
 * lseCombine), so a program includes one of the two. The softmax kernels save
 * (m, s) per row, not lse = m/T + log s, which float32 would round by up to
 * ½ ulp(|lse|) (FORMULAS.md, "Precision"). `lseSum(st)` is s, NaN when a NaN
 * or a +∞ logit was seen (a +∞ row is NaN, FORMULAS.md).
 */
export const lseScaledSnippet = `
var<private> lseScale : f32;
fn scaleTo(s : f32, mFrom : f32, mTo : f32) -> f32 {
  return select(s * exp((mFrom - mTo) * lseScale), s, mFrom == mTo);
}
fn lseCombine(a : vec3<f32>, b : vec3<f32>) -> vec3<f32> {
  let m = max(a.x, b.x);
  return vec3<f32>(m, scaleTo(a.y, a.x, m) + scaleTo(b.y, b.x, m), a.z + b.z);
}
fn lsePush(st : vec3<f32>, x : f32) -> vec3<f32> {
  if (isNanF(x)) {
    return vec3<f32>(st.x, st.y, st.z + 1.0);
  }
  if (x > st.x) {
    return vec3<f32>(x, st.y * exp((st.x - x) * lseScale) + 1.0, st.z);
  }
  if (x != u.negInf) {
    return vec3<f32>(st.x, st.y + exp((x - st.x) * lseScale), st.z);
  }
  return st;
}
fn lseSum(st : vec3<f32>) -> f32 {
  return select(st.y, u.nan, st.z != 0.0 || st.x == -u.negInf);
}`;

/**
 * Team reductions `teamLse(vec3(m, s, n)) -> vec3(m, s, n)` and `teamSum(f32) -> f32`:
 * every lane of a team gets the team's result.
 *  - team 1: identity (one thread per row);
 *  - subgroups (team = workgroup): subgroupMax/subgroupAdd inside each
 *    subgroup, partials through workgroup memory, then every subgroup reduces
 *    the partials itself (no broadcast round). Assumes subgroups are
 *    consecutive ranges of local_invocation_index, as on every implementation
 *    we know of; a subgroup wider than the workgroup (128 lanes, 64 threads)
 *    is one partial;
 *  - otherwise a workgroup-memory tree over the team's slice.
 */
export function reductionSnippet(wg: number, team: number, subgroups: boolean): string {
  if (team === 1) {
    return `
fn teamLse(v : vec3<f32>) -> vec3<f32> { return v; }
fn teamSum(v : f32) -> f32 { return v; }`;
  }
  const shared = `
var<workgroup> redA : array<f32, ${wg}>;
var<workgroup> redB : array<f32, ${wg}>;
var<workgroup> redC : array<f32, ${wg}>;`;
  if (subgroups) {
    if (team !== wg) {
      throw new Error('subgroup reductions need one row per workgroup');
    }
    return `${shared}
fn teamLse(v : vec3<f32>) -> vec3<f32> {
  let m = subgroupMax(v.x);
  let s = subgroupAdd(scaleTo(v.y, v.x, m));
  let n = subgroupAdd(v.z);
  if (sgLane == 0u) {
    redA[lid / sgSize] = m;
    redB[lid / sgSize] = s;
    redC[lid / sgSize] = n;
  }
  workgroupBarrier();
  var acc = vec3<f32>(u.negInf, 0.0, 0.0);
  for (var i = sgLane; i < (WG + sgSize - 1u) / sgSize; i += sgSize) {
    acc = lseCombine(acc, vec3<f32>(redA[i], redB[i], redC[i]));
  }
  let mAll = subgroupMax(acc.x);
  let sAll = subgroupAdd(scaleTo(acc.y, acc.x, mAll));
  let nAll = subgroupAdd(acc.z);
  workgroupBarrier();
  return vec3<f32>(mAll, sAll, nAll);
}
fn teamSum(v : f32) -> f32 {
  let s = subgroupAdd(v);
  if (sgLane == 0u) {
    redA[lid / sgSize] = s;
  }
  workgroupBarrier();
  var acc = 0.0;
  for (var i = sgLane; i < (WG + sgSize - 1u) / sgSize; i += sgSize) {
    acc += redA[i];
  }
  let sAll = subgroupAdd(acc);
  workgroupBarrier();
  return sAll;
}`;
  }
  return `${shared}
${teamReduce3('teamLse', 'lseCombine')}
fn teamSum(v : f32) -> f32 {
  redA[lid] = v;
  workgroupBarrier();
  for (var stride = TEAM / 2u; stride > 0u; stride /= 2u) {
    if (lane < stride) {
      redA[lid] += redA[lid + stride];
    }
    workgroupBarrier();
  }
  let r = redA[lid - lane];
  workgroupBarrier();
  return r;
}`;
}

/** `enable` line, private per-invocation state and the entry-point header. */
export function entrySnippet(wg: number, subgroups: boolean): {enable: string, privates: string, header: string, init: string} {
  return {
    enable: subgroups ? 'enable subgroups;' : '',
    privates: `
var<private> lid : u32;
var<private> lane : u32;${subgroups ? `
var<private> sgSize : u32;
var<private> sgLane : u32;` : ''}`,
    header: `
@compute @workgroup_size(${wg})
fn main(@builtin(local_invocation_index) localIndex : u32,
        @builtin(workgroup_id) wid : vec3<u32>,
        @builtin(num_workgroups) nwg : vec3<u32>${subgroups ? `,
        @builtin(subgroup_size) subgroupSize : u32,
        @builtin(subgroup_invocation_id) subgroupLane : u32` : ''})`,
    init: `
  lid = localIndex;
  lane = localIndex % TEAM;${subgroups ? `
  sgSize = subgroupSize;
  sgLane = subgroupLane;` : ''}
  let group = wid.y * nwg.x + wid.x;`,
  };
}

/**
 * Entry point of a program with one thread per element, opened up to its
 * first statement: `let e` is the element's flat index over launch.ts's 2-D
 * grid of `wg`-thread workgroups (the caller closes the function).
 */
export function flatEntrySnippet(wg: number): string {
  return `@compute @workgroup_size(${wg})
fn main(@builtin(local_invocation_index) lid : u32,
        @builtin(workgroup_id) wid : vec3<u32>,
        @builtin(num_workgroups) nwg : vec3<u32>) {
  let e = (wid.y * nwg.x + wid.x) * ${wg}u + lid;`;
}

/**
 * Entry point of a program with one workgroup per item (a tile, a tile of a
 * slice), opened up to its first statement: `let g` is the workgroup's flat
 * index over launch.ts's 2-D grid, and workgroups past `count` (a WGSL
 * expression; the overshoot of the fold) return at once, uniformly, before
 * any barrier. `lid` is the thread's index in the workgroup.
 */
export function workgroupEntrySnippet(wg: number, count: string): string {
  return `@compute @workgroup_size(${wg})
fn main(@builtin(local_invocation_index) lid : u32,
        @builtin(workgroup_id) wid : vec3<u32>,
        @builtin(num_workgroups) nwg : vec3<u32>) {
  let g = wid.y * nwg.x + wid.x;
  if (g >= ${count}) {
    return;  // uniform per workgroup: the overshoot of the 2-D fold
  }`;
}

/** `weightV(c4)` / `weight(c)`: per-class weights from a buffer, or 1. */
export function weightSnippet(binding: number | null, name = 'classWeights'): string {
  if (binding == null) {
    return `
fn weightV(c4 : u32) -> V { return V(1.0); }
fn weight(c : u32) -> f32 { return 1.0; }`;
  }
  return `
@group(0) @binding(${binding}) var<storage, read> ${name} : array<V>;
fn weightV(c4 : u32) -> V { return ${name}[c4]; }
fn weight(c : u32) -> f32 { return comp(${name}[c / VEC], c % VEC); }`;
}

/**
 * Scalar log1p (the series and Goldberg's trick, as log1pV) and the online log-sum-exp in the
 * "r form" (m, r, n) over raw logits x with z = x·lseScale (lseScale = 1/T, a
 * private set first thing in main): m the running max of x, r = Σ exp(z − m/T)
 * − 1, i.e. the sum without the max's own term 1, n the NaN count. The max is
 * kept unscaled so that the max's own z − m/T = (x − m)·lseScale is exactly 0
 * wherever it is computed (x/T written twice may compile to two roundings,
 * e.g. one contracted into an FMA: seen on an NVIDIA H200, where C = 1 gave a
 * loss of 7e-12 instead of 0). Unlike s = 1 + r, r keeps
 * its relative accuracy when the max dominates the row (p_max → 1), so that
 * 1 − p_max = r / (1 + r) and −log p_max = log1p(r) are exact to rounding; the
 * focal kernels need both (q^γ with q = 1 − p amplifies any error of q).
 *  - push z > m: r ← (1 + r)·exp(m − z) (the old max joins the sum; an empty
 *    state has m = −∞, r = −1, so this gives 0); z = m: r ← r + 1 (exact,
 *    never exp(m − m), which is NaN for m = ±∞);
 *  - combine: `lseRPart(a, m)` is a's share relative to the common max m
 *    without its own max term; the result adds (number of parts at m) − 1, an
 *    exact small integer;
 *  - lse = m·lseScale + log1p(r) (−∞ for a row of −∞; NaN when n > 0).
 */
export const lseRSnippet = `
var<private> lseScale : f32;
${log1pFn('log1pF', 'f32')}
fn lseRPush(st : vec3<f32>, x : f32) -> vec3<f32> {
  if (isNanF(x)) {
    return vec3<f32>(st.x, st.y, st.z + 1.0);
  }
  if (x > st.x) {
    return vec3<f32>(x, (1.0 + st.y) * exp((st.x - x) * lseScale), st.z);
  }
  if (x == st.x) {
    return select(vec3<f32>(st.x, st.y + 1.0, st.z), st, x == u.negInf);
  }
  if (x != u.negInf) {
    return vec3<f32>(st.x, st.y + exp((x - st.x) * lseScale), st.z);
  }
  return st;
}
fn lseRPart(a : vec3<f32>, m : f32) -> f32 {
  return select((1.0 + a.y) * exp((a.x - m) * lseScale), a.y, a.x == m);
}
fn lseRAtMax(a : vec3<f32>, m : f32) -> f32 {
  return select(0.0, 1.0, a.x == m);
}
fn lseRCombine(a : vec3<f32>, b : vec3<f32>) -> vec3<f32> {
  let m = max(a.x, b.x);
  return vec3<f32>(m, lseRPart(a, m) + lseRPart(b, m) + (lseRAtMax(a, m) + lseRAtMax(b, m) - 1.0), a.z + b.z);
}
fn lseREmpty() -> vec3<f32> {
  return vec3<f32>(u.negInf, -1.0, 0.0);
}`;

/**
 * Team reductions for the r-form lse and for two sums at once:
 * `teamLseR(vec3(m, r, n)) -> vec3(m, r, n)` and `teamSum2(vec2) -> vec2`,
 * with the same three layouts as `reductionSnippet` (which must be included
 * too: these reuse its workgroup arrays redA, redB, redC). One reduction of a
 * vec2 costs the barriers of one (SwiftShader: barriers dominate, see
 * row_layout.ts).
 */
export function reductionRSnippet(team: number, subgroups: boolean): string {
  if (team === 1) {
    return `
fn teamLseR(v : vec3<f32>) -> vec3<f32> { return v; }
fn teamSum2(v : vec2<f32>) -> vec2<f32> { return v; }`;
  }
  if (subgroups) {
    return `
fn subgroupLseR(v : vec3<f32>) -> vec3<f32> {
  let m = subgroupMax(v.x);
  let parts = subgroupAdd(vec2<f32>(lseRPart(v, m), lseRAtMax(v, m)));
  return vec3<f32>(m, parts.x + (parts.y - 1.0), subgroupAdd(v.z));
}
fn teamLseR(v : vec3<f32>) -> vec3<f32> {
  let s = subgroupLseR(v);
  if (sgLane == 0u) {
    redA[lid / sgSize] = s.x;
    redB[lid / sgSize] = s.y;
    redC[lid / sgSize] = s.z;
  }
  workgroupBarrier();
  var acc = lseREmpty();
  for (var i = sgLane; i < (WG + sgSize - 1u) / sgSize; i += sgSize) {
    acc = lseRCombine(acc, vec3<f32>(redA[i], redB[i], redC[i]));
  }
  let all = subgroupLseR(acc);
  workgroupBarrier();
  return all;
}
fn teamSum2(v : vec2<f32>) -> vec2<f32> {
  let s = subgroupAdd(v);
  if (sgLane == 0u) {
    redA[lid / sgSize] = s.x;
    redB[lid / sgSize] = s.y;
  }
  workgroupBarrier();
  var acc = vec2<f32>(0.0);
  for (var i = sgLane; i < (WG + sgSize - 1u) / sgSize; i += sgSize) {
    acc += vec2<f32>(redA[i], redB[i]);
  }
  let all = subgroupAdd(acc);
  workgroupBarrier();
  return all;
}`;
  }
  return `
${teamReduce3('teamLseR', 'lseRCombine')}
fn teamSum2(v : vec2<f32>) -> vec2<f32> {
  redA[lid] = v.x;
  redB[lid] = v.y;
  workgroupBarrier();
  for (var stride = TEAM / 2u; stride > 0u; stride /= 2u) {
    if (lane < stride) {
      redA[lid] += redA[lid + stride];
      redB[lid] += redB[lid + stride];
    }
    workgroupBarrier();
  }
  let r = vec2<f32>(redA[lid - lane], redB[lid - lane]);
  workgroupBarrier();
  return r;
}`;
}

/** One storage buffer of a binding block: name, WGSL type (`array<f32>`) and whether the program writes it. */
export interface BufferBinding {
  name: string;
  type: string;
  write?: boolean;
}

/** `array<T>`. */
export function arrayOf(elementType: string): string {
  return `array<${elementType}>`;
}

/**
 * The binding block of every program here, in the order the host binds
 * them (launch.ts: outputs, then inputs): the buffers numbered from 0 (null
 * entries are left out), then, with `weights`, the slot of the per-class
 * weight buffer (declared by `weightSnippet(weightBinding)`), then the
 * uniforms.
 */
export function bindingBlock(buffers: ReadonlyArray<BufferBinding | null>, weights = false): {code: string, weightBinding: number | null} {
  const lines: string[] = [];
  let b = 0;
  for (const buf of buffers) {
    if (buf != null) {
      lines.push(`@group(0) @binding(${b++}) var<storage, ${buf.write ? 'read_write' : 'read'}> ${buf.name} : ${buf.type};`);
    }
  }
  const weightBinding = weights ? b++ : null;
  lines.push(`@group(0) @binding(${b}) var<uniform> u : Uniforms;`);
  return {code: '\n' + lines.join('\n'), weightBinding};
}

/**
 * The opening every row program shares (softmax and focal, forward and
 * backward): the `enable` directive, the uniforms, the team constants, the
 * vector helpers, the binding block (`bindingBlock`), the per-class weight
 * buffer, the entry's privates, an online log-sum-exp (`lse`: lseScaledSnippet
 * or lseSnippet) and its team reductions; `logitAt(row, c)` reads one logit.
 */
export function rowProgramPrelude(v: {wg: number, team: number, vec: 1 | 4, subgroups: boolean}, uniforms: string,
                                  bindings: string, weightBinding: number | null, weightName?: string,
                                  lse = lseScaledSnippet): string {
  const e = entrySnippet(v.wg, v.subgroups);
  return `${e.enable}
${uniforms}
const WG = ${v.wg}u;
const TEAM = ${v.team}u;
const ROWS_PER_WG = WG / TEAM;
${vecSnippet(v.vec)}
${bindings}
${weightSnippet(weightBinding, weightName)}
${e.privates}
${lse}
${reductionSnippet(v.wg, v.team, v.subgroups)}
fn logitAt(row : u32, c : u32) -> f32 {
  return comp(V(logits[row * (u.cols / VEC) + c / VEC]), c % VEC);
}`;
}

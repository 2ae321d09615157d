/**
 * Elementwise WGSL programs of the softmax cross-entropy backward: sparse
 * w.r.t. logits, and dense w.r.t. labels. One thread per element (a vec4 of
 * four where C % 4 == 0; a vec4 then never straddles two rows), reading the
 * logits, the label (or label row), and the per-row lse and dy. The dense
 * backward w.r.t. logits needs a row sum of the labels first and lives with
 * the row programs in softmax_cross_entropy_webgpu.ts. Formulas:
 * kernels/FORMULAS.md.
 */
import {FusedProgram, StorageType} from './launch';
import {SOFTMAX_UNIFORMS} from './softmax_cross_entropy_webgpu';
import {entrySnippet, storage, vecSnippet, weightSnippet} from './wgsl_common';

/** Threads per workgroup of the elementwise programs (see ELEMENTWISE_WG in SoftmaxCrossEntropyGrad.ts). */
export interface ElementwiseVariant {
  wg: number;
  vec: 1 | 4;
  weights: boolean;
}

export function elementwiseKey(v: ElementwiseVariant): string {
  return `wg${v.wg}_vec${v.vec}${v.weights ? '_w' : ''}`;
}

/** Entry point plus `e` (vector index), `row`, `col` (first column of the vector); exits past the end. */
export function elementwisePrologue(wg: number, size: string): string {
  const e = entrySnippet(wg, false);
  return `${e.header} {${e.init}
  let e = group * WG + localIndex;
  if (e >= ${size}) {
    return;
  }
  let row = (e * VEC) / u.cols;
  let col = e * VEC - row * u.cols;`;
}

export function elementwiseHeader(v: ElementwiseVariant, uniforms: string, bindings: string, weightBinding: number | null, weightName?: string): string {
  return `${uniforms}
const WG = ${v.wg}u;
const TEAM = 1u;
${vecSnippet(v.vec)}
${bindings}
${weightSnippet(weightBinding, weightName)}
${entrySnippet(v.wg, false).privates}`;
}

/** Sparse backward w.r.t. logits: dx = dy/T·((W + 2λ·lse)·p − w·ŷ), W = (1 − ε)·w[t] + ε/C·Σw. */
export class SparseSoftmaxCrossEntropyGradProgram implements FusedProgram {
  readonly key: string;
  readonly workgroupSize: number;

  /**
   * `types`: WGSL scalar type of each input buffer (logits, labels, lse, dy).
   * `inPlace`: the logits are binding 0 itself (read_write, f32), read and
   * then overwritten by the thread that owns each element (no race; WebGPU
   * forbids binding one buffer both read-only and writable in a dispatch), and
   * the inputs are (labels, lse, dy).
   */
  constructor(readonly variant: ElementwiseVariant, readonly types: readonly StorageType[], readonly inPlace = false) {
    this.key = `softmaxCEGrad_sparse_${elementwiseKey(variant)}_${types.join('')}${inPlace ? '_inPlace' : ''}`;
    this.workgroupSize = variant.wg;
  }

  getCode(): string {
    const v = this.variant;
    const first = this.inPlace ? 1 : 2;  // binding of the labels
    const logitsBinding = this.inPlace ? '' :
        `@group(0) @binding(1) var<storage, read> logits : array<${storage(v.vec, this.types[0])}>;`;
    const bindings = `
@group(0) @binding(0) var<storage, read_write> dx : array<V>;
${logitsBinding}
@group(0) @binding(${first}) var<storage, read> labels : array<i32>;
@group(0) @binding(${first + 1}) var<storage, read> lseIn : array<${this.types[this.types.length - 2]}>;
@group(0) @binding(${first + 2}) var<storage, read> dy : array<${this.types[this.types.length - 1]}>;
@group(0) @binding(${first + (v.weights ? 4 : 3)}) var<uniform> u : Uniforms;`;
    const logitAt = this.inPlace ? 'dx[e]' : 'logits[e]';
    return `${elementwiseHeader(v, SOFTMAX_UNIFORMS, bindings, v.weights ? first + 3 : null)}
${elementwisePrologue(v.wg, 'u.rows * (u.cols / VEC)')}
  let t = labels[row];
  if (u.hasIgnore != 0u && t == u.ignoreIndex) {
    dx[e] = V(0.0);
    return;
  }
  if (t < 0 || t >= i32(u.cols)) {
    dx[e] = V(u.nan);
    return;
  }
  let tu = u32(t);
  let T = u.temperature;
  let eps = u.smoothing;
  let spread = eps / f32(u.cols);
  let lse = f32(lseIn[row]);
  var scale = (1.0 - eps) * weight(tu) + spread * u.sumWeights;
  if (u.zLoss != 0.0) {
    scale += 2.0 * u.zLoss * lse;
  }
  let z = V(${logitAt}) / V(T);
  let yh = (1.0 - eps) * indicator(col, tu) + V(spread);
  let grad = f32(dy[row]) / T * (scale * exp(z - V(lse)) - weightV(col / VEC) * yh);
  dx[e] = select(grad, V(u.nan), isNanV(z) | B(isNanF(lse)));
}
`;
  }
}

/** Dense backward w.r.t. labels: dlabels = dy·(1 − ε)·w·(lse − z). */
export class SoftmaxCrossEntropyLabelsGradProgram implements FusedProgram {
  readonly key: string;
  readonly workgroupSize: number;

  /** `types`: WGSL scalar type of each input buffer (logits, lse, dy). */
  constructor(readonly variant: ElementwiseVariant, readonly types: readonly StorageType[]) {
    this.key = `softmaxCEGrad_labels_${elementwiseKey(variant)}_${types.join('')}`;
    this.workgroupSize = variant.wg;
  }

  getCode(): string {
    const v = this.variant;
    const bindings = `
@group(0) @binding(0) var<storage, read_write> dlabels : array<V>;
@group(0) @binding(1) var<storage, read> logits : array<${storage(v.vec, this.types[0])}>;
@group(0) @binding(2) var<storage, read> lseIn : array<${this.types[this.types.length - 2]}>;
@group(0) @binding(3) var<storage, read> dy : array<${this.types[this.types.length - 1]}>;
@group(0) @binding(${v.weights ? 5 : 4}) var<uniform> u : Uniforms;`;
    return `${elementwiseHeader(v, SOFTMAX_UNIFORMS, bindings, v.weights ? 4 : null)}
${elementwisePrologue(v.wg, 'u.rows * (u.cols / VEC)')}
  let lse = f32(lseIn[row]);
  dlabels[e] = f32(dy[row]) * (1.0 - u.smoothing) * weightV(col / VEC) * (V(lse) - V(logits[e]) / V(u.temperature));
}
`;
  }
}

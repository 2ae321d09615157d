/**
 * What the elementwise WGSL programs share (sigmoid, binary focal, the
 * focal apply pass, the softmax backward's sparse and labels programs): the
 * variant (workgroup size, vec4 or scalar, class weights) and its key, the
 * program header and prologue (one thread per element or vec4: `e`, `row`,
 * `col`), and how a backward reads dy (DyMode).
 */
import {StorageType} from './launch';
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

/**
 * How a backward program reads dy (kernels/FORMULAS.md, "Fused reductions"):
 * 'none' dy[e] ([rows, C], vectorised like the logits), 'rows' dy[row]
 * ([rows], broadcast along C), 'all' dy[0].
 */
export type DyMode = 'none' | 'rows' | 'all';

/** The WGSL binding of dy and the expression of the element's (vector's) upstream value. */
export function dyAccess(mode: DyMode, vec: 1 | 4, type: StorageType): {binding: string, value: string} {
  if (mode === 'none') {
    return {binding: `array<${storage(vec, type)}>`, value: 'V(dy[e])'};
  }
  return {binding: `array<${type}>`, value: `V(f32(dy[${mode === 'rows' ? 'row' : '0'}]))`};
}

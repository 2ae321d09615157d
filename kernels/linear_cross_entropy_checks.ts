/**
 * Argument checks shared by every backend's kernels of linearSoftmaxCrossEntropy:
 * the in-place MatMulAccumulate, ScaleInPlace and
 * SparseSoftmaxCrossEntropyGradInPlace (checkInPlaceTarget: the aliasing rule
 * in kernel_names.ts) and the fused LinearSparseSoftmaxCrossEntropy.
 */
import type {TensorInfo} from '@tensorflow/tfjs-core';
import {LinearSparseSoftmaxCrossEntropy, LinearSparseSoftmaxCrossEntropyInputs, MatMulAccumulate, MatMulAccumulateAttrs} from './kernel_names';

/** The loop bounds of acc[rowOffset + i, j] += Σ_k A(i,k)·B(k,j). */
export interface MatMulAccumulateShape {
  /** Rows of the product (and of the written block of acc). */
  M: number;
  /** Inner size. */
  K: number;
  /** Columns of the product = row length of acc. */
  P: number;
  transposeA: boolean;
  transposeB: boolean;
  /** First row of acc that receives row 0 of the product. */
  rowOffset: number;
}

/**
 * Checks an in-place target: float32, not one of the other inputs, and (when
 * the backend reports reference counts) referenced by exactly one tensor, so
 * that writing into it cannot change a tensor anyone else holds.
 */
export function checkInPlaceTarget(kernel: string, target: TensorInfo, others: TensorInfo[], refCount: number | null): void {
  if (target.dtype !== 'float32') {
    throw new Error(`${kernel}: the in-place target must be float32, got ${target.dtype}`);
  }
  if (others.some(t => t.dataId === target.dataId)) {
    throw new Error(`${kernel}: the in-place target is also a read-only input`);
  }
  if (refCount != null && refCount !== 1) {
    throw new Error(`${kernel}: the in-place target's buffer has ${refCount} references; ` +
        'it must be private to the caller (see kernel_names.ts)');
  }
}

/** Validates shapes and attributes of MatMulAccumulate; returns its loop bounds. */
export function matMulAccumulateShape(acc: TensorInfo, a: TensorInfo, b: TensorInfo, attrs: MatMulAccumulateAttrs): MatMulAccumulateShape {
  const {transposeA, transposeB, rowOffset} = attrs;
  const ok = acc.shape.length === 2 && a.shape.length === 2 && b.shape.length === 2;
  if (!ok) {
    throw new Error(`${MatMulAccumulate}: acc, a, b must be 2-D, got [${acc.shape}], [${a.shape}], [${b.shape}]`);
  }
  const [M, K] = transposeA ? [a.shape[1], a.shape[0]] : a.shape;
  const [KB, P] = transposeB ? [b.shape[1], b.shape[0]] : b.shape;
  if (K !== KB || acc.shape[1] !== P || !Number.isInteger(rowOffset) || rowOffset < 0 || rowOffset + M > acc.shape[0]) {
    throw new Error(`${MatMulAccumulate}: shapes do not fit: acc [${acc.shape}], a [${a.shape}]${transposeA ? 'ᵀ' : ''}, ` +
        `b [${b.shape}]${transposeB ? 'ᵀ' : ''}, rowOffset ${rowOffset}`);
  }
  if (a.dtype !== 'float32' || b.dtype !== 'float32') {
    throw new Error(`${MatMulAccumulate}: a and b must be float32, got ${a.dtype} and ${b.dtype}`);
  }
  return {M, K, P, transposeA, transposeB, rowOffset};
}

/** Validates the inputs of LinearSparseSoftmaxCrossEntropy; returns N, H, V. */
export function linearCrossEntropyShape(inputs: LinearSparseSoftmaxCrossEntropyInputs, layout: 'VH' | 'HV'): {N: number, H: number, V: number} {
  const {hidden, weight, labels, bias} = inputs;
  const k = LinearSparseSoftmaxCrossEntropy;
  if (hidden.shape.length !== 2 || weight.shape.length !== 2 || labels.shape.length !== 1) {
    throw new Error(`${k}: hidden and weight must be 2-D and labels 1-D, got [${hidden.shape}], [${weight.shape}], [${labels.shape}]`);
  }
  const [N, H] = hidden.shape;
  const [V, HW] = layout === 'VH' ? weight.shape : [weight.shape[1], weight.shape[0]];
  if (HW !== H || labels.shape[0] !== N || (bias != null && (bias.shape.length !== 1 || bias.shape[0] !== V))) {
    throw new Error(`${k}: shapes do not fit: hidden [${hidden.shape}], weight [${weight.shape}] (${layout}), ` +
        `labels [${labels.shape}]${bias == null ? '' : `, bias [${bias.shape}]`}`);
  }
  if (hidden.dtype !== 'float32' || weight.dtype !== 'float32' || (bias != null && bias.dtype !== 'float32')) {
    throw new Error(`${k}: hidden, weight and bias must be float32`);
  }
  return {N, H, V};
}

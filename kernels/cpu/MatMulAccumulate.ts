/**
 * cpu in-place kernels of linearSoftmaxCrossEntropy (contract and aliasing
 * rule: kernels/kernel_names.ts): MatMulAccumulate (acc += A·B into acc's
 * Float32Array: the SIMD module, matmul_accumulate_simd.ts, or with
 * FUSED_CE_CPU_SIMD false the JavaScript loops, matmul_accumulate.ts) and
 * ScaleInPlace (x *= s).
 * Host work only: read the typed arrays, check, write, return acc's dataId with
 * one more reference (the output tensor), as tfjs-backend-cpu's reshape does.
 */
import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';
import {MatMulAccumulate, MatMulAccumulateAttrs, MatMulAccumulateInputs, ScaleInPlace, ScaleInPlaceInputs} from '../kernel_names';
import {checkInPlaceTarget, matMulAccumulateShape} from '../linear_cross_entropy_checks';
import {matMulAccumulate as accumulate} from './matmul_accumulate_simd';

/** The target's own Float32Array (a cast without copy could leave another array type: refused). */
function targetArray(backend: MathBackendCPU, t: TensorInfo, kernel: string): Float32Array {
  const values = backend.data.get(t.dataId).values;
  if (!(values instanceof Float32Array)) {
    throw new Error(`${kernel} (cpu): the in-place target is not backed by a Float32Array`);
  }
  return values;
}

/** The output: the target's dataId, one more reference. */
function alias(backend: MathBackendCPU, t: TensorInfo): TensorInfo {
  backend.incRef(t.dataId);
  return {dataId: t.dataId, shape: t.shape, dtype: t.dtype};
}

const matMulAccumulate: KernelFunc = ({inputs, backend, attrs}) => {
  const {acc, a, b} = inputs as MatMulAccumulateInputs;
  const cpu = backend as MathBackendCPU;
  const shape = matMulAccumulateShape(acc, a, b, attrs as unknown as MatMulAccumulateAttrs);
  checkInPlaceTarget(MatMulAccumulate, acc, [a, b], cpu.refCount(acc.dataId));
  const c = targetArray(cpu, acc, MatMulAccumulate);
  const get = (t: TensorInfo) => cpu.data.get(t.dataId).values as ArrayLike<number>;
  accumulate(c, get(a), get(b), shape);
  return alias(cpu, acc);
};

const scaleInPlace: KernelFunc = ({inputs, backend}) => {
  const {x, s} = inputs as ScaleInPlaceInputs;
  const cpu = backend as MathBackendCPU;
  checkInPlaceTarget(ScaleInPlace, x, [s], cpu.refCount(x.dataId));
  if (s.shape.reduce((p, d) => p * d, 1) !== 1) {
    throw new Error(`${ScaleInPlace}: s must have one element, got shape [${s.shape}]`);
  }
  const factor = (cpu.data.get(s.dataId).values as ArrayLike<number>)[0];
  if (factor !== 1) {
    const v = targetArray(cpu, x, ScaleInPlace);
    for (let i = 0; i < v.length; i++) {
      v[i] *= factor;
    }
  }
  return alias(cpu, x);
};

export const matMulAccumulateConfig: KernelConfig = {kernelName: MatMulAccumulate, backendName: 'cpu', kernelFunc: matMulAccumulate};
export const scaleInPlaceConfig: KernelConfig = {kernelName: ScaleInPlace, backendName: 'cpu', kernelFunc: scaleInPlace};

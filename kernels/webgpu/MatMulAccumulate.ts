/**
 * WebGPU in-place kernels of linearSoftmaxCrossEntropy (contract and aliasing
 * rule: kernels/kernel_names.ts): host work only. MatMulAccumulate and
 * ScaleInPlace bind their target as the `read_write` buffer of a program from
 * matmul_accumulate_webgpu.ts (launch.ts records the dispatch on tfjs's own
 * encoder), then return the target's dataId with one more reference, as
 * tfjs-backend-webgpu's reshape does. A copy of the values that tfjs cached on
 * the cpu side (after a read-back) would now be stale: it is dropped, so the
 * next read downloads the buffer.
 */
import {KernelConfig, KernelFunc} from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import {MatMulAccumulate, MatMulAccumulateAttrs, MatMulAccumulateInputs, ScaleInPlace, ScaleInPlaceInputs} from '../kernel_names';
import {checkInPlaceTarget, matMulAccumulateShape} from '../linear_cross_entropy_checks';
import {aliasInPlace as alias, disposeTemp, launch, makeOutput, storageType} from './launch';
import {MatMulAccumulateProgram, MM_TILE, SCALE_WG, ScaleInPlaceProgram, SplitKReduceProgram} from './matmul_accumulate_webgpu';
import {splitKPlan} from './split_k';

const matMulAccumulate: KernelFunc = ({inputs, backend, attrs}) => {
  const {acc, a, b} = inputs as MatMulAccumulateInputs;
  const webgpu = backend as WebGPUBackend;
  const {M, K, P, transposeA, transposeB, rowOffset} = matMulAccumulateShape(acc, a, b, attrs as unknown as MatMulAccumulateAttrs);
  checkInPlaceTarget(MatMulAccumulate, acc, [a, b], webgpu.refCount(acc.dataId));
  if (M === 0 || P === 0 || K === 0) {
    return alias(webgpu, acc);  // nothing to add
  }
  // A(i,k) = a[i·aRow + k·aCol], B(k,j) = b[k·bRow + j·bCol]
  const [aRow, aCol] = transposeA ? [1, M] : [K, 1];
  const [bRow, bCol] = transposeB ? [1, K] : [P, 1];
  const tilesP = Math.ceil(P / MM_TILE);
  const tiles = Math.ceil(M / MM_TILE) * tilesP;
  const {splits, kSlice} = splitKPlan(M, P, K);
  const types = [storageType(webgpu, a), storageType(webgpu, b)] as const;
  // vec4 staging where both inputs are float32 with their contiguous dimension a multiple of 4
  // (A: K, or M when transposed; B: P, or K when transposed).
  const aContiguous = transposeA ? M : K, bContiguous = transposeB ? K : P;
  const staging = types[0] === 'f32' && types[1] === 'f32' && aContiguous % 4 === 0 && bContiguous % 4 === 0 ?
      {aAlongK: !transposeA, bAlongJ: !transposeB} : null;
  const u = (data: number) => ({type: 'uint32' as const, data: [data] as [number]});
  const uniforms = [u(M), u(K), u(P), u(aRow), u(aCol), u(bRow), u(bCol), u(rowOffset), u(tilesP), u(tiles), u(kSlice), u(splits)];
  if (splits === 1) {
    launch(webgpu, new MatMulAccumulateProgram(types, false, staging), [acc], [a, b], uniforms, tiles);
    return alias(webgpu, acc);
  }
  // Partial products of the k slices, then their sum into acc (in order); the scratch is freed
  // once the queue that uses it is submitted (tfjs defers the release).
  const scratch = makeOutput(webgpu, [splits, M, P]);
  launch(webgpu, new MatMulAccumulateProgram(types, true, staging), [scratch], [a, b], uniforms, tiles * splits);
  launch(webgpu, new SplitKReduceProgram(), [acc], [scratch], [u(M), u(P), u(rowOffset), u(splits)], Math.ceil(M * P / SCALE_WG));
  disposeTemp(webgpu, scratch);
  return alias(webgpu, acc);
};

const scaleInPlace: KernelFunc = ({inputs, backend}) => {
  const {x, s} = inputs as ScaleInPlaceInputs;
  const webgpu = backend as WebGPUBackend;
  checkInPlaceTarget(ScaleInPlace, x, [s], webgpu.refCount(x.dataId));
  if (s.shape.reduce((p, d) => p * d, 1) !== 1) {
    throw new Error(`${ScaleInPlace}: s must have one element, got shape [${s.shape}]`);
  }
  const size = x.shape.reduce((p, d) => p * d, 1);
  if (size > 0) {
    launch(webgpu, new ScaleInPlaceProgram(storageType(webgpu, s)), [x], [s],
        [{type: 'uint32', data: [size]}], Math.ceil(size / SCALE_WG));
  }
  return alias(webgpu, x);
};

export const matMulAccumulateConfig: KernelConfig = {kernelName: MatMulAccumulate, backendName: 'webgpu', kernelFunc: matMulAccumulate};
export const scaleInPlaceConfig: KernelConfig = {kernelName: ScaleInPlace, backendName: 'webgpu', kernelFunc: scaleInPlace};

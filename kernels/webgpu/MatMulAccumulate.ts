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
import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import {MatMulAccumulate, MatMulAccumulateAttrs, MatMulAccumulateInputs, ScaleInPlace, ScaleInPlaceInputs} from '../kernel_names';
import {checkInPlaceTarget, matMulAccumulateShape} from '../in_place';
import {launch, storageType} from './launch';
import {MatMulAccumulateProgram, MM_TILE, SCALE_WG, ScaleInPlaceProgram} from './matmul_accumulate_webgpu';

interface TensorMap {tensorMap: {get(dataId: object): {values: unknown}}}

/** The output over the written buffer; the cpu-side cache of the old values (if any) is dropped. */
function alias(backend: WebGPUBackend, t: TensorInfo): TensorInfo {
  (backend as unknown as TensorMap).tensorMap.get(t.dataId).values = null;
  backend.incRef(t.dataId);
  return {dataId: t.dataId, shape: t.shape, dtype: t.dtype};
}

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
  const program = new MatMulAccumulateProgram([storageType(webgpu, a), storageType(webgpu, b)]);
  const u = (data: number) => ({type: 'uint32' as const, data: [data] as [number]});
  launch(webgpu, program, [acc], [a, b],
      [u(M), u(K), u(P), u(aRow), u(aCol), u(bRow), u(bCol), u(rowOffset), u(tilesP), u(tiles)], tiles);
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

/**
 * WebGPU backward kernels of softmax focal cross-entropy: host work only; the
 * WGSL is FocalRowProgram / FocalApplyProgram in focal_cross_entropy_webgpu.ts.
 *  - d/dlogits, one dispatch (default): one row program runs the lse pass, the
 *    row sums A and Bs and the dx sweep;
 *  - d/dlogits, split (few rows of many classes): a row program writes per-row
 *    stats (max, log1p(r), r/(1 + r), A + Bs) to a [rows, 4] scratch buffer,
 *    then an elementwise program writes dx with one thread per element (vec4);
 *  - d/dlabels (dense): one row program, the lse pass then the sweep.
 *
 * Which d/dlogits variant: the one-dispatch program has one 64-thread
 * workgroup per row, so the dx sweep (most of the work) runs on `rows`
 * workgroups; the split spreads it over rows·C/256 (vec4) or rows·C/64
 * workgroups, for one more dispatch and a 16-byte-per-row round trip.
 * The split wins only for few rows of many classes on a GPU (measurements in
 * README.md, "Focal backward: split or one dispatch"): split for at most 512
 * rows of at least 16384 classes (flags FUSED_CE_WEBGPU_FOCAL_SPLIT_MAX_ROWS /
 * _MIN_C in flags_webgpu.ts), one dispatch otherwise. Both variants are
 * tested against float64.
 *
 * The saved lse input is not read: both recompute the row's max and r =
 * Σe^(z−m/T) − 1, which the float32 lse has rounded away and which give 1 − p
 * and −log p exact to rounding (see focal_cross_entropy_webgpu.ts).
 */
import {env, KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import {FocalCrossEntropyGrad, FocalCrossEntropyGradAttrs, SoftmaxCrossEntropyGradInputs, SparseFocalCrossEntropyGrad} from '../kernel_names';
import {FocalApplyProgram} from './focal_cross_entropy_webgpu';
import {focalClassFactor, focalUniforms, runFocalRows} from './focal_host';
import {FOCAL_SPLIT_MAX_ROWS_FLAG, FOCAL_SPLIT_MIN_C_FLAG, registerWebGPUFlags} from './flags_webgpu';
import {disposeTemp, launch, makeEmpty, makeOutput, storageType, uploadVector} from './launch';
import {ELEMENTWISE_WG, THREAD_PER_ROW_MAX_C} from './row_layout';
import {rowsAndClasses} from './softmax_host';

function backward(sparse: boolean, kernel: string): KernelFunc {
  return ({inputs, backend, attrs}) => {
    const {logits, labels, dy} = inputs as SoftmaxCrossEntropyGradInputs;
    const a = attrs as unknown as FocalCrossEntropyGradAttrs;
    const webgpu = backend as WebGPUBackend;
    const [rows, C] = rowsAndClasses(logits, labels, sparse, kernel);
    focalClassFactor(a, C, kernel);
    if (a.wrt !== 'logits' && (sparse || a.wrt !== 'labels')) {
      throw new Error(`${kernel} (webgpu): ${sparse ? 'sparse labels have no gradient' : `unknown wrt '${a.wrt}'`}`);
    }
    if (rows === 0) {
      return makeEmpty(webgpu, [0, C]);
    }
    const out = makeOutput(webgpu, [rows, C]);
    if (a.wrt === 'logits' && useSplitBackward(rows, C)) {
      runSplit(webgpu, sparse, out, logits, labels, dy, rows, C, a, kernel);
      return out;
    }
    const programInputs = a.wrt === 'labels' ? [logits, dy] : [logits, labels, dy];
    runFocalRows(webgpu, a.wrt, sparse, [out], programInputs, rows, C, a, kernel);
    return out;
  };
}

/** Whether d/dlogits takes the two-dispatch path (see the header). */
export function useSplitBackward(rows: number, C: number): boolean {
  registerWebGPUFlags();
  return C > THREAD_PER_ROW_MAX_C && C >= env().getNumber(FOCAL_SPLIT_MIN_C_FLAG) &&
      rows <= env().getNumber(FOCAL_SPLIT_MAX_ROWS_FLAG);
}

/** Row stats [rows, 4] from a 'stats' row program, then the elementwise FocalApplyProgram. */
function runSplit(
    backend: WebGPUBackend, sparse: boolean, out: TensorInfo, logits: TensorInfo, labels: TensorInfo, dy: TensorInfo,
    rows: number, C: number, attrs: FocalCrossEntropyGradAttrs, kernel: string): void {
  const stats = makeOutput(backend, [rows, 4]);
  runFocalRows(backend, 'stats', sparse, [stats], [logits, labels], rows, C, attrs, kernel);
  const a = focalClassFactor(attrs, C, kernel);
  const vec = C % 4 === 0 ? 4 : 1;
  const inputs = [logits, labels, dy];
  const program = new FocalApplyProgram({wg: ELEMENTWISE_WG, vec, weights: a != null}, sparse, inputs.map(t => storageType(backend, t)));
  const aBuffer = a != null ? uploadVector(backend, a) : null;
  launch(backend, program, [out], aBuffer ? [...inputs, stats, aBuffer] : [...inputs, stats],
      focalUniforms(rows, C, attrs, a != null), Math.ceil(rows * C / vec / ELEMENTWISE_WG));
  disposeTemp(backend, stats);
  if (aBuffer) {
    disposeTemp(backend, aBuffer);
  }
}

export const focalCrossEntropyGradConfig: KernelConfig = {
  kernelName: FocalCrossEntropyGrad,
  backendName: 'webgpu',
  kernelFunc: backward(false, FocalCrossEntropyGrad),
};

export const sparseFocalCrossEntropyGradConfig: KernelConfig = {
  kernelName: SparseFocalCrossEntropyGrad,
  backendName: 'webgpu',
  kernelFunc: backward(true, SparseFocalCrossEntropyGrad),
};

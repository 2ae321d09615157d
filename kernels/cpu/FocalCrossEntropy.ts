/**
 * cpu forward kernels of softmax focal cross-entropy, dense and sparse labels
 * (kernels/FORMULAS.md, "Focal cross-entropy"):
 *   L[i] = Σ_{c: ŷ≠0} a[c]·ŷ[c]·(1 − p[c])^γ·(lse − z[c])
 * Two passes per row: the online log-sum-exp (row_math.rowLogSumExp), then the
 * focal terms of the classes with ŷ ≠ 0 (sparse without smoothing: only the
 * target class, O(1) after the lse pass). Outputs [loss [rows], (m, s) [rows, 2]]
 * (row_math.ROW_STATS), saved for the backward kernel (which recomputes lse
 * in float64 anyway, see FocalCrossEntropyGrad.ts). Under FUSED_CE_CPU_SIMD
 * (simd/flags_simd.ts) both kernels run the WebAssembly SIMD module instead
 * (focal_simd.ts); these loops are its fallback.
 */
import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';
import {FocalCrossEntropy, FocalCrossEntropyAttrs, SoftmaxCrossEntropyInputs, SparseFocalCrossEntropy} from '../kernel_names';
import {cpuSimdEnabled} from '../simd/flags_simd';
import {focalClassWeights} from '../simd/focal_host';
import {focalTerms} from './focal_math';
import {focalForwardSimd} from './focal_simd';
import {checkSparseLabels, denseTarget, sparseIgnored, sparseTarget, TargetFn} from './focal_targets';
import {ROW_STATS, rowLogSumExp} from './row_math';

interface FocalArgs {
  inputs: SoftmaxCrossEntropyInputs;
  backend: MathBackendCPU;
  attrs: FocalCrossEntropyAttrs;
}

/**
 * Shared by dense and sparse: `target` gives ŷ, `ignored(i)` skips a row
 * (loss 0, lse still written).
 */
function focalForward(args: FocalArgs, target: TargetFn, ignored: (i: number) => boolean): TensorInfo[] {
  const {inputs, backend, attrs} = args;
  const [rows, C] = inputs.logits.shape;
  const x = backend.data.get(inputs.logits.dataId).values as ArrayLike<number>;
  const invT = 1 / attrs.temperature;
  const a = focalClassWeights(attrs, C);
  const terms = new Float64Array(2);
  const loss = new Float32Array(rows);
  const lseOut = new Float32Array(2 * rows);
  for (let i = 0, off = 0; i < rows; i++, off += C) {
    const lse = rowLogSumExp(x, off, C, invT);
    lseOut[2 * i] = ROW_STATS[0];
    lseOut[2 * i + 1] = ROW_STATS[1];
    if (ignored(i)) {
      continue;
    }
    let l = 0;
    for (let c = 0; c < C; c++) {
      const yh = target(i, off, c);
      if (yh !== 0) {  // skipped, not multiplied: 0·∞ would be NaN
        focalTerms(x[off + c] * invT, lse, yh, a[c], attrs.gamma, terms);
        l += terms[0] * (lse - x[off + c] * invT);
      }
    }
    loss[i] = l;
  }
  return [backend.makeTensorInfo([rows], 'float32', loss), backend.makeTensorInfo([rows, 2], 'float32', lseOut)];
}

/** The SIMD forward's outputs as tensors. */
function simdForward(args: FocalArgs, y: ArrayLike<number> | null, t: ArrayLike<number> | null): TensorInfo[] {
  const {inputs, backend, attrs} = args;
  const [rows, C] = inputs.logits.shape;
  const x = backend.data.get(inputs.logits.dataId).values as ArrayLike<number>;
  const [loss, stats] = focalForwardSimd(x, y, t, rows, C, attrs);
  return [backend.makeTensorInfo([rows], 'float32', loss), backend.makeTensorInfo([rows, 2], 'float32', stats)];
}

function focalCrossEntropy(args: FocalArgs): TensorInfo[] {
  const C = args.inputs.logits.shape[1];
  const y = args.backend.data.get(args.inputs.labels.dataId).values as ArrayLike<number>;
  if (cpuSimdEnabled()) {
    return simdForward(args, y, null);
  }
  return focalForward(args, denseTarget(y, args.attrs.labelSmoothing, C), () => false);
}

function sparseFocalCrossEntropy(args: FocalArgs): TensorInfo[] {
  const C = args.inputs.logits.shape[1];
  const t = args.backend.data.get(args.inputs.labels.dataId).values as ArrayLike<number>;
  if (cpuSimdEnabled()) {
    checkSparseLabels(t, args.attrs.ignoreIndex, C);
    return simdForward(args, null, t);
  }
  return focalForward(args, sparseTarget(t, args.attrs.labelSmoothing, C), sparseIgnored(t, args.attrs.ignoreIndex, C));
}

export const focalCrossEntropyConfig: KernelConfig = {
  kernelName: FocalCrossEntropy,
  backendName: 'cpu',
  kernelFunc: focalCrossEntropy as unknown as KernelFunc,
};

export const sparseFocalCrossEntropyConfig: KernelConfig = {
  kernelName: SparseFocalCrossEntropy,
  backendName: 'cpu',
  kernelFunc: sparseFocalCrossEntropy as unknown as KernelFunc,
};

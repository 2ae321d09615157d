/**
 * cpu backward kernels of softmax focal cross-entropy (kernels/FORMULAS.md):
 *   d/dlogits  dx[i,c] = dy[i]/T · (p[c]·(A + Bs) − f[c] − B[c]),
 *              A = Σ_c f[c], Bs = Σ_c B[c]
 *   d/dlabels  dy[i]·(1 − ε)·a[c]·(1 − p[c])^γ·(lse − z[c])   (dense only)
 * The saved lse is float32: its rounding (up to ~5e-7 at lse ≈ 9) becomes a
 * relative error of 1 − p = −expm1(z − lse) that (1 − p)^γ carries into the
 * gradient (measured: 1.4e-3 relative on a row with margin 9, γ = 0.5). So the
 * cpu backward recomputes lse in float64 (one more exp pass over the row),
 * then one pass accumulates A and Bs while parking f + B, and a last pass
 * writes the gradient (measured error vs float64 then < 1e-6). Under
 * FUSED_CE_CPU_SIMD both kernels run the WebAssembly SIMD module instead
 * (focal_simd.ts: float64 s and focal terms there too); these loops are its
 * fallback.
 */
import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';
import {FocalCrossEntropyGrad, FocalCrossEntropyGradAttrs, SoftmaxCrossEntropyGradInputs, SparseFocalCrossEntropyGrad} from '../kernel_names';
import {cpuSimdEnabled} from '../simd/flags_simd';
import {focalClassWeights} from '../simd/focal_host';
import {focalTerms} from './focal_math';
import {focalGradSimd} from './focal_simd';
import {checkSparseLabels, denseTarget, sparseIgnored, sparseTarget, TargetFn} from './focal_targets';
import {rowLogSumExp} from './row_math';

interface GradArgs {
  inputs: SoftmaxCrossEntropyGradInputs;
  backend: MathBackendCPU;
  attrs: FocalCrossEntropyGradAttrs;
}

function focalGrad(args: GradArgs, target: TargetFn, ignored: (i: number) => boolean): TensorInfo {
  const {inputs, backend, attrs} = args;
  const get = (t: TensorInfo) => backend.data.get(t.dataId).values as ArrayLike<number>;
  const [rows, C] = inputs.logits.shape;
  const x = get(inputs.logits), dy = get(inputs.dy);
  const invT = 1 / attrs.temperature;
  const eps = attrs.labelSmoothing;
  const a = focalClassWeights(attrs, C);
  const terms = new Float64Array(2);
  const out = new Float32Array(rows * C);  // ignored rows stay 0
  const park = new Float64Array(C);        // f + B of the current row
  for (let i = 0, off = 0; i < rows; i++, off += C) {
    if (ignored(i)) {
      continue;
    }
    const l = rowLogSumExp(x, off, C, invT);  // float64, see above
    if (attrs.wrt === 'labels') {
      const scale = dy[i] * (1 - eps);
      for (let c = 0; c < C; c++) {
        const z = x[off + c] * invT;
        focalTerms(z, l, 1, a[c], attrs.gamma, terms);  // f at ŷ = 1: a·q^γ
        out[off + c] = scale * terms[0] * (l - z);
      }
      continue;
    }
    let A = 0, Bs = 0;
    for (let c = 0; c < C; c++) {
      const yh = target(i, off, c);
      if (yh === 0) {
        park[c] = 0;
        continue;
      }
      focalTerms(x[off + c] * invT, l, yh, a[c], attrs.gamma, terms);
      A += terms[0];
      Bs += terms[1];
      park[c] = terms[0] + terms[1];
    }
    const g = dy[i] * invT;
    const s = A + Bs;
    for (let c = 0; c < C; c++) {
      const p = Math.exp(x[off + c] * invT - l);
      out[off + c] = g * (p * s - park[c]);
    }
  }
  return backend.makeTensorInfo([rows, C], 'float32', out);
}

/** The SIMD backward as a tensor. */
function simdGrad(args: GradArgs, y: ArrayLike<number> | null, t: ArrayLike<number> | null): TensorInfo {
  const {inputs, backend, attrs} = args;
  const get = (v: TensorInfo) => backend.data.get(v.dataId).values as ArrayLike<number>;
  const [rows, C] = inputs.logits.shape;
  const out = focalGradSimd(get(inputs.logits), y, t, get(inputs.lse), get(inputs.dy), rows, C, attrs);
  return backend.makeTensorInfo([rows, C], 'float32', out);
}

function focalCrossEntropyGrad(args: GradArgs): TensorInfo {
  const C = args.inputs.logits.shape[1];
  const y = args.backend.data.get(args.inputs.labels.dataId).values as ArrayLike<number>;
  if (cpuSimdEnabled()) {
    return simdGrad(args, y, null);
  }
  return focalGrad(args, denseTarget(y, args.attrs.labelSmoothing, C), () => false);
}

function sparseFocalCrossEntropyGrad(args: GradArgs): TensorInfo {
  if (args.attrs.wrt !== 'logits') {
    throw new Error('sparse focal cross-entropy: sparse labels are not differentiable');
  }
  const C = args.inputs.logits.shape[1];
  const t = args.backend.data.get(args.inputs.labels.dataId).values as ArrayLike<number>;
  if (cpuSimdEnabled()) {
    checkSparseLabels(t, args.attrs.ignoreIndex, C);
    return simdGrad(args, null, t);
  }
  return focalGrad(args, sparseTarget(t, args.attrs.labelSmoothing, C), sparseIgnored(t, args.attrs.ignoreIndex, C));
}

export const focalCrossEntropyGradConfig: KernelConfig = {
  kernelName: FocalCrossEntropyGrad,
  backendName: 'cpu',
  kernelFunc: focalCrossEntropyGrad as unknown as KernelFunc,
};

export const sparseFocalCrossEntropyGradConfig: KernelConfig = {
  kernelName: SparseFocalCrossEntropyGrad,
  backendName: 'cpu',
  kernelFunc: sparseFocalCrossEntropyGrad as unknown as KernelFunc,
};

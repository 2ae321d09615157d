/**
 * cpu kernel LinearSparseSoftmaxCrossEntropy (kernels/kernel_names.ts): the
 * sparse softmax cross-entropy of `hidden·Wᵀ + bias` without the `[N, V]`
 * logits. Rows are taken LINEAR_CE_ROW_BLOCK at a time: the block's logits
 * (a scratch of block × V floats, reused for every block) come from the
 * MatMulAccumulate arithmetic (matmul_accumulate.ts) onto the bias rows, then
 * the sparse forward's own row loop (sparse_softmax_rows.ts) gives loss (in
 * float64) and the saved (m, s) per row. Host work only besides those two loops.
 */
import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';
import {LinearSparseSoftmaxCrossEntropy, LinearSparseSoftmaxCrossEntropyAttrs, LinearSparseSoftmaxCrossEntropyInputs} from '../kernel_names';
import {linearCrossEntropyShape} from '../linear_cross_entropy_checks';
import {matMulAccumulate} from './matmul_accumulate_simd';
import {classWeightArray, sumOf} from './row_math';
import {sparseRowsForward} from './sparse_softmax_rows';

/**
 * Rows of logits per block. Blocks of 2 to 32 rows ran at the same speed
 * (README.md, "Row block"): the matmul's own blocking (matmul_accumulate.ts)
 * decides, not this. 8 rows keep the scratch at 8·V
 * floats (1 MiB at V = 32000; a JS array, not counted by tfjs's memory).
 */
export const LINEAR_CE_ROW_BLOCK = 8;

function rowsOf(a: ArrayLike<number>, from: number, to: number): ArrayLike<number> {
  return ArrayBuffer.isView(a) ? (a as unknown as Float32Array).subarray(from, to) : Array.prototype.slice.call(a, from, to);
}

function linearSparseSoftmaxCrossEntropy(args: {inputs: LinearSparseSoftmaxCrossEntropyInputs, backend: MathBackendCPU,
                                                attrs: LinearSparseSoftmaxCrossEntropyAttrs}): TensorInfo[] {
  const {inputs, backend, attrs} = args;
  const {N, H, V} = linearCrossEntropyShape(inputs, attrs.weightLayout);
  const get = (t: TensorInfo) => backend.data.get(t.dataId).values as ArrayLike<number>;
  const h = get(inputs.hidden), wt = get(inputs.weight), t = get(inputs.labels);
  const bias = inputs.bias == null ? null : Float32Array.from(get(inputs.bias));
  const w = classWeightArray(attrs, V);
  const sumW = attrs.labelSmoothing === 0 ? 0 : sumOf(w);
  const loss = new Float32Array(N);
  const lse = new Float32Array(2 * N);  // (m, s) per row
  const block = new Float32Array(Math.min(LINEAR_CE_ROW_BLOCK, N) * V);
  for (let r0 = 0; r0 < N; r0 += LINEAR_CE_ROW_BLOCK) {
    const n = Math.min(LINEAR_CE_ROW_BLOCK, N - r0);
    for (let i = 0; i < n; i++) {
      if (bias != null) {
        block.set(bias, i * V);
      } else {
        block.fill(0, i * V, (i + 1) * V);
      }
    }
    // logits[i, v] = b[v] + Σ_k h[r0 + i, k]·W(v, k): B = Wᵀ ([V, H] weight) or W ([H, V]).
    matMulAccumulate(block, rowsOf(h, r0 * H, (r0 + n) * H), wt,
        {M: n, K: H, P: V, transposeA: false, transposeB: attrs.weightLayout === 'VH', rowOffset: 0});
    sparseRowsForward(block, n, V, t, r0, attrs, w, sumW, loss, lse);
  }
  return [backend.makeTensorInfo([N], 'float32', loss), backend.makeTensorInfo([N, 2], 'float32', lse)];
}

export const linearSparseSoftmaxCrossEntropyConfig: KernelConfig = {
  kernelName: LinearSparseSoftmaxCrossEntropy,
  backendName: 'cpu',
  kernelFunc: linearSparseSoftmaxCrossEntropy as unknown as KernelFunc,
};

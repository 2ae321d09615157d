/**
 * The chunk loop behind `linearSoftmaxCrossEntropy` (linear_cross_entropy.ts):
 * a linear layer followed by sparse softmax cross-entropy over a large
 * vocabulary, computed a few rows at a time so that the `[N, V]` logits are
 * never materialised. Accumulators are written in place where the backend
 * registers the in-place kernels (why that is safe, and the memory of each
 * path: kernels/LINEAR_CE_MEMORY.md).
 */
import {add, cast, concat, dispose, div, engine, env, fill, fused, matMul, mul, NamedTensorMap, notEqual, reshape, scalar, slice, sum, Tensor, Tensor1D, Tensor2D, tidy, tile, zeros} from '@tensorflow/tfjs-core';
import {
  MatMulAccumulate, MatMulAccumulateAttrs, ScaleInPlace, SoftmaxCrossEntropyAttrs, SoftmaxCrossEntropyGradAttrs,
  LinearSparseSoftmaxCrossEntropy, LinearSparseSoftmaxCrossEntropyAttrs,
  SparseSoftmaxCrossEntropy, SparseSoftmaxCrossEntropyGrad, SparseSoftmaxCrossEntropyGradInPlace,
} from '../../kernels/kernel_names';
import {capabilities, flushQueue} from '../../kernels/capabilities';
import {registerFlagOnce} from '../../kernels/register_util';
import {compositeSparseLogitsGrad, compositeSparseLossAndLse} from './composite';
import {useFusedKernel} from './fused';

/** How the weight is stored: `[V, H]` (PyTorch `nn.Linear`, tied embeddings) or `[H, V]` (a tf.layers.dense kernel). */
export type WeightLayout = 'VH' | 'HV';

/** 'mean' over non-ignored rows, 'sum', or per-row losses. */
export type LinearCrossEntropyReduction = 'mean' | 'sum' | 'none';

/** Everything the chunk loop needs besides the tensors. */
export interface ChunkPlan {
  /** Rows per chunk (the last chunk may be shorter). */
  chunkSize: number;
  layout: WeightLayout;
  attrs: SoftmaxCrossEntropyAttrs;
}

/**
 * Default budget for one chunk's `[n, V]` working set: 32 MiB, chosen for
 * peak memory well under 1/8 of the materialised path at N = 4096, H = 512,
 * V = 32000 without slowing cpu; on a GPU larger chunks are faster: pass
 * `chunkSize` or `memoryBudgetBytes` there (kernels/LINEAR_CE_MEMORY.md).
 */
export const DEFAULT_CHUNK_BUDGET_BYTES = 32 * 1024 * 1024;

/**
 * `[n, V]` float32 buffers alive at once per chunk row, by path: in place the
 * logits alone (G is written over them), fused out of place the logits and
 * G, composite every intermediate of the loss and gradient (rounded up from
 * the measurements in kernels/LINEAR_CE_MEMORY.md).
 */
export const IN_PLACE_BUFFERS_PER_ROW = 1;
export const FUSED_BUFFERS_PER_ROW = 2;
export const COMPOSITE_BUFFERS_PER_ROW = 12;

/** `[n, V]` buffers per chunk row on the active backend (see above). */
export function chunkBuffersPerRow(): number {
  if (!fusedChunksAvailable()) {
    return COMPOSITE_BUFFERS_PER_ROW;
  }
  return inPlaceGradAvailable() ? IN_PLACE_BUFFERS_PER_ROW : FUSED_BUFFERS_PER_ROW;
}

/**
 * Rows per chunk such that the chunk's `[n, V]` working set fits in
 * `budgetBytes`, balanced so the chunks have nearly equal sizes
 * (ceil(N / ceil(N / nMax)) ≤ nMax). At least one row. `buffersPerRow`
 * defaults to what the op's chunk loop holds on the active backend
 * (`chunkBuffersPerRow`), so the default is the op's own automatic choice.
 */
export function autoChunkSize(rows: number, vocab: number, budgetBytes = DEFAULT_CHUNK_BUDGET_BYTES,
                              buffersPerRow = chunkBuffersPerRow()): number {
  const maxRows = Math.max(1, Math.floor(budgetBytes / (buffersPerRow * 4 * Math.max(vocab, 1))));
  if (rows <= maxRows) {
    return Math.max(rows, 1);
  }
  const chunks = Math.ceil(rows / maxRows);
  return Math.ceil(rows / chunks);
}

/** True when both sparse kernels of the contract run on the active backend. */
export function fusedChunksAvailable(): boolean {
  return useFusedKernel(SparseSoftmaxCrossEntropy) && useFusedKernel(SparseSoftmaxCrossEntropyGrad);
}

/** Per-row loss and log-sum-exp of one chunk: the fused kernel or its composite twin. */
function chunkLoss(logits: Tensor2D, labels: Tensor1D, attrs: SoftmaxCrossEntropyAttrs, fusedPath: boolean): {loss: Tensor1D, lse: Tensor2D} {
  if (fusedPath) {
    const [loss, lse] = engine().runKernel(SparseSoftmaxCrossEntropy, {logits, labels}, attrs as unknown as {}) as Tensor[];
    return {loss: loss as Tensor1D, lse: lse as Tensor2D};
  }
  // Own scope: the composite's [n, V] intermediates go before the gradient's.
  return tidy(() => compositeSparseLossAndLse(logits, labels, attrs));
}

/**
 * dL/dlogits of one chunk, with the per-row upstream factor `dy` [n] folded
 * in; `overLogits`: written over the chunk's logits (their buffer is private
 * to the chunk loop and nothing reads them afterwards; aliasing rule in
 * kernel_names.ts).
 */
function chunkGrad(logits: Tensor2D, labels: Tensor1D, lse: Tensor2D, dy: Tensor1D, attrs: SoftmaxCrossEntropyAttrs,
                   fusedPath: boolean, overLogits: boolean): Tensor2D {
  if (fusedPath) {
    const gradAttrs: SoftmaxCrossEntropyGradAttrs = {...attrs, wrt: 'logits'};
    const kernel = overLogits ? SparseSoftmaxCrossEntropyGradInPlace : SparseSoftmaxCrossEntropyGrad;
    return engine().runKernel(kernel, {logits, labels, lse, dy}, gradAttrs as unknown as {}) as Tensor2D;
  }
  return tidy(() => compositeSparseLogitsGrad(logits, labels, lse, dy, attrs));
}

/**
 * op(a)·op(b) + bias with the add fused into the matMul, except where the
 * backend declares its fused matMul's bias broken (kernels/capabilities.ts,
 * `fusedMatMulBiasBroken`; found by the linear-CE spec); there a plain matMul
 * and add.
 */
function matMulPlus(a: Tensor2D, b: Tensor2D, transposeA: boolean, transposeB: boolean, bias: Tensor | null): Tensor2D {
  if (bias != null && capabilities().fusedMatMulBiasBroken) {
    return add(matMul(a, b, transposeA, transposeB), bias);
  }
  return fused.matMul({a, b, transposeA, transposeB, bias: bias ?? undefined}) as Tensor2D;
}

/**
 * logits = h·Wᵀ + b ([V, H]) or h·W + b ([H, V]): with `ownGemm` (the backend declares its
 * MatMulAccumulate the faster GEMM, kernels/capabilities.ts), MatMulAccumulate onto the bias rows
 * (or zeros); otherwise tfjs's matMul with the bias add fused.
 */
function chunkLogits(h: Tensor2D, weight: Tensor2D, bias: Tensor1D | null, layout: WeightLayout, ownGemm: boolean): Tensor2D {
  if (ownGemm) {
    const [n, V] = [h.shape[0], layout === 'VH' ? weight.shape[0] : weight.shape[1]];
    // A buffer private to this call (the aliasing rule of kernel_names.ts): tile's or fill's output.
    const start = bias == null ? fill([n, V], 0) as Tensor2D : tile(reshape(bias, [1, V]), [n, 1]) as Tensor2D;
    const logits = accumulateInPlace(start, h, weight, false, layout === 'VH');
    start.dispose();  // the buffer's one reference is now `logits` (the gradient kernel writes over it)
    return logits;
  }
  return matMulPlus(h, weight, false, layout === 'VH', bias);
}

/** dh = G·W ([V, H]) or G·Wᵀ ([H, V]). */
function chunkHiddenGrad(g: Tensor2D, weight: Tensor2D, layout: WeightLayout): Tensor2D {
  return matMul(g, weight, false, layout === 'HV');
}

/**
 * acc + Gᵀ·h ([V, H]) or acc + hᵀ·G ([H, V]); the accumulator enters as the
 * fused matMul's bias, so no separate [V, H] partial product is allocated
 * (but the old and the new accumulator coexist).
 */
function accumulateWeightGrad(g: Tensor2D, h: Tensor2D, acc: Tensor2D | null, layout: WeightLayout): Tensor2D {
  const [a, b] = layout === 'VH' ? [g, h] : [h, g];
  return matMulPlus(a, b, true, false, acc);
}

/**
 * tfjs flag `LINEAR_CE_IN_PLACE` (default true): false makes the op accumulate
 * out of place even where the in-place kernels exist, for comparisons
 * (benchmarks/linear_cross_entropy.ts, provider 'chunked-oop').
 */
export const IN_PLACE_FLAG = 'LINEAR_CE_IN_PLACE';
registerFlagOnce(IN_PLACE_FLAG, () => true);

/**
 * tfjs flag `LINEAR_CE_FUSED_FORWARD` (default true): false makes the op run
 * its chunk loop for the loss without gradients too, where the fused forward
 * kernel exists (for comparisons: benchmarks/linear_cross_entropy.ts, and the
 * spec, which checks both).
 */
export const FUSED_FORWARD_FLAG = 'LINEAR_CE_FUSED_FORWARD';
registerFlagOnce(FUSED_FORWARD_FLAG, () => true);

/** True when the active backend has the fused linear + cross-entropy forward (cpu, webgpu) and the flag allows it. */
export function fusedForwardAvailable(): boolean {
  return env().getBool(FUSED_FORWARD_FLAG) && useFusedKernel(LinearSparseSoftmaxCrossEntropy);
}

/**
 * Per-row loss and lse of the logits `hidden·Wᵀ + b` in one kernel, without
 * the `[N, V]` logits (no chunks: the kernel holds a tile of logits at a time).
 * Where there is no gradient to accumulate (inference, and the forward pass of
 * reduction 'none', whose backward recomputes each chunk).
 */
export function fusedForward(hidden: Tensor2D, weight: Tensor2D, bias: Tensor1D | null, labels: Tensor1D,
                             attrs: SoftmaxCrossEntropyAttrs, layout: WeightLayout): {loss: Tensor1D, lse: Tensor2D} {
  const a: LinearSparseSoftmaxCrossEntropyAttrs = {...attrs, weightLayout: layout};
  const inputs: NamedTensorMap = {hidden, weight, labels};
  if (bias != null) {
    inputs.bias = bias;
  }
  const [loss, lse] = engine().runKernel(LinearSparseSoftmaxCrossEntropy, inputs, a as unknown as {}) as Tensor[];
  return {loss: loss as Tensor1D, lse: lse as Tensor2D};
}

/**
 * True when the active backend has the in-place kernels (cpu, webgpu), the
 * composite path is not forced (forcing it means: no kernel of this package)
 * and `LINEAR_CE_IN_PLACE` is not false.
 */
export function inPlaceAvailable(): boolean {
  return env().getBool(IN_PLACE_FLAG) && useFusedKernel(MatMulAccumulate) && useFusedKernel(ScaleInPlace);
}

/** True when, in addition, the fused chunk gradient can be written over the logits. */
export function inPlaceGradAvailable(): boolean {
  return inPlaceAvailable() && fusedChunksAvailable() && useFusedKernel(SparseSoftmaxCrossEntropyGradInPlace);
}

/** acc[rowOffset + i, :] += op(a)·op(b), into acc's own buffer (private accumulators only, see the file comment). */
function accumulateInPlace(acc: Tensor2D, a: Tensor2D, b: Tensor2D, transposeA: boolean, transposeB: boolean, rowOffset = 0): Tensor2D {
  const attrs: MatMulAccumulateAttrs = {transposeA, transposeB, rowOffset};
  return engine().runKernel(MatMulAccumulate, {acc, a, b}, attrs as unknown as {}) as Tensor2D;
}

/**
 * `grad · dy` for a gradient that is private to the caller and final (the
 * saved dh, dW, db of the forward pass): in place when `inPlace` (decided with
 * `inPlaceAvailable()` at the forward pass) and no outer tape records the backward (higher-order gradients need `mul`,
 * which is differentiable w.r.t. dy); otherwise a tfjs `mul`.
 */
export function scaleGradient(grad: Tensor, dy: Tensor, inPlace: boolean): Tensor {
  if (inPlace && !engine().isTapeOn()) {
    return engine().runKernel(ScaleInPlace, {x: grad, s: dy}) as Tensor;
  }
  return mul(grad, dy);
}

/**
 * Lets the backend free the buffers disposed so far: a backend that defers
 * disposal until its queued work is submitted declares a flush hook
 * (kernels/capabilities.ts, `flushQueue`), else this does nothing. Called
 * after each chunk's logits are disposed and at each chunk's end, so that
 * earlier chunks' logits and G do not pile up (kernels/LINEAR_CE_MEMORY.md).
 */
function releaseDisposedBuffers(): void {
  flushQueue();
}

/** Gradients of the reduced loss, accumulated over the chunks. */
export interface ChunkGrads {
  dHidden: Tensor2D;
  dWeight: Tensor2D;
  dBias: Tensor1D | null;
}

/**
 * The chunk loop shared by the forward pass ('mean', 'sum') and the backward
 * pass of 'none'. `rowScale(r0, n)` gives the chunk's per-row upstream factor
 * `[n]`; `lseOf(r0, n, logits, labels)` gives its log-sum-exp as the kernels'
 * saved (m, s) `[n, 2]` (kernel_names.ts; recomputed by
 * the forward kernel, or sliced from the forward pass's saved values) and may
 * report the chunk's per-row loss. `withGrads = false` skips G, dh, dW, db
 * (inference: the tape is off).
 */
export function runChunks(
    hidden: Tensor2D, weight: Tensor2D, bias: Tensor1D | null, labels: Tensor1D, plan: ChunkPlan,
    rowScale: ((r0: number, n: number) => Tensor1D) | null,
    lseOf: (r0: number, n: number, logits: Tensor2D, labels: Tensor1D) => Tensor2D): ChunkGrads | null {
  const [N, H] = hidden.shape;
  const V = plan.layout === 'VH' ? weight.shape[0] : weight.shape[1];
  const fusedPath = fusedChunksAvailable();
  const inPlace = rowScale != null && inPlaceAvailable();
  const gradOverLogits = inPlace && inPlaceGradAvailable();
  const ownGemm = inPlaceAvailable() && capabilities().ownLogitsGemm;
  const dhParts: Tensor2D[] = [];
  // In place: the two private accumulators, allocated once (see the file comment). `fill`, not
  // `zeros`: on webgpu, zeros are uploaded from the cpu through a staging buffer of the same size
  // (measured: one more V·H + N·H at the peak), fill is a program that writes the buffer.
  let dh: Tensor2D | null = inPlace ? fill([N, H], 0) : null;
  let dW: Tensor2D | null = inPlace ? fill(weight.shape, 0) : null;
  let db: Tensor1D | null = null;
  for (let r0 = 0; r0 < N; r0 += plan.chunkSize) {
    const n = Math.min(plan.chunkSize, N - r0);
    // [dh, dW, db?] of the chunk, out of its scope; nothing without gradients.
    const step = tidy((): Tensor[] | void => {
      const h = slice(hidden, [r0, 0], [n, H]);
      const t = slice(labels, [r0], [n]);
      const logits = chunkLogits(h, weight, bias, plan.layout, ownGemm);
      const lse = lseOf(r0, n, logits, t);
      if (rowScale == null) {
        return;
      }
      const g = chunkGrad(logits, t, lse, rowScale(r0, n), plan.attrs, fusedPath, gradOverLogits);
      // Before the two matMuls: at most two [n, V] buffers at once (one when G is written over the logits,
      // whose buffer then lives on in g).
      logits.dispose();
      releaseDisposedBuffers();
      const dbNext = bias == null ? [] : [db == null ? sum(g, 0) : add(db, sum(g, 0))];
      if (inPlace) {
        // dW += Gᵀ·h ([V, H]) or hᵀ·G ([H, V]); dh[r0 : r0 + n] = G·W or G·Wᵀ (dh starts at 0).
        const dWNext = plan.layout === 'VH' ? accumulateInPlace(dW!, g, h, true, false) : accumulateInPlace(dW!, h, g, true, false);
        const dhNext = accumulateInPlace(dh!, g, weight, false, plan.layout === 'HV', r0);
        return [dhNext, dWNext, ...dbNext];
      }
      const dWNext = accumulateWeightGrad(g, h, dW, plan.layout);
      const dhChunk = chunkHiddenGrad(g, weight, plan.layout);
      return [dhChunk, dWNext, ...dbNext];
    });
    if (step == null) {
      continue;
    }
    // The previous tensor objects: in place they share the new ones' buffers (one reference fewer).
    dispose([dW, db, ...(inPlace ? [dh] : [])].filter(x => x != null) as Tensor[]);
    if (inPlace) {
      dh = step[0] as Tensor2D;
    } else {
      dhParts.push(step[0] as Tensor2D);
    }
    dW = step[1] as Tensor2D;
    db = (step[2] ?? null) as Tensor1D | null;
    releaseDisposedBuffers();
  }
  if (rowScale == null) {
    return null;
  }
  let dHidden = dh;
  if (!inPlace) {
    dHidden = dhParts.length === 1 ? dhParts[0] : (N === 0 ? zeros([0, H]) : concat(dhParts, 0)) as Tensor2D;
    if (dhParts.length > 1) {
      dispose(dhParts);
    }
  }
  return {
    dHidden: dHidden!,
    dWeight: dW ?? zeros(weight.shape) as Tensor2D,
    dBias: bias == null ? null : (db ?? zeros([V]) as Tensor1D),
  };
}

/** The chunk forward: per-row loss and lse of every chunk, via the loss kernel. */
export function chunkLossAndLse(logits: Tensor2D, labels: Tensor1D, attrs: SoftmaxCrossEntropyAttrs): {loss: Tensor1D, lse: Tensor2D} {
  return chunkLoss(logits, labels, attrs, fusedChunksAvailable());
}

/**
 * The mean's factor 1 / N_valid as a scalar tensor: N_valid counts the rows
 * whose label is not `ignoreIndex`, given (`hostKept`, labels the op has on the
 * host) or computed on the device (no read-back). Zero valid rows give
 * 1/0 = ∞ and hence a NaN mean, as tfjs's mean of nothing.
 */
export function meanScale(labels: Tensor1D, ignoreIndex: number | null, hostKept: number | null): Tensor {
  const N = labels.shape[0];
  if (ignoreIndex == null) {
    return scalar(1 / N);
  }
  if (hostKept != null) {
    return scalar(1 / hostKept);
  }
  return tidy(() => div(1, sum(cast(notEqual(labels, ignoreIndex), 'float32'))));
}

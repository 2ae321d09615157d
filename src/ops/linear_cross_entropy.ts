/**
 * linearSoftmaxCrossEntropy: the last linear layer of a language model and its
 * sparse softmax cross-entropy in one op that never materialises the `[N, V]`
 * logits (issue 7). Rows are processed in chunks; the chunk math and its
 * memory bound are documented in linear_cross_entropy_chunks.ts.
 *
 * Why tf.customGrad and not a registered kernel + gradient: the op is a loop
 * over existing kernels (matMul and the fused cross-entropy kernels), not a new
 * device program, so one TypeScript implementation serves every backend; and
 * its by-products (dh, dW, db) are computed during the forward pass, which a
 * registered kernel could only hand to its gradient as extra outputs — and tfjs
 * feeds a zeros `dy` of full shape (`[V, H]`!) to every unused output. Inside
 * customGrad's forward function the tape is off (the engine's kernel depth is
 * above zero), so the chunk tensors are never saved for backprop; only the
 * final dh, dW, db (or, for reduction 'none', the inputs and the per-row
 * log-sum-exp) are.
 *
 * Reductions:
 *  - 'mean' (default) and 'sum': the factor (1/N_valid or 1) is folded into G,
 *    dh/dW/db are complete after the forward pass, the backward multiplies them
 *    by the scalar upstream gradient. Three matMuls of N·V·H each, as the
 *    unfused path.
 *  - 'none': the upstream gradient differs per row and dW = Σ_i dy[i]·G_iᵀ·h_i
 *    cannot be rebuilt from a stored product, so the backward recomputes the
 *    logits chunk by chunk (saving only the inputs and lse [N]). Same peak
 *    memory, one extra matMul (4 instead of 3: about 4/3 of the time).
 *
 * With the tape off (inference, evaluation) only the loss is computed: one
 * matMul and one loss kernel per chunk.
 */
import {broadcastTo, concat, customGrad, dispose, engine, GradSaveFunc, keep, mul, op, reshape, scalar, slice, sum, Tensor, Tensor1D, Tensor2D, TensorLike, zeros} from '@tensorflow/tfjs-core';
import type {SoftmaxCrossEntropyAttrs} from '../../kernels/kernel_names';
import {autoChunkSize, chunkBuffersPerRow, ChunkPlan, chunkLossAndLse, DEFAULT_CHUNK_BUDGET_BYTES, fusedChunksAvailable, fusedForward, fusedForwardAvailable, LinearCrossEntropyReduction, inPlaceAvailable, meanScale, runChunks, scaleGradient, WeightLayout} from './linear_cross_entropy_chunks';
import {assertArg, checkLabelsShape, checkOptions, ClassVector, describeValue, floatTensor, hostKeptCount, lossAttrs, reshapeTo, sparseClassIds, sparseKernelThrows, sparseLabels} from './validate';

export {autoChunkSize, DEFAULT_CHUNK_BUDGET_BYTES} from './linear_cross_entropy_chunks';
export type {LinearCrossEntropyReduction, WeightLayout} from './linear_cross_entropy_chunks';

/** Options of `linearSoftmaxCrossEntropy`. */
export interface LinearSoftmaxCrossEntropyOptions {
  /** Bias `[V]` added to the logits (differentiable). Default none. */
  bias?: Tensor | TensorLike;
  /** 'VH' (default): weight is `[V, H]` (nn.Linear, tied embeddings); 'HV': `[H, V]` (a dense layer's kernel). */
  weightLayout?: WeightLayout;
  /** 'mean' (default) over non-ignored rows, 'sum', or 'none' (per-row losses, `labels`' shape). */
  reduction?: LinearCrossEntropyReduction;
  /** Rows with this label give loss 0, gradient 0, and do not count in the mean (e.g. −100 for padding). */
  ignoreIndex?: number;
  /** ε in [0, 1): targets become (1 − ε)·onehot + ε/V. */
  labelSmoothing?: number;
  /** λ ≥ 0: adds λ·logsumexp² per row (PaLM's z-loss). */
  zLoss?: number;
  /** T > 0: the loss of softmax(logits / T). Default 1. */
  temperature?: number;
  /**
   * Per-class weights ≥ 0, length V (read once; a negative one throws). A
   * tensor whose values live only on a GPU is refused (the chunk kernels take
   * numbers, and reading it would be a synchronous GPU read): pass its values.
   */
  classWeights?: ClassVector;
  /**
   * Rows per chunk. Default: as many as fit `memoryBudgetBytes` for the
   * chunk's `[n, V]` working set (see `autoChunkSize`), balanced over the chunks.
   */
  chunkSize?: number;
  /** Budget for one chunk's `[n, V]` buffers when `chunkSize` is not given (default 32 MiB). */
  memoryBudgetBytes?: number;
  /** Check (reading the labels back) that every label is an integer in [0, V) or the ignore index. */
  validateLabels?: boolean;
}

const OP = 'linearSoftmaxCrossEntropy';

const LINEAR_OPTIONS = ['bias', 'weightLayout', 'reduction', 'ignoreIndex', 'labelSmoothing', 'zLoss', 'temperature',
                        'classWeights', 'chunkSize', 'memoryBudgetBytes', 'validateLabels'] as const;

const LINEAR_ATTRS = ['temperature', 'labelSmoothing', 'zLoss', 'classWeights', 'ignoreIndex'] as const;

/**
 * The options as the chunk kernels' attributes. classWeights must be numbers
 * there: a tensor whose values live only on a GPU is refused (reading it
 * would be a synchronous GPU read) with what to do instead.
 */
function checkedAttrs(options: LinearSoftmaxCrossEntropyOptions, V: number): SoftmaxCrossEntropyAttrs {
  return lossAttrs(options, LINEAR_ATTRS, V, OP, 'host') as SoftmaxCrossEntropyAttrs;
}

/** Σ of kept per-chunk tensors (disposed here); 0 for no chunks. */
function sumParts(parts: Tensor[]): Tensor {
  const total = parts.length === 0 ? scalar(0) : sum(parts.length === 1 ? parts[0] : concat(parts.map(p => reshape(p, [-1]))));
  dispose(parts);
  return total;
}

/** Concatenation of kept per-chunk `[n, …]` tensors along rows (disposed here); `[N, …inner]` zeros for none. */
function concatParts(parts: Tensor[], N: number, inner: number[] = []): Tensor1D {
  const out = (parts.length === 0 ? (zeros([N, ...inner] as number[]) as Tensor) : parts.length === 1 ? parts[0].clone() : concat(parts)) as Tensor1D;
  dispose(parts);
  return out;
}

/**
 * Linear layer + sparse softmax cross-entropy over a large vocabulary, in
 * chunks of rows: `loss(hidden·Wᵀ + b, labels)` without ever holding the
 * `[N, V]` logits. Differentiable with respect to `hidden`, `weight` and
 * `bias`. Peak extra memory: about chunk·V + V·H + N·H floats on cpu and
 * webgpu (gradients accumulated in place, each chunk's gradient written over
 * its logits), 2·chunk·V + 2·V·H + 2·N·H elsewhere, instead of
 * 2·N·V + V·H + N·H (see linear_cross_entropy_chunks.ts). Without gradients
 * (no tape: evaluation, inference), cpu and webgpu compute the loss in one
 * fused kernel that holds only a tile of logits (O(N) extra memory).
 *
 * ```js
 * const [batch, seq, H, V] = [2, 5, 16, 1000];
 * const hidden = tf.randomNormal([batch, seq, H]);                      // a model's last hidden states
 * const lmHead = tf.variable(tf.randomNormal([V, H], 0, 0.02));         // [V, H]
 * const nextIds = tf.randomUniformInt([batch, seq], 0, V);              // int32 [batch, seq]
 * linearSoftmaxCrossEntropy(hidden, lmHead, nextIds, {ignoreIndex: -100, zLoss: 1e-4}).print();
 * const {value, grads} = tf.variableGrads(() => linearSoftmaxCrossEntropy(hidden, lmHead, nextIds));
 * console.log(grads[lmHead.name].shape);                               // [1000, 16]
 * ```
 *
 * @param hidden float32 `[..., H]`.
 * @param weight float32 `[V, H]` (or `[H, V]` with `weightLayout: 'HV'`).
 * @param labels class ids (int32, or float32 holding integers), `hidden`'s shape without its
 *     last axis. A label neither the ignore index nor an integer in [0, V) (out of range, or 1.5,
 *     NaN) throws on cpu, naming the row and the value, and gives NaN for its row (and so for a
 *     mean or sum) on webgpu, webgl and the composite path (wasm).
 * @returns the mean (default) or sum as a scalar, or per-row losses of `labels`' shape.
 */
function linearSoftmaxCrossEntropy_(hidden: Tensor | TensorLike, weight: Tensor | TensorLike, labels: Tensor | TensorLike,
                                    opts?: LinearSoftmaxCrossEntropyOptions): Tensor {
  const options = checkOptions(opts, LINEAR_OPTIONS, OP);
  const $hidden = floatTensor(hidden, 'hidden', OP);
  const $weight = floatTensor(weight, 'weight', OP) as Tensor2D;
  const $labels = sparseLabels(labels, OP);
  assertArg($hidden.rank >= 2, OP, () => `hidden must have rank ≥ 2 ([..., H]), got shape [${$hidden.shape}]`);
  assertArg($weight.rank === 2, OP, () => `weight must be 2-D, got shape [${$weight.shape}]`);
  const layout = options.weightLayout ?? 'VH';
  assertArg(layout === 'VH' || layout === 'HV', OP, () => `weightLayout must be 'VH' or 'HV', got ${describeValue(layout)}`);
  const H = $hidden.shape[$hidden.rank - 1];
  const [V, HW] = layout === 'VH' ? $weight.shape : [$weight.shape[1], $weight.shape[0]];
  assertArg(HW === H, OP, () => `weight shape [${$weight.shape}] (${layout}) does not match hidden size ${H}`);
  assertArg(V > 0, OP, () => `the vocabulary (weight's ${layout === 'VH' ? 'first' : 'second'} axis) must not be empty`);
  const rowShape = $hidden.shape.slice(0, -1);
  checkLabelsShape($labels, rowShape, `hidden's shape without its last axis`, OP);
  const $bias = options.bias == null ? null : floatTensor(options.bias, 'bias', OP) as Tensor1D;
  assertArg($bias == null || ($bias.rank === 1 && $bias.shape[0] === V), OP,
      () => `bias must have shape [${V}], got [${$bias?.shape}]`);
  const reduction = options.reduction ?? 'mean';
  assertArg(reduction === 'mean' || reduction === 'sum' || reduction === 'none', OP,
      () => `reduction must be 'mean', 'sum' or 'none', got ${describeValue(reduction)}`);
  const attrs = checkedAttrs(options, V);
  const N = rowShape.reduce((a: number, b: number) => a * b, 1);
  const budget = options.memoryBudgetBytes ?? DEFAULT_CHUNK_BUDGET_BYTES;
  assertArg(typeof budget === 'number' && budget > 0, OP, () => `memoryBudgetBytes must be a number > 0, got ${describeValue(budget)}`);
  const chunkSize = options.chunkSize ??
      autoChunkSize(N, V, budget, chunkBuffersPerRow());
  assertArg(Number.isInteger(chunkSize) && chunkSize > 0, OP, () => `chunkSize must be a positive integer, got ${describeValue(chunkSize)}`);
  // Labels that are not integers (1.5, NaN) throw where the kernels throw for an
  // out-of-range label, else become an out-of-range id (NaN for that row).
  const ids = sparseClassIds(labels, $labels, V, attrs.ignoreIndex, OP, options.validateLabels ?? false,
                             sparseKernelThrows(fusedForwardAvailable() || fusedChunksAvailable()));
  const plan: ChunkPlan = {chunkSize, layout, attrs};
  const h2 = reshapeTo<Tensor2D>($hidden, [N, H]);
  const t = reshapeTo<Tensor1D>(ids, [N]);
  const hostKept = reduction === 'mean' && attrs.ignoreIndex != null ? hostKeptCount(labels, attrs.ignoreIndex) : null;
  const scale = reduction === 'mean' ? meanScale(t, attrs.ignoreIndex, hostKept) : scalar(1);

  // The chunk's per-row losses (kept past the chunk's scope) and its lse.
  const forwardChunk = (losses: Tensor[], lses: Tensor[] | null) =>
      (_r0: number, _n: number, logits: Tensor2D, tc: Tensor1D): Tensor2D => {
        const {loss, lse} = chunkLossAndLse(logits, tc, attrs);
        losses.push(keep(reduction === 'none' ? loss : sum(loss)));
        if (lses != null) {
          lses.push(keep(lse));
        }
        return lse;
      };
  const reduce = (losses: Tensor[]): Tensor =>
      reduction === 'none' ? concatParts(losses, N) : mul(sumParts(losses), scale);

  let out: Tensor;
  if (!engine().isTapeOn()) {
    // Inference: loss only, in one fused kernel where the backend has it (no [n, V] chunk at all).
    const losses: Tensor[] = [];
    if (fusedForwardAvailable() && N > 0) {
      const {loss, lse} = fusedForward(h2, $weight as Tensor2D, $bias, t, attrs, layout);
      lse.dispose();
      losses.push(reduction === 'none' ? loss : sum(loss));
    } else {
      runChunks(h2, $weight as Tensor2D, $bias, t, plan, null, forwardChunk(losses, null));
    }
    out = reduce(losses);
  } else if (reduction !== 'none') {
    const inPlace = inPlaceAvailable();
    const rows = (_r0: number, n: number) => broadcastTo(reshape(scale, [1]), [n]) as Tensor1D;
    const f = customGrad((...args: Array<Tensor | GradSaveFunc>) => {
      const save = args[args.length - 1] as GradSaveFunc;
      const [h, w, b] = args.slice(0, -1) as Tensor[];
      const losses: Tensor[] = [];
      const grads = runChunks(h as Tensor2D, w as Tensor2D, (b ?? null) as Tensor1D | null, t, plan, rows, forwardChunk(losses, null))!;
      save([grads.dHidden, grads.dWeight, ...(grads.dBias == null ? [] : [grads.dBias])]);
      // The saved gradients are private and final: scaled in place where the backend can (no [V, H] copy).
      return {value: reduce(losses), gradFunc: (dy: Tensor, saved: Tensor[]) => saved.map(g => scaleGradient(g, dy, inPlace))};
    });
    out = $bias == null ? f(h2, $weight) : f(h2, $weight, $bias);
  } else {
    const f = customGrad((...args: Array<Tensor | GradSaveFunc>) => {
      const save = args[args.length - 1] as GradSaveFunc;
      const inputs = args.slice(0, -1) as Tensor[];
      const [h, w, b] = inputs;
      const losses: Tensor[] = [];
      const lses: Tensor[] = [];
      if (fusedForwardAvailable()) {
        const fwd = fusedForward(h as Tensor2D, w as Tensor2D, (b ?? null) as Tensor1D | null, t, attrs, layout);
        losses.push(fwd.loss);
        lses.push(fwd.lse);
      } else {
        runChunks(h as Tensor2D, w as Tensor2D, (b ?? null) as Tensor1D | null, t, plan, null, forwardChunk(losses, lses));
      }
      // The kernels' saved lse per row, (m, s) [N, 2] (kernel_names.ts): rows are only sliced here.
      const lse = concatParts(lses, N, lses.length > 0 ? lses[0].shape.slice(1) : [2]);
      save([...inputs, t, lse]);
      return {
        value: reduce(losses),
        gradFunc: (dy: Tensor, saved: Tensor[]) => {
          const [sh, sw] = saved;
          const sb = (saved.length === 5 ? saved[2] : null) as Tensor1D | null;
          const [st, slse] = saved.slice(-2) as [Tensor1D, Tensor2D];
          // Recompute each chunk's logits; lse comes from the forward pass, dy per row.
          const grads = runChunks(sh as Tensor2D, sw as Tensor2D, sb, st, plan,
              (r0, n) => slice(dy as Tensor1D, [r0], [n]), (r0, n) => slice(slse, [r0, ...slse.shape.slice(1).map(() => 0)], [n, ...slse.shape.slice(1)]) as Tensor2D)!;
          return [grads.dHidden, grads.dWeight, ...(grads.dBias == null ? [] : [grads.dBias])];
        },
      };
    });
    out = $bias == null ? f(h2, $weight) : f(h2, $weight, $bias);
  }
  return reduction === 'none' ? reshapeTo(out, rowShape) : out;
}

export const linearSoftmaxCrossEntropy = /* @__PURE__ */ op({linearSoftmaxCrossEntropy_});

/**
 * The kernel contract: one name per kernel, its inputs and its attributes.
 *
 * Every backend (cpu, webgl, webgpu, tensorflow) registers kernels under these
 * names and implements exactly the formulas in `kernels/FORMULAS.md`. Kernels
 * only ever see 2-D `[rows, C]` views: the ops move the class axis last and
 * flatten before calling them.
 *
 * Optional per-class vectors (classWeights, posWeight) travel as attributes,
 * not tensors: they are hyperparameters, they need no gradient, and tfjs cannot
 * save an absent input for the backward pass. GPU backends upload them per call
 * (C floats, negligible next to the [rows, C] logits).
 */
import type {NamedTensorInfoMap, TensorInfo} from '@tensorflow/tfjs-core';

/** Softmax cross-entropy with dense (probability-row) labels. */
export const SoftmaxCrossEntropy = 'FusedSoftmaxCrossEntropy';
/** Its backward: d/dlogits (or d/dlabels, see `SoftmaxCrossEntropyGradAttrs.wrt`). */
export const SoftmaxCrossEntropyGrad = 'FusedSoftmaxCrossEntropyGrad';
/** Softmax cross-entropy with sparse (int32 class id) labels. */
export const SparseSoftmaxCrossEntropy = 'FusedSparseSoftmaxCrossEntropy';
/** Its backward: d/dlogits. */
export const SparseSoftmaxCrossEntropyGrad = 'FusedSparseSoftmaxCrossEntropyGrad';
/** Elementwise sigmoid cross-entropy with logits. */
export const SigmoidCrossEntropy = 'FusedSigmoidCrossEntropy';
/** Its backward: d/dlogits (or d/dlabels). */
export const SigmoidCrossEntropyGrad = 'FusedSigmoidCrossEntropyGrad';

/** Every kernel name of the contract, for registration checks. */
export const ALL_KERNEL_NAMES = [
  SoftmaxCrossEntropy, SoftmaxCrossEntropyGrad, SparseSoftmaxCrossEntropy,
  SparseSoftmaxCrossEntropyGrad, SigmoidCrossEntropy, SigmoidCrossEntropyGrad,
] as const;

/**
 * Attributes of every softmax cross-entropy kernel, forward and backward.
 * All of them are applied inside the kernels.
 */
export interface SoftmaxCrossEntropyAttrs {
  /** T > 0: the kernels use z = logits / T. 1 = off. */
  temperature: number;
  /** ε in [0, 1): targets become (1 − ε)·y + ε/C. 0 = off. */
  labelSmoothing: number;
  /** λ ≥ 0: adds λ·lse² per row. 0 = off. */
  zLoss: number;
  /** Per-class weights w[c], length C; null = all ones. */
  classWeights: number[] | null;
  /** Sparse only: rows whose label equals it give loss 0 and gradient 0. null = none. */
  ignoreIndex: number | null;
  /**
   * The reduction of the per-row loss L[i], applied inside the kernel pair
   * (kernels/FORMULAS.md, "Fused reductions"), default 'none':
   *  - 'none': forward loss `[rows]`, `scale·L[i]`; backward dy `[rows]`;
   *  - 'all':  forward loss `[]` (a scalar), `scale·Σ_i L[i]`; backward dy one
   *    element, broadcast to every row.
   * The backward is `scale·dy_b[i]·∂L[i]`. An op that sums or averages the
   * loss thus differentiates the reduction in the backward kernel (one
   * dispatch on GPUs), not through tfjs's sum/mean gradients.
   */
  reduction?: SoftmaxReduction;
  /** Multiplies the forward loss and the backward (default 1): 1/rows for a mean. */
  scale?: number;
}

/** The reductions of the softmax kernels (`SoftmaxCrossEntropyAttrs.reduction`). */
export type SoftmaxReduction = 'none' | 'all';

/** Backward attributes: the forward ones plus which input to differentiate. */
export interface SoftmaxCrossEntropyGradAttrs extends SoftmaxCrossEntropyAttrs {
  /**
   * 'logits' (always available) or 'labels' (dense kernels only; computed only
   * when the labels are on the differentiation path).
   */
  wrt: 'logits' | 'labels';
}

/** Dense forward inputs. logits, labels: float32 [rows, C]. */
export interface SoftmaxCrossEntropyInputs extends NamedTensorInfoMap {
  logits: TensorInfo;
  labels: TensorInfo;
}
/** Sparse forward inputs. logits: float32 [rows, C]; labels: int32 [rows]. */
export interface SparseSoftmaxCrossEntropyInputs extends NamedTensorInfoMap {
  logits: TensorInfo;
  labels: TensorInfo;
}
/**
 * Outputs of both softmax forward kernels: [loss [rows] (a scalar [] for
 * reduction 'all'), lse [rows, 2]], where
 * the second output is each row's log-sum-exp of logits / T in two parts,
 * (m, s): m = max_c logits[i, c] (the raw logit, before the temperature: an
 * exact float32 value) and s = Σ_c exp((logits[i, c] − m) / T) in [1, C], so
 * lse = m / T + log s. Kept for the backward, which computes
 * p = exp((x − m)/T) / s: a float32 lse would put up to ½ ulp(|lse|) into
 * every p (FORMULAS.md, "Precision"). Small on purpose: tfjs feeds a zeros dy
 * of its full shape to unused outputs. A +∞ logit makes s NaN.
 */
export type SoftmaxCrossEntropyOutputs = [TensorInfo, TensorInfo];

/**
 * Backward inputs (dense and sparse): logits [rows, C], labels ([rows, C]
 * float32 or [rows] int32), lse [rows, 2] (m, s) from the forward, dy [rows]
 * (one element for reduction 'all'). Output: one float32 [rows, C] tensor.
 */
export interface SoftmaxCrossEntropyGradInputs extends NamedTensorInfoMap {
  logits: TensorInfo;
  labels: TensorInfo;
  lse: TensorInfo;
  dy: TensorInfo;
}

/**
 * The reduction of an elementwise `[rows, C]` kernel (sigmoid, binary focal),
 * applied inside the kernel, and the layout of its backward's `dy`
 * (kernels/FORMULAS.md, "Fused reductions"):
 *  - 'none': forward `[rows, C]`, `L[i, c]·scale`; dy `[rows, C]`;
 *  - 'rows': forward `[rows]`, `scale·Σ_c L[i, c]`; dy `[rows]`, broadcast along C;
 *  - 'all':  forward `[]` (a scalar), `scale·Σ_{i,c} L[i, c]`; dy one element.
 * The backward is `dx[i, c] = scale·dy_b[i, c]·∂L[i, c]`, dy_b the broadcast dy.
 * So an op that reduces such a loss differentiates the reduction in this
 * kernel pair, never through tfjs's sum/mean gradients, which build an
 * `[rows, C]` ones tensor on the host (an N·C·4-byte upload on GPUs).
 */
export type ElementwiseReduction = 'none' | 'rows' | 'all';
export interface ElementwiseReductionAttrs {
  /** Default 'none'. */
  reduction?: ElementwiseReduction;
  /** Multiplies the forward output and the backward (default 1): 1/C, 1/(rows·C) for means. */
  scale?: number;
}

/** Attributes of the sigmoid cross-entropy kernels. */
export interface SigmoidCrossEntropyAttrs extends ElementwiseReductionAttrs {
  /** ε in [0, 1): targets become z·(1 − ε) + ε/2. */
  labelSmoothing: number;
  /** Positive-class weight q: null (= 1), length 1 (scalar) or length C (per class). */
  posWeight: number[] | null;
}
export interface SigmoidCrossEntropyGradAttrs extends SigmoidCrossEntropyAttrs {
  wrt: 'logits' | 'labels';
}
/** Sigmoid forward inputs: logits, labels float32 [rows, C]. Output: loss [rows, C], [rows] or [] (`reduction`). */
export interface SigmoidCrossEntropyInputs extends NamedTensorInfoMap {
  logits: TensorInfo;
  labels: TensorInfo;
}
/** Sigmoid backward inputs: logits, labels [rows, C]; dy the forward output's shape (`reduction`). Output: [rows, C]. */
export interface SigmoidCrossEntropyGradInputs extends NamedTensorInfoMap {
  logits: TensorInfo;
  labels: TensorInfo;
  dy: TensorInfo;
}

// ---------------------------------------------------------------------------
// One-hot dense labels (kernels/FORMULAS.md, "One-hot dense labels"). For
// backends whose kernels read a tensor where it lives, synchronously (wasm):
// softmaxCrossEntropyWithLogits asks the first kernel whether every labels row
// is one-hot and, if so, runs the second, which saves the class ids for the
// backward instead of the [rows, C] labels. That matters where tfjs's engine
// copies what a gradient saves (tfjs-wasm's Identity copies; cpu's, webgl's
// and webgpu's share the buffer). Registered on wasm only; not part of
// ALL_KERNEL_NAMES (`useFusedKernel` checks per backend).
// ---------------------------------------------------------------------------

/**
 * Dense labels float32 [rows, C] → int32 [rows]: each row's class id when
 * every row is one-hot (one entry exactly 1, every other ±0), else an int32
 * [0] (a NaN, any other value, no 1 or two 1s in some row). Shape, not
 * values, carries the answer, so the op decides without a read-back.
 * Its gradient w.r.t. the labels is 0 (class ids are not differentiable);
 * the labels' gradient flows through OneHotSoftmaxCrossEntropy.
 */
export const DenseLabelClassIds = 'FusedDenseLabelClassIds';
export interface DenseLabelClassIdsInputs extends NamedTensorInfoMap {
  labels: TensorInfo;
}
export interface DenseLabelClassIdsAttrs {
  /** C, the labels' second dimension (for the gradient's zeros: the labels are not saved). */
  classes: number;
}

/**
 * SoftmaxCrossEntropy for labels that DenseLabelClassIds found one-hot, given
 * both: `{logits [rows, C], labels [rows, C], classIds int32 [rows]}`, the
 * softmax attributes (ignoreIndex null), outputs as SoftmaxCrossEntropy's.
 * One-hot dense targets are the sparse ones (FORMULAS.md, step 4), so the
 * kernel is the backend's SparseSoftmaxCrossEntropy on classIds, and the
 * gradient saves logits and classIds, not the labels: d/dlogits is
 * SparseSoftmaxCrossEntropyGrad; d/dlabels, SoftmaxCrossEntropyGrad with
 * wrt 'labels' (which reads logits and (m, s) only) on the one-hot rows
 * rebuilt from classIds.
 */
export const OneHotSoftmaxCrossEntropy = 'FusedOneHotSoftmaxCrossEntropy';
export interface OneHotSoftmaxCrossEntropyInputs extends NamedTensorInfoMap {
  logits: TensorInfo;
  labels: TensorInfo;
  classIds: TensorInfo;
}

/**
 * FocalCrossEntropy for labels that DenseLabelClassIds found one-hot, as
 * OneHotSoftmaxCrossEntropy is for SoftmaxCrossEntropy: inputs
 * `{logits, labels, classIds}`, the focal attributes (ignoreIndex null),
 * FocalCrossEntropy's outputs; the backend's SparseFocalCrossEntropy on
 * classIds, d/dlogits by SparseFocalCrossEntropyGrad, d/dlabels by
 * FocalCrossEntropyGrad (wrt 'labels', which reads logits and (m, s) only) on
 * the one-hot rows rebuilt from classIds.
 */
export const OneHotFocalCrossEntropy = 'FusedOneHotFocalCrossEntropy';

/** The one-hot kernels (registered together, on wasm). */
export const ONE_HOT_KERNEL_NAMES = [DenseLabelClassIds, OneHotSoftmaxCrossEntropy, OneHotFocalCrossEntropy] as const;

// ---------------------------------------------------------------------------
// Fused linear + sparse softmax cross-entropy forward (linearSoftmaxCrossEntropy
// without gradients). Registered on cpu and webgpu; elsewhere the op runs its
// chunk loop (tfjs matMul + SparseSoftmaxCrossEntropy). Not in ALL_KERNEL_NAMES.
// ---------------------------------------------------------------------------

/**
 * The SparseSoftmaxCrossEntropy outputs `[loss [N], lse [N, 2]]` of the logits
 * `hidden·Wᵀ + bias` (weight `[V, H]`, layout 'VH') or `hidden·W + bias`
 * (weight `[H, V]`, 'HV'), with the softmax attributes applied to those
 * logits exactly as in that kernel. The `[N, V]` logits never exist: the
 * kernel keeps a tile of them (webgpu: workgroup memory; cpu: a block of rows)
 * and the per-row online log-sum-exp state.
 */
export const LinearSparseSoftmaxCrossEntropy = 'FusedLinearSparseSoftmaxCrossEntropy';
/** hidden float32 [N, H]; weight float32 [V, H] or [H, V]; labels int32 [N]; bias float32 [V] (optional). */
export interface LinearSparseSoftmaxCrossEntropyInputs extends NamedTensorInfoMap {
  hidden: TensorInfo;
  weight: TensorInfo;
  labels: TensorInfo;
  bias?: TensorInfo;
}
export interface LinearSparseSoftmaxCrossEntropyAttrs extends SoftmaxCrossEntropyAttrs {
  weightLayout: 'VH' | 'HV';
}

// ---------------------------------------------------------------------------
// Focal cross-entropy (Lin et al. 2017, Keras 3 definitions). Fused on cpu,
// wasm, webgl and webgpu; other backends use the composite path in
// src/ops/focal_cross_entropy.ts. Not part of ALL_KERNEL_NAMES: not every
// backend registers these (`useFusedKernel` checks per backend).
// ---------------------------------------------------------------------------

/** Softmax focal cross-entropy with dense (probability-row) labels. */
export const FocalCrossEntropy = 'FusedFocalCrossEntropy';
/** Its backward: d/dlogits (or d/dlabels). */
export const FocalCrossEntropyGrad = 'FusedFocalCrossEntropyGrad';
/** Softmax focal cross-entropy with sparse (int32 class id) labels. */
export const SparseFocalCrossEntropy = 'FusedSparseFocalCrossEntropy';
/** Its backward: d/dlogits. */
export const SparseFocalCrossEntropyGrad = 'FusedSparseFocalCrossEntropyGrad';
/** Elementwise binary (sigmoid) focal cross-entropy with logits. */
export const BinaryFocalCrossEntropy = 'FusedBinaryFocalCrossEntropy';
/** Its backward: d/dlogits (or d/dlabels). */
export const BinaryFocalCrossEntropyGrad = 'FusedBinaryFocalCrossEntropyGrad';

/** Every focal kernel name (registered on cpu, wasm, webgl and webgpu). */
export const FOCAL_KERNEL_NAMES = [
  FocalCrossEntropy, FocalCrossEntropyGrad, SparseFocalCrossEntropy,
  SparseFocalCrossEntropyGrad, BinaryFocalCrossEntropy, BinaryFocalCrossEntropyGrad,
] as const;

/**
 * Attributes of the softmax focal kernels (dense and sparse), forward and
 * backward. Inputs and outputs are those of the softmax cross-entropy kernels:
 * forward `{logits, labels}` → `[loss [rows], lse [rows, 2]]` ((m, s) as for
 * softmax cross-entropy); backward
 * `{logits, labels, lse, dy}` → one float32 `[rows, C]`.
 */
export interface FocalCrossEntropyAttrs {
  /** T > 0: the kernels use z = logits / T. 1 = off. */
  temperature: number;
  /** ε in [0, 1): targets become (1 − ε)·y + ε/C. 0 = off. */
  labelSmoothing: number;
  /** γ ≥ 0: the focusing exponent on (1 − p). 0 = weighted cross-entropy. */
  gamma: number;
  /** α: length 1 (scalar, Keras default 0.25) or length C (per class). */
  alpha: number[];
  /** Per-class weights w[c], length C, multiplied into α; null = all ones. */
  classWeights: number[] | null;
  /** Sparse only: rows whose label equals it give loss 0 and gradient 0. null = none. */
  ignoreIndex: number | null;
}
export interface FocalCrossEntropyGradAttrs extends FocalCrossEntropyAttrs {
  /** 'logits', or 'labels' (dense only). */
  wrt: 'logits' | 'labels';
}

/**
 * Attributes of the binary focal kernels. Inputs/outputs as the sigmoid
 * kernels: forward `{logits, labels}` [rows, C] → loss [rows, C], or reduced
 * by `reduction` / `scale` ([rows] for the Keras mean over the last axis);
 * backward `{logits, labels, dy}` → [rows, C], dy of the forward output's shape.
 */
export interface BinaryFocalCrossEntropyAttrs extends ElementwiseReductionAttrs {
  /** ε in [0, 1): targets become z·(1 − ε) + ε/2. */
  labelSmoothing: number;
  /** γ ≥ 0. */
  gamma: number;
  /** α in [0, 1], used only when applyClassBalancing. */
  alpha: number;
  /** Multiply by α·ẑ + (1 − α)·(1 − ẑ). */
  applyClassBalancing: boolean;
}
export interface BinaryFocalCrossEntropyGradAttrs extends BinaryFocalCrossEntropyAttrs {
  wrt: 'logits' | 'labels';
}

// ---------------------------------------------------------------------------
// In-place kernels, internal to linearSoftmaxCrossEntropy (src/ops/
// linear_cross_entropy_chunks.ts). Registered on cpu and webgpu only; not part
// of ALL_KERNEL_NAMES. WebGL has none: a fragment shader cannot read and write
// one texture, so there the op keeps its out-of-place accumulation.
//
// Aliasing rule. These kernels WRITE INTO an input's buffer and return a
// TensorInfo with that same dataId (after `backend.incRef`, as tfjs's reshape
// kernels share a dataId), so the caller sees a new tensor object over the old
// buffer, and the old tensor object now holds the new values too. That is only
// sound for a tensor nothing else can observe: the op creates each accumulator
// itself (a fresh `zeros`), hands it to these kernels only, disposes the old
// tensor object right after each call, and lets it escape (as a gradient, or
// into customGrad's saved list) only once it is final. The kernels refuse an
// accumulator whose buffer has another reference (backend refCount ≠ 1), an
// accumulator that is also one of their other inputs, and a non-float32 one.
// Never use them on user tensors.
// ---------------------------------------------------------------------------

/**
 * acc[rowOffset + i, j] += Σ_k A(i, k)·B(k, j) for i < M, j < P, k < K, where
 * A = a ([M, K]) or aᵀ (a is [K, M], `transposeA`) and B = b ([K, P]) or bᵀ
 * (b is [P, K], `transposeB`); acc is float32 [R, P] with rowOffset + M ≤ R.
 * Written into acc's own buffer; the output shares acc's dataId.
 */
export const MatMulAccumulate = 'FusedMatMulAccumulate';
export interface MatMulAccumulateInputs extends NamedTensorInfoMap {
  acc: TensorInfo;
  a: TensorInfo;
  b: TensorInfo;
}
export interface MatMulAccumulateAttrs {
  transposeA: boolean;
  transposeB: boolean;
  /** First row of acc that receives row 0 of the product. */
  rowOffset: number;
}

/** x *= s[0], s a float32 tensor of one element; written into x's buffer, the output shares x's dataId. */
export const ScaleInPlace = 'FusedScaleInPlace';
export interface ScaleInPlaceInputs extends NamedTensorInfoMap {
  x: TensorInfo;
  s: TensorInfo;
}

/**
 * SparseSoftmaxCrossEntropyGrad (wrt 'logits') written over the logits: the
 * same inputs, attributes and values, but the gradient replaces the logits in
 * their own float32 buffer and the output shares the logits' dataId. Used on a
 * chunk's logits, which nothing reads after the gradient, so one `[n, V]`
 * buffer per chunk is alive instead of two.
 */
export const SparseSoftmaxCrossEntropyGradInPlace = 'FusedSparseSoftmaxCrossEntropyGradInPlace';

/** The in-place kernel names (cpu and webgpu). */
export const IN_PLACE_KERNEL_NAMES = [MatMulAccumulate, ScaleInPlace, SparseSoftmaxCrossEntropyGradInPlace] as const;

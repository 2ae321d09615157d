/**
 * The composite path: the kernel contract (kernels/FORMULAS.md) computed from
 * stable tfjs ops, for backends without fused kernels (wasm, tfjs-node's
 * unsupported options) and for comparison when FUSED_CE_FORCE_COMPOSITE is set.
 * Same results and options as the kernels; the gradients are the contract's
 * closed forms (tf.customGrad), not autodiff through the chain, so masks and
 * ignored rows behave exactly as in the kernels.
 */
import {log1pExpNegAbs, softplus} from './stable_math';
import {add, concat, engine, gather, gatherND, isNaN, range, slice, softmax, tensor2d, tensorScatterUpdate, tidy, zeros, onesLike, oneHot, reshape, div, exp, GradSaveFunc, log, logicalAnd, logicalOr, max, mul, neg, relu, scalar, sigmoid, stack, sub, sum, Tensor, Tensor1D, Tensor2D, tensor1d, where, zerosLike, cast, equal, greaterEqual, less, fill, expandDims, logicalNot} from '@tensorflow/tfjs-core';
import {capabilities} from '../../kernels/capabilities';
import {deviceClassVector} from './validate';
import {broadcastDy, reduceElementwise, reduceRowLosses, rowLossDy} from './elementwise_reduction';
import type {SigmoidCrossEntropyAttrs as KernelSigmoidAttrs, SoftmaxCrossEntropyAttrs as KernelSoftmaxAttrs} from '../../kernels/kernel_names';

/**
 * The kernels' attributes as the composite path takes them: a per-class vector
 * (classWeights, posWeight) may also be a float32 tensor left where it lives,
 * for a GPU-resident tensor the op must not read synchronously
 * (validate.ts, `classVector`).
 */
export type CompositeSoftmaxAttrs = Omit<KernelSoftmaxAttrs, 'classWeights'> & {classWeights: number[] | Tensor | null};
export type CompositeSigmoidAttrs = Omit<KernelSigmoidAttrs, 'posWeight'> & {posWeight: number[] | Tensor | null};
type SoftmaxCrossEntropyAttrs = CompositeSoftmaxAttrs;
type SigmoidCrossEntropyAttrs = CompositeSigmoidAttrs;

/** A per-class vector as a [C] tensor (made from numbers, or the device tensor itself). */
function classVectorTensor(v: number[] | Tensor): Tensor {
  return v instanceof Tensor ? deviceClassVector(v) : tensor1d(v, 'float32');
}

/** Σ_c v[c]: a number, or a scalar tensor for a device vector. */
function classVectorSum(v: number[] | Tensor): number | Tensor {
  return v instanceof Tensor ? sum(deviceClassVector(v)) : v.reduce((a, b) => a + b, 0);
}

/**
 * tf.customGrad for a function of two tensors, with lazy gradients: gradFunc
 * returns one thunk per input and the tape calls only those of inputs that
 * need a gradient, each inside a tidy. (tf.customGrad computes every input's
 * gradient eagerly: the dense labels gradient, a [rows, C] chain, on every
 * backward, needed or not.) Built on the engine's runKernelFunc, which
 * tf.customGrad itself calls (private in tfjs-core's typings); the forward runs
 * inside the engine's tidy there, as with tf.customGrad.
 */
interface LazyGrad<T extends Tensor> {
  value: T;
  gradFunc: (dy: Tensor, saved: Tensor[]) => [() => Tensor, () => Tensor];
}
function customGrad2<T extends Tensor>(f: (a: Tensor, b: Tensor, save: GradSaveFunc) => LazyGrad<T>): (a: Tensor, b: Tensor) => T {
  const e = engine() as unknown as {runKernelFunc(params: {
    forwardFunc: (backend: unknown, save: GradSaveFunc) => Tensor,
    backwardsFunc: (dy: Tensor, saved: Tensor[]) => {[input: string]: () => Tensor},
    inputs: {[input: string]: Tensor},
  }): Tensor};
  return (a, b) => {
    let res: LazyGrad<T> | null = null;
    return e.runKernelFunc({
      forwardFunc: (_backend, save) => {
        res = f(a, b, save);
        return res.value;
      },
      backwardsFunc: (dy, saved) => {
        const [da, db] = res!.gradFunc(dy, saved);
        return {0: da, 1: db};
      },
      inputs: {0: a, 1: b},
    }) as T;
  };
}

/** z = x / T (no [rows, C] pass at all when T = 1). */
export function scaled(x: Tensor, temperature: number): Tensor {
  return temperature === 1 ? x : div(x, temperature);
}

/**
 * Row-wise log-sum-exp of z [rows, C] → [rows, 1], stable (max-shifted; an all
 * −∞ row gives −∞: there z − m is NaN, and the final `where` picks m).
 *
 * The `where` is last on purpose. On tfjs-webgl, [rows, 1] goes into packed
 * textures of 2×2 texels whose lanes past an odd row count are padding, and
 * packed elementwise programs compute on those lanes too: log(sum) there is
 * log(0) (−∞; −88.03 on SwiftShader, whose log(0) is finite), so
 * exp(z − lse) put ≈1e38 or +∞ in the gradient's padding, then 0·∞ = NaN, and
 * tfjs's packed MatMul sums the padding lanes of an odd shared dimension (a
 * weight gradient Gᵀ·h over 13 rows: whole rows of it NaN). `where` runs unpacked,
 * so its result is packed again with zeros in the padding before any packed
 * consumer. (scripts/webgl-padding-nan-repro.ts shows it step by step.)
 */
export function logSumExpRows(z: Tensor): Tensor {
  const m = max(z, -1, true);
  return where(equal(m, scalar(-Infinity)), m, add(log(sum(exp(sub(z, m)), -1, true)), m));
}

/**
 * logSumExpRows, except where the backend declares its Exp kernel slower than
 * its Softmax (`softmaxFasterThanExp`, kernels/capabilities.ts: tfjs-wasm's
 * Exp is scalar, its Softmax vectorised; timings in kernels/MEASUREMENTS.md):
 * the row maximum of p = softmax(z) is exp(m − lse) = 1/Σ exp(z − m), at
 * least 1/C: lse = m − log(max_c p). A NaN in the row makes p's row NaN, so lse is NaN; +∞ gives NaN
 * (∞ − ∞), as logSumExpRows does; an all −∞ row gives −∞ (the `where`).
 */
export function rowLogSumExp(z: Tensor): Tensor {
  if (!capabilities().softmaxFasterThanExp || z.shape[0] === 0) return logSumExpRows(z);
  const m = max(z, -1, true);
  return where(equal(m, scalar(-Infinity)), m, sub(m, log(max(softmax(z), -1, true))));
}

/**
 * The row log-sum-exp of z = x/T in parts (FORMULAS.md, "Precision"):
 * m = max_c x [rows, 1] (in logit units: an exact float32 value),
 * d = (x − m)/T [rows, C] (z − m/T without the rounding of z itself: in this
 * order d stays accurate in float32 where |x|/T is 1e6), s = Σ_c exp(d)
 * [rows, 1], in [1, C]. lse = m/T + log s, but no float32 lse is formed for
 * the loss or the gradient: the loss terms are log s − d and p = exp(d)/s.
 * An all −∞ row, and a +∞ logit, make d NaN (∞ − ∞) and so s (the contract's
 * loss and gradient there are NaN). With `softmaxFasterThanExp` (see
 * rowLogSumExp) s = 1/max_c softmax(d): the row's largest probability is exp(0)/s; with
 * T = 1 and `needD` false, softmax(x) itself and no d. The same number of
 * [rows, C] passes as the single-lse form (d replaces z − lse and lse − z),
 * except on that path's dense forward, where d is one more. On GPUs a row
 * whose m is NaN or +∞ gets s = NaN explicitly: there ∞ − ∞ and exp(NaN) need
 * not be NaN (SwiftShader: a +∞ logit gave a finite loss and gradient).
 */
export interface RowParts {m: Tensor; d: Tensor | null; s: Tensor}
export function rowParts(x: Tensor, T: number, needD = true): RowParts {
  const m = max(x, -1, true);
  const viaSoftmax = capabilities().softmaxFasterThanExp && x.shape[0] !== 0;
  const d = needD || !viaSoftmax || T !== 1 ? scaled(sub(x, m), T) : null;
  const s = viaSoftmax ? div(1, max(softmax(d ?? x), -1, true)) : sum(exp(d!), -1, true);
  if (onHost()) return {m, d, s};
  return {m, d, s: where(logicalOr(isNaN(m), equal(m, scalar(Infinity))), fill(s.shape, NaN), s)};
}

/**
 * A [rows, 1] row factor v made by log or 1/· of s, ending in `where`s on
 * GPUs: tfjs-webgl's packed padding lanes become 0, not log(0) or 1/0 (see
 * logSumExpRows); rows with m = −∞ get m (their loss and gradient are NaN
 * through d anyway); rows with s = NaN (a NaN or +∞ logit, see rowParts) get
 * NaN, which log(NaN) need not be on a GPU.
 */
export function rowFactor(m: Tensor, s: Tensor, v: Tensor): Tensor {
  return onHost() ? v : where(isNaN(s), s, where(equal(m, scalar(-Infinity)), m, v));
}

/** The kernels' saved second output, [rows, 2] (m, s) (kernel_names.ts), from RowParts. */
export function savedStats(m: Tensor, s: Tensor): Tensor {
  // (tfjs-cpu's concat of empty tensors leaves an array its Slice cannot read.)
  return m.shape[0] === 0 ? zeros([0, 2]) : concat([m, s], 1);
}

/** m and s ([rows, 1] each) of a saved [rows, 2] (m, s). */
export function splitStats(stats: Tensor): {m: Tensor, s: Tensor} {
  return {m: slice(stats, [0, 0], [-1, 1]), s: slice(stats, [0, 1], [-1, 1])};
}

/** lse = m/T + log s [rows, 1], for the z-loss (which needs lse itself, to float32 accuracy). */
function lseOf(m: Tensor, ls: Tensor, T: number): Tensor {
  return add(scaled(m, T), ls);
}

/**
 * p = e·k given the saved (m, s): e = exp((x − m)/T) and k = 1/s [rows, 1],
 * so that a caller folds k into its row factor (no [rows, C] pass for it).
 * With `softmaxFasterThanExp` e = softmax itself and k = null (the backend's
 * Softmax is faster than its Exp alone: kernels/MEASUREMENTS.md).
 */
function probabilityParts(x: Tensor, m: Tensor, s: Tensor, T: number): {e: Tensor, k: Tensor | null} {
  if (capabilities().softmaxFasterThanExp) return {e: softmax(T === 1 ? x : scaled(sub(x, m), T)), k: null};
  return {e: exp(scaled(sub(x, m), T)), k: rowFactor(m, s, div(1, s))};
}

function weightsRow(attrs: SoftmaxCrossEntropyAttrs): Tensor | null {
  return attrs.classWeights == null ? null : expandDims(classVectorTensor(attrs.classWeights), 0);
}

/** ŷ = (1 − ε)·y + ε/C. */
export function smoothTargets(y: Tensor2D, attrs: {labelSmoothing: number}): Tensor2D {
  const C = y.shape[1];
  const eps = attrs.labelSmoothing;
  return eps === 0 ? y : add(mul(y, 1 - eps), eps / C) as Tensor2D;
}

/**
 * Row states: `valid` rows compute normally; `ignored` rows give 0; any other
 * row (sparse label out of range) gives NaN, as the GPU kernels do.
 */
export interface RowMasks {ignored: Tensor | null; invalid: Tensor | null;}

/** Applies row masks to a per-row [rows] or per-element [rows, C] tensor. */
export function applyRowMasks(v: Tensor, masks: RowMasks): Tensor {
  const lift = (m: Tensor) => (v.rank === 2 ? expandDims(m, 1) : m);
  let out = v;
  if (masks.invalid != null) {
    out = where(lift(masks.invalid), fill(out.shape, NaN), out);
  }
  if (masks.ignored != null) {
    out = where(lift(masks.ignored), zerosLike(out), out);
  }
  return out;
}

/**
 * Σ_c terms[i, c] over the c with ŷ[i, c] ≠ 0, per row [rows] (FORMULAS.md:
 * terms with ŷ = 0 are skipped, not multiplied, since 0·∞ would be NaN).
 * On host-memory backends (`compositeOnHost`) without the [rows, C] `where`
 * that skipping takes unless a row needs it (equal + where are a large share
 * of the dense forward on tfjs-wasm, whose comparison kernels are scalar;
 * kernels/MEASUREMENTS.md): the terms, in
 * which a skipped entry is 0·(something), are summed, the [rows] sums are
 * read back (a copy), and only if some came out NaN (where a skipped entry
 * can matter: 0 times a ±∞ or NaN, e.g. a −∞ logit under a 0 label) are they
 * summed again with the `where`: on those rows alone when they are few
 * (tfjs's Gather costs about as much per row as the full-size `where`:
 * at most 1/32 of the rows, below the break-evens in kernels/MEASUREMENTS.md),
 * else on all rows. A row that is NaN by the contract (a NaN logit or label) stays
 * NaN. Elsewhere (GPUs, where a read back is a sync) the `where` always.
 */
export function rowSumSkippingZeros(yh: Tensor, terms: Tensor): Tensor {
  const skipZeros = (y: Tensor, t: Tensor) => sum(where(equal(y, 0), zerosLike(y), t), -1);
  if (!onHost()) return skipZeros(yh, terms);
  const loss = sum(terms, -1);
  const v = loss.dataSync(), nan: number[] = [];
  for (let i = 0; i < v.length; i++) {
    if (Number.isNaN(v[i])) nan.push(i);
  }
  if (nan.length === 0) return loss;
  if (32 * nan.length > v.length) return skipZeros(yh, terms);
  const rows = tensor1d(nan, 'int32');
  return tensorScatterUpdate(loss, reshape(rows, [-1, 1]), skipZeros(gather(yh, rows), gather(terms, rows)));
}

/** The dense forward: loss [rows] and the saved (m, s) [rows, 2]. Terms w·ŷ·(log s − d) = w·ŷ·(lse − z). */
function forward(x: Tensor2D, yh: Tensor2D, attrs: SoftmaxCrossEntropyAttrs, masks: RowMasks): {loss: Tensor1D, lse: Tensor} {
  const {m, d, s} = rowParts(x, attrs.temperature);
  const ls = rowFactor(m, s, log(s));
  const w = weightsRow(attrs);
  let loss = rowSumSkippingZeros(yh, mul(w == null ? yh : mul(w, yh), sub(ls, d!)));
  if (attrs.zLoss !== 0) {
    const lse = lseOf(m, ls, attrs.temperature);
    loss = add(loss, mul(attrs.zLoss, reshape(mul(lse, lse), [-1])));
  }
  return {loss: applyRowMasks(loss, masks) as Tensor1D, lse: savedStats(m, s)};
}

/** d/dlogits from the saved (m, s) [rows, 2]: p = e·k (probabilityParts), k folded into W. */
function logitsGrad(x: Tensor2D, yh: Tensor2D, stats: Tensor, dy: Tensor, attrs: SoftmaxCrossEntropyAttrs, masks: RowMasks): Tensor {
  const {m, s} = splitStats(stats);
  const {e, k} = probabilityParts(x, m, s, attrs.temperature);
  const w = weightsRow(attrs);
  const wy = w == null ? yh : mul(w, yh);
  const W = sum(wy, -1, true);
  // W·p − w·ŷ first, then the z-loss term 2λ·lse·p: adding 2λ·lse to W before
  // the subtraction would cancel in float32 (C = 1: W·p − w·ŷ is exactly 0:
  // e = exp(0) = 1 and k = 1/1).
  let inner = sub(mul(k == null ? W : mul(W, k), e), wy);
  if (attrs.zLoss !== 0) {
    const lse = lseOf(m, rowFactor(m, s, log(s)), attrs.temperature);
    const zk = mul(2 * attrs.zLoss, lse);
    inner = add(inner, mul(k == null ? zk : mul(zk, k), e));
  }
  const g = div(expandDims(dy, 1), attrs.temperature);
  const dx = mul(g, inner);
  return applyRowMasks(dx, masks);
}

/** d/dlabels = dy·(1 − ε)·w·(lse − z), with lse − z = log s − (x − m)/T from the saved (m, s). */
function labelsGrad(x: Tensor2D, stats: Tensor, dy: Tensor, attrs: SoftmaxCrossEntropyAttrs): Tensor {
  const {m, s} = splitStats(stats);
  const d = scaled(sub(x, m), attrs.temperature);
  const w = weightsRow(attrs);
  const scale = mul(expandDims(dy, 1), 1 - attrs.labelSmoothing);
  const g = mul(scale, sub(rowFactor(m, s, log(s)), d));
  return w == null ? g : mul(w, g);
}

export const NO_MASKS: RowMasks = {ignored: null, invalid: null};

/** Dense softmax cross-entropy [rows, C] → loss [rows] (or its reduction, `attrs.reduction`), composite path. */
export function compositeSoftmaxCrossEntropy(x: Tensor2D, y: Tensor2D, attrs: SoftmaxCrossEntropyAttrs): Tensor1D {
  const f = customGrad2((logits: Tensor, labels: Tensor, save: GradSaveFunc) => {
    const yh = smoothTargets(labels as Tensor2D, attrs);
    const {loss, lse} = forward(logits as Tensor2D, yh, attrs, NO_MASKS);
    save([logits, labels, lse]);
    return {
      value: reduceRowLosses(loss, attrs),
      gradFunc: (dyIn: Tensor, saved: Tensor[]) => {
        const [sx, sy, slse] = saved;
        const dy = rowLossDy(dyIn, sx.shape[0], attrs);
        return [() => logitsGrad(sx as Tensor2D, smoothTargets(sy as Tensor2D, attrs), slse, dy, attrs, NO_MASKS),
                () => labelsGrad(sx as Tensor2D, slse, dy, attrs)];
      },
    };
  });
  return f(x, y) as Tensor1D;
}

/** Smoothed one-hot targets of sparse labels, and the ignored / out-of-range row masks. */
export function sparseTargets(labels: Tensor, C: number, attrs: {labelSmoothing: number, ignoreIndex: number | null}): {yh: Tensor2D, masks: RowMasks} {
  const {safe, masks} = sparseRows(labels, C, attrs);
  // tf.oneHot is one kernel on every backend but refuses C = 1, where every row is class 0.
  // Its dtype argument is not used: tfjs-wasm 4.22's OneHot writes int32 ones into a float32
  // output (1.4e-45 each; test/wasm.test.ts caught it), so an int32 one-hot is cast instead.
  const oneHotRows = (C === 1 ? onesLike(expandDims(cast(safe, 'float32'), 1)) :
                                cast(oneHot(cast(safe, 'int32'), C), 'float32')) as Tensor2D;
  const yh = smoothTargets(oneHotRows, attrs);
  return {yh, masks};
}

/**
 * Backends whose tensors live in host memory, where reading a few values back
 * is a copy, not a device round trip, and float arithmetic is IEEE
 * (declared per backend: kernels/capabilities.ts, `compositeOnHost`).
 */
function onHost(): boolean {
  return capabilities().compositeOnHost;
}

/**
 * The row masks of sparse labels [rows], and the labels with out-of-range ones
 * replaced by 0. On cpu and wasm the labels are read (a copy of [rows]) and
 * only the masks that some row needs are built: usually none, and then the
 * labels pass through untouched.
 */
function sparseRows(labels: Tensor, C: number, attrs: {ignoreIndex: number | null}): {safe: Tensor, masks: RowMasks} {
  let needIgnored = attrs.ignoreIndex != null, needInvalid = true, needSafe = true;
  if (onHost()) {
    const v = labels.dataSync();
    needIgnored = needInvalid = needSafe = false;
    for (let i = 0; i < v.length; i++) {
      const inRange = v[i] >= 0 && v[i] < C;
      if (v[i] === attrs.ignoreIndex) needIgnored = true;
      else if (!inRange) needInvalid = true;
      if (!inRange) needSafe = true;
    }
    if (!needIgnored && !needSafe) return {safe: labels, masks: NO_MASKS};
  }
  const inRange = logicalAnd(greaterEqual(labels, 0), less(labels, C));
  const ignored = needIgnored ? equal(labels, attrs.ignoreIndex!) : null;
  const invalid = !needInvalid ? null : ignored == null ? logicalNot(inRange) : logicalNot(logicalOr(inRange, ignored));
  return {safe: needSafe ? where(inRange, labels, zerosLike(labels)) : labels, masks: {ignored, invalid}};
}

/**
 * The (row, label) pairs [rows, 2] (int32) of in-range labels `t`, for
 * gatherND / tensorScatterUpdate. On host-memory backends built on the host
 * from the labels (tfjs-wasm's Pack and GatherV2 are slower than the host
 * copy for this: kernels/MEASUREMENTS.md).
 */
function targetIndex(t: Tensor, rows: number): Tensor2D {
  if (onHost()) {
    const v = t.dataSync(), idx = new Int32Array(2 * rows);
    for (let i = 0; i < rows; i++) {
      idx[2 * i] = i;
      idx[2 * i + 1] = v[i];
    }
    return tensor2d(idx, [rows, 2], 'int32');
  }
  return stack([range(0, rows, 1, 'int32'), cast(t, 'int32')], 1) as Tensor2D;
}

/**
 * The sparse forward without one-hot targets: the target's logit is gathered
 * per row, so the loss costs the lse pass plus O(rows):
 *   L = (1 − ε)·w[t]·(lse − z[t]) + (ε/C)·(lse·Σw − Σ_c w[c]·z[c]) + λ·lse²
 * (FORMULAS.md with ŷ = (1 − ε)·onehot(t) + ε/C; the ε term is one more
 * [rows, C] pass, only when ε > 0). Then the row masks, on [rows].
 */
function sparseForward(x: Tensor2D, labels: Tensor, attrs: SoftmaxCrossEntropyAttrs): {loss: Tensor1D, lse: Tensor} {
  const C = x.shape[1];
  const {safe, masks} = sparseRows(labels, C, attrs);
  const T = attrs.temperature, eps = attrs.labelSmoothing;
  // lse − z = log s − d (rowParts): no float32 lse in the loss.
  const {m, d, s} = rowParts(x, T, eps !== 0);
  const m1 = reshape(m, [-1]);
  const ls1 = reshape(rowFactor(m, s, log(s)), [-1]);
  const t = cast(safe, 'int32');
  // gatherND at (i, t[i]): gather with batchDims = 1 read out of bounds on
  // tfjs-wasm 4.22 ("memory access out of bounds") and cannot reshape an empty batch.
  const rows = x.shape[0];
  // d_t = (x_t − m)/T, from d, or (tfjs-wasm at T = 1 without smoothing: no d) from x_t.
  const dt = rows === 0 ? zeros([0]) : d != null ? gatherND(d, targetIndex(t, rows)) :
                                                   sub(gatherND(x, targetIndex(t, rows)), m1);
  const w = attrs.classWeights == null ? null : classVectorTensor(attrs.classWeights);
  let loss = sub(ls1, dt);
  if (w != null) loss = mul(gather(w, t), loss);
  if (eps !== 0) {
    // (ε/C)·Σ_c w[c]·(log s − d[c]): both parts ≥ 0 (d ≤ 0), no cancellation.
    const wSum = w == null ? C : classVectorSum(attrs.classWeights!);
    const wd = sum(w == null ? d! : mul(expandDims(w, 0), d!), -1);
    loss = add(mul(loss, 1 - eps), mul(sub(mul(ls1, wSum), wd), eps / C));
  }
  if (attrs.zLoss !== 0) {
    const lse1 = lseOf(m1, ls1, T);
    loss = add(loss, mul(attrs.zLoss, mul(lse1, lse1)));
  }
  return {loss: applyRowMasks(loss, masks) as Tensor1D, lse: savedStats(m, s)};
}

/**
 * dL/dlogits of the sparse contract (FORMULAS.md) with no [rows, C] targets
 * and no [rows, C] masks. With g = dy/T, W = (1 − ε)·w[t] + (ε/C)·Σw and
 * ŷw[c] = (ε/C)·w[c] off the target:
 *   off the target:  dx[i,c] = g·W·p + g·2λ·lse·p − g·(ε/C)·w[c]
 *   on the target:   dx[i,t] = g·((W·p_t − ŷw_t) + 2λ·lse·p_t),  ŷw_t = (1 − ε)·w[t] + (ε/C)·w[t]
 * The row masks go into g, a [rows] tensor: ignored rows 0, out-of-range rows
 * NaN (NaN·p is NaN); on cpu and wasm only where some label needs one
 * (sparseRows reads the labels). Before, one-hot targets, a row sum of them, and two
 * `where`s with a [rows, 1] condition, which tfjs-core broadcasts with Tile:
 * on tfjs-wasm that Tile alone took longer than tf.losses' whole
 * forward+backward (kernels/MEASUREMENTS.md). The target entries:
 * on cpu and wasm computed on [rows] (p_t from the gathered target logit) and
 * written in with `tensorScatterUpdate` (one copy); elsewhere as
 * dx − g·(1 − ε)·w[t]·onehot(t), since tfjs-webgl's scatter program loops over
 * every update for every output element (rows·C·rows steps) and a full-size
 * `where` costs it an unpack (the arithmetic form took half the time:
 * kernels/MEASUREMENTS.md). At C = 1 every entry is a target and the [rows] form is the
 * whole gradient: there W·p_t − ŷw_t is exactly 0 (W and ŷw_t are then the
 * same float expression), taken before the z-loss term is added, which would
 * otherwise drown in the cancellation.
 *
 * An ignored row's gradient is then 0·(…), which is −0 where (…) < 0 and NaN
 * where p or lse is NaN or ∞, i.e. where the row's lse is not finite (a NaN
 * or +∞ logit, or every logit −∞). The contract says 0: clearIgnoredRows
 * writes those rows (on cpu and wasm from the labels read back, only when a
 * row is ignored; on GPUs a `where`).
 */
function sparseLogitsGrad(x: Tensor2D, labels: Tensor, stats: Tensor, dy: Tensor, attrs: SoftmaxCrossEntropyAttrs): Tensor2D {
  const [rows, C] = x.shape;
  if (rows === 0) return zeros([0, C]) as Tensor2D;
  const T = attrs.temperature, eps = attrs.labelSmoothing, lambda = attrs.zLoss;
  const {safe, masks} = sparseRows(labels, C, attrs);
  const t = cast(safe, 'int32');
  // The saved (m, s): p = exp((x − m)/T)·k with k = 1/s (probabilityParts); lse only for the z-loss.
  const {m, s} = splitStats(stats);
  const m1 = reshape(m, [-1]);
  const k1 = reshape(rowFactor(m, s, div(1, s)), [-1]);
  const lse1 = lambda === 0 ? null : lseOf(m1, reshape(rowFactor(m, s, log(s)), [-1]), T);
  const dOf = (xt: Tensor) => scaled(sub(xt, m1), T);  // (x_t − m)/T on [rows]
  // g = dy/T with the row masks: ignored rows 0, out-of-range rows NaN.
  const g = applyRowMasks(T === 1 ? reshape(dy, [-1]) : div(reshape(dy, [-1]), T), masks);
  const w = attrs.classWeights == null ? null : classVectorTensor(attrs.classWeights);
  const wt = w == null ? null : gather(w, t);
  const wSum = attrs.classWeights == null ? C : classVectorSum(attrs.classWeights);
  // W and ŷw_t, each one float expression: equal at C = 1, where Σw = w[t]. Unweighted, unsmoothed: 1.
  const W = eps === 0 ? wt : add(mul(wt ?? 1, 1 - eps), mul(eps / C, wSum));
  const yt = eps === 0 ? wt : add(mul(wt ?? 1, 1 - eps), mul(wt ?? 1, eps / C));

  // A target entry computed on [rows] from d_t = (x_t − m)/T: g·((W·p_t − ŷw_t) + 2λ·lse·p_t).
  const targetValue = (dt: Tensor) => {
    const pt = mul(exp(dt), k1);
    let inner = sub(W == null ? pt : mul(W, pt), yt ?? 1);
    if (lse1 != null) inner = add(inner, mul(mul(lse1, 2 * lambda), pt));
    return mul(g, inner);
  };

  let dx: Tensor;
  if (C === 1) {
    dx = reshape(targetValue(dOf(reshape(x, [-1]))), [rows, 1]);  // every entry is a target (d = 0, p = 1)
  } else {
    const {e, k} = probabilityParts(x, m, s, T);  // p = e·k, k folded into the [rows] factors
    const gk = k == null ? g : mul(g, k1);
    dx = mul(expandDims(W == null ? gk : mul(gk, W), 1), e);
    if (lse1 != null) dx = add(dx, mul(expandDims(mul(gk, mul(lse1, 2 * lambda)), 1), e));
    if (eps !== 0) {
      const ge = expandDims(mul(g, eps / C), 1);
      dx = sub(dx, w == null ? ge : mul(ge, expandDims(w, 0)));
    }
    if (onHost()) {
      const target = targetIndex(t, rows);
      dx = tensorScatterUpdate(dx, target, targetValue(dOf(gatherND(x, target))));
    } else {
      // dx[i, t] − g·(1 − ε)·w[t] (dx there already holds the target's share of the ε/C spread).
      const gt = wt == null ? (eps === 0 ? g : mul(g, 1 - eps)) : mul(g, eps === 0 ? wt : mul(wt, 1 - eps));
      dx = sub(dx, mul(expandDims(gt, 1), cast(oneHot(t, C), 'float32')));
    }
  }
  return clearIgnoredRows(dx, labels, masks, attrs.ignoreIndex) as Tensor2D;
}

/**
 * A gradient [rows, C] whose row masks went into a [rows] factor (ignored
 * rows 0): such a row is 0·(…), which is −0 where (…) is negative and NaN
 * where p or lse is not finite (a NaN or +∞ logit, every logit −∞); the
 * contract says 0, so the ignored rows are written with zeros. On cpu and
 * wasm the labels [rows] are read back (a copy) and just those rows are
 * written (tensorScatterUpdate: nothing when no row is ignored, since then
 * sparseRows built no mask); elsewhere (GPUs) a `where` over the ignored rows.
 */
export function clearIgnoredRows(dx: Tensor, labels: Tensor, masks: RowMasks, ignoreIndex: number | null): Tensor {
  if (masks.ignored == null) return dx;
  if (!onHost()) return where(expandDims(masks.ignored, 1), zerosLike(dx), dx);
  const [rows, C] = dx.shape;
  const tv = labels.dataSync(), ignored: number[] = [];
  for (let i = 0; i < rows; i++) {
    if (tv[i] === ignoreIndex) ignored.push(i);
  }
  return ignored.length === 0 ? dx :
      tensorScatterUpdate(dx, tensor2d(ignored, [ignored.length, 1], 'int32'), zeros([ignored.length, C]));
}

/** Sparse softmax cross-entropy: x [rows, C], labels int32 [rows] → loss [rows] (or its reduction), composite path. */
export function compositeSparseSoftmaxCrossEntropy(x: Tensor2D, labels: Tensor1D, attrs: SoftmaxCrossEntropyAttrs): Tensor1D {
  const f = customGrad2((logits: Tensor, t: Tensor, save: GradSaveFunc) => {
    const {loss, lse} = sparseForward(logits as Tensor2D, t, attrs);
    save([logits, t, lse]);
    return {
      value: reduceRowLosses(loss, attrs),
      gradFunc: (dyIn: Tensor, saved: Tensor[]) => {
        const [sx, st, slse] = saved;
        const dy = rowLossDy(dyIn, sx.shape[0], attrs);
        return [() => sparseLogitsGrad(sx as Tensor2D, st, slse, dy, attrs), () => zerosLike(st)];
      },
    };
  });
  return f(x, labels) as Tensor1D;
}

/**
 * The two halves of the sparse contract without the customGrad wrapper, for
 * callers that run with the tape off and handle the gradient themselves
 * (linear_cross_entropy_chunks.ts, the composite twin of calling the
 * SparseSoftmaxCrossEntropy / ...Grad kernels directly). lse is the kernels'
 * saved (m, s), `[rows, 2]`.
 */
export function compositeSparseLossAndLse(x: Tensor2D, labels: Tensor1D, attrs: SoftmaxCrossEntropyAttrs): {loss: Tensor1D, lse: Tensor2D} {
  const {loss, lse} = sparseForward(x, labels, attrs);
  return {loss, lse: lse as Tensor2D};
}

/** dL/dlogits of the sparse contract for upstream `dy` [rows] and the forward's saved (m, s) `lse` [rows, 2]. */
export function compositeSparseLogitsGrad(x: Tensor2D, labels: Tensor1D, lse: Tensor2D, dy: Tensor1D,
                                          attrs: SoftmaxCrossEntropyAttrs): Tensor2D {
  return sparseLogitsGrad(x, labels, lse, dy, attrs);
}

function posWeightRow(attrs: SigmoidCrossEntropyAttrs): Tensor | number {
  const q = attrs.posWeight;
  if (q instanceof Tensor) return q.size === 1 ? reshape(deviceClassVector(q), []) : expandDims(deviceClassVector(q), 0);
  return q == null ? 1 : q.length === 1 ? q[0] : expandDims(tensor1d(q, 'float32'), 0);
}

/** ẑ = z·(1 − ε) + ε/2 (no pass when ε = 0). */
function smoothedBinary(z: Tensor, eps: number): Tensor {
  return eps === 0 ? z : add(mul(z, 1 - eps), eps / 2);
}

/**
 * Sigmoid cross-entropy, elementwise over [rows, C], composite path. With
 * softplus(±x) = max(±x, 0) + l, l = log1p(exp(−|x|)) (log1pExpNegAbs), the contract's loss
 * q·ẑ·softplus(−x) + (1 − ẑ)·softplus(x) is taken as
 * q·ẑ·max(−x, 0) + (1 − ẑ)·max(x, 0) + (q·ẑ + 1 − ẑ)·l, and at q = 1 as
 * (max(x, 0) − x·ẑ) + l: tf.losses' chain, its speed, with l added last. A
 * confident, correct logit (x ≫ 0 with ẑ = 1, x ≪ 0 with ẑ = 0) then has the
 * loss l ≈ e^−|x| to float32's relative accuracy: the first terms are exactly
 * 0. Adding l to max(x, 0) first, or writing the loss as
 * (1 + (q − 1)·ẑ)·softplus(x) − q·ẑ·x, rounds l away against x (4e-5 relative
 * at |x| = 5, 0 from |x| ≈ 17).
 * Gradients: dx = dy·(σ(x)·(1 + (q − 1)·ẑ) − q·ẑ), dz = dy·(1 − ε)·((q − 1)·softplus(x) − q·x).
 * Steps run in their own tidy so at most a few [rows, C] temporaries are
 * alive at once (before, the forward held many times the logits at its peak
 * and ran slower than tf.losses: kernels/MEASUREMENTS.md).
 */
export function compositeSigmoidCrossEntropy(x: Tensor2D, z: Tensor2D, attrs: SigmoidCrossEntropyAttrs): Tensor2D {
  const eps = attrs.labelSmoothing;
  const q = attrs.posWeight;
  const unweighted = q == null || (!(q instanceof Tensor) && q.length === 1 && q[0] === 1);
  const f = customGrad2((logits: Tensor, labels: Tensor, save: GradSaveFunc) => {
    const l = tidy(() => log1pExpNegAbs(logits));
    const loss = tidy(() => {
      const zh = smoothedBinary(labels, eps);
      if (unweighted) return add(sub(relu(logits), mul(zh, logits)), l);
      const qz = mul(posWeightRow(attrs), zh);
      const hinges = add(mul(qz, relu(neg(logits))), mul(sub(1, zh), relu(logits)));
      return add(hinges, mul(add(sub(qz, zh), 1), l));
    });
    l.dispose();
    save([logits, labels]);
    return {
      value: reduceElementwise(loss, attrs),
      gradFunc: (dyIn: Tensor, saved: Tensor[]) => {
        const dy = broadcastDy(dyIn, attrs);
        const [sx, sz] = saved;
        return [
          () => {
            const zh = smoothedBinary(sz, eps);
            if (unweighted) return mul(dy, sub(sigmoid(sx), zh));
            const qz = mul(posWeightRow(attrs), zh);
            return mul(dy, sub(mul(sigmoid(sx), add(sub(qz, zh), 1)), qz));
          },
          () => {
            const g = mul(dy, 1 - eps);
            if (unweighted) return mul(g, neg(sx));
            const qw = posWeightRow(attrs);
            return mul(g, sub(mul(sub(qw, 1), softplus(sx)), mul(qw, sx)));
          },
        ];
      },
    };
  });
  return f(x, z) as Tensor2D;
}

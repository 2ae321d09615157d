/**
 * The composite path of the focal ops: kernels/FORMULAS.md ("Focal
 * cross-entropy") from stable tfjs ops, for backends without fused focal
 * kernels (all but cpu, webgl and webgpu) and under FUSED_CE_FORCE_COMPOSITE. The
 * gradients are the contract's closed forms (tf.customGrad), not autodiff
 * through pow: autodiff gives 0·∞ = NaN where 1 − p rounds to 0 and γ < 1.
 */
import {log1pExpNegAbs} from './stable_math';
import {logicalOr, add, customGrad, div, equal, exp, expandDims, expm1, GradSaveFunc, log, mul, neg, onesLike, pow, relu, sigmoid, sub, sum, Tensor, Tensor1D, Tensor2D, tensor1d, where, zerosLike} from '@tensorflow/tfjs-core';
import type {BinaryFocalCrossEntropyAttrs, FocalCrossEntropyAttrs as KernelFocalAttrs} from '../../kernels/kernel_names';
import {deviceClassVector} from './validate';
import {applyRowMasks, clearIgnoredRows, rowFactor, rowParts, rowSumSkippingZeros, savedStats, scaled, splitStats, NO_MASKS, RowMasks, smoothTargets, sparseTargets} from './composite';
import {broadcastDy, reduceElementwise} from './elementwise_reduction';

/**
 * The focal kernels' attributes as the composite path takes them: α and the
 * class weights may also be a float32 tensor left on its device (a
 * GPU-resident tensor the op must not read synchronously; validate.ts, `classVector`).
 */
export type CompositeFocalAttrs = Omit<KernelFocalAttrs, 'alpha' | 'classWeights'> &
    {alpha: number[] | Tensor, classWeights: number[] | Tensor | null};
type FocalCrossEntropyAttrs = CompositeFocalAttrs;

/** a = α·w as a [1, C] row (or a scalar when both are scalar / absent). */
function classFactor(attrs: FocalCrossEntropyAttrs, C: number): Tensor | number {
  const {alpha, classWeights} = attrs;
  if (alpha instanceof Tensor || classWeights instanceof Tensor) {
    const vec = (v: number[] | Tensor) => v instanceof Tensor ? deviceClassVector(v) : tensor1d(v, 'float32');
    const a = vec(alpha);
    const w = classWeights == null ? null : vec(classWeights);
    return expandDims(w == null ? a : mul(a, w), 0);  // [1, C] or [1, 1]
  }
  if (alpha.length === 1 && classWeights == null) {
    return alpha[0];
  }
  const a = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    a[c] = (alpha.length === 1 ? alpha[0] : alpha[c]) * (classWeights?.[c] ?? 1);
  }
  return expandDims(tensor1d(a, 'float32'), 0);
}

/** (base)^γ with the convention x^0 = 1 (also at x = 0). */
function powGamma(base: Tensor, gamma: number): Tensor {
  return gamma === 0 ? onesLike(base) : pow(base, gamma);
}

interface SoftmaxParts {lse: Tensor; logp: Tensor; p: Tensor; q: Tensor; g: Tensor;}

/**
 * log p = (x − m)/T − log s from the row parts (m, s) (composite.ts rowParts;
 * FORMULAS.md "Precision": no float32 lse, whose rounding (1 − p)^γ would
 * carry). `lse` here is the saved (m, s) [rows, 2], made when not given.
 */
function softmaxParts(x: Tensor, attrs: FocalCrossEntropyAttrs, lse?: Tensor): SoftmaxParts {
  const T = attrs.temperature;
  let m: Tensor, s: Tensor, d: Tensor;
  if (lse == null) {
    const r = rowParts(x, T);
    m = r.m;
    s = r.s;
    d = r.d!;
  } else {
    ({m, s} = splitStats(lse));
    d = scaled(sub(x, m), T);
  }
  const logp = sub(d, rowFactor(m, s, log(s)));
  return {lse: lse ?? savedStats(m, s), logp, p: exp(logp), q: neg(expm1(logp)), g: neg(logp)};
}

function smooth(y: Tensor, eps: number): Tensor {
  return smoothTargets(y as Tensor2D, {labelSmoothing: eps});
}

function focalForward(x: Tensor, yh: Tensor, attrs: FocalCrossEntropyAttrs, masks: RowMasks): {loss: Tensor, lse: Tensor} {
  const s = softmaxParts(x, attrs);
  const f = mul(mul(classFactor(attrs, x.shape[1]!), yh), powGamma(s.q, attrs.gamma));
  // Terms with ŷ = 0 are skipped, not multiplied (0·∞ would be NaN); on cpu and wasm by
  // summing again only where a row came out NaN.
  return {loss: applyRowMasks(rowSumSkippingZeros(yh, mul(f, s.g)), masks), lse: s.lse};
}

/**
 * dx = dy/T · (p·(A + Bs) − f − B), B = a·ŷ·γ·q^(γ−1)·p·g (0 where γ = 0, q = 0 or p = 0).
 * The row masks of sparse labels go into g = dy/T on [rows] (ignored rows 0, out-of-range
 * rows NaN), as in the sparse softmax backward (composite.ts), not into [rows, C] `where`s
 * (tfjs-core broadcasts their [rows, 1] condition with Tile, slow on tfjs-wasm); the ignored
 * rows, 0·(…) (−0, or NaN where the lse is not finite), are then written with zeros
 * (clearIgnoredRows).
 */
function focalLogitsGrad(x: Tensor, yh: Tensor, lse: Tensor, dy: Tensor, attrs: FocalCrossEntropyAttrs,
                         masks: RowMasks, labels?: Tensor): Tensor {
  const s = softmaxParts(x, attrs, lse);
  const ay = mul(classFactor(attrs, x.shape[1]!), yh);
  const f = mul(ay, powGamma(s.q, attrs.gamma));
  let B: Tensor = zerosLike(x);
  if (attrs.gamma !== 0) {
    const raw = mul(mul(mul(ay, attrs.gamma), pow(s.q, attrs.gamma - 1)), mul(s.p, s.g));
    B = where(logicalOr(logicalOr(equal(s.q, 0), equal(s.p, 0)), equal(yh, 0)), zerosLike(x), raw);
  }
  const fB = add(f, B);
  const total = sum(fB, -1, true);
  const g = applyRowMasks(attrs.temperature === 1 ? dy : div(dy, attrs.temperature), masks);
  const dx = mul(expandDims(g, 1), sub(mul(s.p, total), fB));
  return labels == null ? dx : clearIgnoredRows(dx, labels, masks, attrs.ignoreIndex);
}

/** dlabels = dy·(1 − ε)·a·q^γ·g. */
function focalLabelsGrad(x: Tensor, lse: Tensor, dy: Tensor, attrs: FocalCrossEntropyAttrs): Tensor {
  const s = softmaxParts(x, attrs, lse);
  const aq = mul(classFactor(attrs, x.shape[1]!), powGamma(s.q, attrs.gamma));
  return mul(mul(expandDims(dy, 1), 1 - attrs.labelSmoothing), mul(aq, s.g));
}


/** Dense softmax focal cross-entropy [rows, C] → loss [rows]. */
export function compositeFocalCrossEntropy(x: Tensor2D, y: Tensor2D, attrs: FocalCrossEntropyAttrs): Tensor1D {
  const f = customGrad((...args: Array<Tensor | GradSaveFunc>) => {
    const [logits, labels, save] = args as [Tensor, Tensor, GradSaveFunc];
    const {loss, lse} = focalForward(logits, smooth(labels, attrs.labelSmoothing), attrs, NO_MASKS);
    save([logits, labels, lse]);
    return {
      value: loss,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [sx, sy, slse] = saved;
        return [focalLogitsGrad(sx, smooth(sy, attrs.labelSmoothing), slse, dy, attrs, NO_MASKS),
                focalLabelsGrad(sx, slse, dy, attrs)];
      },
    };
  });
  return f(x, y) as Tensor1D;
}

/** Sparse softmax focal cross-entropy: x [rows, C], labels int32 [rows] → loss [rows]. */
export function compositeSparseFocalCrossEntropy(x: Tensor2D, labels: Tensor1D, attrs: FocalCrossEntropyAttrs): Tensor1D {
  const C = x.shape[1];
  const f = customGrad((...args: Array<Tensor | GradSaveFunc>) => {
    const [logits, t, save] = args as [Tensor, Tensor, GradSaveFunc];
    const {yh, masks} = sparseTargets(t, C, attrs);
    const {loss, lse} = focalForward(logits, yh, attrs, masks);
    save([logits, t, lse]);
    return {
      value: loss,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [sx, st, slse] = saved;
        const s = sparseTargets(st, C, attrs);
        return [focalLogitsGrad(sx, s.yh, slse, dy, attrs, s.masks, st), zerosLike(st)];
      },
    };
  });
  return f(x, labels) as Tensor1D;
}

/** The binary focal quantities (kernels/FORMULAS.md) of logits x and labels z. */
function binaryParts(x: Tensor, z: Tensor, attrs: BinaryFocalCrossEntropyAttrs) {
  const eps = attrs.labelSmoothing;
  const zh = add(mul(z, 1 - eps), eps / 2);
  const p = sigmoid(x);
  const u = add(mul(zh, sigmoid(neg(x))), mul(sub(1, zh), p));
  // ẑ·softplus(−x) + (1 − ẑ)·softplus(x) with the shared log1p(exp(−|x|)) added last (composite.ts,
  // compositeSigmoidCrossEntropy): a confident, correct logit keeps its bce ≈ e^−|x|.
  const bce = add(add(mul(zh, relu(neg(x))), mul(sub(1, zh), relu(x))), log1pExpNegAbs(x));
  const uG = powGamma(u, attrs.gamma);
  const uG1 = attrs.gamma === 0 ? zerosLike(u) :
      where(equal(u, 0), zerosLike(u), mul(attrs.gamma, pow(u, attrs.gamma - 1)));
  const b: Tensor | number = attrs.applyClassBalancing ?
      add(mul(zh, attrs.alpha), mul(sub(1, zh), 1 - attrs.alpha)) : 1;
  return {zh, p, u, bce, uG, uG1, b};
}

/** Binary focal cross-entropy with logits, elementwise over [rows, C]. */
export function compositeBinaryFocalCrossEntropy(x: Tensor2D, z: Tensor2D, attrs: BinaryFocalCrossEntropyAttrs): Tensor2D {
  const f = customGrad((...args: Array<Tensor | GradSaveFunc>) => {
    const [logits, labels, save] = args as [Tensor, Tensor, GradSaveFunc];
    const e = binaryParts(logits, labels, attrs);
    save([logits, labels]);
    return {
      value: reduceElementwise(mul(mul(e.b, e.uG), e.bce), attrs),
      gradFunc: (dyIn: Tensor, saved: Tensor[]) => {
        const dy = broadcastDy(dyIn, attrs);
        const [sx, sz] = saved;
        const k = binaryParts(sx, sz, attrs);
        const dx = mul(mul(dy, k.b), add(
            mul(mul(mul(k.uG1, sub(1, mul(2, k.zh))), mul(k.p, sub(1, k.p))), k.bce),
            mul(k.uG, sub(k.p, k.zh))));
        const db = attrs.applyClassBalancing ? 2 * attrs.alpha - 1 : 0;
        const dz = mul(mul(dy, 1 - attrs.labelSmoothing), add(
            add(mul(db, mul(k.uG, k.bce)), mul(mul(k.b, k.uG1), mul(sub(1, mul(2, k.p)), k.bce))),
            neg(mul(mul(k.b, k.uG), sx))));
        return [dx, dz];
      },
    };
  });
  return f(x, z) as Tensor2D;
}

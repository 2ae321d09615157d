/** Argument checks shared by the ops: every message names the op and the argument. */
import {capabilities, readableOnHost, syncReadRefusal} from '../../kernels/capabilities';
import {backend_util, customGrad, getBackend, GradSaveFunc, greaterEqual, less, logicalAnd, reshape, Tensor, Tensor2D, tensor, TensorLike, transpose, util, where, cast, equal, floor, logicalOr, scalar, tidy} from '@tensorflow/tfjs-core';

export function assertArg(cond: boolean, opName: string, message: () => string): void {
  if (!cond) {
    throw new Error(`${opName}: ${message()}`);
  }
}

/**
 * A value as an error message shows it, with its type where the text alone
 * would hide it: `'2' (a string)`, `true (a boolean)`, `null`, `a Tensor of
 * shape [3]`; a number as itself.
 */
export function describeValue(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return `'${v}' (a string)`;
  if (v === null || v === undefined) return String(v);
  if (v instanceof Tensor) return `a ${v.dtype} Tensor of shape [${v.shape}]`;
  if (Array.isArray(v)) return `an array [${v.map(describeValue).join(', ')}]`;
  if (typeof v === 'object') return `an object of type ${(v as object).constructor?.name ?? 'Object'}`;
  return `${String(v)} (a ${typeof v})`;
}

/** Levenshtein distance, for the "did you mean" hint. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({length: b.length + 1}, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/**
 * The known name `key` was probably meant to be, or null: its camelCase form
 * (`label_smoothing`, Keras / PyTorch spelling), the same name in another case,
 * or a name at most 2 edits away (`labelSmothing`), whichever comes first.
 */
export function didYouMean(key: string, known: readonly string[]): string | null {
  const camel = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  if (camel !== key && known.includes(camel)) return camel;
  const lower = camel.toLowerCase();
  const sameCase = known.find(k => k.toLowerCase() === lower);
  if (sameCase != null) return sameCase;
  let best: string | null = null, bestD = Infinity;
  for (const k of known) {
    const d = editDistance(lower, k.toLowerCase());
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return bestD <= Math.min(2, Math.floor(key.length / 3)) ? best : null;
}

/**
 * Throws for a key of `args` not in `known`: `${owner}: unknown ${noun} 'key'
 * (did you mean 'x'?); expected one of …`. Shared by the ops (noun 'option')
 * and the Keras loss classes (noun 'argument', src/losses/loss.ts).
 */
export function checkKnownKeys(owner: string, noun: string, args: object, known: readonly string[]): void {
  for (const key of Object.keys(args)) {
    if (!known.includes(key)) {
      const hint = didYouMean(key, known);
      throw new Error(`${owner}: unknown ${noun} '${key}'${hint == null ? '' : ` (did you mean '${hint}'?)`}; ` +
                      `expected one of ${known.join(', ')}`);
    }
  }
}

/** Checks that `options` is an object (or undefined) with only `known` keys; returns it ({} for undefined). */
export function checkOptions<T extends object>(options: T | undefined, known: readonly (keyof T & string)[], opName: string): T {
  if (options == null) return {} as T;
  assertArg(typeof options === 'object' && !Array.isArray(options) && !(options instanceof Tensor), opName,
      () => `options must be an object, got ${describeValue(options)}`);
  checkKnownKeys(opName, 'option', options, known);
  return options;
}

/** Normalises `axis` against `rank`; throws for an axis outside [−rank, rank). */
export function normalizeAxis(axis: number, rank: number, opName: string): number {
  assertArg(rank >= 1, opName, () => `logits must have rank ≥ 1, got a scalar`);
  assertArg(Number.isInteger(axis) && axis >= -rank && axis < rank, opName,
      () => `axis must be an integer in [${-rank}, ${rank}) for logits of rank ${rank}, got ${describeValue(axis)}`);
  return axis < 0 ? axis + rank : axis;
}

export function checkTemperature(t: number, opName: string): number {
  assertArg(typeof t === 'number' && Number.isFinite(t) && t > 0, opName,
      () => `temperature must be a finite number > 0, got ${describeValue(t)}`);
  return t;
}

export function checkLabelSmoothing(e: number, opName: string): number {
  assertArg(typeof e === 'number' && e >= 0 && e < 1, opName,
      () => `labelSmoothing must be a number in [0, 1), got ${describeValue(e)}`);
  return e;
}

export function checkZLoss(z: number, opName: string): number {
  assertArg(typeof z === 'number' && Number.isFinite(z) && z >= 0, opName,
      () => `zLoss must be a finite number ≥ 0, got ${describeValue(z)}`);
  return z;
}

/** A per-class vector given as numbers, a typed array or a 1-D tensor, as plain numbers. */
export type ClassVector = number[] | Float32Array | Tensor | TensorLike;

/** An integer ignore index, or null when none is given. */
export function checkIgnoreIndex(v: unknown, opName: string): number | null {
  assertArg(v == null || Number.isInteger(v), opName, () => `ignoreIndex must be an integer, got ${describeValue(v)}`);
  return (v ?? null) as number | null;
}

/**
 * Reads a per-class vector (classWeights, posWeight, alpha) into numbers and
 * checks its length, that it is finite and, with `nonNegative`, that no entry
 * is negative. A tensor is read with dataSync: callers that must not read a
 * GPU-resident tensor use `classVector`.
 */
export function readClassVector(v: ClassVector, name: string, opName: string, allowed: number[],
                                nonNegative = false): number[] {
  let values: number[];
  if (v instanceof Tensor) {
    assertArg(v.rank <= 1, opName, () => `${name} must be a scalar or 1-D, got shape [${v.shape}]`);
    values = Array.from(v.dataSync());
  } else if (typeof v === 'number') {
    values = [v];
  } else if (util.isTypedArray(v) || Array.isArray(v)) {
    const flat = util.flatten(v as number[]);
    assertArg(flat.length === (v as ArrayLike<unknown>).length, opName, () => `${name} must be 1-D`);
    values = Array.from(flat as ArrayLike<number>, Number);
    const bad = Array.from(flat as ArrayLike<unknown>).findIndex(x => typeof x !== 'number');
    assertArg(bad < 0, opName, () => `${name}[${bad}] must be a number, got ${describeValue((flat as unknown[])[bad])}`);
  } else {
    throw new Error(`${opName}: ${name} must be numbers, a typed array or a 1-D tensor, got ${describeValue(v)}`);
  }
  assertArg(allowed.includes(values.length), opName,
      () => `${name} must have length ${allowed.join(' or ')} (the class axis), got ${values.length}`);
  assertArg(values.every(Number.isFinite), opName, () => `${name} must be finite, got [${values}]`);
  if (nonNegative) {
    const neg = values.findIndex(x => x < 0);
    assertArg(neg < 0, opName, () => `${name} must be ≥ 0, got ${name}[${neg}] = ${values[neg]}`);
  }
  return values;
}

/**
 * True when `t`'s values can be read without a synchronous device read: on
 * backends that keep tensors in host memory, and on device backends while a
 * tensor still has its host copy (one made from an array keeps it until a
 * kernel needs the device copy). Each backend declares how to tell
 * (kernels/capabilities.ts).
 */
export {readableOnHost};

/**
 * A per-class vector as `readClassVector` gives it (read on the host, every
 * entry checked finite and ≥ 0), except for a tensor whose values live only
 * on a GPU (`readableOnHost` false): reading that would be a synchronous
 * device read (it throws on some backends, stalls the page on others), so its
 * rank, length and dtype are checked and the tensor itself is returned. The
 * ops then take their composite path, which uses it through
 * `deviceClassVector` (no read; a negative or non-finite entry gives NaN for
 * the rows it weighs, not an error).
 */
export function classVector(v: ClassVector, name: string, opName: string, allowed: number[]): number[] | Tensor {
  if (!(v instanceof Tensor) || readableOnHost(v)) {
    return readClassVector(v, name, opName, allowed, true);
  }
  assertArg(v.rank <= 1, opName, () => `${name} must be a scalar or 1-D, got shape [${v.shape}]`);
  assertArg(allowed.includes(v.size), opName,
      () => `${name} must have length ${allowed.join(' or ')} (the class axis), got ${v.size}`);
  assertArg(v.dtype === 'float32' || v.dtype === 'int32', opName, () => `${name} must be numeric, got ${v.dtype}`);
  return v;
}

/**
 * A device per-class vector (`classVector`) as a float32 `[n]` tensor, every
 * negative or non-finite entry NaN: what an entry the host check would have
 * refused turns into, since it cannot be read here.
 */
export function deviceClassVector(v: Tensor): Tensor {
  return tidy(() => {
    const f = cast(reshape(v, [v.size]), 'float32');
    return where(logicalAnd(greaterEqual(f, 0), less(f, Infinity)), f, scalar(NaN));
  });
}

/** True for a per-class vector `classVector` left on the device. */
export function isDeviceVector(v: number[] | Tensor | null): v is Tensor {
  return v instanceof Tensor;
}

/**
 * Our `convertToTensor` (tfjs-core keeps its own private): a Tensor passes
 * through; a TensorLike (number, nested array, typed array) becomes a tensor of
 * `dtype`; anything else is an error naming the argument and the op.
 */
export function toTensor(x: Tensor | TensorLike, argName: string, opName: string, dtype: 'float32' | 'int32'): Tensor {
  if (x instanceof Tensor) {
    return x;
  }
  const ok = typeof x === 'number' || typeof x === 'boolean' || Array.isArray(x) || util.isTypedArray(x);
  if (!ok) {
    const got = x == null ? String(x) : (x as object).constructor?.name ?? typeof x;
    throw new Error(`${opName}: argument '${argName}' must be a Tensor or TensorLike, but got ${got}`);
  }
  try {
    return tensor(x as TensorLike, undefined, dtype);
  } catch (e) {
    throw new Error(`${opName}: argument '${argName}' is not a valid TensorLike: ${(e as Error).message}`);
  }
}

/**
 * A float input (logits, hidden states, weights) as a float32 tensor. A
 * TensorLike becomes float32; a Tensor of another dtype is refused, naming
 * the argument, as tfjs's own ops (tf.softmax) refuse one: casting is the
 * caller's choice.
 */
export function floatTensor(x: Tensor | TensorLike, argName: string, opName: string): Tensor {
  const t = toTensor(x, argName, opName, 'float32');
  assertArg(t.dtype === 'float32', opName,
      () => `${argName} must be float32, got ${t.dtype} (cast it first: tf.cast(${argName}, 'float32'))`);
  return t;
}

/** Dense labels (probabilities, 0/1 targets): any numeric dtype, as float32. */
export function denseLabels(x: Tensor | TensorLike, opName: string): Tensor {
  const t = toTensor(x, 'labels', opName, 'float32');
  assertArg(t.dtype !== 'string' && t.dtype !== 'complex64', opName, () => `labels must be numeric, got ${t.dtype}`);
  return t.dtype === 'float32' ? t : cast(t, 'float32');
}

/** Sparse labels as given: int32 class ids, or float32 holding them (`sparseClassIds` maps them). */
export function sparseLabels(x: Tensor | TensorLike, opName: string): Tensor {
  const t = toTensor(x, 'labels', opName, 'int32');
  assertArg(t.dtype === 'int32' || t.dtype === 'float32', opName, () => `labels must be int32 class ids, got ${t.dtype}`);
  return t;
}

/** Throws unless `labels` has shape `shape`; `what` says which shape that is (e.g. "logits shape"). */
export function checkLabelsShape(labels: Tensor, shape: number[], what: string, opName: string): void {
  assertArg(util.arraysEqual(labels.shape, shape), opName,
      () => `labels shape [${labels.shape}] must equal ${what} [${shape}]`);
}

/** Normalises `axis` of `logits` and checks that the class axis is not empty; returns [axis, C]. */
export function classAxis(axis: number | undefined, logits: Tensor, opName: string): [number, number] {
  const a = normalizeAxis(axis ?? -1, logits.rank, opName);
  const C = logits.shape[a];
  assertArg(C > 0, opName, () => `the class axis (axis ${a}) of logits must not be empty`);
  return [a, C];
}

/** `shape` without `axis`. */
export function withoutAxis(shape: number[], axis: number): number[] {
  return shape.filter((_, d) => d !== axis);
}

/**
 * `x` in `shape`: `x` itself when it has that shape already, else a reshape
 * whose gradient does not save `x`. tfjs's own Reshape gradient saves its
 * input (for the shape alone), and the engine clones what a gradient saves:
 * on tfjs-wasm, whose Identity copies, that is a copy of the whole tensor in
 * every differentiated call. Here the gradient reshapes dy to `x`'s shape,
 * kept as numbers (a customGrad whose forward runs off the tape).
 */
export function reshapeTo<T extends Tensor>(x: Tensor, shape: number[]): T {
  if (util.arraysEqual(x.shape, shape)) {
    return x as T;
  }
  const inShape = x.shape.slice();
  const view = customGrad((...args: (Tensor | GradSaveFunc)[]) =>
      ({value: reshape(args[0] as Tensor, shape), gradFunc: (dy: Tensor) => reshape(dy, inShape)}));
  return view(x) as T;
}

/**
 * `x` with `axis` moved last (a transpose only when it is not last already),
 * flattened to [rows, C] (`reshapeTo`: no reshape when it is that already).
 * An empty tensor has nothing to move: a reshape (some backends' Transpose of
 * an empty tensor throws).
 */
export function rowsView(x: Tensor, axis: number): Tensor2D {
  let last = x;
  if (axis !== x.rank - 1) {
    const perm = [...Array(x.rank).keys()].filter(d => d !== axis).concat(axis);
    last = x.size === 0 ? reshape(x, perm.map(d => x.shape[d])) : transpose(x, perm);
  }
  const C = x.shape[axis];
  return reshapeTo(last, [C === 0 ? 0 : x.size / C, C]);
}

/** The loss options the ops share, as users pass them. */
export interface LossOptions {
  temperature?: number;
  labelSmoothing?: number;
  zLoss?: number;
  classWeights?: ClassVector;
  ignoreIndex?: number;
  gamma?: number;
  alpha?: ClassVector;
}

/**
 * The same options checked, as the kernels' attributes (kernel_names.ts) and
 * the composite path take them: a per-class vector is numbers, or (`vectors:
 * 'device'`) a tensor left on the GPU (`classVector`).
 */
export interface LossAttrs {
  temperature: number;
  labelSmoothing: number;
  zLoss: number;
  classWeights: number[] | Tensor | null;
  ignoreIndex: number | null;
  gamma: number;
  alpha: number[] | Tensor;
}

/**
 * Where per-class vectors may stay: 'device' (the op's composite path can
 * use a GPU-resident tensor), or 'host' (the kernels take numbers only: a
 * GPU-resident tensor is refused with what to do instead).
 */
export type VectorPlacement = 'device' | 'host';

type AttrCheck<K extends keyof LossAttrs> = (o: LossOptions, C: number, opName: string, vectors: VectorPlacement) => LossAttrs[K];

/** One check per option: a new loss option adds its line here (and its field above and in kernel_names.ts). */
const ATTR_CHECKS: {[K in keyof LossAttrs]: AttrCheck<K>} = {
  temperature: (o, _C, op) => checkTemperature(o.temperature ?? 1, op),
  labelSmoothing: (o, _C, op) => checkLabelSmoothing(o.labelSmoothing ?? 0, op),
  zLoss: (o, _C, op) => checkZLoss(o.zLoss ?? 0, op),
  classWeights: (o, C, op, vectors) => o.classWeights == null ? null : perClass(o.classWeights, 'classWeights', op, [C], vectors),
  ignoreIndex: (o, _C, op) => checkIgnoreIndex(o.ignoreIndex, op),
  gamma: (o, _C, op) => checkGamma(o.gamma ?? 2, op),
  alpha: (o, C, op, vectors) => perClass(o.alpha ?? 0.25, 'alpha', op, C === 1 ? [1] : [1, C], vectors),
};

/**
 * The op preamble's option check: `keys` of `options` checked (defaults
 * filled in) as the kernels' attributes, for C classes.
 */
export function lossAttrs<K extends keyof LossAttrs>(options: LossOptions, keys: readonly K[], C: number, opName: string,
                                                     vectors: VectorPlacement = 'device'): Pick<LossAttrs, K> {
  const out = {} as Pick<LossAttrs, K>;
  for (const k of keys) {
    out[k] = (ATTR_CHECKS[k] as AttrCheck<K>)(options, C, opName, vectors);
  }
  return out;
}

export function checkGamma(g: number, opName: string): number {
  assertArg(typeof g === 'number' && Number.isFinite(g) && g >= 0, opName, () => `gamma must be a finite number ≥ 0, got ${describeValue(g)}`);
  return g;
}

/** A per-class vector: `classVector` ('device'), or numbers read on the host ('host'). */
function perClass(v: ClassVector, name: string, opName: string, allowed: number[], vectors: VectorPlacement): number[] | Tensor {
  if (vectors === 'device') {
    return classVector(v, name, opName, allowed);
  }
  assertArg(!(v instanceof Tensor) || readableOnHost(v), opName, () =>
      `${name} is a tensor whose values live only on the GPU, which this op would have to read synchronously: ` +
      `pass its values (\`Array.from(await ${name}.data())\`) instead`);
  return readClassVector(v, name, opName, allowed, true);
}

/**
 * The sparse ops' labels as int32 class ids for the kernel about to run:
 * with `validate` (the `validateLabels` option) every label is checked first
 * (`validateSparseLabels`); then `sparseLabelIds` (non-integers throw where
 * `strict`, else become an out-of-range id).
 */
export function sparseClassIds(raw: Tensor | TensorLike, labels: Tensor, C: number, ignoreIndex: number | null,
                               opName: string, validate: boolean, strict: boolean): Tensor {
  if (validate) {
    validateSparseLabels(raw, labels, C, ignoreIndex, opName);
  }
  return sparseLabelIds(raw, labels, C, ignoreIndex, opName, strict);
}

/**
 * The `validateLabels` check of the sparse ops: every label an integer in
 * [0, C) or the ignore index; the error names the first bad one. Labels passed
 * as an array or typed array are checked there, with no readback. A tensor is
 * read with `dataSync`, except where the active backend refuses a synchronous
 * read of it (kernels/capabilities.ts, `syncReadRefusal`): then the op says
 * what to do instead.
 */
export function validateSparseLabels(raw: Tensor | TensorLike, labels: Tensor, C: number,
    ignoreIndex: number | null, opName: string): void {
  let v: ArrayLike<number>;
  if (raw instanceof Tensor) {
    const unreadable = (why: string) => new Error(
        `${opName}: validateLabels reads labels synchronously, which the '${getBackend()}' backend cannot do ` +
        `(${why}). Pass labels as an array or typed array, or check \`await labels.data()\` yourself and ` +
        `leave validateLabels off.`);
    const refusal = syncReadRefusal(labels);
    if (refusal != null) {
      throw unreadable(refusal);
    }
    try {
      v = labels.dataSync();
    } catch (e) {
      throw unreadable((e as Error).message);
    }
  } else {
    v = hostLabelValues(raw)!;
  }
  for (let i = 0; i < v.length; i++) {
    checkSparseLabel(Number(v[i]), i, C, ignoreIndex, opName);
  }
}

/** The values of labels passed as a number, an array or a typed array (on the host, no read-back); null for a tensor. */
export function hostLabelValues(raw: Tensor | TensorLike): ArrayLike<number> | null {
  if (raw instanceof Tensor) {
    return null;
  }
  return typeof raw === 'number' ? [raw] : util.flatten(raw as number[]) as number[];
}

/**
 * The count of labels that are not `ignoreIndex`, where the op has the labels
 * on the host (`hostLabelValues`); null for a tensor, which is counted on its
 * device.
 */
export function hostKeptCount(raw: Tensor | TensorLike, ignoreIndex: number): number | null {
  const v = hostLabelValues(raw);
  if (v == null) {
    return null;
  }
  let kept = 0;
  for (let i = 0; i < v.length; i++) {
    if (Number(v[i]) !== ignoreIndex) kept++;
  }
  return kept;
}

/** Throws, naming the row and the value, for a label that is not an integer in [0, C) nor the ignore index. */
function checkSparseLabel(t: number, i: number, C: number, ignoreIndex: number | null, opName: string): void {
  if (t === ignoreIndex || (Number.isInteger(t) && t >= 0 && t < C)) {
    return;
  }
  throw new Error(Number.isInteger(t) ? `${opName}: labels[${i}] = ${t} is out of range [0, ${C})` :
                                        `${opName}: labels[${i}] = ${t} is not an integer (labels are class ids in [0, ${C}))`);
}

/**
 * Whether the sparse kernel about to run throws for an out-of-range label
 * (declared per backend, kernels/capabilities.ts); the others and the
 * composite path give NaN for that row.
 */
export function sparseKernelThrows(fusedPath: boolean): boolean {
  return fusedPath && capabilities().sparseKernelThrows;
}

/**
 * The id an invalid sparse label (not an integer: 1.5, NaN, ±∞) is replaced
 * with: out of range, and never the ignore index.
 */
export function invalidLabelId(ignoreIndex: number | null): number {
  return ignoreIndex === -1 ? -2 : -1;
}

/**
 * Sparse labels as int32 class ids, never silently truncated (a cast to int32
 * reads 1.5 as class 1 and NaN as class 0). Int32 labels, and labels given as
 * numbers that are all integers, pass as they are (`converted`, the op's
 * `toTensor(raw, …, 'int32')`). Otherwise:
 *  - `strict` (the kernel about to run throws for an out-of-range label,
 *    `sparseKernelThrows`): the labels are read and a non-integer
 *    one throws, naming the row and the value;
 *  - else every label that is not an integer in [0, C) nor the ignore index
 *    becomes `invalidLabelId(ignoreIndex)`, an out-of-range id, so its row
 *    gives NaN as an out-of-range label does on the GPU kernels and the
 *    composite path. Float label tensors are mapped with a few `[rows]` tfjs
 *    ops (no read back); numbers on the host.
 */
export function sparseLabelIds(raw: Tensor | TensorLike, converted: Tensor, C: number, ignoreIndex: number | null,
                               opName: string, strict: boolean): Tensor {
  if (!(raw instanceof Tensor)) {
    const flat = (typeof raw === 'number' ? [raw] : util.isTypedArray(raw) ? raw : util.flatten(raw as number[])) as ArrayLike<unknown>;
    let bad = -1;
    if (!(flat instanceof Int32Array || flat instanceof Uint8Array || flat instanceof Uint16Array || flat instanceof Int16Array)) {
      for (let i = 0; i < flat.length && bad < 0; i++) {
        if (typeof flat[i] === 'number' && !Number.isInteger(flat[i])) bad = i;
      }
    }
    if (bad < 0) {
      return converted;
    }
    if (strict) {
      checkSparseLabel(flat[bad] as number, bad, C, ignoreIndex, opName);
    }
    raw = toTensor(raw, 'labels', opName, 'float32');
  }
  const x = raw;
  if (x.dtype === 'int32') {
    return x;
  }
  if (strict) {
    const v = x.dataSync();
    for (let i = 0; i < v.length; i++) {
      if (!Number.isInteger(v[i])) checkSparseLabel(v[i], i, C, ignoreIndex, opName);
    }
    return cast(x, 'int32');
  }
  return tidy(() => {
    let ok = logicalAnd(logicalAnd(equal(floor(x), x), greaterEqual(x, 0)), less(x, C));
    if (ignoreIndex != null) {
      ok = logicalOr(ok, equal(x, ignoreIndex));
    }
    return cast(where(ok, x, scalar(invalidLabelId(ignoreIndex))), 'int32');
  });
}


/**
 * The drop-in losses' `weights` check: broadcastable to the per-example losses
 * (`logits`' shape without the last axis) or, `per-element`, to the logits,
 * as tfjs's computeWeightedLoss multiplies them; else an error naming the op,
 * the argument and both shapes (tfjs's own message names neither).
 */
export function checkLossWeights(weights: Tensor | TensorLike | undefined, logits: Tensor | TensorLike,
                                 losses: 'per-example' | 'per-element', opName: string): void {
  if (weights == null) {
    return;
  }
  const shapeOf = (x: Tensor | TensorLike, name: string) =>
      x instanceof Tensor ? x.shape : tidy(() => toTensor(x, name, opName, 'float32').shape);
  const wShape = shapeOf(weights, 'weights');
  const xShape = shapeOf(logits, 'logits');
  const lossShape = losses === 'per-example' ? xShape.slice(0, -1) : xShape;
  try {
    backend_util.assertAndGetBroadcastShape(lossShape, wShape);
  } catch {
    throw new Error(`${opName}: weights of shape [${wShape}] cannot be broadcast to the ${losses} losses of shape ` +
                    `[${lossShape}]${losses === 'per-example' ? ' (logits\' shape without the class axis)' : ''}`);
  }
}

/** Argument checks shared by the ops: every message names the op and the argument. */
import {backend, getBackend, Tensor, tensor, TensorLike, util} from '@tensorflow/tfjs-core';

export function assertArg(cond: boolean, opName: string, message: () => string): void {
  if (!cond) {
    throw new Error(`${opName}: ${message()}`);
  }
}

/** Normalises `axis` against `rank`; throws for an axis outside [−rank, rank). */
export function normalizeAxis(axis: number, rank: number, opName: string): number {
  assertArg(rank >= 1, opName, () => `logits must have rank ≥ 1, got a scalar`);
  assertArg(Number.isInteger(axis) && axis >= -rank && axis < rank, opName,
      () => `axis must be an integer in [${-rank}, ${rank}) for logits of rank ${rank}, got ${axis}`);
  return axis < 0 ? axis + rank : axis;
}

export function checkTemperature(t: number, opName: string): number {
  assertArg(typeof t === 'number' && Number.isFinite(t) && t > 0, opName,
      () => `temperature must be a finite number > 0, got ${t}`);
  return t;
}

export function checkLabelSmoothing(e: number, opName: string): number {
  assertArg(typeof e === 'number' && e >= 0 && e < 1, opName,
      () => `labelSmoothing must be in [0, 1), got ${e}`);
  return e;
}

export function checkZLoss(z: number, opName: string): number {
  assertArg(typeof z === 'number' && Number.isFinite(z) && z >= 0, opName,
      () => `zLoss must be a finite number ≥ 0, got ${z}`);
  return z;
}

/** A per-class vector given as numbers, a typed array or a 1-D tensor, as plain numbers. */
export type ClassVector = number[] | Float32Array | Tensor | TensorLike;

/**
 * Reads a per-class vector (classWeights, posWeight) into numbers and checks its
 * length. A tensor is read with dataSync (these are small hyperparameters).
 */
export function readClassVector(v: ClassVector, name: string, opName: string, allowed: number[]): number[] {
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
  } else {
    throw new Error(`${opName}: ${name} must be numbers, a typed array or a 1-D tensor`);
  }
  assertArg(allowed.includes(values.length), opName,
      () => `${name} must have length ${allowed.join(' or ')} (the class axis), got ${values.length}`);
  assertArg(values.every(Number.isFinite), opName, () => `${name} must be finite`);
  return values;
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
 * True when a webgpu tensor's values are still on the host (a tensor made from
 * an array keeps them until a kernel needs the GPU copy): tfjs-webgpu's
 * readSync returns those without touching the GPU. Reads the backend's
 * private tensorMap; any surprise counts as not resident.
 */
function hostResident(t: Tensor): boolean {
  const b = backend() as unknown as {tensorMap?: {get(id: object): {values?: unknown} | undefined}};
  try {
    return b.tensorMap?.get(t.dataId)?.values != null;
  } catch {
    return false;
  }
}

/**
 * The `validateLabels` check of the sparse ops: every label an integer in
 * [0, C) or the ignore index; the error names the first bad one. Labels passed
 * as an array or typed array are checked there, with no readback. A tensor is
 * read with `dataSync`, except on webgpu when its values live only on the GPU:
 * there tfjs reads synchronously through a canvas, which fails in Node and, in
 * Chromium, lost the WebGPU device for the rest of the page (seen in the
 * browser suite), so the op says what to do instead.
 */
export function validateSparseLabels(raw: Tensor | TensorLike, labels: Tensor, C: number,
    ignoreIndex: number | null, opName: string): void {
  let v: ArrayLike<number>;
  if (raw instanceof Tensor) {
    const unreadable = (why: string) => new Error(
        `${opName}: validateLabels reads labels synchronously, which the '${getBackend()}' backend cannot do ` +
        `(${why}). Pass labels as an array or typed array, or check \`await labels.data()\` yourself and ` +
        `leave validateLabels off.`);
    if (getBackend() === 'webgpu' && !hostResident(labels)) {
      throw unreadable('the labels live on the GPU, and a synchronous GPU read goes through a canvas');
    }
    try {
      v = labels.dataSync();
    } catch (e) {
      throw unreadable((e as Error).message);
    }
  } else {
    v = typeof raw === 'number' ? [raw] : util.flatten(raw as number[]) as number[];
  }
  for (let i = 0; i < v.length; i++) {
    const t = Number(v[i]);
    if (!(t === ignoreIndex || (Number.isInteger(t) && t >= 0 && t < C))) {
      throw new Error(`${opName}: labels[${i}] = ${v[i]} is out of range [0, ${C})`);
    }
  }
}


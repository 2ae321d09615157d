/**
 * Which kernels an op really ran: the spec's guard against a fused path that
 * silently stops running (a composite fallback gives the same numbers, so no
 * value check notices). Runner-independent (no jest globals).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as names from '../../kernels/kernel_names';
import {setForceComposite} from '../../src/flags';
import type {SpecEnv} from './registry';

/**
 * The fused cross-entropy kernels each backend registers (kernels/register_all.ts): every one
 * (softmax, sparse, sigmoid, focal), or a list. Written out, not read from the kernel registry: a
 * backend that lost its kernels must fail, not skip.
 */
export const FUSED_KERNELS: Record<string, 'all' | readonly string[]> = {
  cpu: 'all', webgl: 'all', webgpu: 'all',
  // softmax (dense, sparse, one-hot), sigmoid and focal: the WebAssembly SIMD module
  wasm: [...names.ALL_KERNEL_NAMES, ...names.ONE_HOT_KERNEL_NAMES, ...names.FOCAL_KERNEL_NAMES],
};

/**
 * The backends that register the one-hot kernels (kernel_names.ts, ONE_HOT_KERNEL_NAMES), where the
 * dense softmax op runs one-hot labels as class ids; written out like FUSED_KERNELS.
 */
export const ONE_HOT_BACKENDS: readonly string[] = ['wasm'];

/** True where the fused kernels run and the dense op must take the one-hot kernels for one-hot labels. */
export function oneHotEnv(env: SpecEnv): boolean {
  return ONE_HOT_BACKENDS.includes(env.backend) && fusedEnv(env, names.ONE_HOT_KERNEL_NAMES);
}

/**
 * True where the fused kernels must run: composite path not forced, and the backend has every one
 * of `kernels` (without `kernels`: every fused kernel).
 */
export function fusedEnv(env: SpecEnv, kernels?: readonly string[]): boolean {
  const has = FUSED_KERNELS[env.backend];
  if (env.composite || has == null) return false;
  return has === 'all' || (kernels != null && kernels.every(k => has.includes(k)));
}

/**
 * Names of the kernels `f` runs through the engine (forward and backward), by
 * wrapping engine().runKernel while `f` runs and its outputs are read.
 * Disposes the outputs.
 */
export async function kernelsRun(f: () => tf.Tensor | tf.Tensor[]): Promise<string[]> {
  const seen: string[] = [];
  await recordKernels(seen, async () => {
    const out = f();
    for (const t of Array.isArray(out) ? out : [out]) {
      await t.data();
      t.dispose();
    }
  });
  return seen;
}

/** Runs `f`, appending the name of every kernel it runs through the engine to `seen`. */
export async function recordKernels<T>(seen: string[], f: () => Promise<T>): Promise<T> {
  const engine = tf.engine();
  const original = engine.runKernel;
  engine.runKernel = function(this: typeof engine, name: string, ...rest: unknown[]) {
    seen.push(name);
    return (original as (...a: unknown[]) => unknown).call(this, name, ...rest);
  } as typeof engine.runKernel;
  try {
    return await f();
  } finally {
    engine.runKernel = original;
  }
}

/** Throws unless every kernel of `wanted` is in `seen`. */
export function expectRan(seen: readonly string[], wanted: readonly string[], what: string): void {
  const missing = wanted.filter(k => !seen.includes(k));
  if (missing.length > 0) {
    throw new Error(`${what}: ${missing.join(', ')} did not run (ran: ${[...new Set(seen)].join(', ')})`);
  }
}

/**
 * Runs `f` (forward and backward) and requires `wanted` among its kernels; then again with the
 * composite path forced, where they must be missing.
 */
export async function expectFusedRuns(f: () => tf.Tensor | tf.Tensor[], wanted: string[], what: string): Promise<void> {
  expectRan(await kernelsRun(f), wanted, what);
  setForceComposite(true);
  let composite: string[];
  try {
    composite = await kernelsRun(f);
  } finally {
    setForceComposite(false);
  }
  const still = wanted.filter(k => composite.includes(k));
  if (still.length > 0) throw new Error(`${what}: with the composite path forced, ${still.join(', ')} still ran: the check proves nothing`);
}

/** How many Identity kernels (the engine's clones) `f` runs on an input of `size` elements; disposes f's outputs. */
export async function identitiesOfSize(f: () => tf.Tensor | tf.Tensor[], size: number): Promise<number> {
  const engine = tf.engine();
  const original = engine.runKernel;
  let n = 0;
  engine.runKernel = function(this: typeof engine, name: string, inputs: tf.NamedTensorMap, ...rest: unknown[]) {
    if (name === 'Identity' && inputs.x?.size === size) n++;
    return (original as (...a: unknown[]) => unknown).call(this, name, inputs, ...rest);
  } as typeof engine.runKernel;
  try {
    const out = f();
    for (const o of Array.isArray(out) ? out : [out]) {
      await o.data();
      o.dispose();
    }
  } finally {
    engine.runKernel = original;
  }
  return n;
}

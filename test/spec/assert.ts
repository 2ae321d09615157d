/**
 * Assertions and data for the runner-independent spec (no jest globals: the
 * same code runs in jest and in Chromium). Failures throw an Error whose
 * message says what and where.
 */
import * as tf from '@tensorflow/tfjs-core';
import {rng} from '../../tools/random';

/**
 * Normwise relative closeness: max_i |a_i − e_i| ≤ rtol · max_i |e_i| over the
 * finite expected entries (as numpy's allclose with atol = rtol·‖e‖∞). NaN and
 * ±Infinity expected entries must be matched exactly.
 */
/**
 * Optional observer of every expectClose comparison: the observed normwise
 * relative error (max |a − e| / max |e| over finite entries). Used by the
 * real-GPU spec runner (test/gpu_bundle/spec_entry.ts) to report the
 * accuracy it measured, not only pass/fail. null (the default) costs nothing.
 */
let closeObserver: ((what: string, relErr: number, rtol: number) => void) | null = null;
export function setCloseObserver(f: ((what: string, relErr: number, rtol: number) => void) | null): void {
  closeObserver = f;
}

/** float32's smallest normal number, 2^-126: below it float32 results are subnormal or flushed to 0. */
export const FLOAT32_MIN_NORMAL = 2 ** -126;

/**
 * `atol` (default 0) floors the tolerance: max(rtol·‖expected‖∞, atol). Only for
 * results that may underflow float32 (FLOAT32_MIN_NORMAL), where no relative
 * bound holds; it changes nothing once rtol·‖expected‖∞ ≥ atol.
 *
 * `magnitude` (optional, one per expected entry) raises entry i's scale to
 * max(‖expected‖∞, magnitude[i]): the reference's condition magnitude, the sum of
 * the absolute values of the terms that form the value (test/reference/reference.ts,
 * header). Entry i then passes when |actual_i − expected_i| ≤
 * max(rtol·max(‖expected‖∞, magnitude[i]), atol): where its terms cancel (p − ŷ at
 * p ≈ ŷ, a loss of exactly 0) the bound follows their size, not their difference;
 * where they do not, magnitude[i] ≤ ‖expected‖∞ and nothing changes.
 */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, what: string,
                            atol = 0, magnitude?: ArrayLike<number>): void {
  if (actual.length !== expected.length) {
    throw new Error(`${what}: length ${actual.length}, expected ${expected.length}`);
  }
  if (magnitude != null && magnitude.length !== expected.length) {
    throw new Error(`${what}: ${magnitude.length} magnitudes for ${expected.length} entries`);
  }
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    if (Number.isFinite(expected[i])) scale = Math.max(scale, Math.abs(expected[i]));
  }
  // Entry i's scale; a NaN magnitude of a finite entry makes its check fail (it must not pass silently).
  const scaleOf = (i: number) => (magnitude == null ? scale : Number.isNaN(magnitude[i]) ? NaN : Math.max(scale, magnitude[i]));
  const normTol = Math.max(rtol * Math.max(scale, Number.MIN_VALUE), atol);
  let worst = -1, worstErr = 0, worstTol = normTol, maxRel = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    if (Number.isNaN(e) || !Number.isFinite(e)) {
      if (!Object.is(a, e) && !(Number.isNaN(a) && Number.isNaN(e))) {
        throw new Error(`${what}[${i}] = ${a}, expected ${e}`);
      }
      continue;
    }
    const err = Math.abs(a - e);
    const s = scaleOf(i), tol = s === scale ? normTol : Math.max(rtol * s, atol);
    // Error relative to the scale the tolerance used (the floored one where atol decided).
    const norm = Math.max(s, atol / rtol);
    maxRel = Math.max(maxRel, norm > 0 ? err / norm : err);
    if (!(err <= tol) && (worst < 0 || !(err / tol <= worstErr / worstTol))) {
      worst = i;
      worstErr = err;
      worstTol = tol;
    }
  }
  if (closeObserver != null) closeObserver(what, maxRel, rtol);
  if (worst >= 0) {
    const s = scaleOf(worst);
    throw new Error(`${what}[${worst}] = ${actual[worst]}, expected ${expected[worst]} ` +
                    `(error ${worstErr.toExponential(2)} > ${atol > rtol * s ? `atol ${worstTol.toExponential(2)}` :
                                                             s === scale ? `${rtol}·‖expected‖∞ = ${worstTol.toExponential(2)}` :
                                                             `${rtol}·magnitude ${s.toExponential(2)} = ${worstTol.toExponential(2)}`})`);
  }
}

export function expect(cond: boolean, message: () => string): void {
  if (!cond) throw new Error(message());
}

/** Every entry finite. */
export function expectFinite(v: ArrayLike<number>, what: string): void {
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) throw new Error(`${what}[${i}] = ${v[i]} is not finite`);
  }
}

/** Runs `f`, which must throw an error whose message contains every fragment. */
export async function expectThrows(f: () => unknown, fragments: string[], what: string): Promise<void> {
  let message: string | null = null;
  try {
    const r = f();
    if (r instanceof tf.Tensor) await r.data();
  } catch (e) {
    message = (e as Error).message;
  }
  if (message == null) throw new Error(`${what}: expected an error, none was thrown`);
  for (const frag of fragments) {
    if (!message.includes(frag)) throw new Error(`${what}: error "${message}" does not mention "${frag}"`);
  }
}

/** Seeded PRNG (mulberry32, tools/random.ts) so every backend sees the same data. */
export {rng};

/** n float32-representable normal values with standard deviation `std`. */
export function randn(n: number, seed: number, std = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(r(), 1e-12), v = r();
    out[i] = std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  return out;
}

/** Class ids in [0, C). */
export function randLabels(rows: number, C: number, seed: number): Int32Array {
  const r = rng(seed);
  return Int32Array.from({length: rows}, () => Math.floor(r() * C));
}

/** Probability rows (soft labels) [rows, C], each row summing to 1. */
export function randProbs(rows: number, C: number, seed: number): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(rows * C);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += (out[i * C + c] = r() + 1e-3);
    for (let c = 0; c < C; c++) out[i * C + c] /= s;
  }
  return out;
}

/** Binary targets in [0, 1]: every third one a uniform draw, the others 0 or 1. */
export function binaryTargets(n: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({length: n}, (_, i) => (i % 3 === 0 ? r() : r() < 0.5 ? 0 : 1));
}

/** One-hot rows of class ids. */
export function oneHotRows(t: ArrayLike<number>, C: number): Float32Array {
  const out = new Float32Array(t.length * C);
  for (let i = 0; i < t.length; i++) out[i * C + t[i]] = 1;
  return out;
}

/**
 * The class id of each row of dense labels `y` [rows, C] when every row is one-hot (one entry
 * exactly 1, every other ±0: the contract of kernel_names.ts's DenseLabelClassIds), else null.
 */
export function oneHotIds(y: ArrayLike<number>, rows: number, C: number): number[] | null {
  const ids: number[] = [];
  for (let i = 0; i < rows; i++) {
    let hot = -1;
    for (let c = 0; c < C; c++) {
      const v = y[i * C + c];
      if (v === 0) continue;
      if (v !== 1 || hot >= 0) return null;
      hot = c;
    }
    if (hot < 0) return null;
    ids.push(hot);
  }
  return ids;
}

/** Values of a tensor (always async: dataSync does not work on webgpu in Node). */
export async function values(t: tf.Tensor): Promise<Float32Array> {
  return Float32Array.from(await t.data());
}

/**
 * Runs `f` repeatedly and checks that no tensor is left behind (tf.memory()
 * before and after), forward and backward.
 */
export async function expectNoLeak(f: () => tf.Tensor, what: string, repeats = 5): Promise<void> {
  // Warm-up once: backends may cache constants on first use.
  tf.dispose(f());
  const before = tf.memory().numTensors;
  for (let i = 0; i < repeats; i++) {
    const out = f();
    await out.data();
    out.dispose();
  }
  const after = tf.memory().numTensors;
  if (after !== before) throw new Error(`${what}: ${after - before} tensors leaked over ${repeats} calls`);
}

/**
 * What a NaN input must turn its row's outputs into. Our fused kernels test
 * NaN bits and always give NaN. The composite path on webgpu runs tfjs's own
 * WGSL kernels, and WGSL lets an implementation assume no NaN (finite math):
 * on SwiftShader their exp(NaN) gives +Infinity, so there the gradient row is
 * only guaranteed non-finite (NVIDIA gives NaN). Everywhere else: NaN.
 */
export function poisonedBy(env: {backend: string, composite: boolean}): (v: number) => boolean {
  return env.backend === 'webgpu' && env.composite ? v => !Number.isFinite(v) : Number.isNaN;
}

/**
 * What each backend can do, declared by its `register_<backend>.ts`; the ops
 * (src/) ask here and never name a backend.
 *
 * Two kinds of declaration:
 *  - `registerAttrSupport`: which attributes a backend's fused kernel
 *    supports. Most kernels support the whole contract; a kernel that
 *    delegates to a fixed native op (tfjs-node's TensorFlow ops) registers a
 *    predicate, and the ops take the composite path for attributes it does
 *    not support.
 *  - `declareCapabilities`: facts about the backend itself (where its tensors
 *    live, what its fused kernels do with a bad label, hooks the chunked
 *    linear cross-entropy uses, and quirks of its tfjs kernels that the
 *    composite path works around). A backend that declares nothing gets
 *    `DEFAULT_CAPABILITIES`: the conservative answers of a GPU backend.
 *
 * Whether a fused kernel exists at all is the kernel registry's business
 * (`tf.getKernel`): `fusedKernelSupport` combines both.
 */
import {backend, getBackend, getKernel, KernelBackend, Tensor} from '@tensorflow/tfjs-core';

export type AttrSupport = (attrs: object) => boolean;

const predicates = new Map<string, AttrSupport>();

export function registerAttrSupport(backendName: string, kernelName: string, predicate: AttrSupport): void {
  predicates.set(`${backendName}_${kernelName}`, predicate);
}

/** True unless the backend registered a predicate for the kernel that rejects `attrs`. */
export function supportsAttrs(backendName: string, kernelName: string, attrs: object): boolean {
  const p = predicates.get(`${backendName}_${kernelName}`);
  return p == null || p(attrs);
}

/**
 * Why an op would not run the fused kernel `kernelName` on `backendName`, or
 * null when it would: not registered there, or registered without support
 * for `attrs`. (The composite-forcing flag is the ops' own: src/ops/fused.ts.)
 */
export function fusedKernelSupport(backendName: string, kernelName: string, attrs: object): string | null {
  if (getKernel(kernelName, backendName) == null) {
    return `no ${kernelName} kernel is registered for the '${backendName}' backend`;
  }
  if (!supportsAttrs(backendName, kernelName, attrs)) {
    return `the '${backendName}' backend's ${kernelName} kernel does not support these options`;
  }
  return null;
}

/** Facts about one backend, as its register file declares them. */
export interface BackendCapabilities {
  /**
   * Tensors live in host memory: any tensor can be read synchronously, and
   * reading a few values back is a copy, not a device round trip.
   */
  hostMemory: boolean;
  /**
   * For a backend that keeps tensors on a device: whether `t` still has its
   * host copy (a tensor made from an array keeps it until a kernel needs the
   * device copy), so that a synchronous read returns those values without
   * touching the device. Duck-typed on the backend's private fields, in the
   * backend's own folder; any surprise answers false.
   */
  hasHostCopy(t: Tensor, backend: KernelBackend): boolean;
  /**
   * Why `t` cannot be read synchronously (`validateLabels`), or null when a
   * `dataSync` may be tried.
   */
  syncReadRefusal(t: Tensor, backend: KernelBackend): string | null;
  /**
   * The composite path may read small tensors (labels) back and relies on
   * IEEE float semantics for ∞ − ∞, exp(NaN), log(0): no guarding `where`s.
   * Declared where tested (cpu, wasm).
   */
  compositeOnHost: boolean;
  /** The fused sparse kernels throw for an out-of-range label (instead of giving NaN for its row). */
  sparseKernelThrows: boolean;
  /**
   * The linear cross-entropy computes each chunk's logits with this
   * backend's MatMulAccumulate kernel instead of tfjs's matMul (where the
   * in-place kernels are registered); declared where ours is the faster one.
   */
  ownLogitsGemm: boolean;
  /**
   * Submits recorded but unsubmitted work so that buffers disposed since are
   * freed: called between the chunks of the linear cross-entropy. null where
   * disposal frees at once.
   */
  flushQueue: ((backend: KernelBackend) => void) | null;
  /**
   * Quirk: tfjs's Exp kernel is much slower than its Softmax here, so the
   * composite path takes row sums of exponentials from `softmax`.
   */
  softmaxFasterThanExp: boolean;
  /**
   * Quirk: tfjs's fused matMul mishandles a bias (rank 2, or rank 1 with
   * transposeB), so the ops add it after a plain matMul.
   */
  fusedMatMulBiasBroken: boolean;
}

export const DEFAULT_CAPABILITIES: Readonly<BackendCapabilities> = Object.freeze({
  hostMemory: false,
  hasHostCopy: () => false,
  syncReadRefusal: () => null,
  compositeOnHost: false,
  sparseKernelThrows: false,
  ownLogitsGemm: false,
  flushQueue: null,
  softmaxFasterThanExp: false,
  fusedMatMulBiasBroken: false,
});

const declared = new Map<string, Readonly<BackendCapabilities>>();

/**
 * Declares `backendName`'s capabilities (what it leaves out keeps its
 * default). Idempotent: a second call replaces the first.
 */
export function declareCapabilities(backendName: string, caps: Partial<BackendCapabilities>): void {
  declared.set(backendName, Object.freeze({...DEFAULT_CAPABILITIES, ...caps}));
}

/** The declared capabilities of `backendName` (default: the active backend). */
export function capabilities(backendName: string = getBackend()): Readonly<BackendCapabilities> {
  return declared.get(backendName) ?? DEFAULT_CAPABILITIES;
}

/**
 * True when `t`'s values can be read without a synchronous device read: on a
 * host-memory backend, or while `t` keeps its host copy.
 */
export function readableOnHost(t: Tensor): boolean {
  const caps = capabilities();
  if (caps.hostMemory) {
    return true;
  }
  try {
    return caps.hasHostCopy(t, backend());
  } catch {
    return false;
  }
}

/** Why the active backend cannot read `t` synchronously, or null. */
export function syncReadRefusal(t: Tensor): string | null {
  return capabilities().syncReadRefusal(t, backend());
}

/** Runs the active backend's queue flush hook, if it declared one. */
export function flushQueue(): void {
  capabilities().flushQueue?.(backend());
}

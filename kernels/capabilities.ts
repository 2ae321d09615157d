/**
 * Which attributes a backend's fused kernel supports. Most kernels support the
 * whole contract; a kernel that delegates to a fixed native op (tfjs-node's
 * TensorFlow ops) registers a predicate here, and the ops take the composite
 * path for attributes it does not support.
 */
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

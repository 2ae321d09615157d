/**
 * The WebAssembly SIMD module (kernels/simd) instantiated over
 * tfjs-backend-wasm's own heap, once per backend: what every kernel of this
 * folder (SoftmaxCrossEntropy.ts, SigmoidCrossEntropy.ts,
 * FocalCrossEntropy.ts) runs, and the predicate register_wasm.ts gives the
 * ops.
 *
 * The SIMD module has no data, stack or globals in memory (the build checks),
 * so instantiating it over the backend's memory writes nothing there; it only
 * ever touches the arrays a kernel passes it. Both of tfjs-wasm's SIMD builds
 * host it: the non-threaded one (a plain memory: the module as built) and the
 * threaded one of cross-origin isolated pages (a shared memory: the variant
 * with a shared memory import, simd_module.ts picks it). The kernels run on
 * the calling thread either way.
 *
 * tfjs-backend-wasm is duck-typed here (`WasmBackendLike`): it is a dev
 * dependency of this package, not a peer one.
 */
import {backend as activeBackend, TensorInfo} from '@tensorflow/tfjs-core';
import {instantiateSimd, SimdExports, simdModule} from '../simd/simd_module';

/** What these kernels use of tfjs-backend-wasm's BackendWasm. */
export interface WasmBackendLike {
  wasm: {
    asm?: {memory?: WebAssembly.Memory};
    wasmMemory?: WebAssembly.Memory;
    HEAPU8: Uint8Array;
    _malloc(bytes: number): number;
    _free(ptr: number): void;
  };
  getMemoryOffset(dataId: object): number;
  makeOutput(shape: number[], dtype: 'float32' | 'int32'): TensorInfo;
  disposeData(dataId: object): boolean;
}

const instances = new WeakMap<object, SimdExports | null>();

/**
 * The SIMD module instantiated over `backend`'s memory, shared (the threaded
 * build) or not, or null where that cannot be (no WebAssembly SIMD, or the
 * memory not reachable).
 */
export function simdOnWasmBackend(backend: object): SimdExports | null {
  let k = instances.get(backend);
  if (k === undefined) {
    k = null;
    const wasm = (backend as Partial<WasmBackendLike>).wasm;
    const memory = wasm?.asm?.memory ?? wasm?.wasmMemory;
    if (simdModule() != null && memory instanceof WebAssembly.Memory) {
      try {
        k = instantiateSimd(memory);
      } catch {
        k = null;
      }
    }
    instances.set(backend, k);
  }
  return k;
}

/** Whether the active backend (a wasm one) can run these kernels: the ops' attribute predicate. */
export function wasmSimdRuns(): boolean {
  try {
    return simdOnWasmBackend(activeBackend()) != null;
  } catch {
    return false;
  }
}

/** The module on `backend`'s memory, for a kernel; throws where it cannot be instantiated there. */
export function wasmSimdKernels(backend: WasmBackendLike): SimdExports {
  const k = simdOnWasmBackend(backend);
  if (k == null) {
    throw new Error('tfjs-fused-cross-entropy: the wasm backend\'s memory cannot host the WebAssembly SIMD kernels');
  }
  return k;
}

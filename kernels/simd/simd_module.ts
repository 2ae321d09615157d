/**
 * The WebAssembly SIMD module of the softmax cross-entropy kernels
 * (assembly/softmax_cross_entropy.ts, AssemblyScript, built by
 * scripts/build.mjs into simd_wasm_bytes.generated.ts).
 *
 * The module imports its memory and has no data, stack or globals in memory:
 * every kernel takes byte offsets of arrays in that memory. So one compiled
 * module is instantiated
 *  - over a memory of our own for the `cpu` backend (simdHeap(): inputs are
 *    copied in, outputs copied out), and
 *  - over tfjs-backend-wasm's own heap for the `wasm` backend (kernels/wasm:
 *    in place on the backend's tensors, no copies). The threaded build's heap
 *    is a shared memory, which a module imports only if its import says so:
 *    there the module is the variant withSharedMemoryImport derives from the
 *    same bytes (shared_memory_variant.ts).
 */
import {withSharedMemoryImport} from './shared_memory_variant';
import {SIMD_WASM_BINARY} from './simd_wasm_bytes.generated';

/** The module's exports (assembly/softmax_cross_entropy.ts); pointers are byte offsets. */
export interface SimdExports {
  denseForward(x: number, y: number, rows: number, C: number, invT: number, keep: number, base: number, w: number,
               zLoss: number, loss: number, stats: number): void;
  sparseForward(x: number, t: number, rows: number, C: number, invT: number, eps: number, w: number, sumW: number,
                zLoss: number, hasIgnore: number, ignore: number, loss: number, stats: number): void;
  denseGrad(x: number, y: number, stats: number, dy: number, rows: number, C: number, invT: number, keep: number,
            base: number, w: number, zLoss: number, out: number): void;
  denseLabelsGrad(x: number, stats: number, dy: number, rows: number, C: number, invT: number, keep: number,
                  w: number, out: number): void;
  sparseGrad(x: number, t: number, stats: number, dy: number, rows: number, C: number, invT: number, eps: number,
             w: number, sumW: number, zLoss: number, hasIgnore: number, ignore: number, out: number): void;
  sigmoidForward(x: number, z: number, rows: number, C: number, keep: number, half: number, q: number, q0: number,
                 reduction: number, scale: number, out: number): void;
  sigmoidGrad(x: number, z: number, dy: number, dyMode: number, rows: number, C: number, keep: number, half: number,
              q: number, q0: number, scale: number, wrtLabels: number, out: number): void;
  /**
   * ids [rows] i32 := the class id of each one-hot row of y [rows, C] f32, returning 1; 0 (ids
   * partly written) at the first row that is not one-hot (assembly/one_hot_labels.ts).
   */
  oneHotClassIds(y: number, rows: number, C: number, ids: number): number;
  /** c [M, P] += A·b [K, P], A = a [M, K] or (transA) aᵀ, a [K, M] (assembly/matmul_accumulate.ts). */
  gemmAxpy(c: number, a: number, b: number, M: number, K: number, P: number, transA: number): void;
  /** c [M, P] += a [M, K]·bᵀ, b [P, K]. */
  gemmDot(c: number, a: number, b: number, M: number, K: number, P: number): void;
}

/** The module's bytes as built (a fresh copy: the generated string holds one byte per char). */
export function simdWasmBytes(): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(SIMD_WASM_BINARY.length);
  for (let i = 0; i < out.length; i++) {
    out[i] = SIMD_WASM_BINARY.charCodeAt(i);
  }
  return out;
}

const compiled: {plain?: WebAssembly.Module | null, shared?: WebAssembly.Module | null} = {};

/**
 * The compiled module, or null where WebAssembly or its SIMD is missing
 * (WebAssembly.validate rejects a module using v128 there). `shared`: the
 * variant whose memory import is shared (withSharedMemoryImport, derived from
 * the same bytes), for a shared memory such as tfjs-backend-wasm's threaded
 * build's. Each variant is compiled once, when first asked for.
 */
export function simdModule({shared = false}: {shared?: boolean} = {}): WebAssembly.Module | null {
  const key = shared ? 'shared' : 'plain';
  let module = compiled[key];
  if (module === undefined) {
    module = null;
    if (typeof WebAssembly === 'object' && typeof WebAssembly.validate === 'function') {
      let bytes: Uint8Array<ArrayBuffer> = simdWasmBytes();
      if (shared) bytes = withSharedMemoryImport(bytes);
      if (WebAssembly.validate(bytes)) {
        try {
          module = new WebAssembly.Module(bytes);
        } catch {
          module = null;  // e.g. a page that forbids synchronous compiles
        }
      }
    }
    compiled[key] = module;
  }
  return module;
}

/** Whether the SIMD module can run here. */
export function simdAvailable(): boolean {
  return simdModule() != null;
}

/** Whether `memory` is a shared WebAssembly.Memory (false where SharedArrayBuffer does not exist). */
export function isSharedMemory(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer === 'function' && memory.buffer instanceof SharedArrayBuffer;
}

/**
 * An instance of the module over `memory`: the plain module over a non-shared
 * memory, the shared-import variant over a shared one.
 */
export function instantiateSimd(memory: WebAssembly.Memory): SimdExports {
  const module = simdModule({shared: isSharedMemory(memory)});
  if (module == null) {
    throw new Error('tfjs-fused-cross-entropy: WebAssembly SIMD is not available here');
  }
  return new WebAssembly.Instance(module, {env: {memory}}).exports as unknown as SimdExports;
}

const PAGE = 65536;

/**
 * A memory of our own with a bump allocator, for backends whose tensors live
 * in JS arrays (cpu): each kernel call resets it, copies its inputs in, runs,
 * and copies its outputs out. Offset 0 is never handed out (0 means "no array"
 * to the kernels).
 */
export class SimdHeap {
  readonly memory = new WebAssembly.Memory({initial: 1});
  readonly kernels: SimdExports;
  private top = 16;

  constructor() {
    this.kernels = instantiateSimd(this.memory);
  }

  /** Frees everything allocated since the last reset. */
  reset(): void {
    this.top = 16;
  }

  /** `bytes` bytes, 16-byte aligned; grows the memory when needed. */
  alloc(bytes: number): number {
    const ptr = this.top;
    this.top = (ptr + bytes + 15) & ~15;
    const need = this.top - this.memory.buffer.byteLength;
    if (need > 0) {
      this.memory.grow(Math.ceil(need / PAGE));
    }
    return ptr;
  }

  /** Copies `values` (any numeric array: converted to float32) in; returns the pointer. */
  f32In(values: ArrayLike<number>): number {
    const ptr = this.alloc(4 * values.length);
    new Float32Array(this.memory.buffer, ptr, values.length).set(values);
    return ptr;
  }

  /** Copies `values` in as int32; returns the pointer. */
  i32In(values: ArrayLike<number>): number {
    const ptr = this.alloc(4 * values.length);
    new Int32Array(this.memory.buffer, ptr, values.length).set(values);
    return ptr;
  }

  /** A copy of n float32 at ptr, in a fresh Float32Array. */
  f32Out(ptr: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, n).slice();
  }

  /** Copies n float32 at ptr into `target`. */
  f32OutInto(ptr: number, target: Float32Array): void {
    target.set(new Float32Array(this.memory.buffer, ptr, target.length));
  }
}

let heap: SimdHeap | null = null;

/**
 * A heap whose memory grew past this is not kept for the next call: a
 * WebAssembly memory never shrinks, so one large call would otherwise hold its
 * size for the life of the process. (Large calls then each start a fresh
 * memory, as a fresh JS array would.)
 */
const KEEP_HEAP_BYTES = 256 * 1024 * 1024;

/** The shared SimdHeap of the cpu kernels (one call at a time: JavaScript is single-threaded). */
export function simdHeap(): SimdHeap {
  if (heap == null || heap.memory.buffer.byteLength > KEEP_HEAP_BYTES) {
    heap = new SimdHeap();
  }
  return heap;
}

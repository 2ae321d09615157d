/**
 * Peak memory of one run, from tfjs's own accounting sampled at kernel
 * boundaries (shared by the benchmarks, the linear-CE spec's peak bounds and
 * the next-token example). During the tracked run the engine's
 * `runKernelFunc` is wrapped (on the instance, for that run only) so that
 * after every kernel (forward, backward, optimizer) we read
 *  - the bytes of the tensor *buffers* created during the run and still
 *    alive (each dataId once): the engine's `trackTensor` and `removeDataId`
 *    are wrapped too, to keep that set. This is the extra peak.
 *    `tf.memory().numBytes` is recorded as well but counts per tensor
 *    handle, so a reshape or identity that shares its input's buffer counts
 *    twice there;
 *  - `backend.memory().numBytesInGPU` (webgl / webgpu: buffers/textures in
 *    use; its peak minus its value before the run) and, after the run, the
 *    growth of `numBytesInGPUAllocated` / `numBytesAllocatedInGPU` (pooled
 *    allocations): the GPU backend's own byte count.
 * Inputs made before the run are not counted. Neither are scratch arrays a
 * kernel allocates in JS and frees before it returns (the cpu kernels), nor
 * GPU memory tfjs does not track.
 */
import * as tf from '@tensorflow/tfjs-core';

interface TensorLike {
  dataId: object;
  size: number;
  dtype: string;
}

interface EngineInternals {
  state: {numBytes: number, numTensors: number, tensorInfo: WeakMap<object, unknown>};
  runKernelFunc: (...args: unknown[]) => unknown;
  trackTensor: (a: TensorLike, backend: unknown) => void;
  removeDataId: (dataId: object, backend: unknown) => void;
  backend: {memory(): Record<string, unknown>};
}

function gpuBytes(): {inUse: number | null, allocated: number | null} {
  const m = (tf.engine() as unknown as EngineInternals).backend.memory();
  const num = (k: string) => (typeof m[k] === 'number' ? m[k] as number : null);
  return {
    inUse: num('numBytesInGPU'),
    allocated: num('numBytesInGPUAllocated') ?? num('numBytesAllocatedInGPU'),
  };
}

const BYTES_PER_ELEMENT: Record<string, number> = {float32: 4, int32: 4, bool: 1};

export interface PeakMemory {
  /** Peak bytes of the buffers created during the run and alive at once. */
  peakExtraBytes: number;
  /** The same from tf.memory().numBytes (counts a shared buffer once per handle). */
  peakEngineExtraBytes: number;
  peakGpuExtraBytes?: number;
  gpuAllocatedGrowthBytes?: number;
}

/**
 * Runs `fn` once with a sampler after every kernel. `fn` receives a `sample`
 * callback to call once more at its end, before it disposes its results.
 */
export async function trackPeakMemory(fn: (sample: () => void) => Promise<void>): Promise<PeakMemory> {
  const engine = tf.engine() as unknown as EngineInternals;
  const baseEngine = engine.state.numBytes;
  const baseGpu = gpuBytes();
  const created = new Map<object, number>();
  let live = 0;
  let peak = 0;
  let peakEngine = baseEngine;
  let peakGpu = baseGpu.inUse ?? 0;
  const sample = () => {
    peak = Math.max(peak, live);
    peakEngine = Math.max(peakEngine, engine.state.numBytes);
    const g = gpuBytes().inUse;
    if (g != null) peakGpu = Math.max(peakGpu, g);
  };
  const {runKernelFunc, trackTensor, removeDataId} = engine;
  engine.runKernelFunc = function(this: unknown, ...args: unknown[]) {
    const out = runKernelFunc.apply(this, args);
    sample();
    return out;
  };
  engine.trackTensor = function(this: unknown, a: TensorLike, backend: unknown) {
    // A new handle on a buffer that already exists (reshape, identity) adds nothing.
    if (!engine.state.tensorInfo.has(a.dataId) && !created.has(a.dataId)) {
      const bytes = a.size * (BYTES_PER_ELEMENT[a.dtype] ?? 0);
      created.set(a.dataId, bytes);
      live += bytes;
    }
    return trackTensor.call(this, a, backend);
  };
  engine.removeDataId = function(this: unknown, dataId: object, backend: unknown) {
    const bytes = created.get(dataId);
    if (bytes != null) {
      created.delete(dataId);
      live -= bytes;
    }
    return removeDataId.call(this, dataId, backend);
  };
  try {
    await fn(sample);
  } finally {
    // Own properties shadowed the prototype's methods: drop them.
    const own = engine as unknown as Record<string, unknown>;
    delete own.runKernelFunc;
    delete own.trackTensor;
    delete own.removeDataId;
  }
  const after = gpuBytes();
  const res: PeakMemory = {peakExtraBytes: peak, peakEngineExtraBytes: peakEngine - baseEngine};
  if (baseGpu.inUse != null) res.peakGpuExtraBytes = peakGpu - baseGpu.inUse;
  if (baseGpu.allocated != null && after.allocated != null) {
    res.gpuAllocatedGrowthBytes = after.allocated - baseGpu.allocated;
  }
  return res;
}

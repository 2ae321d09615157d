/**
 * Peak device bytes of a computation, counted where the memory is really
 * allocated (used by benchmarks/linear_cross_entropy.ts and its test):
 *  - cpu: every write to the backend's data storage (`backend.data.set` /
 *    `delete`), so kernel scratch buffers count and a reshape (which shares its
 *    input's buffer) does not. tfjs's own `engine.state.numBytes` counts bytes
 *    per tensor *object*: a reshape or clone of a 65 MB tensor adds 65 MB there.
 *  - webgpu: the buffer manager's bytes in use (`numBytesUsed`), read after
 *    every buffer acquisition (pooled free buffers are not "in use").
 * The tracker patches the backend *instance* and restores it in `stop()`.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface BytesTracker {
  /** Bytes live now. */
  current(): number;
  /** Most bytes live at once since start (or the last `resetPeak`). */
  peak(): number;
  resetPeak(): void;
  stop(): void;
}

interface CpuData {values?: {byteLength?: number} | null}
interface Storage {set(id: object, v: CpuData): void; delete(id: object): boolean; get(id: object): CpuData | undefined; has(id: object): boolean;}
interface WebGPUBufferManager {numBytesUsed: number; acquireBuffer(...args: unknown[]): unknown;}

/** Starts counting the active backend's live bytes. Backends other than cpu and webgpu: null. */
export function trackBackendBytes(): BytesTracker | null {
  const backend = tf.backend() as unknown as {data?: Storage, bufferManager?: WebGPUBufferManager};
  const name = tf.getBackend();
  let live = 0, peak = 0;
  if (name === 'cpu' && backend.data != null) {
    const data = backend.data;
    const sizes = new WeakMap<object, number>();
    const origSet = data.set, origDelete = data.delete;
    data.set = function (id: object, v: CpuData) {
      live -= sizes.get(id) ?? 0;
      const bytes = v?.values?.byteLength ?? 0;
      sizes.set(id, bytes);
      live += bytes;
      peak = Math.max(peak, live);
      return origSet.call(this, id, v);
    };
    data.delete = function (id: object) {
      live -= sizes.get(id) ?? 0;
      sizes.delete(id);
      return origDelete.call(this, id);
    };
    return {
      current: () => live, peak: () => peak, resetPeak: () => { peak = live; },
      stop: () => { data.set = origSet; data.delete = origDelete; },
    };
  }
  if (name === 'webgpu' && backend.bufferManager != null) {
    const bm = backend.bufferManager;
    const origAcquire = bm.acquireBuffer;
    peak = bm.numBytesUsed;
    bm.acquireBuffer = function (...args: unknown[]) {
      const r = origAcquire.apply(this, args);
      peak = Math.max(peak, bm.numBytesUsed);
      return r;
    };
    return {
      current: () => bm.numBytesUsed, peak: () => peak, resetPeak: () => { peak = bm.numBytesUsed; },
      stop: () => { bm.acquireBuffer = origAcquire; },
    };
  }
  return null;
}

/**
 * Puts `tensors` in device memory now (webgpu: tensors made from cpu values,
 * e.g. `tf.tensor2d(array)` or `randomNormal`, are uploaded lazily at their
 * first use, which would count their bytes as the measured run's own), then
 * submits, so the upload's staging buffers are released. Other backends: nothing to do.
 */
export function placeOnDevice(tensors: tf.Tensor[]): void {
  if (tf.getBackend() !== 'webgpu') {
    return;
  }
  const b = tf.backend() as unknown as {uploadToGPU(dataId: object): void, commandEncoder: unknown,
                                        endComputePassEncoder(): void, submitQueue(): void};
  tensors.forEach(t => b.uploadToGPU(t.dataId));
  if (b.commandEncoder != null) {
    b.endComputePassEncoder();
    b.submitQueue();
  }
}

/**
 * Extra peak bytes of `fn` over what was live before it, counted until `fn`
 * returns; `inputs` are placed on the device first (`placeOnDevice`). The
 * tensors `fn` returns are then read back (outside the count: the read-back's
 * staging buffers belong to the measurement, not to the computation) and
 * disposed.
 */
export async function extraPeakBytes(fn: () => tf.Tensor | tf.Tensor[], inputs: tf.Tensor[] = []): Promise<number> {
  placeOnDevice(inputs);
  const tracker = trackBackendBytes();
  if (tracker == null) {
    throw new Error(`no byte tracker for backend ${tf.getBackend()}`);
  }
  const before = tracker.current();
  tracker.resetPeak();
  let outs: tf.Tensor[] = [];
  try {
    const out = fn();
    outs = Array.isArray(out) ? out : [out];
    return tracker.peak() - before;
  } finally {
    tracker.stop();
    await Promise.all(outs.map(t => t.data()));
    tf.dispose(outs);
  }
}

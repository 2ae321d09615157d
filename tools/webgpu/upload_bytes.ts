/**
 * Counts the bytes tfjs-backend-webgpu (4.22) sends from the host to the GPU:
 * tensor values uploaded on first use (its `uploadToGPU`, which copies a
 * tensor's host-side `values` through a staging buffer) plus every
 * `queue.writeBuffer` (uniforms). Read-backs are not counted. Wraps the
 * backend instance's method and the device queue's; `restore` undoes both.
 */
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';

interface Internals {
  tensorMap: {get(dataId: object): {values?: ArrayLike<number> | null, resource?: unknown, dtype: string, shape: number[]}};
  uploadToGPU(dataId: object): void;
  queue: GPUQueue;
}

export interface UploadCounter {
  /** Tensor bytes uploaded since the last reset. */
  readonly tensorBytes: number;
  /** queue.writeBuffer bytes (uniforms) since the last reset. */
  readonly writeBufferBytes: number;
  /** The largest single tensor upload since the last reset. */
  readonly largestTensor: number;
  reset(): void;
  restore(): void;
}

export function countUploads(backend: WebGPUBackend): UploadCounter {
  const b = backend as unknown as Internals;
  const upload = b.uploadToGPU;
  const queue = b.queue;
  const writeBuffer = queue.writeBuffer;
  const state = {tensorBytes: 0, writeBufferBytes: 0, largestTensor: 0};
  b.uploadToGPU = function(this: Internals, dataId: object) {
    const d = b.tensorMap.get(dataId);
    if (d != null && d.resource == null && d.values != null) {
      const bytes = 4 * d.shape.reduce((p, n) => p * n, 1);
      state.tensorBytes += bytes;
      state.largestTensor = Math.max(state.largestTensor, bytes);
    }
    return upload.call(this, dataId);
  };
  queue.writeBuffer = function(this: GPUQueue, ...args: Parameters<GPUQueue['writeBuffer']>) {
    const [, , data, dataOffset, size] = args;
    const elementBytes = ArrayBuffer.isView(data) && 'BYTES_PER_ELEMENT' in data ? (data as unknown as {BYTES_PER_ELEMENT: number}).BYTES_PER_ELEMENT : 1;
    state.writeBufferBytes += size != null ? size * elementBytes : data.byteLength - (dataOffset ?? 0) * elementBytes;
    return writeBuffer.apply(this, args);
  } as GPUQueue['writeBuffer'];
  return {
    get tensorBytes() {
      return state.tensorBytes;
    },
    get writeBufferBytes() {
      return state.writeBufferBytes;
    },
    get largestTensor() {
      return state.largestTensor;
    },
    reset() {
      state.tensorBytes = 0;
      state.writeBufferBytes = 0;
      state.largestTensor = 0;
    },
    restore() {
      b.uploadToGPU = upload;
      queue.writeBuffer = writeBuffer;
    },
  };
}

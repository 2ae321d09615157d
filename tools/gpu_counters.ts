/**
 * Counts the GPU work a backend records: compute dispatches on webgpu (every
 * `dispatchWorkgroups` on a compute pass of the backend's device: tfjs's own
 * programs and ours, which record through the same command encoder) and
 * programs run on webgl (every `gpgpu.executeProgram`: ours, tfjs's, and its
 * texture encode/decode programs). Wraps methods on the backend's instances
 * only; `restore` undoes it. Any other backend: null (nothing to count).
 */
import * as tf from '@tensorflow/tfjs-core';

export interface DispatchCounter {
  /** What was counted: 'compute dispatches' (webgpu) or 'programs run' (webgl). */
  readonly what: string;
  readonly count: number;
  reset(): void;
  restore(): void;
}

interface WebGPUInternals {
  device: GPUDevice;
}

interface WebGLInternals {
  gpgpu: {executeProgram(...args: unknown[]): unknown};
}

/** A counter on the active backend, or null when it is neither webgpu nor webgl. */
export function countDispatches(): DispatchCounter | null {
  const name = tf.getBackend();
  const state = {count: 0};
  let restore: () => void;
  if (name === 'webgpu') {
    const device = (tf.backend() as unknown as WebGPUInternals).device;
    const create = device.createCommandEncoder;
    const ownCreate = Object.prototype.hasOwnProperty.call(device, 'createCommandEncoder');
    device.createCommandEncoder = function(this: GPUDevice, ...args: Parameters<GPUDevice['createCommandEncoder']>) {
      const encoder = create.apply(this, args);
      const begin = encoder.beginComputePass;
      encoder.beginComputePass = function(this: GPUCommandEncoder, ...a: Parameters<GPUCommandEncoder['beginComputePass']>) {
        const pass = begin.apply(this, a);
        const dispatch = pass.dispatchWorkgroups;
        pass.dispatchWorkgroups = function(this: GPUComputePassEncoder, ...d: Parameters<GPUComputePassEncoder['dispatchWorkgroups']>) {
          state.count++;
          return dispatch.apply(this, d);
        };
        return pass;
      };
      return encoder;
    };
    restore = () => unwrap(device, 'createCommandEncoder', create, ownCreate);
  } else if (name === 'webgl') {
    const gpgpu = (tf.backend() as unknown as WebGLInternals).gpgpu;
    const execute = gpgpu.executeProgram;
    const ownExecute = Object.prototype.hasOwnProperty.call(gpgpu, 'executeProgram');
    gpgpu.executeProgram = function(this: unknown, ...args: unknown[]) {
      state.count++;
      return execute.apply(this, args);
    };
    restore = () => unwrap(gpgpu, 'executeProgram', execute, ownExecute);
  } else {
    return null;
  }
  return {
    what: name === 'webgpu' ? 'compute dispatches' : 'programs run',
    get count() {
      return state.count;
    },
    reset() {
      state.count = 0;
    },
    restore,
  };
}

/** Puts a wrapped method back: the own property it was, or the prototype's (the wrapper deleted). */
function unwrap(target: object, key: string, original: unknown, wasOwn: boolean): void {
  if (wasOwn) (target as Record<string, unknown>)[key] = original;
  else delete (target as Record<string, unknown>)[key];
}

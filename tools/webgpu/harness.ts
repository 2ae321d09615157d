/**
 * Shared by the Node WebGPU suites: backend setup through the package's Node
 * helper, and a WebGPU validation error scope around each case.
 * Import './node_webgpu_env' before this module.
 */
import * as tf from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import {ensureNodeWebGPU} from '../../kernels/webgpu/node_webgpu';
import {registerWebGPUKernels} from '../../kernels/webgpu/register_webgpu';

/** Activates the webgpu backend (device with subgroups where available) and the fused kernels. */
export async function setupWebGPU(): Promise<WebGPUBackend> {
  await ensureNodeWebGPU();
  registerWebGPUKernels();
  return tf.backend() as WebGPUBackend;
}

/**
 * Disposes the webgpu backend and destroys its device, so Dawn lets the
 * process exit (tfjs's dispose keeps the device alive).
 */
export function teardownWebGPU(): void {
  const e = tf.engine() as unknown as {registry: Record<string, WebGPUBackend | undefined>};
  const backend = e.registry['webgpu'];
  if (backend != null) {
    const device = backend.device;
    tf.removeBackend('webgpu');
    device.destroy();
  }
}

/** Submits whatever tfjs has recorded but not yet submitted (so its errors surface now). */
function flush(backend: WebGPUBackend): void {
  const b = backend as unknown as {commandEncoder: unknown, endComputePassEncoder(): void, submitQueue(): void};
  if (b.commandEncoder != null) {
    b.endComputePassEncoder();
    b.submitQueue();
  }
}

/** Runs `f` inside a 'validation' (and an 'out-of-memory') error scope; throws on any GPU error. */
export async function inErrorScope<T>(backend: WebGPUBackend, f: () => Promise<T>): Promise<T> {
  const device = backend.device;
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let result: T;
  try {
    result = await f();
  } finally {
    flush(backend);
    const validation = await device.popErrorScope();
    const oom = await device.popErrorScope();
    const err = validation ?? oom;
    if (err != null) {
      // eslint-disable-next-line no-unsafe-finally
      throw new Error(`WebGPU error: ${err.message}`);
    }
  }
  return result;
}

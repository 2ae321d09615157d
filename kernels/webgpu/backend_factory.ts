/**
 * A `webgpu` backend factory for tfjs that also enables the `subgroups`
 * feature (tfjs 4.22 requests only `timestamp-query` and `bgra8unorm-storage`),
 * so the fused kernels can reduce rows with subgroup operations. Works in
 * browsers and in Node (through `tfjs-fused-cross-entropy/node-webgpu`).
 *
 * ```js
 * import * as tf from '@tensorflow/tfjs';
 * import '@tensorflow/tfjs-backend-webgpu';
 * import {registerWebGPUBackend} from 'tfjs-fused-cross-entropy/webgpu-backend';
 * registerWebGPUBackend();           // before the backend is first used
 * await tf.setBackend('webgpu');
 * ```
 */
import {engine, env, registerBackend, removeBackend} from '@tensorflow/tfjs-core';
import {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';

/** Optional features the factory asks for when the adapter has them. */
export const REQUESTED_FEATURES: string[] = ['timestamp-query', 'bgra8unorm-storage', 'subgroups'];

export interface WebGPUBackendOptions {
  /** The GPU entry point; default `navigator.gpu`. */
  gpu?: GPU;
  /** Request `subgroups` when available (default true). */
  subgroups?: boolean;
  /** Backend priority (tfjs uses 3 for webgpu). */
  priority?: number;
}

/** Requests an adapter, or throws an error that says what to install. */
export async function requestAdapterOrThrow(gpu: GPU | undefined): Promise<GPUAdapter> {
  if (gpu == null) {
    throw new Error('WebGPU is not available: navigator.gpu is undefined (in Node, import ' +
        "'tfjs-fused-cross-entropy/node-webgpu' first; in Chromium, serve the page from a secure origin)");
  }
  const adapter = await gpu.requestAdapter({
    powerPreference: env().getBool('WEBGPU_USE_LOW_POWER_GPU') ? 'low-power' : 'high-performance',
  });
  if (adapter == null) {
    throw new Error('WebGPU: no adapter found. No GPU driver is usable here: install a Vulkan driver ' +
        '(e.g. `apt-get install chromium libvulkan1` and set ' +
        'VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json for SwiftShader on the CPU, or ' +
        "Mesa's mesa-vulkan-drivers >= 25 for lavapipe)");
  }
  return adapter;
}

/** The adapter's info (`GPUAdapter.info`, newer than some @webgpu/types releases). */
export function adapterInfo(adapter: GPUAdapter): GPUAdapterInfo | undefined {
  return (adapter as GPUAdapter & {info?: GPUAdapterInfo}).info;
}

/** Creates a tfjs WebGPUBackend on a device with tfjs's limits plus the requested features. */
export async function createWebGPUBackend(options: WebGPUBackendOptions = {}): Promise<WebGPUBackend> {
  const gpu = options.gpu ?? (globalThis as {navigator?: {gpu?: GPU}}).navigator?.gpu;
  const adapter = await requestAdapterOrThrow(gpu);
  const wanted = REQUESTED_FEATURES.filter(f => (options.subgroups ?? true) || f !== 'subgroups');
  const limits = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures: wanted.filter(f => adapter.features.has(f)) as GPUFeatureName[],
    // The limits tfjs's own factory raises to the adapter's maximum.
    requiredLimits: {
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
    },
  });
  return new WebGPUBackend(device, adapterInfo(adapter));
}

/**
 * Registers (or replaces) tfjs's `webgpu` backend factory with
 * `createWebGPUBackend(options)`. Call it before the backend is first
 * initialized; an already initialized `webgpu` backend is kept (returns false).
 */
export function registerWebGPUBackend(options: WebGPUBackendOptions = {}): boolean {
  const e = engine() as unknown as {registryFactory: Record<string, unknown>, registry: Record<string, unknown>};
  if (e.registry['webgpu'] != null) {
    return false;
  }
  if (e.registryFactory['webgpu'] != null) {
    removeBackend('webgpu');
  }
  return registerBackend('webgpu', () => createWebGPUBackend(options), options.priority ?? 3);
}

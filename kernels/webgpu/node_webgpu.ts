/**
 * WebGPU for tfjs in plain Node, through Dawn (the npm package `webgpu`).
 *
 * Importing this module (subpath `tfjs-fused-cross-entropy/node-webgpu`)
 * installs the WebGPU globals (`GPUBuffer`, `GPUBufferUsage`, …) and
 * `navigator.gpu` when they are missing. Import it BEFORE
 * `@tensorflow/tfjs-backend-webgpu`: that package registers its backend at
 * import time only if `navigator.gpu` exists. Then call `ensureNodeWebGPU()`,
 * which checks that an adapter exists (with an error that says what to
 * install, instead of tfjs's "Cannot read properties of null (reading
 * 'features')"), registers a `webgpu` backend whose device also has the
 * `subgroups` feature, and makes it the active backend.
 *
 * Runnable example (Node >= 20; on a machine without a GPU, SwiftShader from
 * Debian's chromium: `apt-get install chromium libvulkan1` and
 * `export VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json`):
 *
 * ```ts
 * import {ensureNodeWebGPU} from 'tfjs-fused-cross-entropy/node-webgpu';
 * import * as tf from '@tensorflow/tfjs';
 * import '@tensorflow/tfjs-backend-webgpu';
 * import {softmaxCrossEntropyWithLogits} from 'tfjs-fused-cross-entropy';
 *
 * await ensureNodeWebGPU();                       // tf.getBackend() === 'webgpu'
 * const loss = softmaxCrossEntropyWithLogits(tf.tensor2d([[0, 1]]), tf.tensor2d([[2, 3]]));
 * console.log(await loss.data());                 // use data(), not dataSync(), in Node
 * ```
 *
 * In Node `dataSync()`/`arraySync()` fail on webgpu (tfjs reads back through
 * an OffscreenCanvas): always `await t.data()`.
 */
import * as path from 'path';

/** What `require('webgpu')` exports. */
interface DawnModule {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

/**
 * Loads Dawn: the package entry (ESM; `require` works on Node >= 20.19), else
 * its prebuilt binary directly (for CommonJS loaders that cannot require ESM,
 * such as jest).
 */
function loadDawn(): DawnModule {
  try {
    return require('webgpu') as DawnModule;
  } catch (first) {
    try {
      const root = path.dirname(require.resolve('webgpu/package.json'));
      const arch = process.platform === 'darwin' ? 'universal' : process.arch;
      return require(path.join(root, 'dist', `${process.platform}-${arch}`, 'dawn.node')) as DawnModule;
    } catch {
      throw new Error('tfjs-fused-cross-entropy/node-webgpu needs the npm package `webgpu` ' +
          `(npm install webgpu): ${(first as Error).message}`);
    }
  }
}

/** Installs WebGPU globals and navigator.gpu where missing; returns navigator.gpu. */
function installGlobals(): GPU {
  const g = globalThis as unknown as {navigator?: {gpu?: GPU}};
  if (g.navigator?.gpu != null) {
    return g.navigator.gpu;
  }
  const dawn = loadDawn();
  for (const [name, value] of Object.entries(dawn.globals)) {
    if (!(name in globalThis)) {
      Object.defineProperty(globalThis, name, {value, writable: true, configurable: true});
    }
  }
  const gpu = dawn.create([]);
  if (g.navigator == null) {
    Object.defineProperty(globalThis, 'navigator', {value: {gpu}, writable: true, configurable: true});
  } else {
    // Node >= 21 has a navigator without gpu.
    Object.defineProperty(g.navigator, 'gpu', {value: gpu, configurable: true});
  }
  return gpu;
}

/** `navigator.gpu` as installed by this module (Dawn), or the one that was there already. */
export const nodeGPU: GPU = installGlobals();

export interface EnsureNodeWebGPUOptions {
  /** Ask for the `subgroups` device feature when the adapter has it (default true). */
  subgroups?: boolean;
  /** Also `await tf.setBackend('webgpu')` (default true). */
  setBackend?: boolean;
}

/**
 * Checks that a WebGPU adapter exists (throws a clear error otherwise),
 * registers the `webgpu` backend factory (device with `subgroups` where
 * available) and, by default, activates it. Returns the adapter's info
 * (empty where the implementation has no `GPUAdapter.info`).
 */
export async function ensureNodeWebGPU(options: EnsureNodeWebGPUOptions = {}): Promise<GPUAdapterInfo> {
  // Loaded lazily: @tensorflow/tfjs-backend-webgpu must come after the globals above.
  // (The `.js` specifier keeps a real import() in the CommonJS build as well.)
  const {adapterInfo, requestAdapterOrThrow, registerWebGPUBackend} = await import('./backend_factory.js');
  const adapter = await requestAdapterOrThrow(nodeGPU);
  registerWebGPUBackend({gpu: nodeGPU, subgroups: options.subgroups ?? true});
  if (options.setBackend ?? true) {
    const tf = await import('@tensorflow/tfjs-core');
    if (!(await tf.setBackend('webgpu'))) {
      throw new Error('WebGPU: the webgpu backend failed to initialize (see the warning above)');
    }
  }
  return adapterInfo(adapter) ?? ({} as GPUAdapterInfo);
}

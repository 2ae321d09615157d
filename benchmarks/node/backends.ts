/**
 * Backends the benchmarks can start inside Node.js.
 *
 *  - cpu:        @tensorflow/tfjs-backend-cpu.
 *  - webgpu:     @tensorflow/tfjs-backend-webgpu on Dawn (npm `webgpu`). Its
 *                globals and `navigator.gpu` must exist *before* the backend
 *                module is imported (it registers only if navigator.gpu is
 *                truthy then), hence the dynamic imports below.
 *  - wasm:       @tensorflow/tfjs-backend-wasm with the .wasm files located
 *                through setWasmPaths. No fused kernels exist for it: the
 *                package's ops take their composite path there.
 *  - tensorflow: @tensorflow/tfjs-node, when it is installed (it cannot be
 *                installed on machines without access to its download host).
 */
import * as path from 'node:path';
import * as fs from 'node:fs';

export const NODE_BACKENDS = ['cpu', 'webgpu', 'wasm', 'tensorflow'] as const;
export type NodeBackend = typeof NODE_BACKENDS[number];

/** Null when the backend can be started here; otherwise why not. */
export function nodeBackendMissing(name: NodeBackend): string | null {
  const has = (m: string) => {
    try {
      require.resolve(m);
      return true;
    } catch {
      return false;
    }
  };
  if (name === 'tensorflow') {
    return has('@tensorflow/tfjs-node') ? null :
        '@tensorflow/tfjs-node is not installed (its install script downloads libtensorflow, unreachable here)';
  }
  if (name === 'webgpu') return has('webgpu') ? null : 'npm package `webgpu` (Dawn for Node) is not installed';
  if (name === 'wasm') return has('@tensorflow/tfjs-backend-wasm') ? null : '@tensorflow/tfjs-backend-wasm is not installed';
  return null;
}

/** Installs WebGPU globals from Dawn; resolves to false when no adapter exists. */
export async function installNodeWebGPU(): Promise<{ok: boolean, why?: string}> {
  const g = globalThis as unknown as {navigator?: {gpu?: GPU}};
  if (!g.navigator?.gpu) {
    // The package's own helper (kernels/webgpu/node_webgpu.ts) does the same for users;
    // the benchmark keeps this self-contained so that the real-GPU bundle
    // needs nothing but `webgpu`.
    const dawn = await import('webgpu');
    Object.assign(globalThis, dawn.globals);
    // Timestamp queries at full resolution: Dawn quantizes them by default
    // (a privacy guard for the web), which would round short kernels' times.
    const gpu = dawn.create(['disable-dawn-features=timestamp_quantization']);
    Object.defineProperty(globalThis, 'navigator', {value: {gpu}, configurable: true, writable: true});
  }
  const adapter = await g.navigator!.gpu!.requestAdapter();
  if (!adapter) {
    return {ok: false, why: 'Dawn found no WebGPU adapter (no Vulkan driver? set VK_ICD_FILENAMES)'};
  }
  return {ok: true};
}

/**
 * Imports tfjs and the backend, selects it and returns its name. Throws with
 * a readable reason when it cannot start.
 */
export async function startNodeBackend(name: NodeBackend): Promise<void> {
  const missing = nodeBackendMissing(name);
  if (missing) throw new Error(missing);
  if (name === 'webgpu') {
    const r = await installNodeWebGPU();
    if (!r.ok) throw new Error(r.why);
  }
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-cpu');
  if (name === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
  if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    if (!fs.existsSync(path.join(dir, 'tfjs-backend-wasm-simd.wasm'))) throw new Error(`no .wasm files in ${dir}`);
    wasm.setWasmPaths(dir + path.sep);
  }
  if (name === 'tensorflow') await import('@tensorflow/tfjs-node' as string);
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend('${name}') failed`);
  await tf.ready();
}

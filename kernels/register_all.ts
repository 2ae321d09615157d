/**
 * Registers every kernel of the contract for every backend this package has
 * kernels for, and declares each backend's capabilities (capabilities.ts).
 * The one registration route: src/index.ts calls it. Idempotent: each
 * register function skips kernels already there.
 */
import {registerCpuKernels} from './cpu/register_cpu';
import {registerTensorflowKernels} from './tensorflow/register_tensorflow';
import {registerWasmKernels} from './wasm/register_wasm';
import {registerWebGLKernels} from './webgl/register_webgl';
import {registerWebGPUKernels} from './webgpu/register_webgpu';

export function registerAllKernels(): void {
  registerCpuKernels();
  registerTensorflowKernels();
  registerWasmKernels();
  registerWebGLKernels();
  registerWebGPUKernels();
}

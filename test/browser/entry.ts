/**
 * The browser side of the browser suite, bundled by esbuild (harness.ts) and
 * loaded in headless Chromium. It runs the shared op spec (test/spec) and the
 * browser-only cases on webgl and webgpu as listed in protocol.ts, and
 * reports every case through functions the Node side exposes on `window`:
 *
 *   __fceCaseStart(variant, name)   before a case (console errors are charged to it)
 *   __fceReport(result)             after it
 *
 * The page is started by `window.__fceRun(pageId, variantIds?)`, which
 * resolves when every variant of that page load (or the listed ones) has run.
 */
// The union package: tfjs-core, its gradients, the cpu and webgl backends.
import * as tf from '@tensorflow/tfjs';
// Registers the webgpu backend when navigator.gpu exists (a secure page).
import '@tensorflow/tfjs-backend-webgpu';
// Registers the wasm backend; its .wasm binaries are fetched on first use, from the harness's server.
import {setWasmPaths} from '@tensorflow/tfjs-backend-wasm';
// Our ops, gradients and kernels for every backend.
import '../../src/index';
import {registerWebGPUBackend} from '../../kernels/webgpu/backend_factory';

import {caseName} from '../spec/index';
import {applies, runCase} from '../spec/run_case';

import {ALL_PAGE_PLANS, CaseResult, PagePlan, Variant, WASM_URL_PREFIX} from '../../tools/browser/protocol';
import {variantCases, variantEnv} from './variant_cases';


/** Per-case time limit in the page: a hung case fails instead of stalling the suite. */
const CASE_TIMEOUT_MS = 120_000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function message(e: unknown): string {
  const err = e as Error;
  return err && err.stack ? `${err.message}\n${err.stack}` : String(e);
}

/** The webgpu device of the active backend (for error scopes). */
function webgpuDevice(): GPUDevice {
  return (tf.backend() as unknown as {device: GPUDevice}).device;
}

async function runVariant(variant: Variant, plan: PagePlan, grep?: string): Promise<void> {
  const cases = variantCases(variant).filter(c => grep == null || caseName(c).includes(grep));
  let available = false;
  let why = '';
  try {
    available = await withTimeout(tf.setBackend(variant.backend), CASE_TIMEOUT_MS, `tf.setBackend('${variant.backend}')`);
    if (!available) why = `tf.setBackend('${variant.backend}') returned false`;
  } catch (e) {
    why = `tf.setBackend('${variant.backend}') threw: ${message(e)}`;
  }
  for (const c of cases) {
    const name = caseName(c);
    const env = variantEnv(variant, plan);
    if (!available) {
      await window.__fceReport({variant: variant.id, name, status: 'backend unavailable', message: why, ms: 0});
      continue;
    }
    if (!applies(c, env)) {
      await window.__fceReport({variant: variant.id, name, status: 'not applicable', ms: 0});
      continue;
    }
    await window.__fceCaseStart(variant.id, name);
    const start = performance.now();
    let failure: string | undefined;
    try {
      if (variant.errorScope) webgpuDevice().pushErrorScope('validation');
      let scopeError: GPUError | null = null;
      try {
        await withTimeout(runCase(c, env), CASE_TIMEOUT_MS, name);
      } finally {
        if (variant.errorScope) scopeError = await webgpuDevice().popErrorScope();
      }
      if (scopeError != null) failure = `WebGPU validation error: ${scopeError.message}`;
    } catch (e) {
      failure = message(e);
    }
    await window.__fceReport({
      variant: variant.id,
      name,
      status: failure == null ? 'pass' : 'fail',
      message: failure,
      ms: Math.round(performance.now() - start),
    });
  }
}

window.__fceRun = async (pageId: string, variantIds?: string[], grep?: string) => {
  const plan = ALL_PAGE_PLANS.find(p => p.id === pageId);
  if (plan == null) throw new Error(`unknown page plan ${pageId}`);
  // Must be set before the webgl backend is created (first setBackend).
  if (plan.float16) tf.env().set('WEBGL_FORCE_F16_TEXTURES', true);
  for (const [flag, value] of Object.entries(plan.flags ?? {})) tf.env().set(flag, value);
  // Before the webgpu backend is first initialized: ours replaces tfjs's factory.
  if (plan.webgpuFactory && !registerWebGPUBackend()) throw new Error('registerWebGPUBackend() returned false');
  // Before the wasm backend is first initialized. tfjs-wasm picks its build itself: the threaded
  // SIMD one where SharedArrayBuffer exists (a cross-origin isolated page), else the SIMD one.
  setWasmPaths(WASM_URL_PREFIX);
  for (const variant of plan.variants) {
    if (variantIds != null && !variantIds.includes(variant.id)) continue;
    await runVariant(variant, plan, grep);
  }
};

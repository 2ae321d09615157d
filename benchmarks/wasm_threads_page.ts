/**
 * The Chromium page of the threads experiment (wasm_threads.ts --browser),
 * served cross-origin isolated: tfjs-wasm loads its threaded SIMD build,
 * whose heap is a shared WebAssembly.Memory (Emscripten's Module.wasmMemory,
 * 65536 pages at most). The page checks what an integration would rely on and
 * times it:
 *  - the shared-memory variant of our module instantiates over that memory
 *    (the shipped, non-shared one cannot);
 *  - Web Workers get the module and the memory by postMessage, instantiate
 *    the module there and run rows of tensors that live in tfjs-wasm's heap
 *    (allocated with its _malloc), while the main thread, which may not
 *    Atomics.wait, spins until they are done.
 * window.__threads(wasmBase64, shapes, reps, threads) returns the timings.
 */
import * as tf from '@tensorflow/tfjs-core';
import {setWasmPaths} from '@tensorflow/tfjs-backend-wasm';

import type {SimdExports} from '../kernels/simd/simd_module';
import {WASM_URL_PREFIX} from '../tools/browser/protocol';
import {dispatch, fill, layout, Layout, median, quit, runRows, timeInterleaved, Variant, workerLoop} from './wasm_threads_shared';

interface Emscripten {
  wasmMemory?: WebAssembly.Memory;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  tfjs: {getThreadsCount(): number};
}

export interface PageRow {
  shape: string;
  labels: 'dense' | 'sparse';
  variant: string;
  threads: number;
  minMs: number;
  medianMs: number;
  reps: number;
}

export interface PageResult {
  crossOriginIsolated: boolean;
  tfjsThreads: number;
  memoryShared: boolean;
  shippedModuleInstantiates: string;
  workerStartMs: number;
  dispatchEmptyJobUs: {min: number, median: number};
  results: PageRow[];
}

const WORKER = `
const runRows = ${runRows.toString()};
const workerLoop = ${workerLoop.toString()};
onmessage = e => {
  const {module, memory, control, id, n, layouts} = e.data;
  const k = new WebAssembly.Instance(module, {env: {memory}}).exports;
  postMessage('ready');
  workerLoop(k, new Int32Array(control), id, n, layouts, runRows);
};
`;

declare global {
  interface Window {
    __threads(wasmBase64: string, shippedBase64: string, shapes: Array<[number, number]>, reps: number,
              threads: number): Promise<PageResult>;
  }
}

function bytes(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

window.__threads = async (wasmBase64, shippedBase64, shapes, reps, threads) => {
  setWasmPaths(WASM_URL_PREFIX);
  if (!await tf.setBackend('wasm')) throw new Error('tf.setBackend(\'wasm\') failed');
  const em = (tf.backend() as unknown as {wasm: Emscripten}).wasm;
  const memory = em.wasmMemory;
  if (!(memory instanceof WebAssembly.Memory)) throw new Error('tfjs-wasm\'s Module.wasmMemory is not a WebAssembly.Memory');
  const memoryShared = typeof SharedArrayBuffer === 'function' && memory.buffer instanceof SharedArrayBuffer;
  let shippedModuleInstantiates = 'yes';
  try {
    new WebAssembly.Instance(new WebAssembly.Module(bytes(shippedBase64)), {env: {memory}});
  } catch (e) {
    shippedModuleInstantiates = `no: ${(e as Error).message}`;
  }
  const module = await WebAssembly.compile(bytes(wasmBase64));
  const k = new WebAssembly.Instance(module, {env: {memory}}).exports as unknown as SimdExports;

  // The problems' arrays in tfjs-wasm's heap, from its own allocator.
  const layouts: Layout[] = [];
  const blocks: number[] = [];
  for (const [rows, C] of shapes) {
    const size = layout(rows, C, 0).end + 16;
    const block = em._malloc(size);
    blocks.push(block);
    layouts.push(layout(rows, C, (block + 15) & ~15));
  }

  const ctl = new Int32Array(new SharedArrayBuffer(64));
  const url = URL.createObjectURL(new Blob([WORKER], {type: 'text/javascript'}));
  const t0 = performance.now();
  const workers: Worker[] = [];
  await Promise.all(Array.from({length: threads - 1}, (_, i) => new Promise<void>((resolve, reject) => {
    const w = new Worker(url);
    w.onmessage = () => resolve();
    w.onerror = e => reject(new Error(e.message));
    w.postMessage({module, memory, control: ctl.buffer, id: i + 1, n: threads, layouts});
    workers.push(w);
  })));
  const workerStartMs = performance.now() - t0;

  const results: PageRow[] = [];
  for (const [li, L] of layouts.entries()) {
    fill(memory.buffer, L);
    for (const labels of ['dense', 'sparse'] as const) {
      const [fwd, bwd] = labels === 'dense' ? [1, 2] : [3, 4];
      const variants: Variant[] = [
        {name: '1 thread (shared-memory module on tfjs-wasm\'s heap)', threads: 1, step: () => {
          runRows(k, fwd, L, 0, L.rows);
          runRows(k, bwd, L, 0, L.rows);
        }},
        {name: `${threads} threads (Web Workers), main spins`, threads, step: () => {
          dispatch(k, ctl, threads, layouts, fwd, li, true);
          dispatch(k, ctl, threads, layouts, bwd, li, true);
        }},
      ];
      const n = reps;
      const {wall} = timeInterleaved(variants, n);
      variants.forEach((v, i) => results.push({shape: `${L.rows}×${L.C}`, labels, variant: v.name, threads: v.threads,
                                                minMs: Math.min(...wall[i]), medianMs: median(wall[i]), reps: n}));
    }
  }
  const empty: number[] = [];
  for (let r = 0; r < 2000; r++) {
    const s = performance.now();
    dispatch(k, ctl, threads, layouts, 0, 0, true);
    empty.push(1000 * (performance.now() - s));
  }
  quit(ctl);
  workers.forEach(w => w.terminate());
  blocks.forEach(b => em._free(b));
  return {
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    tfjsThreads: em.tfjs.getThreadsCount(),
    memoryShared,
    shippedModuleInstantiates,
    workerStartMs,
    dispatchEmptyJobUs: {min: Math.min(...empty), median: median(empty)},
    results,
  };
};

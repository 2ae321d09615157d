/**
 * Browser-only cases of the tfjs-wasm page loads (tools/browser/protocol.ts,
 * WASM_PAGE_PLANS): which build of tfjs-backend-wasm the page got, and which
 * path our ops take on it, asked the way a user would (fusedKernelChoice) and
 * checked against the kernels that really ran.
 *
 *  - 'wasm simd': a page that is not cross-origin isolated gets tfjs-wasm's
 *    non-threaded SIMD build; its memory is a plain WebAssembly.Memory, our
 *    WebAssembly SIMD module runs over it, and the ops choose our kernels.
 *  - 'wasm threaded': a cross-origin isolated page gets the threaded SIMD
 *    build, whose memory is shared; our module's variant with a shared memory
 *    import (kernels/simd/shared_memory_variant.ts) runs over it, single-
 *    threaded, and the ops choose our kernels there too.
 *
 * Runner-independent like the op spec; the jest side imports this module in
 * Node only to learn the case names.
 */
import * as tf from '@tensorflow/tfjs-core';

import * as names from '../../kernels/kernel_names';
import {wasmSimdRuns} from '../../kernels/wasm/wasm_simd';
import {fusedKernelChoice, sigmoidCrossEntropyWithLogits, softmaxCrossEntropyWithLogits, sparseSoftmaxCrossEntropyWithLogits} from '../../src/index';
import {WASM_URL_PREFIX} from '../../tools/browser/protocol';
import {expect, oneHotRows, randLabels, randn, randProbs} from '../spec/assert';
import {kernelsRun} from '../spec/kernels_ran';
import type {SpecCase} from '../spec/registry';

type ListId = 'wasm simd' | 'wasm threaded';

/** Our kernels registered for wasm: softmax (dense, sparse, one-hot), sigmoid and focal, forward and backward. */
const OURS: readonly string[] = [...names.ALL_KERNEL_NAMES, ...names.ONE_HOT_KERNEL_NAMES, ...names.FOCAL_KERNEL_NAMES];
/** Those the three ops of kernelsOfTheThreeOps run (the focal spec checks its own). */
const OF_THE_THREE: readonly string[] = [...names.ALL_KERNEL_NAMES, names.DenseLabelClassIds, names.OneHotSoftmaxCrossEntropy];

/** What these cases read of tfjs-backend-wasm's backend object (Emscripten's Module as `wasm`). */
interface WasmInternals {
  wasm: {
    HEAPU8: Uint8Array;
    wasmMemory?: WebAssembly.Memory;
    asm?: {memory?: WebAssembly.Memory};
    tfjs: {getThreadsCount(): number};
  };
}

/** The page's tfjs-wasm: its memory, the .wasm binary it fetched and its thread count. */
function wasmBuild(): {shared: boolean, binaries: string[], threads: number} {
  expect(tf.getBackend() === 'wasm', () => `expected the wasm backend, got ${tf.getBackend()}`);
  const {wasm} = tf.backend() as unknown as WasmInternals;
  const buffer = wasm.HEAPU8.buffer;
  const shared = typeof SharedArrayBuffer === 'function' && buffer instanceof SharedArrayBuffer;
  const binaries = performance.getEntriesByType('resource').map(e => new URL(e.name).pathname)
      .filter(p => p.startsWith(WASM_URL_PREFIX)).map(p => p.slice(WASM_URL_PREFIX.length));
  return {shared, binaries, threads: wasm.tfjs.getThreadsCount()};
}

/** The ops' choice for each of our kernels. */
function choices(): Array<[string, {fused: boolean, reason: string}]> {
  return OURS.map(k => [k, fusedKernelChoice(k)]);
}

/** Forward and backward of dense (soft and one-hot labels), sparse and sigmoid CE: the kernels they ran. */
async function kernelsOfTheThreeOps(): Promise<string[]> {
  const rows = 6, C = 37;
  const X = tf.tensor2d(randn(rows * C, 61, 3), [rows, C]), Y = tf.tensor2d(randProbs(rows, C, 62), [rows, C]);
  const t = randLabels(rows, C, 63);
  // One-hot rows from the host (tfjs-wasm's float32 OneHot writes int32 ones).
  const T = tf.tensor1d(t, 'int32'), H = tf.tensor2d(oneHotRows(t, C), [rows, C]);
  try {
    return [
      ...await kernelsRun(() => tf.grads((l: tf.Tensor, p: tf.Tensor) => softmaxCrossEntropyWithLogits(p, l, {labelSmoothing: 0.1}))([X, Y])),
      ...await kernelsRun(() => tf.grad(l => softmaxCrossEntropyWithLogits(H, l))(X)),
      ...await kernelsRun(() => tf.grad(l => sparseSoftmaxCrossEntropyWithLogits(T, l))(X)),
      ...await kernelsRun(() => tf.grads((l: tf.Tensor, z: tf.Tensor) => sigmoidCrossEntropyWithLogits(z, l, {reduction: 'mean'}))([X, Y])),
    ];
  } finally {
    tf.dispose([X, Y, T, H]);
  }
}

/**
 * Our SIMD module (`module`: which variant of it) runs over the page's
 * tfjs-wasm memory, the ops choose our kernels, and the three ops run them.
 */
async function expectOurKernelsRun(module: string): Promise<void> {
  expect(wasmSimdRuns(), () => `wasmSimdRuns() is false: our ${module} cannot run over this tfjs-wasm's memory`);
  const declined = choices().filter(([, c]) => !c.fused || !c.reason.includes('\'wasm\' backend\'s fused'));
  expect(declined.length === 0, () => `not our fused kernels: ${declined.map(([k, c]) => `${k}: ${c.reason}`).join('; ')}`);
  const ran = await kernelsOfTheThreeOps();
  const missing = OF_THE_THREE.filter(k => !ran.includes(k));
  expect(missing.length === 0, () => `did not run: ${missing.join(', ')} (ran: ${[...new Set(ran)].join(', ')})`);
}

const cases: Array<SpecCase & {list: ListId}> = [
  {
    list: 'wasm simd',
    suite: 'setup',
    name: 'not cross-origin isolated: tfjs-wasm\'s non-threaded SIMD build, and the ops choose our WebAssembly SIMD kernels on it',
    fn: async () => {
      expect(!globalThis.crossOriginIsolated, () => 'the page is cross-origin isolated; this variant needs a page that is not');
      const build = wasmBuild();
      expect(!build.shared, () => 'tfjs-wasm\'s memory is shared (its threaded build)');
      expect(build.binaries.includes('tfjs-backend-wasm-simd.wasm') && !build.binaries.some(b => b.includes('threaded')),
             () => `expected tfjs-backend-wasm-simd.wasm only, the page fetched: ${build.binaries.join(', ') || 'none'}`);
      await expectOurKernelsRun('module');
    },
  },
  {
    list: 'wasm threaded',
    suite: 'setup',
    name: 'cross-origin isolated: tfjs-wasm\'s threaded SIMD build (shared memory), and the ops choose our WebAssembly SIMD kernels on it',
    fn: async () => {
      expect(globalThis.crossOriginIsolated === true, () => 'the page is not cross-origin isolated (COOP/COEP headers missing?)');
      const build = wasmBuild();
      expect(build.shared, () => 'tfjs-wasm\'s memory is not shared: not its threaded build');
      expect(build.binaries.includes('tfjs-backend-wasm-threaded-simd.wasm'),
             () => `expected tfjs-backend-wasm-threaded-simd.wasm, the page fetched: ${build.binaries.join(', ') || 'none'}`);
      expect(build.threads >= 1, () => `tfjs-wasm reports ${build.threads} threads`);
      await expectOurKernelsRun('shared-memory variant');
    },
  },
];

/** Cases of one list. */
export function wasmCases(list: ListId): SpecCase[] {
  return cases.filter(c => c.list === list);
}

/**
 * The shared op spec on tfjs-backend-wasm in headless Chromium (the Node run
 * is test/wasm.test.ts), one jest test per (variant, case); the page loads are
 * WASM_PAGE_PLANS (tools/browser/protocol.ts), the jest side is
 * test/browser/jest_suite.ts:
 *  - 'wasm': a page that is not cross-origin isolated, so tfjs-wasm's
 *    non-threaded SIMD build: our WebAssembly SIMD kernels run on its heap
 *    (the first case checks the build and that the ops choose and run our
 *    kernels; the spec's "fused kernels run" case and every property run check
 *    it again). Tolerance as in Node: 1e-6 for every suite.
 *  - 'wasm threaded build': a cross-origin isolated page, so the threaded SIMD
 *    build (a shared memory, which our module's shared-import variant
 *    imports): the same checks and tolerances, our kernels running in place
 *    on the shared heap, on the page's main thread.
 */
import {WASM_PAGE_PLANS} from '../tools/browser/protocol';
import {describeBrowserSuite} from './browser/jest_suite';

describeBrowserSuite('tfjs-wasm in the browser (headless Chromium)', WASM_PAGE_PLANS, 'wasm',
                     'tfjs-fused-ce-browser-wasm-suite.log');

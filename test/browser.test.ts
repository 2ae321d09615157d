/**
 * The browser suite: the shared op spec and the browser-only cases, run in
 * headless Chromium on webgl (fused kernels and composite path, float32 and
 * float16 textures) and on webgpu, one jest test per (variant, case); the
 * page loads are PAGE_PLANS (tools/browser/protocol.ts), the jest side is
 * test/browser/jest_suite.ts. tfjs-wasm in the same page: browser_wasm.test.ts.
 */
import {PAGE_PLANS} from '../tools/browser/protocol';
import {describeBrowserSuite} from './browser/jest_suite';

describeBrowserSuite('browser (headless Chromium)', PAGE_PLANS, 'webgl, webgpu', 'tfjs-fused-ce-browser-suite.log');

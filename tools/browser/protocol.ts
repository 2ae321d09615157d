/**
 * What the browser page and the Node side of the browser suite agree on: the
 * variants (backend × path) the page runs, the page loads they are grouped
 * in, and the shape of one reported result. Imported by both sides; no DOM,
 * no Node APIs.
 */

/** One run of a case list on one backend configuration. */
export interface Variant {
  /** Stable id, shown in jest names: `${id} › ${case}`. */
  id: string;
  backend: 'webgl' | 'webgpu' | 'wasm';
  /** Force the composite path (FUSED_CE_FORCE_COMPOSITE). */
  composite: boolean;
  /**
   * Which case lists run: the shared op spec, the webgl-only kernel checks, the WebGL1 context check, the float16 checks,
   * the factory-created webgpu backend's, and which tfjs-wasm build the page got (with our SIMD kernels, or without).
   */
  lists: Array<'spec' | 'webgl' | 'webgl1' | 'f16' | 'factory' | 'wasm simd' | 'wasm threaded'>;
  /** Spec suites (by suite name) or cases (by full name, `suite › name`) this variant leaves out. */
  exclude?: string[];
  /** Every WebGPU case runs inside a device validation error scope. */
  errorScope?: boolean;
}

/**
 * A page load. Variants that need a fresh tfjs (WEBGL_FORCE_F16_TEXTURES
 * takes effect only when the webgl backend is created) get their own page.
 */
export interface PagePlan {
  id: string;
  /** WebGL textures are half floats (sets WEBGL_FORCE_F16_TEXTURES; SpecEnv.float16). */
  float16: boolean;
  /** Other tf.env() flags set before any backend is created. */
  flags?: Record<string, number | boolean>;
  /** Create the webgpu backend with our registerWebGPUBackend() (kernels/webgpu/backend_factory.ts). */
  webgpuFactory?: boolean;
  /**
   * The page is served cross-origin isolated (COOP same-origin, COEP require-corp): SharedArrayBuffer
   * exists, so tfjs-wasm loads its threaded SIMD build. Other pages are not isolated.
   */
  crossOriginIsolated?: boolean;
  variants: Variant[];
}

export const PAGE_PLANS: PagePlan[] = [
  {
    id: 'main',
    float16: false,
    variants: [
      {id: 'webgl', backend: 'webgl', composite: false, lists: ['spec', 'webgl']},
      {id: 'webgl composite', backend: 'webgl', composite: true, lists: ['spec']},
      {id: 'webgpu', backend: 'webgpu', composite: false, lists: ['spec'], errorScope: true},
    ],
  },
  {
    // tfjs on a WebGL1 context: GLSL ES 1.00 (constant loop bounds, no bit
    // casts), the shader dialect the kernels also promise to compile in.
    id: 'webgl1',
    float16: false,
    flags: {WEBGL_VERSION: 1},
    variants: [{id: 'webgl1', backend: 'webgl', composite: false, lists: ['webgl1', 'spec', 'webgl']}],
  },
  {
    // The webgpu backend from our factory (subgroups requested), on a fresh page: its cases
    // (factory_cases.ts), the fused-kernels check and two of the properties.
    id: 'webgpu-factory',
    float16: false,
    webgpuFactory: true,
    variants: [{id: 'webgpu (registerWebGPUBackend)', backend: 'webgpu', composite: false, lists: ['factory'], errorScope: true}],
  },
  {
    id: 'float16',
    float16: true,
    variants: [{id: 'webgl float16', backend: 'webgl', composite: false, lists: ['f16']}],
  },
];

/**
 * tfjs-backend-wasm's page loads (test/browser_wasm.test.ts; the .wasm binaries are served by
 * harness.ts under WASM_URL_PREFIX):
 *  - 'wasm': a page that is not cross-origin isolated, so no SharedArrayBuffer and tfjs-wasm's
 *    non-threaded SIMD build, whose memory our WebAssembly SIMD module imports: the op spec with
 *    our kernels running (every fused case checks they ran);
 *  - 'wasm-threaded': a cross-origin isolated page, tfjs-wasm's threaded SIMD build (a shared
 *    memory, which our module's shared-import variant imports): the whole op spec with our kernels
 *    running there too, on the page's main thread.
 */
export const WASM_PAGE_PLANS: PagePlan[] = [
  {
    id: 'wasm',
    float16: false,
    variants: [{id: 'wasm', backend: 'wasm', composite: false, lists: ['wasm simd', 'spec']}],
  },
  {
    id: 'wasm-threaded',
    float16: false,
    crossOriginIsolated: true,
    variants: [{id: 'wasm threaded build', backend: 'wasm', composite: false, lists: ['wasm threaded', 'spec']}],
  },
];

/** Every page load: the GPU backends' (test/browser.test.ts) and tfjs-wasm's (test/browser_wasm.test.ts). */
export const ALL_PAGE_PLANS: PagePlan[] = [...PAGE_PLANS, ...WASM_PAGE_PLANS];

/** Where the page fetches tfjs-wasm's .wasm binaries (setWasmPaths prefix; served by harness.ts). */
export const WASM_URL_PREFIX = '/tfjs-backend-wasm/';

export type CaseStatus = 'pass' | 'fail' | 'not applicable' | 'backend unavailable';

export interface CaseResult {
  variant: string;
  /** Full case name (`suite › name`). */
  name: string;
  status: CaseStatus;
  /** Failure message (with stack where useful), or why it did not run. */
  message?: string;
  ms: number;
}

/** Key of a result, as the jest side looks it up. */
export function resultKey(variant: string, name: string): string {
  return `${variant}\u0000${name}`;
}

/** What the page defines (entry.ts) and what the Node side exposes to it (harness.ts). */
declare global {
  interface Window {
    __fceCaseStart(variant: string, name: string): Promise<void>;
    __fceReport(result: CaseResult): Promise<void>;
    __fceRun(pageId: string, variantIds?: string[], grep?: string): Promise<void>;
  }
}

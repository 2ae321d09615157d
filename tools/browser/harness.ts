/**
 * Node side of the browser suite (and of every other page we drive: the
 * browser benchmarks, scripts/, the examples' screenshots): bundles a page
 * entry (the suite's is test/browser/entry.ts) with esbuild,
 * serves it from a tiny http server on 127.0.0.1 (a secure origin, so
 * `navigator.gpu` exists), drives headless Chromium with playwright-core and
 * collects one result per (variant, case), plus every console error and page
 * error, charged to the case that was running when it arrived.
 */
import * as fs from 'fs';
import * as http from 'http';
import type {AddressInfo} from 'net';
import * as path from 'path';

import * as esbuild from 'esbuild';
import {chromium} from 'playwright-core';

import {CaseResult, PAGE_PLANS, PagePlan, resultKey, WASM_URL_PREFIX} from './protocol';

/**
 * Chromium flags. --enable-unsafe-webgpu exposes WebGPU on Linux (where
 * Chromium still gates it); with no GPU, Chromium then offers its SwiftShader
 * Vulkan adapter ("google / swiftshader"): --enable-features=Vulkan is not
 * needed. playwright-core itself adds --headless, --use-angle=swiftshader-webgl
 * (WebGL2 through ANGLE on SwiftShader) and a fresh temporary --user-data-dir
 * per launch (checked in chrome://version). The network flags keep Chromium
 * from retrying a closed network; --no-sandbox is needed as root.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** A Chromium binary: $CHROMIUM_PATH, else the usual Linux locations; null if none. */
export function findChromium(): string | null {
  const candidates = [
    process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome',
  ];
  for (const c of candidates) {
    if (c && fs.existsSync(c)) return c;
  }
  return null;
}

/**
 * Bundles a browser entry (the suite's: test/browser/entry.ts, with tfjs,
 * backends, our package and the specs) into one script.
 */
export async function bundleEntry(entry: string): Promise<string> {
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    // tfjs's shader cache keys start with the program's class name: keep names.
    keepNames: true,
    plugins: [KEEP_NAMES_IN_WASM_WORKERS],
    sourcemap: 'inline',
    logLevel: 'silent',
    // The property tests' flags (test/spec/properties.ts) reach the page as constants.
    define: {
      'process.env.NODE_ENV': '"test"',
      ...Object.fromEntries(['FUSED_CE_PROPERTY_RUNS', 'FUSED_CE_PROPERTY_SEED', 'FUSED_CE_PROPERTY_REPORT'].map(
          k => [`process.env.${k}`, JSON.stringify(process.env[k] ?? '')])),
    },
  });
  return result.outputFiles[0].text;
}

/**
 * keepNames wraps functions in calls to esbuild's `__name` helper, defined at
 * the top of the bundle. tfjs-wasm's threaded build serializes its Emscripten
 * factory (Function.prototype.toString) into the script its pthread workers
 * import, where that helper does not exist ("__name is not defined" in every
 * worker, and the backend never initializes): the workers' preamble defines it.
 */
const KEEP_NAMES_IN_WASM_WORKERS: esbuild.Plugin = {
  name: 'keep-names-in-tfjs-wasm-workers',
  setup(build) {
    build.onLoad({filter: /tfjs-backend-wasm-threaded-simd\.worker\.js$/}, args => {
      const source = fs.readFileSync(args.path, 'utf8');
      const start = 'module.exports.wasmWorkerContents = `';
      if (!source.startsWith(start)) throw new Error(`${args.path}: not the worker script this plugin knows`);
      return {contents: start + 'var __name=function(f){return f};' + source.slice(start.length), loader: 'js'};
    });
  },
};

export interface BrowserRun {
  results: Map<string, CaseResult>;
  /** Console errors and page errors during a case, by resultKey. */
  caseErrors: Map<string, string[]>;
  /** Console errors and page errors outside any case, and harness failures. */
  strayErrors: string[];
  /** Chromium version and what the page reported about its adapters. */
  log: string[];
  wallMs: number;
}

/** The folder of tfjs-backend-wasm's .wasm binaries (its dist/), or null where it is not installed. */
function tfjsWasmDir(): string | null {
  try {
    return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  } catch {
    return null;
  }
}

/**
 * Serves a page that loads `bundle`, on 127.0.0.1 at a free port; also
 * tfjs-backend-wasm's .wasm binaries under WASM_URL_PREFIX (for pages that
 * set the wasm backend up with setWasmPaths(WASM_URL_PREFIX)). A page URL with
 * `coi=1` in its query is served cross-origin isolated (COOP same-origin,
 * COEP require-corp): SharedArrayBuffer exists there, and tfjs-wasm picks its
 * threaded build. The bundle and the binaries are same-origin, which COEP
 * allows.
 */
export function serve(bundle: string): Promise<http.Server> {
  const html = '<!doctype html><meta charset="utf-8"><title>fused CE browser suite</title>' +
               '<script src="/bundle.js"></script>';
  const isolation = {'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp'};
  const server = http.createServer((req, res) => {
    const [url, query = ''] = (req.url ?? '/').split('?');
    const wasmFile = url.startsWith(WASM_URL_PREFIX) ? url.slice(WASM_URL_PREFIX.length) : null;
    const wasmDir = wasmFile != null && /^[\w.-]+\.wasm$/.test(wasmFile) ? tfjsWasmDir() : null;
    if (url === '/') {
      const coi = new URLSearchParams(query).get('coi') === '1';
      res.writeHead(200, {'content-type': 'text/html', ...(coi ? isolation : {})}).end(html);
    } else if (url === '/bundle.js') {
      res.writeHead(200, {'content-type': 'text/javascript'}).end(bundle);
    } else if (wasmDir != null && fs.existsSync(path.join(wasmDir, wasmFile!))) {
      res.writeHead(200, {'content-type': 'application/wasm'});
      fs.createReadStream(path.join(wasmDir, wasmFile!)).pipe(res);
    } else if (wasmFile != null) {
      res.writeHead(404).end();  // a missing binary must show (tfjs-wasm's init fails, naming it)
    } else {
      res.writeHead(204).end();  // favicon and the like: no 404 console error
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

export interface RunOptions {
  executablePath: string;
  /** The page's entry module (the suite's: test/browser/entry.ts). */
  entry: string;
  /** Page plans to run (default: all of PAGE_PLANS). */
  plans?: PagePlan[];
  /** Only these variant ids (default: all variants of each plan). */
  variants?: string[];
  /** Called for each result as it arrives (progress output). */
  onResult?: (r: CaseResult) => void;
  /** Only cases whose full name contains this text (for quick runs; jest runs everything). */
  grep?: string;
}

/** Runs every page plan in one Chromium and returns all results. */
export async function runBrowserSuite(opts: RunOptions): Promise<BrowserRun> {
  const start = Date.now();
  const run: BrowserRun = {results: new Map(), caseErrors: new Map(), strayErrors: [], log: [], wallMs: 0};
  const bundle = await bundleEntry(opts.entry);
  const server = await serve(bundle);
  const port = (server.address() as AddressInfo).port;
  const browser = await chromium.launch({executablePath: opts.executablePath, headless: true, args: CHROMIUM_ARGS});
  run.log.push(`Chromium ${browser.version()} at ${opts.executablePath}`);
  try {
    for (const plan of opts.plans ?? PAGE_PLANS) {
      const page = await browser.newPage();
      let current: string | null = null;
      const charge = (text: string) => {
        if (current == null) {
          run.strayErrors.push(`[${plan.id}] ${text}`);
        } else {
          const list = run.caseErrors.get(current) ?? [];
          list.push(text);
          run.caseErrors.set(current, list);
        }
      };
      page.on('console', msg => {
        if (msg.type() === 'error') charge(`console.error: ${msg.text()}`);
        else if (msg.text().startsWith('[measure]')) run.log.push(`[${plan.id}] ${msg.text()}`);
      });
      page.on('pageerror', err => charge(`page error: ${err.message}`));
      page.on('crash', () => charge('the page crashed'));
      await page.exposeFunction('__fceCaseStart', (variant: string, name: string) => {
        current = resultKey(variant, name);
      });
      await page.exposeFunction('__fceReport', (r: CaseResult) => {
        current = null;
        run.results.set(resultKey(r.variant, r.name), r);
        opts.onResult?.(r);
      });
      try {
        await page.goto(`http://127.0.0.1:${port}/?plan=${encodeURIComponent(plan.id)}${plan.crossOriginIsolated ? '&coi=1' : ''}`);
        run.log.push(`[${plan.id}] ${await page.evaluate(DESCRIBE_ADAPTERS)}`);
        await page.evaluate(([id, only, grep]) => window.__fceRun(id, only ?? undefined, grep ?? undefined),
                            [plan.id, opts.variants ?? null, opts.grep ?? null] as const);
      } catch (e) {
        run.strayErrors.push(`[${plan.id}] page run failed: ${(e as Error).message}`);
      } finally {
        await page.close();
      }
    }
  } finally {
    await browser.close();
    await new Promise<void>(resolve => server.close(() => resolve()));
  }
  run.wallMs = Date.now() - start;
  return run;
}

/**
 * Evaluated in the page (as text, so no transpiler helper leaks into it):
 * which WebGL renderer and WebGPU adapter this Chromium gives us.
 */
const DESCRIBE_ADAPTERS = `(async () => {
  const gl = document.createElement('canvas').getContext('webgl2');
  const ext = gl && gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = gl == null ? 'no WebGL2' : gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER);
  let adapter = 'no navigator.gpu';
  if (navigator.gpu) {
    const a = await navigator.gpu.requestAdapter();
    adapter = a == null ? 'requestAdapter() = null' :
        [a.info && a.info.vendor, a.info && a.info.architecture, a.info && a.info.description].join(' / ');
  }
  return 'WebGL2: ' + renderer + '; WebGPU adapter: ' + adapter;
})()`;

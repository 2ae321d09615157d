/**
 * Runs the benchmark in headless Chromium (Debian's /usr/bin/chromium, or
 * $CHROMIUM_PATH) through playwright-core: bundles `entry.ts` with esbuild,
 * serves it from http://127.0.0.1:<port> (WebGPU needs a secure context,
 * which about:blank is not) and calls `__runBench` once per backend, each in
 * a fresh page.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type {AddressInfo} from 'node:net';
import * as esbuild from 'esbuild';
import {chromium, Browser} from 'playwright-core';
import type {BackendReport, ProgressEvent} from '../harness';

/**
 * Flags: as root Chromium needs --no-sandbox; WebGPU is behind
 * --enable-unsafe-webgpu on Linux; the rest stop it from calling the
 * (closed) network.
 */
const CHROMIUM_ARGS = [
  '--no-sandbox', '--enable-unsafe-webgpu', '--ignore-gpu-blocklist',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--no-first-run', '--disable-default-apps',
];

export function chromiumPath(): string | null {
  const p = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  return fs.existsSync(p) ? p : null;
}

async function bundle(dir: string): Promise<void> {
  fs.mkdirSync(dir, {recursive: true});
  await esbuild.build({
    entryPoints: [path.join(__dirname, 'entry.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    outfile: path.join(dir, 'bench.js'),
    define: {'process.env.NODE_ENV': '"production"'},
    logLevel: 'warning',
  });
  fs.writeFileSync(path.join(dir, 'index.html'),
      '<!doctype html><meta charset="utf-8"><title>bench</title><script type="module" src="bench.js"></script>\n');
}

function serve(dir: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const name = path.basename(new URL(req.url ?? '/', 'http://x').pathname) || 'index.html';
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {'content-type': name.endsWith('.js') ? 'text/javascript' : 'text/html'});
    fs.createReadStream(file).pipe(res);
  });
  return new Promise(resolve => server.listen(0, '127.0.0.1', () => resolve(server)));
}

export interface BrowserRun {
  backend: string;
  report?: BackendReport;
  error?: string;
}

/**
 * Runs each backend ('webgl', 'webgpu') with `argvFor(backend)`; `onProgress`
 * gets the page's progress events. Always closes the browser and the server.
 */
export async function runInChromium(
    backends: string[], argvFor: (backend: string) => string[], tmpDir: string,
    onProgress: (backend: string, e: ProgressEvent) => void): Promise<BrowserRun[]> {
  const exe = chromiumPath();
  if (!exe) return backends.map(b => ({backend: b, error: 'no Chromium (set CHROMIUM_PATH)'}));
  await bundle(tmpDir);
  const server = await serve(tmpDir);
  let browser: Browser | null = null;
  const out: BrowserRun[] = [];
  try {
    browser = await chromium.launch({executablePath: exe, args: CHROMIUM_ARGS, headless: true});
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/index.html`;
    for (const backend of backends) {
      const page = await browser.newPage();
      const logs: string[] = [];
      page.on('console', msg => {
        const t = msg.text();
        if (t.startsWith('@@progress ')) onProgress(backend, JSON.parse(t.slice(11)) as ProgressEvent);
        else logs.push(t);
      });
      page.on('pageerror', e => logs.push(String(e)));
      try {
        await page.goto(url);
        await page.waitForFunction(() => (window as unknown as {__benchReady?: boolean}).__benchReady === true,
            undefined, {timeout: 60000});
        const report = await page.evaluate(
            (argv: string[]) => (window as unknown as {__runBench(a: string[]): Promise<BackendReport>}).__runBench(argv),
            argvFor(backend));
        out.push({backend, report});
      } catch (e) {
        const tail = logs.slice(-5).join(' | ');
        out.push({backend, error: `${e instanceof Error ? e.message.split('\n')[0] : e}${tail ? ` (page: ${tail})` : ''}`});
      } finally {
        await page.close();
      }
    }
  } finally {
    await browser?.close();
    server.close();
  }
  return out;
}

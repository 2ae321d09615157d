/**
 * Runs the benchmark in headless Chromium through playwright-core, on the
 * browser test suite's launcher (tools/browser/harness.ts: Chromium lookup and
 * flags, esbuild bundling, the 127.0.0.1 server that gives WebGPU its secure
 * context), with `entry.ts` as the page. `__runBench` runs once per backend,
 * each in a fresh page.
 */
import * as path from 'node:path';
import type {AddressInfo} from 'node:net';
import {chromium, Browser} from 'playwright-core';
import {CHROMIUM_ARGS, bundleEntry, findChromium, serve} from '../../tools/browser/harness';
import type {BackendReport, ProgressEvent} from '../harness';

export const chromiumPath = findChromium;

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
    backends: string[], argvFor: (backend: string) => string[],
    onProgress: (backend: string, e: ProgressEvent) => void): Promise<BrowserRun[]> {
  const exe = chromiumPath();
  if (!exe) return backends.map(b => ({backend: b, error: 'no Chromium (set CHROMIUM_PATH)'}));
  const server = await serve(await bundleEntry(path.join(__dirname, 'entry.ts')));
  let browser: Browser | null = null;
  const out: BrowserRun[] = [];
  try {
    browser = await chromium.launch({executablePath: exe, args: CHROMIUM_ARGS, headless: true});
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
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

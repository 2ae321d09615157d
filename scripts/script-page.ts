/**
 * The frame shared by the scripts that run a page in headless Chromium
 * (browser-bench-webgl.ts, browser-bench-focal.ts, webgl-padding-nan-repro.ts):
 * bundle the page entry, serve it, launch Chromium with the suite's flags,
 * open the page with its console errors and page errors forwarded, hand it to
 * `body` (which may expose functions before the page loads), and close both.
 */
import type {AddressInfo} from 'net';

import {Browser, chromium, Page} from 'playwright-core';

import {bundleEntry, CHROMIUM_ARGS, findChromium, serve} from '../tools/browser/harness';

export async function withScriptPage<T>(entryPath: string,
                                        body: (page: Page, open: () => Promise<void>, browser: Browser) => Promise<T>): Promise<T> {
  const executablePath = findChromium();
  if (executablePath == null) throw new Error('no Chromium (apt-get install chromium, or set CHROMIUM_PATH)');
  const server = await serve(await bundleEntry(entryPath));
  const browser = await chromium.launch({executablePath, headless: true, args: CHROMIUM_ARGS});
  try {
    const page = await browser.newPage();
    page.on('console', m => { if (m.type() === 'error') console.error(`console.error: ${m.text()}`); });
    page.on('pageerror', e => console.error(`page error: ${e.message}`));
    const open = async () => { await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`); };
    return await body(page, open, browser);
  } finally {
    await browser.close();
    server.close();
  }
}

/** The WebGL renderer string of a page. */
export function webglRenderer(page: Page): Promise<string> {
  return page.evaluate(`(() => { const gl = document.createElement('canvas').getContext('webgl2');
    const e = gl.getExtension('WEBGL_debug_renderer_info'); return gl.getParameter(e ? e.UNMASKED_RENDERER_WEBGL : gl.RENDERER); })()`) as Promise<string>;
}

/** The scripts' entry: run `main`, print an error and exit 1 on failure. */
export function runScript(main: () => Promise<void>): void {
  main().catch(e => {
    console.error(e);
    process.exit(1);
  });
}

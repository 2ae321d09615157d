/**
 * Times the WebGL kernels in headless Chromium (SwiftShader here): the
 * single-pass limit of the row reduction (FUSED_CE_WEBGL_SINGLE_PASS_MAX) and
 * fused vs composite for the public ops. Prints a markdown table.
 * Usage: npx tsx scripts/browser-bench-webgl.ts [reps=7]
 */
import type {AddressInfo} from 'net';
import * as path from 'path';

import {chromium} from 'playwright-core';

import {bundleEntry, CHROMIUM_ARGS, findChromium, serve} from '../test/browser/harness';

import type {BenchRow} from './browser-bench-webgl.page';

async function main(): Promise<void> {
  const reps = Number(process.argv[2] ?? 7);
  const executablePath = findChromium();
  if (executablePath == null) throw new Error('no Chromium (apt-get install chromium, or set CHROMIUM_PATH)');
  const server = await serve(await bundleEntry(path.join(__dirname, 'browser-bench-webgl.page.ts')));
  const browser = await chromium.launch({executablePath, headless: true, args: CHROMIUM_ARGS});
  try {
    const page = await browser.newPage();
    page.on('console', m => { if (m.type() === 'error') console.error(`console.error: ${m.text()}`); });
    page.on('pageerror', e => console.error(`page error: ${e.message}`));
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const renderer = await page.evaluate(`(() => { const gl = document.createElement('canvas').getContext('webgl2');
      const e = gl.getExtension('WEBGL_debug_renderer_info'); return gl.getParameter(e ? e.UNMASKED_RENDERER_WEBGL : gl.RENDERER); })()`);
    const rows = await page.evaluate((n: number) => window.__benchWebGL(n), reps) as BenchRow[];
    console.log(`Chromium ${browser.version()}, WebGL renderer: ${renderer}; median of ${reps} (ms per call, incl. read-back)\n`);
    console.log('| what | rows × C | variant | median ms |\n|---|---|---|---|');
    for (const r of rows) console.log(`| ${r.what} | ${r.rows} × ${r.C} | ${r.variant} | ${r.medianMs.toFixed(2)} |`);
  } finally {
    await browser.close();
    server.close();
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});

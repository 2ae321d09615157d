/**
 * Times the softmax focal ops on WebGL in headless Chromium: fused kernels vs
 * the composite path, value + gradient, interleaved call by call (see the
 * page, browser-bench-focal.page.ts). Prints a markdown table.
 *
 *   npx tsx scripts/browser-bench-focal.ts [reps=15] [shapes=512x1000,128x8000]
 */
import type {AddressInfo} from 'net';
import * as path from 'path';

import {chromium} from 'playwright-core';

import {bundleEntry, CHROMIUM_ARGS, findChromium, serve} from '../test/browser/harness';

import type {FocalBenchRow} from './browser-bench-focal.page';

async function main(): Promise<void> {
  const reps = Number(process.argv[2] ?? 15);
  const shapes = (process.argv[3] ?? '512x1000,128x8000').split(',').map(s => s.split('x').map(Number) as [number, number]);
  const executablePath = findChromium();
  if (executablePath == null) throw new Error('no Chromium (apt-get install chromium, or set CHROMIUM_PATH)');
  const server = await serve(await bundleEntry(path.join(__dirname, 'browser-bench-focal.page.ts')));
  const browser = await chromium.launch({executablePath, headless: true, args: CHROMIUM_ARGS});
  try {
    const page = await browser.newPage();
    page.on('console', m => { if (m.type() === 'error') console.error(`console.error: ${m.text()}`); });
    page.on('pageerror', e => console.error(`page error: ${e.message}`));
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const renderer = await page.evaluate(`(() => { const gl = document.createElement('canvas').getContext('webgl2');
      const e = gl.getExtension('WEBGL_debug_renderer_info'); return gl.getParameter(e ? e.UNMASKED_RENDERER_WEBGL : gl.RENDERER); })()`);
    const rows = await page.evaluate((a: {reps: number, shapes: Array<[number, number]>}) => window.__benchFocal(a.reps, a.shapes),
                                     {reps, shapes}) as FocalBenchRow[];
    console.log(`Chromium ${browser.version()}, WebGL renderer: ${renderer}; ${reps} interleaved repetitions, ` +
                `value + d/dlogits, γ = 2, α = 0.25 (ms per call, medians)\n`);
    console.log('| op | rows × C | fused ms | composite ms | composite / fused (median of pairs) |\n|---|---|---|---|---|');
    for (const r of rows) {
      console.log(`| ${r.op} | ${r.rows} × ${r.C} | ${r.fusedMs.toFixed(1)} | ${r.compositeMs.toFixed(1)} | ${r.ratio.toFixed(2)}× |`);
    }
  } finally {
    await browser.close();
    server.close();
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});

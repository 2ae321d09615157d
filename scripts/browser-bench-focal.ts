/**
 * Times the softmax focal ops on WebGL in headless Chromium: fused kernels vs
 * the composite path, value + gradient, interleaved call by call (see the
 * page, browser-bench-focal.page.ts). Prints a markdown table.
 *
 *   npx tsx scripts/browser-bench-focal.ts [reps=15] [shapes=512x1000,128x8000]
 */
import * as path from 'path';

import {runScript, webglRenderer, withScriptPage} from './script-page';

import type {FocalBenchRow} from './browser-bench-focal.page';

async function main(): Promise<void> {
  const reps = Number(process.argv[2] ?? 15);
  const shapes = (process.argv[3] ?? '512x1000,128x8000').split(',').map(s => s.split('x').map(Number) as [number, number]);
  await withScriptPage(path.join(__dirname, 'browser-bench-focal.page.ts'), async (page, open, browser) => {
    await open();
    const renderer = await webglRenderer(page);
    const rows = await page.evaluate((a: {reps: number, shapes: Array<[number, number]>}) => window.__benchFocal(a.reps, a.shapes),
                                     {reps, shapes}) as FocalBenchRow[];
    console.log(`Chromium ${browser.version()}, WebGL renderer: ${renderer}; ${reps} interleaved repetitions, ` +
                `value + d/dlogits, γ = 2, α = 0.25 (ms per call, medians)\n`);
    console.log('| op | rows × C | fused ms | composite ms | composite / fused (median of pairs) |\n|---|---|---|---|---|');
    for (const r of rows) {
      console.log(`| ${r.op} | ${r.rows} × ${r.C} | ${r.fusedMs.toFixed(1)} | ${r.compositeMs.toFixed(1)} | ${r.ratio.toFixed(2)}× |`);
    }
  });
}

runScript(main);

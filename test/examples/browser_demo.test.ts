/**
 * The browser demo (examples/browser_demo) in headless Chromium: the page
 * trains the same network with the fused sparse cross-entropy and with tfjs's
 * built-in tf.losses.softmaxCrossEntropy on WebGPU (SwiftShader here), and
 * this test waits for its visible finished state (#status[data-state="done"])
 * and reads the numbers the page shows: the backend, both losses falling, both
 * accuracies above a floor, the ms per epoch, and both curves drawn (pixels of
 * each curve's colour on the canvas). A screenshot lands in
 * examples/output/browser_demo.png (docs/demo.png comes from
 * examples/browser_demo/screenshot.ts). Without Chromium the test is skipped
 * loudly, unless CI=true.
 */
import {mkdirSync} from 'fs';
import * as path from 'path';
import {chromium} from 'playwright-core';
import {getKernel} from '@tensorflow/tfjs-core';
import {SparseSoftmaxCrossEntropy} from '../../kernels/kernel_names';
import type {DemoState} from '../../examples/browser_demo/main';
import {startDemoServer} from '../../examples/browser_demo/serve';
import '../../src/index';
import {CHROMIUM_ARGS, findChromium} from '../../tools/browser/harness';
import {isCI} from '../../tools/ci';

const executablePath = findChromium();
const CI = isCI();
if (executablePath == null && !CI) {
  console.warn(`\n${'!'.repeat(78)}\n!! SKIPPING THE BROWSER DEMO TEST: no Chromium (set CHROMIUM_PATH)\n${'!'.repeat(78)}\n`);
}
const maybe = executablePath == null && !CI ? test.skip : test;

/** Few epochs: each is two training steps of a 2-64-64-3 network on SwiftShader. */
const EPOCHS = 16;

maybe('fused vs built-in loss side by side on WebGPU: finishes, both losses fall, accuracies, both curves', async () => {
  if (executablePath == null) throw new Error('CI=true and no Chromium found');
  const server = await startDemoServer();
  const browser = await chromium.launch({executablePath, args: CHROMIUM_ARGS});
  try {
    const page = await browser.newPage({viewport: {width: 820, height: 640}});
    const errors: string[] = [];
    page.on('pageerror', e => errors.push(String(e)));
    await page.goto(`${server.url}?epochs=${EPOCHS}`);
    await page.waitForSelector('#status[data-state="done"], #status[data-state="error"]', {timeout: 200_000});
    const state = await page.evaluate(() => (window as unknown as {demoState: DemoState}).demoState);
    expect(state.error).toBeNull();
    expect(errors).toEqual([]);
    expect(await page.getAttribute('#status', 'data-state')).toBe('done');
    expect(await page.textContent('#state')).toMatch(new RegExp(`^Done ✓ ${EPOCHS} epochs in [0-9.]+ s$`));
    expect(await page.textContent('#backend')).toBe('webgpu');
    // Fused exactly when the package registers its webgpu kernels (checked in
    // Node: kernels register for backends that are not loaded).
    const fused = getKernel(SparseSoftmaxCrossEntropy, 'webgpu') != null;
    expect(await page.textContent('#fused')).toBe(fused ? 'yes' : 'no (composite path)');
    expect(await page.textContent('#progress')).toBe(`epoch ${EPOCHS}/${EPOCHS}`);

    // The numbers as the page shows them.
    const shown = await page.evaluate(() => {
      const out: Record<string, Record<string, string>> = {};
      for (const tr of Array.from(document.querySelectorAll('#results tr[data-model]'))) {
        const row: Record<string, string> = {};
        for (const td of Array.from(tr.querySelectorAll('td[data-metric]'))) row[td.getAttribute('data-metric')!] = td.textContent!;
        out[tr.getAttribute('data-model')!] = row;
      }
      return out;
    });
    for (const which of ['fused', 'builtin'] as const) {
      const row = shown[which];
      const first = Number(row['first-loss']), final = Number(row['final-loss']);
      expect(first).toBeCloseTo(Math.log(3), 0);  // untrained: about ln 3
      expect(final).toBeLessThan(0.6 * first);
      expect(row['ms-per-epoch']).toMatch(/^[0-9]+\.[0-9]$/);
      expect(Number(row['ms-per-epoch'])).toBeGreaterThan(0);
      for (const metric of ['train-accuracy', 'test-accuracy']) {
        expect(row[metric]).toMatch(/^[0-9.]+%$/);
        expect(parseFloat(row[metric])).toBeGreaterThanOrEqual(75);
      }
      // The page's numbers are the run's.
      const losses = state.losses[which];
      expect(losses).toHaveLength(EPOCHS);
      expect(Number(row['final-loss'])).toBeCloseTo(losses[EPOCHS - 1], 4);
      expect(Number(row['ms-per-epoch'])).toBeCloseTo(state.msPerEpoch[which], 1);
      expect(parseFloat(row['test-accuracy'])).toBeCloseTo(100 * state.testAccuracy[which], 1);
      // Falls overall, and is lower in the second half than in the first.
      const half = EPOCHS / 2;
      expect(Math.max(...losses.slice(half))).toBeLessThan(Math.min(...losses.slice(0, half - 1)));
    }
    // The same loss computed two ways, from the same weights: the curves agree to float32 rounding.
    state.losses.fused.forEach((l, i) => expect(Math.abs(l - state.losses.builtin[i])).toBeLessThan(1e-4 * (1 + l)));
    expect(await page.textContent('#note')).toMatch(/^Largest gap between the two loss curves: [0-9.]+e[-+][0-9]+ .* took [0-9.]+× /);

    // Both curves drawn: pixels of the fused colour (#1f77b4) and of the built-in one (#ff7f0e) on the canvas.
    const pixels = await page.evaluate(() => {
      const c = document.getElementById('chart') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      const near = (i: number, rgb: number[]) => rgb.every((v, k) => Math.abs(d[i + k] - v) < 40);
      let blue = 0, orange = 0;
      for (let i = 0; i < d.length; i += 4) {
        if (near(i, [31, 119, 180])) blue++;
        if (near(i, [255, 127, 14])) orange++;
      }
      return {blue, orange};
    });
    expect(pixels.blue).toBeGreaterThan(500);
    expect(pixels.orange).toBeGreaterThan(500);
    // Labelled axes with ticks that span the data (the canvas's aria-label says what it draws).
    const {chart} = state;
    expect(chart.xLabel).toBe('epoch');
    expect(chart.yLabel).toMatch(/loss/);
    expect(chart.xTicks[0]).toBe(0);
    expect(chart.xTicks.length).toBeGreaterThanOrEqual(4);
    expect(chart.xTicks[chart.xTicks.length - 1]).toBeGreaterThan(EPOCHS / 2);
    expect(chart.yTicks[0]).toBe(0);
    expect(chart.yTicks.length).toBeGreaterThanOrEqual(4);
    expect(chart.yTicks[chart.yTicks.length - 1]).toBeGreaterThanOrEqual(Math.max(...state.losses.fused, ...state.losses.builtin));
    expect(await page.getAttribute('#chart', 'aria-label')).toContain(`x axis epoch ${chart.xTicks.join(', ')}; y axis ${chart.yLabel}`);
    const out = path.join(__dirname, '..', '..', 'examples', 'output');
    mkdirSync(out, {recursive: true});
    await page.screenshot({path: path.join(out, 'browser_demo.png')});
  } finally {
    await browser.close();
    await server.close();
  }
}, 300_000);

/**
 * The browser demo (examples/browser_demo) in headless Chromium: the page
 * trains on WebGPU (SwiftShader here) with the fused sparse cross-entropy,
 * the loss falls, the chart is drawn (pixels of the curve's colour on the
 * canvas), and a screenshot lands in examples/output/browser_demo.png.
 * Without Chromium the test is skipped loudly, unless CI=true.
 */
import {mkdirSync} from 'fs';
import * as path from 'path';
import {chromium} from 'playwright-core';
import {getKernel} from '@tensorflow/tfjs-core';
import {SparseSoftmaxCrossEntropy} from '../../kernels/kernel_names';
import {startDemoServer} from '../../examples/browser_demo/serve';
import '../../src/index';
import {CHROMIUM_ARGS, findChromium} from '../browser/harness';

const executablePath = findChromium();
const CI = process.env.CI === 'true' || process.env.CI === '1';
if (executablePath == null && !CI) {
  console.warn(`\n${'!'.repeat(78)}\n!! SKIPPING THE BROWSER DEMO TEST: no Chromium (set CHROMIUM_PATH)\n${'!'.repeat(78)}\n`);
}
const maybe = executablePath == null && !CI ? test.skip : test;

interface DemoState {
  done: boolean; error: string | null; backend: string; fused: boolean; losses: number[]; accuracy: number;
}

maybe('trains on WebGPU (fused loss where registered), plots the falling loss, saves a screenshot', async () => {
  if (executablePath == null) throw new Error('CI=true and no Chromium found');
  const server = await startDemoServer();
  const browser = await chromium.launch({executablePath, args: CHROMIUM_ARGS});
  try {
    const page = await browser.newPage({viewport: {width: 800, height: 520}});
    const errors: string[] = [];
    page.on('pageerror', e => errors.push(String(e)));
    await page.goto(`${server.url}?epochs=30`);
    await page.waitForFunction(() => (window as unknown as {demoState?: {done: boolean}}).demoState?.done === true,
                               undefined, {timeout: 150_000});
    const state = await page.evaluate(() => (window as unknown as {demoState: DemoState}).demoState);
    expect(state.error).toBeNull();
    expect(errors).toEqual([]);
    expect(state.backend).toBe('webgpu');
    // Fused exactly when the package registers its webgpu kernels (checked in
    // Node: kernels register for backends that are not loaded).
    expect(state.fused).toBe(getKernel(SparseSoftmaxCrossEntropy, 'webgpu') != null);
    expect(state.losses).toHaveLength(30);
    expect(state.losses[29]).toBeLessThan(0.6 * state.losses[0]);
    // Pixels of the curve colour (#1f77b4) on the canvas.
    const curvePixels = await page.evaluate(() => {
      const c = document.getElementById('chart') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - 31) < 40 && Math.abs(d[i + 1] - 119) < 40 && Math.abs(d[i + 2] - 180) < 40) n++;
      return n;
    });
    expect(curvePixels).toBeGreaterThan(500);
    const out = path.join(__dirname, '..', '..', 'examples', 'output');
    mkdirSync(out, {recursive: true});
    await page.screenshot({path: path.join(out, 'browser_demo.png')});
  } finally {
    await browser.close();
    await server.close();
  }
}, 240_000);

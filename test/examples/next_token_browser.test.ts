/**
 * The browser next-token example (examples/next_token/browser) in headless
 * Chromium, quick mode, on WebGPU (SwiftShader here) and on the WebGL
 * fallback: the corpus is served from the typescript npm package, the loss
 * falls, text is sampled and shown, the loss head's memory saving is shown,
 * and the chart is drawn; a screenshot of the WebGPU page lands in
 * examples/output/next_token_browser.png. Without Chromium the test is
 * skipped loudly, unless CI=true.
 */
import {mkdirSync} from 'fs';
import * as path from 'path';
import {chromium} from 'playwright-core';
import {startNextTokenServer} from '../../examples/next_token/browser/serve';
import {CHROMIUM_ARGS, findChromium} from '../../tools/browser/harness';
import {isCI} from '../../tools/ci';

const executablePath = findChromium();
const CI = isCI();
if (executablePath == null && !CI) {
  console.warn(`\n${'!'.repeat(78)}\n!! SKIPPING THE BROWSER NEXT-TOKEN TEST: no Chromium (set CHROMIUM_PATH)\n${'!'.repeat(78)}\n`);
}
const maybe = executablePath == null && !CI ? test.skip : test;

interface State {
  done: boolean; error: string | null; backend: string; fused: boolean; inPlace: boolean; losses: number[]; log: string[];
  summary: {firstLoss: number, lastLoss: number, heldOutLoss: number, unigramEntropy: number, prompt: string, sample: string,
            peakChunkedBytes: number, peakUnfusedBytes: number, memoryCounter: string, vocab: number} | null;
}

for (const backend of ['webgpu', 'webgl'] as const) {
  maybe(`trains on ${backend} in the browser: loss falls, text sampled, memory saving shown`, async () => {
    if (executablePath == null) throw new Error('CI=true and no Chromium found');
    const server = await startNextTokenServer();
    const browser = await chromium.launch({executablePath, args: CHROMIUM_ARGS});
    try {
      const page = await browser.newPage({viewport: {width: 940, height: 900}});
      const errors: string[] = [];
      page.on('pageerror', e => errors.push(String(e)));
      await page.goto(`${server.url}?quick=1&steps=100&backend=${backend}`);
      await page.waitForFunction(() => (window as unknown as {nextTokenState?: {done: boolean}}).nextTokenState?.done === true,
                                 undefined, {timeout: 400_000, polling: 1000});
      const state = await page.evaluate(() => (window as unknown as {nextTokenState: State}).nextTokenState);
      expect(state.error).toBeNull();
      expect(errors).toEqual([]);
      expect(state.backend).toBe(backend);
      expect(state.fused).toBe(true);
      expect(state.inPlace).toBe(backend === 'webgpu');  // webgl cannot write a texture it reads
      const s = state.summary!;
      expect(s.vocab).toBeGreaterThan(50);
      expect(s.lastLoss).toBeLessThan(0.75 * s.firstLoss);
      expect(s.heldOutLoss).toBeLessThan(s.unigramEntropy);
      expect(s.peakChunkedBytes).toBeLessThan(s.peakUnfusedBytes);
      expect(s.memoryCounter).toBe(backend === 'webgpu' ? 'backend allocations' : 'live tensor buffers');
      // What the page shows.
      expect(await page.textContent('#sample')).toBe(s.prompt + s.sample);
      expect(s.sample.length).toBe(160);
      // Text, not a degenerate draw (tf.multinomial gave index 0, '\n', every time on webgpu).
      expect(new Set(s.sample).size).toBeGreaterThanOrEqual(10);
      expect(s.sample).toMatch(/[a-z]{3}/);
      expect(await page.textContent('#memory')).toMatch(/KiB chunked vs \d+ KiB with materialised logits \([0-9.]+× less, saved \d+ KiB/);
      const curvePixels = await page.evaluate(() => {
        const c = document.getElementById('chart') as HTMLCanvasElement;
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - 31) < 40 && Math.abs(d[i + 1] - 119) < 40 && Math.abs(d[i + 2] - 180) < 40) n++;
        return n;
      });
      expect(curvePixels).toBeGreaterThan(300);
      if (backend === 'webgpu') {
        const out = path.join(__dirname, '..', '..', 'examples', 'output');
        mkdirSync(out, {recursive: true});
        await page.screenshot({path: path.join(out, 'next_token_browser.png'), fullPage: true});
      }
    } finally {
      await browser.close();
      await server.close();
    }
  }, 600_000);
}

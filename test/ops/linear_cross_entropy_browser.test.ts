/**
 * linearSoftmaxCrossEntropy in headless Chromium: the spec
 * (linear_cross_entropy.spec.ts) on webgl and webgpu with the fused kernels,
 * and on webgl with the composite path. The page is bundled and served by the
 * browser suite's harness (tools/browser/harness.ts); one jest test per
 * (variant, case). Without Chromium the suite is skipped loudly, except under
 * CI=true where it fails.
 */
import * as path from 'path';
import type {AddressInfo} from 'net';
import {chromium} from 'playwright-core';
import {bundleEntry, CHROMIUM_ARGS, findChromium, serve} from '../../tools/browser/harness';
import {isCI} from '../../tools/ci';
import {allCases, caseName, SpecEnv} from '../spec/registry';
import {applies} from '../spec/run_case';
// Registers the package's kernels here too: the spec's in-place cases apply where MatMulAccumulate is registered.
import '../../src/index';
import '../spec/linear_cross_entropy.spec';
import type {LceResult} from './linear_cross_entropy_browser_entry';

const executablePath = findChromium();
const CI = isCI();
if (executablePath == null && !CI) {
  console.warn('\n!! SKIPPING linearSoftmaxCrossEntropy in Chromium (webgl, webgpu): no Chromium found ' +
               '(apt-get install chromium, or set CHROMIUM_PATH). Under CI=true this fails instead. !!\n');
}

const VARIANTS = [
  {id: 'webgl', backend: 'webgl', composite: false},
  {id: 'webgl composite', backend: 'webgl', composite: true},
  {id: 'webgpu', backend: 'webgpu', composite: false},
] as const;

(executablePath == null && !CI ? describe.skip : describe)('linearSoftmaxCrossEntropy in headless Chromium', () => {
  const results = new Map<string, LceResult>();
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (executablePath == null) throw new Error('CI=true and no Chromium: cannot run the browser cases');
    const bundle = await bundleEntry(path.join(__dirname, 'linear_cross_entropy_browser_entry.ts'));
    const server = await serve(bundle);
    const browser = await chromium.launch({executablePath, headless: true, args: CHROMIUM_ARGS});
    try {
      const page = await browser.newPage();
      page.on('pageerror', e => pageErrors.push(e.message));
      page.on('console', m => { if (m.type() === 'error') pageErrors.push(m.text()); });
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      await page.waitForFunction(() => '__lceRun' in window);
      for (const v of VARIANTS) {
        const out = await page.evaluate(([b, c]) =>
            (window as unknown as {__lceRun(b: string, c: boolean): Promise<LceResult[]>}).__lceRun(b, c),
            [v.backend, v.composite] as const);
        for (const r of out) results.set(`${v.id} › ${r.name}`, r);
      }
    } finally {
      await browser.close();
      server.close();
    }
  }, 10 * 60_000);

  for (const v of VARIANTS) {
    const env: SpecEnv = {backend: v.backend, platform: 'browser', composite: v.composite, rtol: 1e-5};
    describe(v.id, () => {
      for (const c of allCases().filter(k => k.suite === 'linearSoftmaxCrossEntropy')) {
        if (!applies(c, env)) continue;
        it(caseName(c), () => {
          const r = results.get(`${v.id} › ${caseName(c)}`);
          if (r == null) throw new Error(`no result from the page; page errors: ${pageErrors.join(' | ')}`);
          if (r.status !== 'pass') throw new Error(`${r.status}: ${r.message ?? ''}`);
        });
      }
    });
  }

  it('no page or console errors', () => {
    expect(pageErrors).toEqual([]);
  });
});

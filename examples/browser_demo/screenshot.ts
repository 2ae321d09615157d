/**
 * Runs the browser demo in headless Chromium to the end and saves a
 * screenshot of the finished page (the README's docs/demo.png):
 *
 *   npx tsx examples/browser_demo/screenshot.ts                  # docs/demo.png, 60 epochs, WebGPU
 *   npx tsx examples/browser_demo/screenshot.ts out.png --epochs 40 --backend webgl
 *
 * Needs Chromium (CHROMIUM_PATH, else /usr/bin/chromium); playwright-core
 * drives it with the flags of tools/browser/harness.ts.
 */
import * as path from 'path';
import {chromium} from 'playwright-core';
import {CHROMIUM_ARGS, findChromium} from '../../tools/browser/harness';
import {startDemoServer} from './serve';

/** Viewport of the screenshot: the page's content fits it. */
export const DEMO_VIEWPORT = {width: 820, height: 640};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const out = path.resolve(args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--')) ??
                           path.join(__dirname, '..', '..', 'docs', 'demo.png'));
  const executablePath = findChromium();
  if (executablePath == null) throw new Error('no Chromium found (set CHROMIUM_PATH)');
  const server = await startDemoServer();
  const browser = await chromium.launch({executablePath, args: CHROMIUM_ARGS});
  try {
    const page = await browser.newPage({viewport: DEMO_VIEWPORT});
    const query = new URLSearchParams({epochs: flag('--epochs') ?? '60', ...(flag('--backend') ? {backend: flag('--backend')!} : {})});
    await page.goto(`${server.url}?${query}`);
    await page.waitForSelector('#status[data-state="done"], #status[data-state="error"]', {timeout: 300_000});
    console.log((await page.textContent('#status'))!.replace(/\s+/g, ' ').trim());
    console.log((await page.textContent('#results'))!.replace(/\s+/g, ' ').trim());
    await page.screenshot({path: out});
    console.log(`saved ${path.relative(process.cwd(), out)}`);
  } finally {
    await browser.close();
    await server.close();
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});

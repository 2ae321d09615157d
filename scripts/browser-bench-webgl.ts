/**
 * Times the WebGL kernels in headless Chromium (SwiftShader here). Prints a
 * markdown table. Usage: npx tsx scripts/browser-bench-webgl.ts [reps=7] [mode=target]
 *
 * Modes: `target` (default), issue #4's comparison: fused
 * softmaxCrossEntropyWithLogits vs tf.losses.softmaxCrossEntropy at
 * 1024×32000 and 4096×1000, forward and forward+backward, providers
 * interleaved call by call (benchmarks/harness.ts's protocol); `profile`, the
 * wall time of every WebGL program of one forward+backward call (fused dense,
 * tf.losses, fused sparse; `profile-fused`: fused only), each program
 * synchronised by a one-texel read of its output;
 * `sweep`, the single-pass limit of the row reduction
 * (FUSED_CE_WEBGL_SINGLE_PASS_MAX), packed logits and fused vs composite.
 */
import type {AddressInfo} from 'net';
import * as os from 'os';
import * as path from 'path';

import {chromium} from 'playwright-core';

import {cpuBetween, cpuMsOf, findGpuProcess, startCpuSampler} from './gpu_process_cpu';
import {bundleEntry, CHROMIUM_ARGS, findChromium, serve} from '../test/browser/harness';

import type {BenchRow} from './browser-bench-webgl.page';

async function main(): Promise<void> {
  const reps = Number(process.argv[2] ?? 7);
  const mode = process.argv[3] ?? 'target';
  const executablePath = findChromium();
  if (executablePath == null) throw new Error('no Chromium (apt-get install chromium, or set CHROMIUM_PATH)');
  const server = await serve(await bundleEntry(path.join(__dirname, 'browser-bench-webgl.page.ts')));
  const browser = await chromium.launch({executablePath, headless: true, args: CHROMIUM_ARGS});
  try {
    const page = await browser.newPage();
    page.on('console', m => { if (m.type() === 'error') console.error(`console.error: ${m.text()}`); });
    page.on('pageerror', e => console.error(`page error: ${e.message}`));
    // CPU time of the GPU process, where SwiftShader runs the shaders: a
    // load-independent second measure on this shared machine.
    let gpuPid: number | null = null;
    await page.exposeFunction('__gpuCpuMs', () => {
      gpuPid = gpuPid ?? findGpuProcess();
      return gpuPid == null ? -1 : cpuMsOf(gpuPid);
    });
    // Per-program CPU time (profile modes): a worker samples the GPU
    // process's CPU time every ~1 ms while the page stamps each program's
    // start and end (after a synchronous read of its output).
    let sampler: ReturnType<typeof startCpuSampler> | null = null;
    await page.exposeFunction('__cpuTraceStart', () => {
      gpuPid = gpuPid ?? findGpuProcess();
      if (gpuPid != null) sampler = startCpuSampler(gpuPid);
    });
    await page.exposeFunction('__cpuTraceStop', async (spans: Array<[number, number]>) => {
      if (sampler == null) return spans.map(() => -1);
      const samples = await sampler.stop();
      sampler = null;
      return spans.map(([t0, t1]) => cpuBetween(samples, t0, t1));
    });
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const renderer = await page.evaluate(`(() => { const gl = document.createElement('canvas').getContext('webgl2');
      const e = gl.getExtension('WEBGL_debug_renderer_info'); return gl.getParameter(e ? e.UNMASKED_RENDERER_WEBGL : gl.RENDERER); })()`);
    const rows = await page.evaluate((a: {n: number, mode: string}) => window.__benchWebGL(a.n, a.mode), {n: reps, mode}) as BenchRow[];
    console.log(`Chromium ${browser.version()}, WebGL renderer: ${renderer}; median of ${reps} (ms per call, incl. read-back)\n`);
    console.log(`load average ${os.loadavg().map(l => l.toFixed(1)).join(' / ')} (1/5/15 min) at the end, ${os.cpus().length} cores\n`);
    console.log('| what | rows × C | variant | median ms | GPU-process CPU ms |\n|---|---|---|---|---|');
    for (const r of rows) {
      console.log(`| ${r.what} | ${r.rows} × ${r.C} | ${r.variant} | ${r.medianMs.toFixed(1)} | ${
          r.gpuCpuMs != null && r.gpuCpuMs >= 0 ? r.gpuCpuMs.toFixed(1) : ''} |`);
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

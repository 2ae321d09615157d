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
import * as os from 'os';
import * as path from 'path';

import {cpuBetween, cpuMsOf, findGpuProcess, startCpuSampler} from './gpu-process-cpu';
import {runScript, webglRenderer, withScriptPage} from './script-page';

import type {BenchRow} from './browser-bench-webgl.page';

async function main(): Promise<void> {
  const reps = Number(process.argv[2] ?? 7);
  const mode = process.argv[3] ?? 'target';
  await withScriptPage(path.join(__dirname, 'browser-bench-webgl.page.ts'), async (page, open, browser) => {
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
    await open();
    const renderer = await webglRenderer(page);
    const rows = await page.evaluate((a: {n: number, mode: string}) => window.__benchWebGL(a.n, a.mode), {n: reps, mode}) as BenchRow[];
    console.log(`Chromium ${browser.version()}, WebGL renderer: ${renderer}; median of ${reps} (ms per call, incl. read-back)\n`);
    console.log(`load average ${os.loadavg().map(l => l.toFixed(1)).join(' / ')} (1/5/15 min) at the end, ${os.cpus().length} cores\n`);
    console.log('| what | rows × C | variant | median ms | GPU-process CPU ms |\n|---|---|---|---|---|');
    for (const r of rows) {
      console.log(`| ${r.what} | ${r.rows} × ${r.C} | ${r.variant} | ${r.medianMs.toFixed(1)} | ${
          r.gpuCpuMs != null && r.gpuCpuMs >= 0 ? r.gpuCpuMs.toFixed(1) : ''} |`);
    }
  });
}

runScript(main);

/**
 * The benchmark inside a browser page: bundled by `run_browser.ts` with
 * esbuild and driven through playwright. Exposes `window.__runBench(argv)`,
 * which runs one backend (`--backend webgl|webgpu`) and resolves to its
 * report; progress goes to the console as `@@progress {…}` lines.
 */
// The union package: tfjs-core with its gradients, cpu, webgl and tfjs-layers.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import {BackendReport, READ_BACK_FULL_MAX, RunOptions, describeBackend, fusedKernelTable, runPlan} from '../harness';
import {suitesById} from '../suites';
import {parseArgs} from '../cli';
import {measureRoofline} from '../roofline';

async function runBench(argv: string[]): Promise<BackendReport> {
  const args = parseArgs(argv);
  const backend = args.backends[0];
  const startedAt = new Date().toISOString();
  if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend('${backend}') failed in this browser`);
  await tf.ready();
  const suites = suitesById(args.suites);
  const {device, deviceSlug, software} = await describeBackend();
  const roofline = await measureRoofline(software);
  const opts: RunOptions = {
    ...args.run, backend, softwareDevice: software, ...('gbps' in roofline ? {rooflineGBps: roofline.gbps} : {}),
  };
  const results = await runPlan(suites, opts, e => console.log('@@progress ' + JSON.stringify(e)));
  device.userAgent = navigator.userAgent;
  return {
    schema: 1, platform: 'chromium', backend, deviceSlug, device,
    versions: {tfjs: tf.version.tfjs, browser: navigator.userAgent.match(/Chrom(e|ium)\/[\d.]+/)?.[0] ?? 'unknown'},
    fusedKernels: fusedKernelTable(suites), roofline,
    options: {...args.run, softwareDevice: software, readBackFullMax: READ_BACK_FULL_MAX}, startedAt, finishedAt: new Date().toISOString(), results,
    notes: software ? ['software GPU: default GPU shapes reduced (see suites.ts)'] : [],
  };
}

(window as unknown as {__runBench: typeof runBench}).__runBench = runBench;
(window as unknown as {__benchReady: boolean}).__benchReady = true;

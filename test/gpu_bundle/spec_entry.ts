/**
 * Second entry of the real-GPU bundle (scripts/build-gpu-bundle.sh: spec.mjs; `BUNDLE_ENTRY=spec.mjs ./run.sh`):
 * the shared op spec (test/spec) on the `webgpu` backend in Node, on the
 * machine's real GPU through Dawn + Vulkan, fused kernels first and then the
 * composite path. Each case runs inside WebGPU validation/out-of-memory error
 * scopes, as in test/webgpu_node.test.ts.
 *
 * Besides pass/fail it records the accuracy each case measured against the
 * float64 reference (every expectClose: normwise relative error), so the
 * report says how close a real GPU gets, not only that it is within 1e-5.
 *
 *   spec.mjs --results DIR [--filter SUBSTRING]
 *
 * Writes DIR/spec-webgpu-<adapter>.json and prints one line per case.
 * Exit status 1 when any case failed.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import '../../src/index';
import {allCases, caseName} from '../spec/index';
// Not in the op spec index (the jest runners import it apart): here so that
// `--filter linearSoftmaxCrossEntropy` (the bundle's linear_ce.mjs) finds its cases.
import '../spec/linear_cross_entropy.spec';
import type {SpecEnv} from '../spec/registry';
import {applies, runCase} from '../spec/run_case';
import {setCloseObserver} from '../spec/assert';
import {inErrorScope, setupWebGPU} from '../../tools/webgpu/harness';

interface CaseRecord {
  variant: 'fused' | 'composite';
  name: string;
  ok: boolean;
  ms: number;
  /** Largest normwise relative error over the case's comparisons with the float64 reference. */
  maxRelErr: number | null;
  /** The comparison that gave it. */
  worst: string | null;
  error?: string;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const resultsDir = arg('--results') ?? 'results';
  const filter = arg('--filter');
  fs.mkdirSync(resultsDir, {recursive: true});
  const backend: WebGPUBackend = await setupWebGPU();
  const adapterInfo = (backend as unknown as {adapterInfo?: Record<string, unknown>}).adapterInfo ?? {};
  const device = backend.device;
  const info = {
    vendor: adapterInfo.vendor, architecture: adapterInfo.architecture,
    device: adapterInfo.device, description: adapterInfo.description,
    subgroups: device.features.has('subgroups'),
    maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
    maxBufferSize: device.limits.maxBufferSize,
  };
  const slug = String(info.description || info.architecture || info.vendor || 'gpu')
      .toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'gpu';
  const out = path.join(resultsDir, `spec-webgpu-${slug}.json`);
  console.log(`adapter: ${JSON.stringify(info)}`);

  const records: CaseRecord[] = [];
  let current: {max: number, worst: string | null} = {max: 0, worst: null};
  setCloseObserver((what, relErr) => {
    if (Number.isFinite(relErr) && relErr >= current.max) {
      current.max = relErr;
      current.worst = what;
    }
  });
  const write = (finished: boolean) => fs.writeFileSync(out, JSON.stringify({
    adapter: info, host: {cpus: os.cpus().length, node: process.version}, tfjs: tf.version_core,
    finished, records,
  }, null, 1) + '\n');

  for (const composite of [false, true]) {
    const env: SpecEnv = {backend: 'webgpu', platform: 'node', composite, rtol: 1e-5};
    for (const c of allCases().filter(c => applies(c, env))) {
      const name = caseName(c);
      if (filter != null && !name.includes(filter)) continue;
      current = {max: 0, worst: null};
      const t0 = performance.now();
      const rec: CaseRecord = {variant: composite ? 'composite' : 'fused', name, ok: true, ms: 0, maxRelErr: null, worst: null};
      try {
        await inErrorScope(backend, () => runCase(c, env));
      } catch (e) {
        rec.ok = false;
        rec.error = e instanceof Error ? e.message : String(e);
      }
      rec.ms = Math.round(performance.now() - t0);
      rec.maxRelErr = current.worst == null ? null : current.max;
      rec.worst = current.worst;
      records.push(rec);
      const err = rec.maxRelErr == null ? '' : ` maxRelErr ${rec.maxRelErr.toExponential(2)}`;
      console.log(`${rec.ok ? 'ok  ' : 'FAIL'} [${rec.variant}] ${name}${err}${rec.ok ? '' : ` :: ${rec.error}`}`);
      write(false);
    }
  }
  write(true);
  const failed = records.filter(r => !r.ok);
  const errs = records.filter(r => r.maxRelErr != null).map(r => r.maxRelErr!);
  for (const variant of ['fused', 'composite'] as const) {
    const v = records.filter(r => r.variant === variant && r.maxRelErr != null);
    const worst = v.reduce<CaseRecord | null>((w, r) => w == null || r.maxRelErr! > w.maxRelErr! ? r : w, null);
    if (worst != null) {
      console.log(`${variant}: ${v.length} compared cases, worst relative error ${worst.maxRelErr!.toExponential(2)} (${worst.name} :: ${worst.worst})`);
    }
  }
  console.log(`${records.length} cases, ${failed.length} failed, ${errs.length} with float64 comparisons; wrote ${out}`);
  process.exit(failed.length === 0 ? 0 : 1);
}

main().catch(e => {
  console.error(`spec failed: ${e instanceof Error ? e.stack : e}`);
  process.exit(2);
});

/**
 * Third entry of the real-GPU bundle (linear_ce.mjs;
 * `BUNDLE_ENTRY=linear_ce.mjs ./run.sh --sizes ...`): first the
 * linearSoftmaxCrossEntropy spec on the machine's GPU (the bundle's spec.mjs,
 * test/gpu_bundle/spec_entry.ts, run with `--filter linearSoftmaxCrossEntropy`:
 * fused kernels and composite, every case in WebGPU error scopes), so the
 * timings below come from kernels that were just checked there; then the
 * linear + cross-entropy benchmark (benchmarks/linear_cross_entropy.ts) on the
 * `webgpu` backend: chunked vs unfused vs tf.losses, forward + backward time,
 * peak bytes, the adapter's buffer limits, and a "failed: <reason>" row where
 * a provider's buffers cannot be created or bound.
 *
 *   linear_ce.mjs --results DIR [--no-spec] [benchmark flags]
 *
 * Writes DIR/spec-webgpu-<adapter>.json (spec.mjs) and
 * DIR/linear_cross_entropy.results-webgpu.json. Exit status 1 when a spec
 * case failed (the benchmark still runs).
 */
import {spawnSync} from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import '../../kernels/webgpu/node_webgpu';
import '@tensorflow/tfjs-backend-webgpu';
import '../../src/index';
import {runBenchmark} from '../linear_cross_entropy';

/** Runs the bundle's spec.mjs (beside this file) on the linear-CE cases; its exit status. */
function spec(resultsDir: string): number {
  const specMjs = path.join(path.dirname(process.argv[1]), 'spec.mjs');
  if (!fs.existsSync(specMjs)) {
    console.log(`no ${specMjs}: spec not run`);
    return 1;
  }
  const r = spawnSync(process.execPath, [specMjs, '--results', resultsDir, '--filter', 'linearSoftmaxCrossEntropy'],
                      {stdio: 'inherit'});
  return r.status ?? 2;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const i = argv.indexOf('--results');
  const results = i >= 0 ? argv[i + 1] : 'results';
  let rest = i >= 0 ? [...argv.slice(0, i), ...argv.slice(i + 2)] : argv;
  const skipSpec = rest.includes('--no-spec');
  rest = rest.filter(a => a !== '--no-spec');
  const failed = skipSpec ? 0 : spec(results);
  await runBenchmark(rest.includes('--backend') ? rest : ['--backend', 'webgpu', ...rest], results);
  return failed === 0 ? 0 : 1;
}

main().then(code => process.exit(code), e => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(2);
});

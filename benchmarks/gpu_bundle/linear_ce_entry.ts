/**
 * Third entry of the real-GPU bundle (linear_ce.mjs;
 * `BUNDLE_ENTRY=linear_ce.mjs ./run.sh --sizes ...`): first the
 * linearSoftmaxCrossEntropy spec (test/ops/linear_cross_entropy.spec.ts, fused
 * kernels, every case in WebGPU error scopes: loss and gradients against the
 * float64 reference and the unfused path, the in-place kernels, the peak
 * bounds) on the machine's GPU, so the timings below come from kernels that
 * were just checked there; then the linear + cross-entropy benchmark
 * (benchmarks/linear_cross_entropy.ts) on the `webgpu` backend: chunked vs
 * unfused vs tf.losses, forward + backward time, peak bytes, the adapter's
 * buffer limits, and a "failed: <reason>" row where a provider's buffers
 * cannot be created or bound.
 *
 *   linear_ce.mjs --results DIR [--no-spec] [benchmark flags]
 *
 * Writes DIR/linear_cross_entropy.spec-webgpu.txt and
 * DIR/linear_cross_entropy.results-webgpu.json, prints both. Exit status 1
 * when a spec case failed (the benchmark still runs).
 */
import * as fs from 'fs';
import * as path from 'path';
import '../../src/node/webgpu';
import '@tensorflow/tfjs-backend-webgpu';
import '../../src/index';
import '../../test/ops/linear_cross_entropy.spec';
import {allCases, caseName, SpecEnv} from '../../test/spec/registry';
import {applies, runCase} from '../../test/spec/run_case';
import {inErrorScope, setupWebGPU} from '../../test/kernels/webgpu/harness';
import {runBenchmark} from '../linear_cross_entropy';

async function spec(resultsDir: string): Promise<number> {
  const backend = await setupWebGPU();
  const env: SpecEnv = {backend: 'webgpu', platform: 'node', composite: false, rtol: 1e-5};
  const lines: string[] = [];
  let failed = 0;
  for (const c of allCases().filter(k => k.suite === 'linearSoftmaxCrossEntropy' && applies(k, env))) {
    const t0 = performance.now();
    let line: string;
    try {
      await inErrorScope(backend, () => runCase(c, env));
      line = `ok   ${caseName(c)} (${(performance.now() - t0).toFixed(0)} ms)`;
    } catch (e) {
      failed++;
      line = `FAIL ${caseName(c)} :: ${e instanceof Error ? e.message : String(e)}`;
    }
    lines.push(line);
    console.log(line);
  }
  lines.push(`${lines.length} cases, ${failed} failed`);
  console.log(lines[lines.length - 1]);
  fs.mkdirSync(resultsDir, {recursive: true});
  fs.writeFileSync(path.join(resultsDir, 'linear_cross_entropy.spec-webgpu.txt'), lines.join('\n') + '\n');
  return failed;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const i = argv.indexOf('--results');
  const results = i >= 0 ? argv[i + 1] : 'results';
  let rest = i >= 0 ? [...argv.slice(0, i), ...argv.slice(i + 2)] : argv;
  const skipSpec = rest.includes('--no-spec');
  rest = rest.filter(a => a !== '--no-spec');
  const failed = skipSpec ? 0 : await spec(results);
  await runBenchmark(rest.includes('--backend') ? rest : ['--backend', 'webgpu', ...rest], results);
  return failed === 0 ? 0 : 1;
}

main().then(code => process.exit(code), e => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(2);
});

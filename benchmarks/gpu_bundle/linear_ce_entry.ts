/**
 * Third entry of the real-GPU bundle (linear_ce.mjs;
 * `BUNDLE_ENTRY=linear_ce.mjs ./run.sh --sizes ...`): the linear +
 * cross-entropy benchmark (benchmarks/linear_cross_entropy.ts) on the
 * `webgpu` backend through Dawn + Vulkan: chunked vs unfused vs tf.losses,
 * forward + backward time, peak bytes, the adapter's buffer limits, and a
 * "failed: <reason>" row where a provider's buffers cannot be created or bound.
 *
 *   linear_ce.mjs --results DIR [benchmark flags]
 *
 * Writes DIR/linear_cross_entropy.results-webgpu.json and prints the table.
 */
import {runBenchmark} from '../linear_cross_entropy';

const argv = process.argv.slice(2);
const i = argv.indexOf('--results');
const results = i >= 0 ? argv[i + 1] : 'results';
const rest = i >= 0 ? [...argv.slice(0, i), ...argv.slice(i + 2)] : argv;
runBenchmark(rest.includes('--backend') ? rest : ['--backend', 'webgpu', ...rest], results).then(() => process.exit(0), e => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});

/**
 * Entry of the real-GPU bundle (built by scripts/build-gpu-bundle.sh, run by
 * its run.sh): the WebGPU benchmark in Node on Dawn, fused vs built-in, at
 * the default GPU shapes plus 4096×32000 and 8192×32000, per call and
 * pipelined, with dispatch counts, kernel times from timestamp queries and the
 * copy-bandwidth roofline measured in the same run, then RESULTS.md next to
 * the JSON; then, unless the command line picks its own --suites, the three
 * train-mode models (benchmarks/train_models.ts: trainOnBatch and pipelined
 * steps, fused vs tf.losses vs tfjs-layers, at their real-GPU sizes) into
 * results/train-models/. Flags after run.sh's own are passed through (cli.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {runWorker} from '../node/worker';
import {parseArgs} from '../cli';
import {renderMarkdown} from '../report';
import type {BackendReport} from '../harness';

const DEFAULTS = [
  '--backend', 'webgpu',
  '--suites', 'softmax-ce,sparse-softmax-ce,sigmoid-ce,sigmoid-ce-mean,binary-ce-class,large-vocab-sparse-ce',
  // pipelined: K forward+backward steps per read-back (harness.ts), beside the per-call mode.
  '--modes', 'forward,forward+backward,pipelined',
  '--extra-shapes', '4096x32000,8192x32000',
  // A real GPU runs these shapes in milliseconds: more repetitions.
  '--min-reps', '10', '--max-reps', '60', '--budget-ms', '1500', '--warmup', '3',
];

/** The train-mode models (issue #15 §3), after the kernel benchmark. */
const TRAIN_DEFAULTS = [
  '--backend', 'webgpu',
  '--suites', 'train-mlp,train-lm-head,train-multilabel',
  '--modes', 'train,train-pipelined',
  '--min-reps', '5', '--max-reps', '20', '--budget-ms', '1500', '--warmup', '2',
];

/** Runs one benchmark worker and writes RESULTS.md beside its JSON. */
async function runAndReport(argv: string[]): Promise<{out: string, report: BackendReport}> {
  const args = parseArgs(argv);
  const out = await runWorker(argv, true);
  const report = JSON.parse(fs.readFileSync(out, 'utf8')) as BackendReport;
  fs.writeFileSync(path.join(args.resultsDir, 'RESULTS.md'), renderMarkdown([report], null));
  return {out, report};
}

async function main(): Promise<void> {
  const argv = [...DEFAULTS, ...process.argv.slice(2)];
  const args = parseArgs(argv);
  const {out, report} = await runAndReport(argv);
  const dev = report.device as Record<string, unknown>;
  console.log(`adapter: ${dev.vendor} ${dev.architecture} ${dev.device} ${dev.description}`);
  console.log(`fused kernels registered: ${JSON.stringify(report.fusedKernels)}`);
  console.log(`copy-bandwidth roofline: ${JSON.stringify(report.roofline)}`);
  for (const r of report.results.filter(c => c.suite === 'softmax-ce' && c.mode !== 'forward')) {
    const t = r.status === 'ok' ? `${r.medianMs!.toFixed(3)} ms/step, ${r.gbps!.toPrecision(3)} GB/s, ` +
        `${r.dispatches ?? '?'} dispatches, kernels ${r.kernelMs?.toFixed(3) ?? r.kernelMsUnavailable} ms, ` +
        `${((r.kernelRooflineFraction ?? NaN) * 100).toFixed(0)} % of copy bandwidth` : `${r.status}: ${r.error}`;
    console.log(`softmax-ce ${r.shape.rows}x${r.shape.classes} ${r.mode} ${r.provider.padEnd(11)} ${t}`);
  }
  console.log(`wrote ${out} and ${path.join(args.resultsDir, 'RESULTS.md')}`);
  if (process.argv.includes('--suites')) return;
  const trainDir = path.join(args.resultsDir, 'train-models');
  const train = await runAndReport([...TRAIN_DEFAULTS, '--results', trainDir]);
  for (const r of train.report.results) {
    const t = r.status === 'ok' ? `${r.medianMs!.toFixed(3)} ms/step, ${r.dispatches ?? '?'} dispatches` : `${r.status}: ${r.error}`;
    console.log(`${r.suite} ${r.shape.rows}x${r.shape.classes} ${r.mode} ${r.provider.padEnd(11)} ${t}`);
  }
  console.log(`wrote ${train.out} and ${path.join(trainDir, 'RESULTS.md')}`);
}

main().then(() => process.exit(0), e => {
  console.error(`benchmark failed: ${e instanceof Error ? e.stack : e}`);
  process.exit(1);
});

/**
 * Runs the benchmark on ONE backend inside this Node process and writes its
 * JSON report. Started by `run.ts` as a child process per backend (a crash or
 * an out-of-memory in one backend then costs only that backend's results),
 * and bundled alone into the real-GPU bundle (`scripts/build-gpu-bundle.sh`).
 *
 * Progress goes to stdout as lines `@@progress {"done":…,"total":…}` for the
 * parent's progress bar; everything else tfjs prints is passed through.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {NodeBackend, startNodeBackend} from './backends';
import type {BackendReport, RunOptions} from '../harness';
import {READ_BACK_FULL_MAX} from '../harness';
import {parseArgs} from '../cli';

export const PROGRESS_PREFIX = '@@progress ';

function packageVersion(name: string): string {
  try {
    return (require(`${name}/package.json`) as {version: string}).version;
  } catch {
    return 'absent';
  }
}

/**
 * glibc's allocator told to keep the memory it frees (unless the caller set
 * these): by default it hands large blocks back to the kernel and maps fresh
 * ones, and every page of a fresh block faults on first touch. On this
 * project's sandboxed hosts a fault is expensive, and whether a step's new
 * 4 MB output landed on reused or on fresh pages depended on what the other
 * providers had allocated and freed before: the cpu dense cell ran at 5 or
 * at 15 ms per step (the extra time in copying the gradient into its new
 * Float32Array). The trim threshold is above what any provider frees at
 * once: at 256×32000 tf.losses and tfjs-layers free 230–480 MB per step, and
 * under a 256 MiB threshold glibc gave that back to the kernel, so the next
 * fused step faulted its 32 MB buffers in again. Every provider of every
 * Node worker runs under the same setting (run.ts puts it in each worker's
 * environment); the report's notes name it.
 */
export const MALLOC_ENV: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: String(32 * 2 ** 20),
  MALLOC_TRIM_THRESHOLD_: String(2 ** 30),
};

/** `base` with MALLOC_ENV's variables added where `base` does not set them (a Node benchmark process's environment). */
export function withMallocEnv(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = {...base};
  for (const [k, v] of Object.entries(MALLOC_ENV)) env[k] = base[k] ?? v;
  return env;
}

/** MALLOC_ENV's variables as this process has them, `VAR=value` pairs ('' when none is set). */
export function mallocSetting(): string {
  return Object.keys(MALLOC_ENV).filter(k => process.env[k] != null).map(k => `${k}=${process.env[k]}`).join(' ');
}

/** glibc allocator settings of this process (MALLOC_ENV's variables), for the report. */
function mallocNote(): string[] {
  const set = mallocSetting();
  return set ? [`glibc malloc: ${set} (benchmarks/run.ts)`] : [];
}

export async function runWorker(argv: string[], bundled = false): Promise<string> {
  const args = parseArgs(argv);
  const backend = args.backends[0] as NodeBackend;
  const startedAt = new Date().toISOString();
  await startNodeBackend(backend);
  // tfjs and the package are imported only now: webgpu needs its globals first.
  const tf = await import('@tensorflow/tfjs-core');
  const {runPlan, describeBackend, fusedKernelTable} = await import('../harness');
  const {suitesById} = await import('../suites');
  const suites = suitesById(args.suites);
  const {device, deviceSlug, software} = await describeBackend();
  const {measureRoofline} = await import('../roofline');
  const roofline = await measureRoofline(software);
  const opts: RunOptions = {
    ...args.run, backend, softwareDevice: software, ...('gbps' in roofline ? {rooflineGBps: roofline.gbps} : {}),
  };
  const cpus = os.cpus();
  // The load average says how much of the machine the run had (shared machines).
  const host = {
    cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length, memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAverageStart: os.loadavg().map(x => Math.round(x * 10) / 10), loadAverageEnd: [] as number[],
  };
  device.host = host;
  const report: BackendReport = {
    schema: 1,
    platform: 'node',
    backend,
    deviceSlug: backend === 'webgpu' ? deviceSlug : 'host',
    device,
    versions: {
      node: process.version,
      tfjs: tf.version_core,
      webgpu: bundled ? 'bundled' : packageVersion('webgpu'),
      'tfjs-fused-cross-entropy': (require('../../package.json') as {version: string}).version,
    },
    fusedKernels: fusedKernelTable(suites),
    roofline,
    options: {...args.run, softwareDevice: software, readBackFullMax: READ_BACK_FULL_MAX},
    startedAt,
    finishedAt: null,
    results: [],
    notes: [
      ...(software ? ['software GPU: default GPU shapes reduced (see suites.ts)'] : []),
      ...mallocNote(),
    ],
  };
  const out = args.out ?? path.join(args.resultsDir, `node-${backend}-${report.deviceSlug}.json`);
  fs.mkdirSync(path.dirname(out), {recursive: true});
  // Written after every cell: a crash (a fatal out-of-memory kills the
  // process) leaves the cells measured so far, with finishedAt null.
  const write = () => fs.writeFileSync(out, JSON.stringify(report, null, 1) + '\n');
  process.stdout.write(`writing ${out}\n`);
  report.results = await runPlan(suites, opts, e => {
    process.stdout.write(PROGRESS_PREFIX + JSON.stringify(e) + '\n');
  }, results => {
    report.results = results;
    write();
  });
  report.finishedAt = new Date().toISOString();
  host.loadAverageEnd = os.loadavg().map(x => Math.round(x * 10) / 10);
  write();
  return out;
}

// Run as a script (tsx); bundled as a module into the real-GPU bundle, where `module` does not exist.
if (typeof module !== 'undefined' && require.main === module) {
  runWorker(process.argv.slice(2)).then(
      out => {
        process.stdout.write(`wrote ${out}\n`);
        // Dawn keeps the event loop alive: exit explicitly.
        process.exit(0);
      },
      e => {
        process.stderr.write(`benchmark worker failed: ${e instanceof Error ? e.stack : e}\n`);
        process.exit(1);
      });
}

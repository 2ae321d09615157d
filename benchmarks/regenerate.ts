/**
 * `npm run bench:regenerate` — regenerates every results file from scratch,
 * then the tables generated from them (benchmarks/results/**\/RESULTS.md,
 * the README's generated sections). Nothing is merged by hand: each results
 * folder below is emptied of its JSON and reports first (with --backends, of
 * those backends' JSON only), then filled by one run.
 *
 *   npm run bench:regenerate                       # default settings, every backend available here
 *   npm run bench:regenerate -- --short            # quick settings (cli.ts --short)
 *   npm run bench:regenerate -- --backends cpu,webgpu --short   # only those backends' files are replaced
 *   npm run bench:regenerate -- --only main        # one profile (names below)
 *
 * Other flags go to every run (cli.ts). Folders written by the real-GPU
 * bundle (benchmarks/results/<gpu>/: no such GPU here) are not re-measured:
 * their RESULTS.md is rebuilt from their JSON, and `bundle-gpu/run.sh`
 * regenerates their JSON on the machine (scripts/build-gpu-bundle.sh).
 * The linear + cross-entropy benchmark has its own step (LINEAR_CE below,
 * `--only linear-ce`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {spawnSync} from 'node:child_process';
import {GEMM_FILE, LINEAR_CE_DIR, renderLinearCeMarkdown} from './linear_ce_report';
import {buildReport} from './report';
import {main as runBench} from './run';
import {updateReadme} from './readme_tables';

const RESULTS = path.join(__dirname, 'results');

/** One results folder and the flags of the run that fills it. */
interface Profile {
  name: string;
  dir: string;
  /** Flags of `npm run bench` (run.ts), after the command line's own (they win). */
  argv: string[];
  /** Backends this profile runs (the command line's --backends narrows them). */
  backends: string[];
}

const GPU_BACKENDS = ['webgpu', 'chromium-webgl', 'chromium-webgpu'];

export const PROFILES: Profile[] = [
  {
    // Every default suite plus the reduced sigmoid losses (issue 15's fused
    // reductions), default shapes (software GPUs: smaller ones), on every backend.
    name: 'main', dir: RESULTS,
    argv: ['--suites', 'softmax-ce,sparse-softmax-ce,sigmoid-ce,large-vocab-sparse-ce,sigmoid-ce-mean,binary-ce-class'],
    backends: ['cpu', 'webgpu', 'wasm', 'tensorflow', 'chromium-webgl', 'chromium-webgpu'],
  },
  {
    // The issue's GPU shape on the software GPUs, which do not run it by default
    // (tf.losses takes seconds per call there: dense only, 2 pipelined steps).
    name: 'swiftshader-1024x32000', dir: path.join(RESULTS, 'swiftshader-1024x32000'),
    argv: ['--suites', 'softmax-ce', '--shapes', '1024x32000', '--modes', 'forward+backward,pipelined',
      '--providers', 'fused,tf.losses', '--pipeline-steps', '2'],
    backends: GPU_BACKENDS,
  },
  {
    // Train mode with real models (benchmarks/train_models.ts): trainOnBatch and
    // pipelined training steps of three models, fused vs tf.losses vs tfjs-layers.
    // Two pipelined steps per read: a SwiftShader step takes 0.2-4 s (with 4,
    // --short took 12 minutes for the three software GPUs).
    name: 'train-models', dir: path.join(RESULTS, 'train-models'),
    argv: ['--suites', 'train-mlp,train-lm-head,train-multilabel', '--modes', 'train,train-pipelined',
      '--pipeline-steps', '2'],
    backends: GPU_BACKENDS,
  },
];

/**
 * The linear + cross-entropy benchmark (benchmarks/linear_cross_entropy.ts,
 * its own script and JSON schema): folder results/linear-ce, one process per
 * run, every run's rows merged into one file per backend. `--short` takes
 * small shapes (about 2 minutes on 2 cores); the default adds the issue's
 * target 4096×512×32000 on cpu (one cold run each of the chunked op and the
 * materialised path, about 10 minutes). The target on SwiftShader takes over
 * 25 minutes and is left to the GPU bundle. With cpu, also the chunk's GEMM
 * products, JavaScript loops against the SIMD module
 * (benchmarks/matmul_accumulate.cpu.ts -> matmul-accumulate-cpu.json).
 */
export const LINEAR_CE = {
  name: 'linear-ce',
  dir: path.join(RESULTS, LINEAR_CE_DIR),
  backends: ['cpu', 'webgpu'],
  short: [
    ['--backend', 'cpu', '--sizes', '1024x64x8000', '--chunk', 'auto,128', '--providers', 'chunked,chunked-js,unfused,tf.losses', '--reps', '2'],
    ['--backend', 'cpu', '--mode', 'forward', '--sizes', '1024x64x8000', '--reps', '2'],
    ['--backend', 'webgpu', '--sizes', '256x64x4000', '--chunk', 'auto,64', '--reps', '2'],
    ['--backend', 'webgpu', '--mode', 'forward', '--sizes', '256x64x4000', '--reps', '2'],
  ],
  full: [
    ['--backend', 'cpu', '--sizes', '1024x64x32000', '--chunk', 'auto,128', '--providers', 'chunked,chunked-js,unfused,tf.losses', '--reps', '3'],
    ['--backend', 'cpu', '--sizes', '4096x512x32000', '--providers', 'chunked,unfused', '--reps', '0'],
    ['--backend', 'cpu', '--mode', 'forward', '--sizes', '512x64x32000,256x512x32000', '--reps', '3'],
    ['--backend', 'webgpu', '--sizes', '512x16x4000,256x128x4000', '--chunk', 'auto,64', '--reps', '3'],
    ['--backend', 'webgpu', '--mode', 'forward', '--sizes', '512x64x4000,64x64x32000', '--reps', '3'],
  ],
  /** The cpu GEMM loops, JavaScript against the SIMD module (benchmarks/matmul_accumulate.cpu.ts; cpu only). */
  gemm: {
    short: ['--shape', '128x512x8000', '--reps', '3', '--providers', 'js,simd'],
    full: ['--shape', '128x512x32000', '--reps', '3', '--providers', 'js,simd,tfjs'],
  },
};

/** Empties results/linear-ce (not its subfolders) and refills it; then its RESULTS.md. */
function regenerateLinearCe(short: boolean, backends?: string[]): void {
  const runs = (short ? LINEAR_CE.short : LINEAR_CE.full).filter(a => backends == null || backends.includes(a[1]));
  const gemm = backends == null || backends.includes('cpu');
  if (!runs.length && !gemm) return;
  console.log(`== ${LINEAR_CE.name}: ${[...new Set(runs.map(a => a[1]))].join(', ')} -> ${path.relative(process.cwd(), LINEAR_CE.dir)}`);
  clear(LINEAR_CE.dir);
  for (const a of runs) {
    const r = spawnSync(process.execPath, [...process.execArgv, path.join(__dirname, 'linear_cross_entropy.ts'), ...a],
        {stdio: ['ignore', 'ignore', 'inherit']});
    if (r.status !== 0) console.error(`linear-ce: ${a.join(' ')} exited ${r.status ?? r.signal}`);
  }
  if (gemm) {
    const a = [...(short ? LINEAR_CE.gemm.short : LINEAR_CE.gemm.full), '--out', path.join(LINEAR_CE.dir, GEMM_FILE)];
    const r = spawnSync(process.execPath, [...process.execArgv, path.join(__dirname, 'matmul_accumulate.cpu.ts'), ...a],
        {stdio: ['ignore', 'inherit', 'inherit']});
    if (r.status !== 0) console.error(`linear-ce: matmul_accumulate.cpu.ts ${a.join(' ')} exited ${r.status ?? r.signal}`);
  }
}

/** Folders measured elsewhere (the real-GPU bundle): only their RESULTS.md is rebuilt here. */
export const MEASURED_ELSEWHERE = ['nvidia-h200'];

function flagValue(argv: string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
}

function without(argv: string[], flag: string): string[] {
  const i = argv.indexOf(flag);
  return i >= 0 ? [...argv.slice(0, i), ...argv.slice(i + 2)] : argv;
}

/**
 * Removes a folder's results (JSON, run-info, RESULTS.md, chart), not its
 * subfolders. With `backends` (the command line's --backends narrowed the
 * run) only those backends' JSON files go, as run-info.json names them, and
 * run-info.json stays: run.ts merges this run into it, and the other
 * backends' results are kept.
 */
function clear(dir: string, backends?: string[]): void {
  if (!fs.existsSync(dir)) return;
  const infoPath = path.join(dir, 'run-info.json');
  if (backends != null && fs.existsSync(infoPath)) {
    const ran = (JSON.parse(fs.readFileSync(infoPath, 'utf8')) as {ran?: Record<string, string>}).ran ?? {};
    for (const b of backends) {
      if (ran[b] != null && fs.existsSync(path.join(dir, ran[b]))) fs.rmSync(path.join(dir, ran[b]));
    }
    return;
  }
  for (const f of fs.readdirSync(dir)) {
    if (/\.json$|^RESULTS\.md$|^chart\.(svg|png)$/.test(f)) fs.rmSync(path.join(dir, f));
  }
}

async function regenerate(argv: string[]): Promise<void> {
  const only = flagValue(argv, '--only');
  const backends = flagValue(argv, '--backends')?.split(',').filter(Boolean);
  const rest = without(without(argv, '--only'), '--backends');
  for (const p of PROFILES) {
    if (only != null && only !== p.name) continue;
    const mine = backends ? p.backends.filter(b => backends.includes(b)) : p.backends;
    if (!mine.length) continue;
    console.log(`== ${p.name}: ${mine.join(', ')} -> ${path.relative(process.cwd(), p.dir) || '.'}`);
    clear(p.dir, backends ? mine : undefined);
    await runBench([...rest, ...p.argv, '--backends', mine.join(','), '--results', path.relative(process.cwd(), p.dir) || '.']);
  }
  if (only == null || only === LINEAR_CE.name) regenerateLinearCe(rest.includes('--short'), backends);
  fs.mkdirSync(LINEAR_CE.dir, {recursive: true});
  fs.writeFileSync(path.join(LINEAR_CE.dir, 'RESULTS.md'), renderLinearCeMarkdown(RESULTS));
  for (const name of MEASURED_ELSEWHERE) {
    const dir = path.join(RESULTS, name);
    if (fs.existsSync(dir)) console.log(`rebuilt ${(await buildReport(dir)).join(', ')}`);
  }
  console.log(`README: ${updateReadme() ? 'generated sections updated' : 'generated sections unchanged'}`);
}

if (require.main === module) {
  regenerate(process.argv.slice(2)).catch(e => {
    console.error(e instanceof Error ? e.stack : e);
    process.exit(1);
  });
}

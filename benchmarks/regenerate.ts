/**
 * `npm run bench:regenerate` — regenerates every results file from scratch,
 * then the tables generated from them (benchmarks/results/**\/RESULTS.md,
 * the README's generated sections). Nothing is merged: each results folder
 * below is emptied of its JSON and reports first, then filled by one run.
 *
 *   npm run bench:regenerate                       # default settings, every backend available here
 *   npm run bench:regenerate -- --short            # quick settings (cli.ts --short)
 *   npm run bench:regenerate -- --backends cpu,webgpu --short
 *   npm run bench:regenerate -- --only main        # one profile (names below)
 *
 * Other flags go to every run (cli.ts). Folders written by the real-GPU
 * bundle (benchmarks/results/<gpu>/: no such GPU here) are not re-measured:
 * their RESULTS.md is rebuilt from their JSON, and `bundle-gpu/run.sh`
 * regenerates their JSON on the machine (scripts/build-gpu-bundle.sh).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
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
    // Every suite, default shapes (software GPUs: smaller ones), on every backend.
    name: 'main', dir: RESULTS, argv: [],
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
];

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

/** Removes a folder's results (JSON, run-info, RESULTS.md, chart), not its subfolders. */
function clear(dir: string): void {
  if (!fs.existsSync(dir)) return;
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
    clear(p.dir);
    await runBench([...rest, ...p.argv, '--backends', mine.join(','), '--results', path.relative(process.cwd(), p.dir) || '.']);
  }
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

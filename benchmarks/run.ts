/**
 * `npm run bench` — runs every suite on every backend available here, one
 * after the other (never in parallel: they would share the cores), then
 * rebuilds benchmarks/results/RESULTS.md and the chart.
 *
 *   npm run bench                                 # default shapes, all backends
 *   npm run bench -- --full                       # the sweep
 *   npm run bench -- --backends cpu --suites softmax-ce --modes forward+backward
 *
 * Backends: cpu, webgpu (Dawn in Node), wasm and tensorflow (tfjs-node) each
 * run in a child process (`node/worker.ts`); chromium-webgl and
 * chromium-webgpu in headless Chromium (`browser/run_browser.ts`). Flags are
 * in `cli.ts`.
 */
import {execFileSync, spawn} from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as cliProgress from 'cli-progress';
import {Args, parseArgs, toArgv, USAGE} from './cli';
import {planCells, ProgressEvent, RunOptions} from './harness';
import {NODE_BACKENDS, NodeBackend, nodeBackendMissing} from './node/backends';
import {PROGRESS_PREFIX, withMallocEnv} from './node/worker';
import {suitesById} from './suites';
import {chromiumPath, runInChromium} from './browser/run_browser';
import {buildReport, RunInfo} from './report';

const BROWSER_BACKENDS = ['chromium-webgl', 'chromium-webgpu'] as const;
const ALL_BACKENDS = [...NODE_BACKENDS, ...BROWSER_BACKENDS];
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/**
 * The commit being measured and the number of files that differ from it
 * (none where git is absent). FUSED_CE_BENCH_COMMIT names the commit of a
 * clean export (`git archive`) run outside the repository.
 */
function gitState(): {commit?: string, uncommittedFiles?: number} {
  if (process.env.FUSED_CE_BENCH_COMMIT) return {commit: process.env.FUSED_CE_BENCH_COMMIT, uncommittedFiles: 0};
  try {
    const git = (args: string[]) => execFileSync('git', args, {cwd: path.join(__dirname, '..'), encoding: 'utf8'});
    return {
      commit: git(['rev-parse', 'HEAD']).trim(),
      uncommittedFiles: git(['status', '--porcelain', '--untracked-files=no']).split('\n').filter(Boolean).length,
    };
  } catch {
    return {};
  }
}

function missing(backend: string): string | null {
  if ((NODE_BACKENDS as readonly string[]).includes(backend)) return nodeBackendMissing(backend as NodeBackend);
  return chromiumPath() ? null : 'no Chromium here (set CHROMIUM_PATH)';
}

/**
 * Dawn needs a Vulkan driver. Without a GPU device node and without an
 * explicit VK_ICD_FILENAMES, use Chromium's SwiftShader (Debian's Mesa 22
 * lavapipe is refused by Dawn).
 */
function webgpuEnv(notes: string[]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp'};
  const hasGpu = fs.existsSync('/dev/nvidia0') || fs.existsSync('/dev/dri');
  if (!env.VK_ICD_FILENAMES && !hasGpu && fs.existsSync(SWIFTSHADER_ICD)) {
    env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    notes.push(`webgpu (Node): no GPU device here, Dawn ran on SwiftShader (VK_ICD_FILENAMES=${SWIFTSHADER_ICD})`);
  }
  return env;
}

function runWorker(backend: string, args: Args, env: NodeJS.ProcessEnv, onProgress: (e: ProgressEvent) => void,
                   onLog: (line: string) => void): Promise<{out?: string, error?: string, partial?: string}> {
  // process.execArgv carries tsx's loader flags into the child.
  const child = spawn(process.execPath, [...process.execArgv, path.join(__dirname, 'node', 'worker.ts'),
    ...toArgv(args, backend)], {env, stdio: ['ignore', 'pipe', 'pipe']});
  let out: string | undefined;
  let partial: string | undefined;
  const errLines: string[] = [];
  let buf = '';
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.startsWith(PROGRESS_PREFIX)) onProgress(JSON.parse(line.slice(PROGRESS_PREFIX.length)) as ProgressEvent);
      else if (line.startsWith('writing ')) partial = line.slice(8);
      else if (line.startsWith('wrote ')) out = line.slice(6);
      else if (line.trim() && !/^=+$|looks like you are running TensorFlow.js in Node/.test(line)) onLog(line);
    }
  });
  child.stderr.on('data', (d: Buffer) => errLines.push(...d.toString().split('\n').filter(Boolean)));
  return new Promise(resolve => child.on('close', code => {
    if (code === 0 && out) resolve({out});
    else resolve({partial, error: errLines.filter(l => !/^\s+at /.test(l)).slice(-3).join(' | ') || `exit code ${code}`});
  }));
}

export async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv);
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const wanted = args.backends.length ? args.backends : ALL_BACKENDS;
  for (const b of wanted) {
    if (!(ALL_BACKENDS as readonly string[]).includes(b)) throw new Error(`unknown backend ${b} (known: ${ALL_BACKENDS.join(', ')})`);
  }
  const infoPath = path.join(args.resultsDir, 'run-info.json');
  const prev: RunInfo | null = fs.existsSync(infoPath) ? JSON.parse(fs.readFileSync(infoPath, 'utf8')) as RunInfo : null;
  const info: RunInfo = {
    skipped: {...prev?.skipped}, ran: {...prev?.ran},
    command: `npm run bench -- ${argv.join(' ')}`.trim(), date: new Date().toISOString(), notes: [], ...gitState(),
  };
  const suites = suitesById(args.suites);
  const runnable: string[] = [];
  for (const b of wanted) {
    const why = missing(b);
    if (why) {
      info.skipped[b] = why;
      delete info.ran[b];
      console.log(`!! ${b}: not run: ${why}`);
    } else {
      runnable.push(b);
    }
  }
  fs.mkdirSync(args.resultsDir, {recursive: true});

  const bars = new cliProgress.MultiBar({
    format: '{backend} [{bar}] {value}/{total} {cell}',
    clearOnComplete: false, hideCursor: true, etaBuffer: 20,
    // In CI logs (no TTY) too, every 10 s.
    noTTYOutput: true, notTTYSchedule: 10000,
  }, cliProgress.Presets.shades_classic);
  const barOf: Record<string, cliProgress.SingleBar> = {};
  for (const b of runnable) {
    // A first guess: a GPU backend on a software device plans fewer cells,
    // and its own progress events carry the real total.
    const backend = b.replace('chromium-', '');
    const total = planCells(suites, {...args.run, backend} as RunOptions).length;
    barOf[b] = bars.create(total, 0, {backend: b.padEnd(16), cell: ''});
  }
  const progress = (b: string) => (e: ProgressEvent) => {
    barOf[b].setTotal(e.total);
    barOf[b].update(e.done, {
    backend: b.padEnd(16),
      cell: `${e.cell.suite} ${e.cell.shape.rows}x${e.cell.shape.classes} ${e.cell.mode} ${e.cell.provider}`,
    });
  };
  const logs: string[] = [];
  const load = () => os.loadavg().map(x => x.toFixed(1)).join(' / ');
  const loadAtStart = load();

  for (const b of runnable.filter(x => !x.startsWith('chromium-'))) {
    const env = withMallocEnv(b === 'webgpu' ? webgpuEnv(info.notes) : process.env);
    const r = await runWorker(b, args, env, progress(b), line => logs.push(`[${b}] ${line}`));
    if (r.out) {
      info.ran[b] = path.relative(args.resultsDir, r.out);
      delete info.skipped[b];
    } else {
      info.skipped[b] = `failed: ${r.error}`;
      delete info.ran[b];
      const partial = r.partial && fs.existsSync(r.partial) ? r.partial : null;
      if (partial) {
        info.ran[b] = path.relative(args.resultsDir, partial);
        info.skipped[b] += ` (the cells measured before are kept in ${info.ran[b]})`;
      }
    }
    barOf[b].stop();
  }
  const inBrowser = runnable.filter(x => x.startsWith('chromium-'));
  if (inBrowser.length) {
    const runs = await runInChromium(
        inBrowser.map(b => b.replace('chromium-', '')), backend => toArgv(args, backend),
        (backend, e) => progress(`chromium-${backend}`)(e));
    for (const r of runs) {
      const key = `chromium-${r.backend}`;
      if (r.report) {
        const file = `chromium-${r.backend}-${r.report.deviceSlug}.json`;
        fs.writeFileSync(path.join(args.resultsDir, file), JSON.stringify(r.report, null, 1) + '\n');
        info.ran[key] = file;
        delete info.skipped[key];
      } else {
        info.skipped[key] = `failed: ${r.error}`;
        delete info.ran[key];
      }
      barOf[key].stop();
    }
  }
  bars.stop();
  const busiest = Math.max(Number(loadAtStart.split(' / ')[0]), os.loadavg()[0]);
  info.notes.push(`host: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}); load average (1/5/15 min) ` +
      `${loadAtStart} at the start, ${load()} at the end of the run` +
      (busiest > os.cpus().length ? ': above the core count, the benchmarks shared the cores with other work' : ''));
  // A run into a folder that holds other backends' results (run-info.json
  // merged above) keeps their runs' notes, each run's marked with its backends.
  if (prev != null && Object.keys(prev.ran).some(b => !wanted.includes(b))) {
    const mark = (n: string) => (n.startsWith('[') ? n : `[${Object.keys(prev.ran).join(', ')}, ${prev.date.slice(0, 16)}] ${n}`);
    info.notes = [...prev.notes.map(mark), ...info.notes.map(n => `[${wanted.join(', ')}, ${info.date.slice(0, 16)}] ${n}`)];
  }
  for (const l of logs.slice(-20)) console.log(l);
  for (const [b, why] of Object.entries(info.skipped)) console.log(`!! ${b}: ${why}`);
  fs.writeFileSync(infoPath, JSON.stringify(info, null, 1) + '\n');
  if (args.report) {
    const written = await buildReport(args.resultsDir);
    console.log(`wrote ${written.join(', ')}`);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch(e => {
    console.error(e instanceof Error ? e.stack : e);
    process.exit(1);
  });
}

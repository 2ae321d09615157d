/**
 * Do threads pay for the WebAssembly SIMD softmax cross-entropy (issue #16)?
 * A measurement, not a kernel: our module's softmax forward + backward
 * (dense: denseForward + denseGrad; sparse: sparseForward + sparseGrad) over
 * a shared WebAssembly.Memory, rows split across N threads (this thread and
 * N − 1 worker_threads, each with its own instance of the module over the
 * same memory), against one thread.
 *
 * Each kernel call is one dispatch, as the tfjs engine calls the forward and
 * the backward kernels separately: the main thread writes the job into a
 * control block (a SharedArrayBuffer), bumps a generation counter and wakes
 * the workers (Atomics.notify), runs its own rows, then waits for the others
 * (Atomics.wait; or, as a browser's main thread must, which may not block,
 * spinning on Atomics.load). The timings include that dispatch and wake-up;
 * an empty job measures it alone.
 *
 * The shipped module imports a non-shared memory (scripts/build.mjs); the
 * shared variant is the one the package derives from the same bytes
 * (withSharedMemoryImport, kernels/simd/shared_memory_variant.ts: the memory
 * import declared shared with a maximum of 65536 pages, tfjs-wasm's threaded
 * build's).
 *
 * Variants, interleaved (each repetition runs every variant once, in rotating
 * order), per shape:
 *   1 thread (shipped module)   the build's non-shared module, no dispatch
 *   1 thread (shared memory)    the shared variant, no dispatch
 *   N threads, wait / spin      the shared variant, N − 1 workers
 * Results: wall-clock min and median per fwd+bwd step, the process's CPU time
 * per step (all threads), the 1-minute load average and the cores this
 * process could get (availableCores) before and after; the threaded outputs
 * are checked bitwise against one thread's.
 *
 * Then the same in headless Chromium (wasm_threads_page.ts; skip with
 * --no-browser), on tfjs-wasm's threaded build and its own heap.
 *
 *   npx tsx benchmarks/wasm_threads.ts [--reps 40] [--threads 2] [--quick] [--no-browser]
 *       [--out benchmarks/results/wasm-simd/threads]
 *
 * writes <out>.json and <out>.md (default: benchmarks/results/wasm-simd/threads).
 */
import * as fs from 'fs';
import type {AddressInfo} from 'net';
import * as os from 'os';
import * as path from 'path';
import {Worker} from 'worker_threads';

import {chromium} from 'playwright-core';

import {instantiateSimd, SimdExports, simdWasmBytes} from '../kernels/simd/simd_module';
import {withSharedMemoryImport} from '../kernels/simd/shared_memory_variant';
import {bundleEntry, CHROMIUM_ARGS, findChromium, serve} from '../tools/browser/harness';
import type {PageResult, PageRow} from './wasm_threads_page';
import {dispatch, fill, layout, Layout, median, OP, quit, runRows, timeInterleaved, Variant, workerLoop} from './wasm_threads_shared';

const ROOT = path.join(__dirname, '..');
const PAGE = 65536;
const MAX_PAGES = 65536;

interface Args {
  reps: number;
  browser: boolean;
  threads: number[];
  shapes: Array<[number, number]>;
  out: string;
}

function parseArgs(): Args {
  const argv = process.argv.slice(2);
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = argv.includes('--quick');
  return {
    reps: Number(get('reps') ?? (quick ? 8 : 40)),
    browser: !argv.includes('--no-browser'),
    threads: (get('threads') ?? '2').split(',').map(Number),
    shapes: [[1024, 1000], [256, 32000]],
    out: get('out') ?? path.join('benchmarks', 'results', 'wasm-simd', 'threads'),
  };
}

/**
 * The worker: instantiates the module over the shared memory, says it is ready, then runs
 * workerLoop (wasm_threads_shared.ts). Plain JavaScript (worker_threads eval).
 */
const WORKER = `
const {parentPort, workerData} = require('worker_threads');
const {module, memory, control, id, n, layouts} = workerData;
const k = new WebAssembly.Instance(module, {env: {memory}}).exports;
const runRows = ${runRows.toString()};
const workerLoop = ${workerLoop.toString()};
parentPort.postMessage('ready');
workerLoop(k, new Int32Array(control), id, n, layouts, runRows);
`;

/** A pool: this thread (id 0) and n − 1 worker_threads over one shared memory. */
class Pool {
  readonly ctl = new Int32Array(new SharedArrayBuffer(64));
  private workers: Worker[] = [];
  startMs = 0;

  constructor(readonly n: number, readonly k: SimdExports, readonly layouts: Layout[]) {}

  async start(module: WebAssembly.Module, memory: WebAssembly.Memory): Promise<void> {
    const t0 = performance.now();
    const ready: Array<Promise<void>> = [];
    for (let id = 1; id < this.n; id++) {
      const w = new Worker(WORKER, {eval: true, workerData: {module, memory, control: this.ctl.buffer, id, n: this.n, layouts: this.layouts}});
      ready.push(new Promise((resolve, reject) => {
        w.once('message', () => resolve());
        w.once('error', reject);
      }));
      this.workers.push(w);
    }
    await Promise.all(ready);
    this.startMs = performance.now() - t0;
  }

  run(op: number, li: number, spin: boolean): void {
    dispatch(this.k, this.ctl, this.n, this.layouts, op, li, spin);
  }

  async stop(): Promise<void> {
    quit(this.ctl);
    await Promise.all(this.workers.map(w => new Promise(resolve => w.once('exit', resolve))));
  }
}

/**
 * How many cores this process can get right now: two worker_threads busy-loop for `ms` of wall
 * time each, at once; their CPU time over the wall time (2 on two idle cores). Load from other
 * processes shows here as less than 2, and then no split of the rows can show its speed-up.
 */
async function availableCores(ms = 300): Promise<number> {
  const code = `const {parentPort} = require('worker_threads');
parentPort.once('message', ms => { const t = Date.now(); let x = 0; while (Date.now() - t < ms) x++; parentPort.postMessage(x); });`;
  const workers = [0, 1].map(() => new Worker(code, {eval: true}));
  await new Promise(resolve => setTimeout(resolve, 100));
  const c0 = process.cpuUsage(), t0 = performance.now();
  await Promise.all(workers.map(w => new Promise(resolve => {
    w.once('message', resolve);
    w.postMessage(ms);
  })));
  const c = process.cpuUsage(c0), wall = performance.now() - t0;
  await Promise.all(workers.map(w => w.terminate()));
  return (c.user + c.system) / 1000 / wall;
}

/** A Node row: the page's, plus CPU time and the speed-ups against one thread. */
interface Row extends PageRow {
  cpuMedianMs: number;
  speedupMin?: number;
  speedupMedian?: number;
}

async function main(): Promise<void> {
  const args = parseArgs();
  const loadBefore = os.loadavg()[0];
  const coresBefore = await availableCores();
  const date = new Date().toISOString();
  const sharedBytes = withSharedMemoryImport(simdWasmBytes());
  const shared = new WebAssembly.Module(sharedBytes as Uint8Array<ArrayBuffer>);
  const layouts = args.shapes.map(([r, c]) => layout(r, c));
  const bytes = Math.max(...layouts.map(L => L.end));
  // One shape at a time, its arrays from offset 16 (filled before it is timed), at the same offsets in both
  // memories; the shared one with tfjs-wasm's maximum. The shipped module is the last build's
  // (simd_wasm_bytes.generated.ts), the shared variant derived from it as the package derives it.
  const sharedMemory = new WebAssembly.Memory({initial: Math.ceil(bytes / PAGE), maximum: MAX_PAGES, shared: true});
  const plainMemory = new WebAssembly.Memory({initial: Math.ceil(bytes / PAGE)});
  const kShared = new WebAssembly.Instance(shared, {env: {memory: sharedMemory}}).exports as unknown as SimdExports;
  const kPlain = instantiateSimd(plainMemory);

  const pools = new Map<number, Pool>();
  const startMs: Record<string, number> = {};
  for (const n of args.threads) {
    const pool = new Pool(n, kShared, layouts);
    await pool.start(shared, sharedMemory);
    pools.set(n, pool);
    startMs[`${n} threads`] = pool.startMs;
  }

  const rows: Row[] = [];
  const dispatchTimes: Record<string, {minUs: number, medianUs: number}> = {};
  for (const [li, L] of layouts.entries()) {
    fill(sharedMemory.buffer, L);
    fill(plainMemory.buffer, L);
    for (const labels of ['dense', 'sparse'] as const) {
      const [fwd, bwd] = labels === 'dense' ? [OP.denseForward, OP.denseGrad] : [OP.sparseForward, OP.sparseGrad];
      const variants: Variant[] = [
        {name: '1 thread (shipped module)', threads: 1, step: () => {
          runRows(kPlain, fwd, L, 0, L.rows);
          runRows(kPlain, bwd, L, 0, L.rows);
        }},
        {name: '1 thread (shared memory)', threads: 1, step: () => {
          runRows(kShared, fwd, L, 0, L.rows);
          runRows(kShared, bwd, L, 0, L.rows);
        }},
      ];
      for (const [n, pool] of pools) {
        for (const spin of [false, true]) {
          variants.push({name: `${n} threads, main ${spin ? 'spins' : 'waits'}`, threads: n, step: () => {
            pool.run(fwd, li, spin);
            pool.run(bwd, li, spin);
          }});
        }
      }
      // Bitwise check: every threaded variant's loss, stats and gradient equal one thread's.
      const f32 = () => new Float32Array(sharedMemory.buffer);
      const snapshot = () => {
        const m = f32();
        return [m.slice(L.loss / 4, L.loss / 4 + L.rows), m.slice(L.stats / 4, L.stats / 4 + 2 * L.rows),
                m.slice(L.grad / 4, L.grad / 4 + L.rows * L.C)];
      };
      variants[1].step();
      const want = snapshot();
      for (const v of variants.slice(2)) {
        f32().fill(NaN, L.loss / 4, L.loss / 4 + L.rows);
        f32().fill(NaN, L.grad / 4, L.grad / 4 + L.rows * L.C);
        v.step();
        const got = snapshot();
        got.forEach((a, i) => {
          const b = want[i];
          for (let j = 0; j < a.length; j++) {
            if (!Object.is(a[j], b[j])) throw new Error(`${v.name} ${labels} ${L.rows}×${L.C}: output ${i} differs at ${j}: ${a[j]} vs ${b[j]}`);
          }
        });
      }
      const reps = args.reps;
      const cpuMs = () => {
        const u = process.cpuUsage();
        return (u.user + u.system) / 1000;
      };
      const {wall, cpu} = timeInterleaved(variants, reps, cpuMs);
      const base = variants.findIndex(v => v.name === '1 thread (shipped module)');
      variants.forEach((v, i) => rows.push({
        shape: `${L.rows}×${L.C}`, labels, variant: v.name, threads: v.threads,
        minMs: Math.min(...wall[i]), medianMs: median(wall[i]), cpuMedianMs: median(cpu[i]), reps,
        ...(i === base ? {} : {speedupMin: Math.min(...wall[base]) / Math.min(...wall[i]), speedupMedian: median(wall[base]) / median(wall[i])}),
      }));
      console.log(rows.slice(-variants.length).map(r => `${r.shape} ${r.labels} ${r.variant}: min ${r.minMs.toFixed(3)} ms, ` +
                  `median ${r.medianMs.toFixed(3)} ms, CPU ${r.cpuMedianMs.toFixed(2)} ms` +
                  (r.speedupMedian ? `, ×${r.speedupMin!.toFixed(2)} (min) ×${r.speedupMedian.toFixed(2)} (median)` : '')).join('\n'));
    }
  }
  // The dispatch alone: an empty job, wake + wait, per dispatch (a step is two).
  for (const [n, pool] of pools) {
    for (const spin of [false, true]) {
      const t: number[] = [];
      for (let r = 0; r < 2000; r++) {
        const t0 = performance.now();
        pool.run(OP.none, 0, spin);
        t.push(performance.now() - t0);
      }
      dispatchTimes[`${n} threads, main ${spin ? 'spins' : 'waits'}`] = {minUs: 1000 * Math.min(...t), medianUs: 1000 * median(t)};
    }
  }
  for (const pool of pools.values()) await pool.stop();
  const loadAfter = os.loadavg()[0];
  const coresAfter = await availableCores();
  const cpus = os.cpus();
  const result = {
    command: `npx tsx benchmarks/wasm_threads.ts ${process.argv.slice(2).join(' ')}`.trim(),
    date, node: process.version, cpus: cpus.length, cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    loadAverage1m: {before: loadBefore, after: loadAfter},
    availableCores: {before: coresBefore, after: coresAfter},
    workerStartMs: startMs,
    dispatchEmptyJob: dispatchTimes,
    results: rows,
    browser: args.browser ? await inChromium(sharedBytes, args) : null,
  };
  const out = path.isAbsolute(args.out) ? args.out : path.join(ROOT, args.out);
  fs.mkdirSync(path.dirname(out), {recursive: true});
  fs.writeFileSync(`${out}.json`, JSON.stringify(result, null, 1) + '\n');
  fs.writeFileSync(`${out}.md`, markdown(result));
  console.log(`wrote ${path.relative(ROOT, out)}.json and .md; load ${loadBefore.toFixed(2)} → ${loadAfter.toFixed(2)}; ` +
              `available cores ${coresBefore.toFixed(2)} → ${coresAfter.toFixed(2)}`);
}

/**
 * The same in headless Chromium on tfjs-wasm's threaded build (wasm_threads_page.ts, a
 * cross-origin isolated page): our shared-memory module over tfjs-wasm's own heap, Web Workers,
 * the main thread spinning. Threads: the largest of --threads.
 */
async function inChromium(sharedBytes: Uint8Array, args: Args): Promise<PageResult | {skipped: string}> {
  const executablePath = findChromium();
  if (executablePath == null) return {skipped: 'no Chromium found (set CHROMIUM_PATH)'};
  const server = await serve(await bundleEntry(path.join(__dirname, 'wasm_threads_page.ts')));
  const port = (server.address() as AddressInfo).port;
  const browser = await chromium.launch({executablePath, headless: true, args: CHROMIUM_ARGS});
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', e => errors.push(e.message));
    page.on('console', m => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(`http://127.0.0.1:${port}/?coi=1`);
    const r = await page.evaluate(([w, s, shapes, reps, n]) => window.__threads(w, s, shapes, reps, n),
                                  [Buffer.from(sharedBytes).toString('base64'), Buffer.from(simdWasmBytes()).toString('base64'), args.shapes, args.reps,
                                   Math.max(...args.threads)] as const);
    if (errors.length > 0) throw new Error(`errors on the page: ${errors.join('\n')}`);
    console.log(`Chromium ${browser.version()}: ` + JSON.stringify(r));
    return {...r, chromium: browser.version()} as PageResult;
  } finally {
    await browser.close();
    await new Promise<void>(resolve => server.close(() => resolve()));
  }
}

function markdown(r: {command: string, date: string, node: string, cpus: number, cpuModel: string,
                      loadAverage1m: {before: number, after: number}, availableCores: {before: number, after: number},
                      workerStartMs: Record<string, number>,
                      dispatchEmptyJob: Record<string, {minUs: number, medianUs: number}>, results: Row[],
                      browser: PageResult | {skipped: string} | null}): string {
  const f = (v: number | undefined, d = 2) => v == null ? '' : v.toFixed(d);
  const b = r.browser;
  const browser = b == null ? ['Chromium part not run (--no-browser).'] : 'skipped' in b ? [`Chromium part skipped: ${b.skipped}.`] : [
    `## In Chromium ${(b as PageResult & {chromium?: string}).chromium ?? ''}, on tfjs-wasm's threaded build`,
    '',
    `Cross-origin isolated page: ${b.crossOriginIsolated}; tfjs-wasm's memory shared: ${b.memoryShared}; ` +
    `tfjs-wasm's getThreadsCount(): ${b.tfjsThreads}. The shipped (non-shared) module over that memory: ${b.shippedModuleInstantiates}. ` +
    'The shared-memory variant instantiates over it; the arrays live in tfjs-wasm\'s heap (its _malloc), ' +
    `Web Workers run rows of them, the main thread spins. Worker start-up ${f(b.workerStartMs, 1)} ms; an empty dispatch ` +
    `min ${f(b.dispatchEmptyJobUs.min, 1)} µs, median ${f(b.dispatchEmptyJobUs.median, 1)} µs (the page's clock is coarsened to 5 µs).`,
    '',
    '| shape | labels | variant | min ms | median ms | reps |',
    '|---|---|---|---|---|---|',
    ...b.results.map(x => `| ${x.shape} | ${x.labels} | ${x.variant} | ${f(x.minMs, 3)} | ${f(x.medianMs, 3)} | ${x.reps} |`),
  ];
  return [
    '# Threads for the WebAssembly SIMD softmax cross-entropy',
    '',
    '## In Node (worker_threads)',
    '',
    `\`${r.command}\` (generated; see benchmarks/wasm_threads.ts)`,
    '',
    `${r.date}, Node ${r.node}, ${r.cpus}× ${r.cpuModel}; 1-minute load average ${f(r.loadAverage1m.before)} before, ` +
    `${f(r.loadAverage1m.after)} after; cores this process could get (two threads busy at once: their CPU time over ` +
    `wall time) ${f(r.availableCores.before)} before, ${f(r.availableCores.after)} after. ` +
    'Forward + backward per step (two dispatches), rows split across the threads; ' +
    'interleaved repetitions; speed-up against one thread running the shipped module.',
    '',
    '| shape | labels | variant | min ms | median ms | CPU ms (median, all threads) | speed-up (min) | speed-up (median) |',
    '|---|---|---|---|---|---|---|---|',
    ...r.results.map(x => `| ${x.shape} | ${x.labels} | ${x.variant} | ${f(x.minMs, 3)} | ${f(x.medianMs, 3)} | ` +
                          `${f(x.cpuMedianMs)} | ${x.speedupMin ? f(x.speedupMin) + '×' : ''} | ${x.speedupMedian ? f(x.speedupMedian) + '×' : ''} |`),
    '',
    'Dispatch of an empty job (wake the workers, wait for them), per dispatch:',
    '',
    '| pool | min µs | median µs |',
    '|---|---|---|',
    ...Object.entries(r.dispatchEmptyJob).map(([k, v]) => `| ${k} | ${f(v.minUs, 1)} | ${f(v.medianUs, 1)} |`),
    '',
    `Worker start-up (spawn, instantiate the module over the shared memory, first message): ${
      Object.entries(r.workerStartMs).map(([k, v]) => `${k}: ${f(v, 1)} ms`).join('; ')}.`,
    '',
    ...browser,
    '',
  ].join('\n');
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});

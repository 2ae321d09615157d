/**
 * The focal kernels on the WebAssembly SIMD module against what ran before
 * them, side by side in one process, forward + backward (loss and d/dlogits
 * read back), interleaved repetitions:
 *  - cpu: the SIMD path against the scalar JavaScript kernels
 *    (FUSED_CE_CPU_SIMD true / false);
 *  - wasm: our SIMD kernels on tfjs-wasm's heap against the composite path
 *    (FUSED_CE_FORCE_COMPOSITE), which is what wasm ran before.
 * Cases: softmax focal dense one-hot, sparse, dense soft labels (smoothing
 * 0.1: every entry takes the float64 focal terms), and binary focal with the
 * Keras mean over the classes, at γ = 2 and at γ = 1.5 (a half-integer: u^γ
 * by products and a square root). Keras defaults γ = 2, α = 0.25.
 *
 *   npx tsx benchmarks/focal_simd.ts                    # 1024×1000, 11 repetitions
 *   npx tsx benchmarks/focal_simd.ts --rows 1024 --classes 1000 --reps 21
 *
 * Prints a table (median and min wall time, median CPU time of the process,
 * ratios old/new of each; on a loaded machine the CPU time is the steadier) and writes benchmarks/results/wasm-simd/focal-simd.{json,md}.
 * Runs under the glibc allocator setting of benchmarks/run.ts's workers
 * (MALLOC_ENV, benchmarks/node/worker.ts; the script starts itself again with
 * it when unset): without it the steps that read a fresh 4 MB gradient back
 * were bimodal (freed pages handed back to the kernel and faulted in again).
 */
import {spawnSync} from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import * as fce from '../src/index';
import {CPU_SIMD_FLAG} from '../kernels/simd/flags_simd';
import {MALLOC_ENV, mallocSetting, withMallocEnv} from './node/worker';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const ROWS = arg('rows', 1024), C = arg('classes', 1000), REPS = arg('reps', 11), WARMUP = 2;

/** Deterministic data (a small LCG: same data every run). */
function data() {
  let s = 12345;
  const u = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
  const x = Float32Array.from({length: ROWS * C}, () => 6 * (u() - 0.5));
  const t = Int32Array.from({length: ROWS}, () => Math.floor(u() * C));
  const oneHot = new Float32Array(ROWS * C);
  t.forEach((c, i) => { oneHot[i * C + c] = 1; });
  const multi = Float32Array.from({length: ROWS * C}, () => (u() < 0.1 ? 1 : 0));
  return {x, t, oneHot, multi};
}

type LossFn = (l: tf.Tensor) => tf.Tensor;
interface Case {name: string; f: (d: Tensors) => LossFn}
interface Tensors {x: tf.Tensor2D; t: tf.Tensor1D; oneHot: tf.Tensor2D; multi: tf.Tensor2D}

const focal = {gamma: 2, alpha: 0.25};
const CASES: Case[] = [
  {name: 'softmax focal, dense one-hot', f: d => l => fce.softmaxFocalCrossEntropyWithLogits(d.oneHot, l, focal)},
  {name: 'softmax focal, sparse', f: d => l => fce.sparseSoftmaxFocalCrossEntropyWithLogits(d.t, l, focal)},
  {name: 'softmax focal, dense, smoothing 0.1', f: d => l => fce.softmaxFocalCrossEntropyWithLogits(d.oneHot, l, {...focal, labelSmoothing: 0.1})},
  {name: 'binary focal, mean over classes', f: d => l => fce.sigmoidFocalCrossEntropyWithLogits(d.multi, l, {gamma: 2, reduction: 'meanOverClasses'})},
  {name: 'binary focal, γ = 1.5, mean over classes', f: d => l => fce.sigmoidFocalCrossEntropyWithLogits(d.multi, l, {gamma: 1.5, reduction: 'meanOverClasses'})},
];

interface Provider {name: string; old: boolean; enter(): void}

const PROVIDERS: Record<string, Provider[]> = {
  cpu: [
    {name: 'SIMD', old: false, enter: () => tf.env().set(CPU_SIMD_FLAG, true)},
    {name: 'JavaScript', old: true, enter: () => tf.env().set(CPU_SIMD_FLAG, false)},
  ],
  wasm: [
    {name: 'SIMD', old: false, enter: () => fce.setForceComposite(false)},
    {name: 'composite', old: true, enter: () => fce.setForceComposite(true)},
  ],
};

/** One forward + backward, read back; returns [wall ms, process CPU ms]. */
function step(f: LossFn, x: tf.Tensor): [number, number] {
  const c0 = process.cpuUsage(), t0 = performance.now();
  const {value, grad} = tf.valueAndGrad((l: tf.Tensor) => tf.sum(f(l)) as tf.Scalar)(x);
  value.dataSync();
  grad.dataSync();
  const wall = performance.now() - t0, cpu = process.cpuUsage(c0);
  tf.dispose([value, grad]);
  return [wall, (cpu.user + cpu.system) / 1000];
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b), n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};

interface Row {backend: string; case: string; provider: string; medianMs: number; minMs: number; cpuMedianMs: number; reps: number}

async function main() {
  const d = data();
  const rows: Row[] = [];
  const load = [os.loadavg()[0]];
  for (const backend of ['cpu', 'wasm']) {
    await tf.setBackend(backend);
    await tf.ready();
    const T: Tensors = {x: tf.tensor2d(d.x, [ROWS, C]), t: tf.tensor1d(d.t, 'int32'),
                        oneHot: tf.tensor2d(d.oneHot, [ROWS, C]), multi: tf.tensor2d(d.multi, [ROWS, C])};
    for (const c of CASES) {
      const f = c.f(T);
      const providers = PROVIDERS[backend];
      const wall = providers.map(() => [] as number[]), cpu = providers.map(() => [] as number[]);
      for (let r = -WARMUP; r < REPS; r++) {
        providers.forEach((p, k) => {
          p.enter();
          const [w, u] = step(f, T.x);
          if (r >= 0) {
            wall[k].push(w);
            cpu[k].push(u);
          }
        });
      }
      providers.forEach((p, k) => rows.push({backend, case: c.name, provider: p.name, medianMs: median(wall[k]),
                                             minMs: Math.min(...wall[k]), cpuMedianMs: median(cpu[k]), reps: REPS}));
      tf.env().set(CPU_SIMD_FLAG, true);
      fce.setForceComposite(false);
      load.push(os.loadavg()[0]);
    }
    tf.dispose(Object.values(T));
  }
  const lines = [
    `Focal cross-entropy ${ROWS}×${C}, forward + backward (loss and d/dlogits read back), ${REPS} interleaved repetitions ` +
    `after ${WARMUP} warm-up; ${os.cpus().length}× ${os.cpus()[0]?.model.trim()}; 1-min load average ${Math.min(...load).toFixed(2)}–${Math.max(...load).toFixed(2)}; ${new Date().toISOString()}; ` +
    `glibc malloc: ${MALLOC} (as benchmarks/run.ts's workers)`,
    '',
    '| backend | case | provider | median ms | min ms | CPU ms (median) | old/new (median) | old/new (min) | old/new (CPU) |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const pair = rows.filter(o => o.backend === r.backend && o.case === r.case);
    const fresh = pair.find(o => !PROVIDERS[r.backend].find(p => p.name === o.provider)!.old)!;
    const isNew = r === fresh;
    const ratio = (a: number, b: number) => (isNew ? '' : `${(a / b).toFixed(1)}×`);
    lines.push(`| ${r.backend} | ${r.case} | ${r.provider} | ${r.medianMs.toFixed(2)} | ${r.minMs.toFixed(2)} | ${r.cpuMedianMs.toFixed(2)} | ` +
               `${ratio(r.medianMs, fresh.medianMs)} | ${ratio(r.minMs, fresh.minMs)} | ${ratio(r.cpuMedianMs, fresh.cpuMedianMs)} |`);
  }
  const text = lines.join('\n') + '\n';
  console.log(text);
  const dir = path.join(__dirname, 'results', 'wasm-simd');
  fs.mkdirSync(dir, {recursive: true});
  fs.writeFileSync(path.join(dir, 'focal-simd.md'), `# Focal kernels on the WebAssembly SIMD module\n\n` +
                   `\`npx tsx benchmarks/focal_simd.ts --rows ${ROWS} --classes ${C} --reps ${REPS}\`\n\n${text}`);
  fs.writeFileSync(path.join(dir, 'focal-simd.json'), JSON.stringify({rows: ROWS, classes: C, reps: REPS, warmup: WARMUP,
    cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model.trim(), loadAverage: load, date: new Date().toISOString(), malloc: MALLOC,
    results: rows}, null, 1) + '\n');
}

/** The allocator setting as `VAR=value` pairs, after starting this script again under it if it is unset. */
function underMallocEnv(): string {
  if (Object.keys(MALLOC_ENV).some(k => process.env[k] == null)) {
    const r = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)],
                        {stdio: 'inherit', env: withMallocEnv(process.env)});
    process.exit(r.status ?? 1);
  }
  return mallocSetting();
}

const MALLOC = underMallocEnv();

main().catch(e => {
  console.error(e);
  process.exit(1);
});

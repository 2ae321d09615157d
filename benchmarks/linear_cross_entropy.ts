/**
 * Benchmark of linearSoftmaxCrossEntropy (issue 7): forward + backward time
 * and peak memory of a final linear layer + sparse softmax cross-entropy over
 * a large vocabulary, three ways, on one tfjs backend:
 *  - chunked:   linearSoftmaxCrossEntropy(h, W, t) (default: automatic chunk size)
 *  - chunked-oop: the same with LINEAR_CE_IN_PLACE = false (out-of-place accumulation; not a default provider)
 *  - chunked-js: the same with FUSED_CE_CPU_SIMD = false (cpu: every kernel on its JavaScript path, the GEMM
 *    included, against the WebAssembly SIMD module of 'chunked'; not a default provider)
 *  - unfused:   mean(sparseSoftmaxCrossEntropyWithLogits(t, matMul(h, Wᵀ)))  (our fused CE, materialised logits)
 *  - tf.losses: tf.losses.softmaxCrossEntropy(oneHot(t, V), matMul(h, Wᵀ))   (what tfjs users have)
 * `--mode forward` measures the loss without gradients instead (evaluation,
 * inference: no tape), where two more providers apply:
 *  - fused-forward: the op as users call it: on cpu and webgpu one fused kernel
 *    (LinearSparseSoftmaxCrossEntropy: matmul + online softmax, a tile of
 *    logits at a time), elsewhere the chunk loop;
 *  - chunked: the op with LINEAR_CE_FUSED_FORWARD = false (its chunk loop).
 * Each timed run is tf.grads w.r.t. h and W, ending with a read-back of both
 * gradients (one element of a large one: the time covers the kernels, not a
 * [V, H] download). Statistics (median, p20, p80) and the kernel-boundary memory
 * sampler come from the shared harness (benchmarks/harness.ts); peak bytes
 * are also counted at every backend allocation (tools/linear_ce_memory.ts:
 * includes cpu kernel scratch and WebGPU buffers awaiting a submit), until the
 * gradients are computed (not the read-back's staging buffers). Both are
 * "extra": bytes live beyond what existed before the run (the inputs, placed
 * on the device first).
 *
 *   npx tsx benchmarks/linear_cross_entropy.ts --backend cpu --sizes 1024x64x32000 --reps 3
 *   npx tsx benchmarks/linear_cross_entropy.ts --sizes 4096x16x32000 --providers chunked,unfused --reps 1
 *   npx tsx benchmarks/linear_cross_entropy.ts --backend webgpu --sizes 4096x512x32000,8192x512x50257 --chunk 128,256,1024
 *
 * Sizes are NxHxV; `--chunk` takes one or more chunk sizes (one 'chunked' row
 * each; `auto` or default: the op's automatic size). On webgpu every run is inside a
 * WebGPU validation and out-of-memory error scope: a provider whose buffers
 * cannot be created or bound (an [N, V] buffer above the adapter's
 * maxBufferSize or maxStorageBufferBindingSize) or that throws becomes a
 * "failed: <reason>" row and the run goes on; the adapter and its limits are
 * recorded. Results: benchmarks/results/linear-ce/linear_cross_entropy.results-<backend>.json
 * (rows merged per device, size, provider, chunk and mode; each row carries its
 * run date, the run's flags and load, interleaving and read-back mode) and a
 * markdown table on stdout. `npm run bench:regenerate` empties that folder and
 * refills it (benchmarks/regenerate.ts, step linear-ce); its RESULTS.md and the
 * README's linear-CE table are rendered from the JSON (benchmarks/linear_ce_report.ts).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import {readBack, summarize} from './harness';
import {LinearCeMode as Mode, LinearCeProvider as ProviderId, LinearCeRow as Row, table} from './linear_ce_report';
import {trackPeakMemory} from '../tools/peak_memory';
import {placeOnDevice, trackBackendBytes} from '../tools/linear_ce_memory';

interface Args {
  backend: string;
  sizes: Array<{N: number, H: number, V: number}>;
  providers: ProviderId[];
  mode: Mode;
  reps: number;
  /** Chunk sizes of the 'chunked' provider, 0 = the op's automatic choice; empty = [0]. */
  chunkSizes: number[];
  out: string;
}

function parseArgs(argv: string[], outDir: string): Args {
  const get = (name: string, dflt?: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : dflt;
  };
  const backend = get('backend', 'cpu')!;
  return {
    backend,
    sizes: get('sizes', '1024x64x32000')!.split(',').map(s => {
      const [N, H, V] = s.split('x').map(Number);
      if (![N, H, V].every(Number.isInteger)) throw new Error(`size "${s}" is not NxHxV`);
      return {N, H, V};
    }),
    providers: get('providers', get('mode') === 'forward' ? 'fused-forward,chunked,unfused,tf.losses' : 'chunked,unfused,tf.losses')!
        .split(',') as ProviderId[],
    mode: (() => {
      const m = get('mode', 'forward+backward');
      if (m !== 'forward' && m !== 'forward+backward') throw new Error(`--mode "${m}" is not forward or forward+backward`);
      return m;
    })(),
    reps: Number(get('reps', '3')),
    chunkSizes: get('chunk') == null ? [] : get('chunk')!.split(',').map(c => {
      if (c === 'auto') return 0;
      const n = Number(c);
      if (!Number.isInteger(n) || n <= 0) throw new Error(`--chunk "${c}" is not a positive integer`);
      return n;
    }),
    out: get('out', path.join(outDir, `linear_cross_entropy.results-${backend}.json`))!,
  };
}

interface Lib {
  linearSoftmaxCrossEntropy: typeof import('../src/index').linearSoftmaxCrossEntropy;
  sparseSoftmaxCrossEntropyWithLogits: typeof import('../src/index').sparseSoftmaxCrossEntropyWithLogits;
  autoChunkSize: typeof import('../src/index').autoChunkSize;
}

/** `f()` with the boolean tfjs flag `flag` false, restored after. */
function withFlagOff<T>(flag: string, f: () => T): T {
  const before = tf.env().getBool(flag);
  tf.env().set(flag, false);
  try {
    return f();
  } finally {
    tf.env().set(flag, before);
  }
}

function lossFn(p: ProviderId, lib: Lib, labels: tf.Tensor1D, V: number, chunkSize?: number) {
  return (h: tf.Tensor, w: tf.Tensor): tf.Tensor => {
    switch (p) {
      case 'chunked':
        // The chunk loop also where the loss alone could come from the fused forward kernel (--mode forward).
        return withFlagOff('LINEAR_CE_FUSED_FORWARD', () => lib.linearSoftmaxCrossEntropy(h, w, labels, {chunkSize}));
      case 'fused-forward':
        return lib.linearSoftmaxCrossEntropy(h, w, labels);
      case 'chunked-js':
        return withFlagOff('FUSED_CE_CPU_SIMD', () =>
          withFlagOff('LINEAR_CE_FUSED_FORWARD', () => lib.linearSoftmaxCrossEntropy(h, w, labels, {chunkSize})));
      case 'chunked-oop':
        // The same op with the in-place accumulation switched off (tfjs ops: old and new dW coexist).
        return withFlagOff('LINEAR_CE_IN_PLACE', () => lib.linearSoftmaxCrossEntropy(h, w, labels, {chunkSize}));
      case 'unfused':
        return tf.mean(lib.sparseSoftmaxCrossEntropyWithLogits(labels, tf.matMul(h as tf.Tensor2D, w as tf.Tensor2D, false, true)));
      case 'tf.losses':
        return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, V), tf.matMul(h as tf.Tensor2D, w as tf.Tensor2D, false, true));
    }
  };
}

/** The webgpu device's error scopes, or null on other backends. */
interface ErrorScopes {
  device: GPUDevice;
  flush(): void;
}

function errorScopes(): ErrorScopes | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const b = tf.backend() as unknown as {device: GPUDevice, commandEncoder: unknown, endComputePassEncoder(): void, submitQueue(): void};
  return {
    device: b.device,
    flush: () => {
      if (b.commandEncoder != null) {
        b.endComputePassEncoder();
        b.submitQueue();
      }
    },
  };
}

/**
 * Runs `f` inside WebGPU 'validation' and 'out-of-memory' error scopes (webgpu
 * only): a GPU error (a buffer above the adapter's limits, an allocation that
 * fails) surfaces as a thrown Error instead of silently wrong numbers.
 */
async function guarded<T>(f: () => Promise<T>): Promise<T> {
  const scopes = errorScopes();
  if (scopes == null) return f();
  scopes.device.pushErrorScope('out-of-memory');
  scopes.device.pushErrorScope('validation');
  let result: T | undefined, thrown: unknown = null;
  try {
    result = await f();
  } catch (e) {
    thrown = e;
  }
  scopes.flush();
  const validation = await scopes.device.popErrorScope();
  const oom = await scopes.device.popErrorScope();
  const gpuError = validation ?? oom;
  if (gpuError != null) {
    throw new Error(`WebGPU ${validation != null ? 'validation' : 'out-of-memory'} error: ${gpuError.message.split('\n')[0]}`);
  }
  if (thrown != null) throw thrown;
  return result as T;
}

/**
 * One forward + backward; resolves when both gradients are read back.
 * `computed` runs when every kernel is recorded, before the read-back (whose
 * staging buffers belong to the measurement, not to the computation).
 */
async function step(f: (h: tf.Tensor, w: tf.Tensor) => tf.Tensor, h: tf.Tensor, w: tf.Tensor, mode: Mode,
                    computed?: () => void): Promise<number> {
  return guarded(async () => {
    const t0 = performance.now();
    let grads: tf.Tensor[] = [];
    try {
      grads = mode === 'forward' ? [tf.tidy(() => f(h, w))] : tf.grads(f)([h, w]);
      computed?.();
      // Completion, not download: a large gradient is read as one element (harness.ts: on a real GPU
      // downloading a [V, H] gradient took longer than the kernels).
      await Promise.all(grads.map(g => readBack(g)));
      return performance.now() - t0;
    } finally {
      tf.dispose(grads);
    }
  });
}

/**
 * The first (cold) run, timed, with both peak-memory counters on: bytes at
 * every backend allocation (tools/linear_ce_memory.ts) and the harness's
 * sampler. One run serves both, so a size that takes minutes per run (cpu at
 * the target) needs only `--reps 0`. The inputs are on the device
 * before it starts (placeOnDevice), so their upload is not counted.
 */
async function firstRun(f: (h: tf.Tensor, w: tf.Tensor) => tf.Tensor, h: tf.Tensor, w: tf.Tensor, row: Row, mode: Mode): Promise<void> {
  const tracker = trackBackendBytes();
  const before = tracker?.current() ?? 0;
  tracker?.resetPeak();
  try {
    const mem = await trackPeakMemory(async sample => {
      row.firstMs = await step(f, h, w, mode, () => {
        sample();
        if (tracker != null) row.peakBackendExtraBytes = tracker.peak() - before;
      });
    });
    row.peakExtraBytes = mem.peakExtraBytes;
  } finally {
    tracker?.stop();
  }
}

/**
 * webgpu: destroys tfjs's pooled free buffers. After a failed run the pool can
 * hold buffers that failed validation (too large), which tfjs would hand to the
 * next run of that size ("invalid due to a previous error").
 */
function dropPooledBuffers(): void {
  if (tf.getBackend() !== 'webgpu') return;
  const bm = (tf.backend() as unknown as {bufferManager: {freeBuffers: Map<string, GPUBuffer[]>, numFreeBuffers: number,
                                                           numBytesAllocated: number}}).bufferManager;
  bm.freeBuffers.forEach(list => {
    list.forEach(b => {
      bm.numBytesAllocated -= b.size;
      b.destroy();
    });
    list.length = 0;
  });
  bm.numFreeBuffers = 0;
}

/** The device: the adapter and the limits that decide whether an [N, V] buffer can exist (webgpu), or the host cpu. */
interface DeviceInfo {
  name: string;
  maxStorageBufferBindingSize?: number;
  maxBufferSize?: number;
}

function deviceInfo(adapter?: {vendor?: string, architecture?: string, device?: string, description?: string}): DeviceInfo {
  const scopes = errorScopes();
  if (scopes == null) {
    return {name: `${tf.getBackend()} (${os.cpus()[0]?.model ?? 'unknown cpu'})`};
  }
  const a = adapter ?? {};
  const name = [a.vendor, a.architecture, a.device, a.description].filter(x => x != null && x !== '').join(' / ') || 'unknown adapter';
  return {
    name: `webgpu (${name})`,
    maxStorageBufferBindingSize: scopes.device.limits.maxStorageBufferBindingSize,
    maxBufferSize: scopes.device.limits.maxBufferSize,
  };
}

/**
 * Runs the benchmark with command-line arguments `argv`; results go to `--out`
 * or `outDir`/linear_cross_entropy.results-<backend>.json. Also the entry of
 * the real-GPU bundle (benchmarks/gpu_bundle/linear_ce_entry.ts).
 */
export async function runBenchmark(argv: string[], outDir: string): Promise<void> {
  const args = parseArgs(argv, outDir);
  const loadStart = os.loadavg()[0];
  const runDate = new Date().toISOString();
  if (args.mode !== 'forward' && args.providers.includes('fused-forward')) {
    throw new Error('provider fused-forward measures the loss without gradients: pass --mode forward');
  }
  let adapter: {vendor?: string, architecture?: string, device?: string, description?: string} | undefined;
  if (args.backend === 'webgpu') {
    // Without a chosen Vulkan driver, SwiftShader from Debian's chromium where it exists (no GPU here).
    if (process.env.VK_ICD_FILENAMES == null && fs.existsSync('/usr/lib/chromium/vk_swiftshader_icd.json')) {
      process.env.VK_ICD_FILENAMES = '/usr/lib/chromium/vk_swiftshader_icd.json';
    }
    process.env.XDG_RUNTIME_DIR = process.env.XDG_RUNTIME_DIR ?? '/tmp';
    const {ensureNodeWebGPU} = await import('../kernels/webgpu/node_webgpu');
    await import('@tensorflow/tfjs-backend-webgpu');
    adapter = await ensureNodeWebGPU();
    (await import('../kernels/webgpu/register_webgpu')).registerWebGPUKernels();
  } else {
    await tf.setBackend(args.backend);
  }
  await tf.ready();
  const lib: Lib = await import('../src/index');
  const device = deviceInfo(adapter);
  console.error(`device: ${device.name}` + (device.maxStorageBufferBindingSize == null ? '' :
      `, maxStorageBufferBindingSize ${device.maxStorageBufferBindingSize} B, maxBufferSize ${device.maxBufferSize} B`));
  const rows: Row[] = [];
  for (const {N, H, V} of args.sizes) {
    const h = tf.randomNormal([N, H], 0, 1, 'float32', 1);
    const w = tf.randomNormal([V, H], 0, 1 / Math.sqrt(H), 'float32', 2);
    const labels = tf.randomUniform([N], 0, V, 'int32', 3) as tf.Tensor1D;
    await Promise.all([h.data(), w.data(), labels.data()]);
    placeOnDevice([h, w, labels]);
    // Providers take turns within every repetition, so load drift on a shared machine hits all alike.
    const cells = args.providers.flatMap(provider => {
      const chunks: Array<number | null> = !provider.startsWith('chunked') ? [null] :
          [...new Set((args.chunkSizes.length > 0 ? args.chunkSizes : [0]).map(c => c === 0 ? lib.autoChunkSize(N, V) : c))];
      return chunks.map(chunkSize => {
        const row: Row = {backend: tf.getBackend(), device: device.name, N, H, V, provider, chunkSize, mode: args.mode, status: 'ok',
          ...(chunkSize != null ? {autoChunk: chunkSize === lib.autoChunkSize(N, V)} : {}),
          runDate, interleaved: true, readBack: 'one element of each result', args: argv.join(' ')};
        return {row, f: lossFn(provider, lib, labels, V, chunkSize ?? undefined), times: [] as number[]};
      });
    });
    const attempt = async (c: typeof cells[number], what: () => Promise<void>) => {
      if (c.row.status !== 'ok') return;
      try {
        await what();
      } catch (e) {
        c.row.status = 'error';
        c.row.error = ((e as Error).message ?? String(e)).split('\n')[0].slice(0, 300);
        // What a failed run counted is not a peak of anything that ran.
        delete c.row.peakBackendExtraBytes;
        delete c.row.peakExtraBytes;
        dropPooledBuffers();
        console.error(`${c.row.provider} ${N}x${H}x${V}: failed: ${c.row.error}`);
      }
    };
    const tensorsBefore = tf.memory().numTensors;
    for (const c of cells) await attempt(c, () => firstRun(c.f, h, w, c.row, args.mode));
    for (let r = 0; r < args.reps; r++) {
      for (const c of cells) await attempt(c, async () => { c.times.push(await step(c.f, h, w, args.mode)); });
    }
    for (const c of cells) {
      await attempt(c, async () => {
        // --reps 0: the cold run is the only time there is.
        Object.assign(c.row, summarize(c.times.length > 0 ? c.times : [c.row.firstMs!]), {reps: c.times.length});
        c.row.leakedTensors = tf.memory().numTensors - tensorsBefore;
      });
      rows.push(c.row);
      console.error(JSON.stringify(c.row));
    }
    tf.dispose([h, w, labels]);
  }
  for (const r of rows) r.loadAverage = [round1(loadStart), round1(os.loadavg()[0])];
  const previous: Row[] = fs.existsSync(args.out) ? JSON.parse(fs.readFileSync(args.out, 'utf8')).rows : [];
  const key = (r: Row) => `${r.backend} ${r.device ?? ''} ${r.N}x${r.H}x${r.V} ${r.provider} ${r.chunkSize} ${r.mode ?? 'forward+backward'}`;
  const merged = [...previous.filter(p => !rows.some(r => key(r) === key(p))), ...rows];
  const previousDevices: DeviceInfo[] = fs.existsSync(args.out) ? (JSON.parse(fs.readFileSync(args.out, 'utf8')).devices ?? []) : [];
  fs.mkdirSync(path.dirname(args.out), {recursive: true});
  fs.writeFileSync(args.out, JSON.stringify({
    schema: 2, bench: 'linear_cross_entropy',
    note: 'mean reduction; mode forward+backward (rows without a mode): tf.grads w.r.t. hidden and weight; mode forward: the loss without a tape',
    host: {cpus: os.cpus().length, cpu: os.cpus()[0]?.model.trim(), node: process.version},
    devices: [...previousDevices.filter(d => d.name !== device.name), device], rows: merged,
  }, null, 1));
  console.log(table(merged));
}

const round1 = (x: number) => Math.round(x * 10) / 10;

if (typeof module !== 'undefined' && require.main === module) {
  runBenchmark(process.argv.slice(2), path.join(__dirname, 'results', 'linear-ce')).then(() => process.exit(0), e => {
    console.error(e instanceof Error ? e.stack : e);
    process.exit(1);
  });
}

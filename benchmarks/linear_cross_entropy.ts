/**
 * Benchmark of linearSoftmaxCrossEntropy (issue 7): forward + backward time
 * and peak memory of a final linear layer + sparse softmax cross-entropy over
 * a large vocabulary, three ways, on one tfjs backend:
 *  - chunked:   linearSoftmaxCrossEntropy(h, W, t) (default: automatic chunk size)
 *  - unfused:   mean(sparseSoftmaxCrossEntropyWithLogits(t, matMul(h, Wᵀ)))  (our fused CE, materialised logits)
 *  - tf.losses: tf.losses.softmaxCrossEntropy(oneHot(t, V), matMul(h, Wᵀ))   (what tfjs users have)
 * Each timed run is tf.grads w.r.t. h and W, ending with a read-back of both
 * gradients. Statistics (median, p20, p80) and the kernel-boundary memory
 * sampler come from the shared harness (benchmarks/harness.ts); peak bytes
 * are also counted at every backend allocation (linear_cross_entropy.memory.ts:
 * includes cpu kernel scratch and WebGPU buffers awaiting a submit). Both are
 * "extra": bytes live beyond what existed before the run (inputs).
 *
 *   npx tsx benchmarks/linear_cross_entropy.ts --backend cpu --sizes 1024x64x32000 --reps 3
 *   npx tsx benchmarks/linear_cross_entropy.ts --sizes 4096x16x32000 --providers chunked,unfused --reps 1
 *
 * Sizes are NxHxV. Results: benchmarks/linear_cross_entropy.results-<backend>.json
 * (appended per size) and a markdown table on stdout.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import {summarize, trackPeakMemory} from './harness';
import {extraPeakBytes} from './linear_cross_entropy.memory';

type ProviderId = 'chunked' | 'unfused' | 'tf.losses';

interface Args {
  backend: string;
  sizes: Array<{N: number, H: number, V: number}>;
  providers: ProviderId[];
  reps: number;
  chunkSize?: number;
  out: string;
}

function parseArgs(argv: string[]): Args {
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
    providers: get('providers', 'chunked,unfused,tf.losses')!.split(',') as ProviderId[],
    reps: Number(get('reps', '3')),
    chunkSize: get('chunk') == null ? undefined : Number(get('chunk')),
    out: get('out', path.join(__dirname, `linear_cross_entropy.results-${backend}.json`))!,
  };
}

interface Lib {
  linearSoftmaxCrossEntropy: typeof import('../src/index').linearSoftmaxCrossEntropy;
  sparseSoftmaxCrossEntropyWithLogits: typeof import('../src/index').sparseSoftmaxCrossEntropyWithLogits;
  autoChunkSize: typeof import('../src/index').autoChunkSize;
}

function lossFn(p: ProviderId, lib: Lib, labels: tf.Tensor1D, V: number, chunkSize?: number) {
  return (h: tf.Tensor, w: tf.Tensor): tf.Tensor => {
    switch (p) {
      case 'chunked':
        return lib.linearSoftmaxCrossEntropy(h, w, labels, {chunkSize});
      case 'unfused':
        return tf.mean(lib.sparseSoftmaxCrossEntropyWithLogits(labels, tf.matMul(h as tf.Tensor2D, w as tf.Tensor2D, false, true)));
      case 'tf.losses':
        return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, V), tf.matMul(h as tf.Tensor2D, w as tf.Tensor2D, false, true));
    }
  };
}

/** One forward + backward; resolves when both gradients are read back. */
async function step(f: (h: tf.Tensor, w: tf.Tensor) => tf.Tensor, h: tf.Tensor, w: tf.Tensor): Promise<number> {
  const t0 = performance.now();
  const grads = tf.grads(f)([h, w]);
  await Promise.all(grads.map(g => g.data()));
  const ms = performance.now() - t0;
  tf.dispose(grads);
  return ms;
}

interface Row {
  backend: string; N: number; H: number; V: number; provider: ProviderId; chunkSize: number | null;
  status: 'ok' | 'error'; error?: string;
  firstMs?: number; medianMs?: number; p20Ms?: number; p80Ms?: number; reps?: number;
  /** Peak bytes counted at every backend allocation (linear_cross_entropy.memory.ts). */
  peakBackendExtraBytes?: number;
  /** The harness's sampler (unique tensor buffers, at kernel boundaries). */
  peakExtraBytes?: number;
  leakedTensors?: number;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.backend === 'webgpu') {
    await import('../test/kernels/webgpu/node_webgpu_env');
    const {ensureNodeWebGPU} = await import('../src/node/webgpu');
    await import('@tensorflow/tfjs-backend-webgpu');
    await ensureNodeWebGPU();
    (await import('../kernels/webgpu/register_webgpu')).registerWebGPUKernels();
  } else {
    await tf.setBackend(args.backend);
  }
  await tf.ready();
  const lib: Lib = await import('../src/index');
  const rows: Row[] = [];
  for (const {N, H, V} of args.sizes) {
    const h = tf.randomNormal([N, H], 0, 1, 'float32', 1);
    const w = tf.randomNormal([V, H], 0, 1 / Math.sqrt(H), 'float32', 2);
    const labels = tf.randomUniform([N], 0, V, 'int32', 3) as tf.Tensor1D;
    await Promise.all([h.data(), w.data(), labels.data()]);
    // Providers take turns within every repetition, so load drift on a shared machine hits all alike.
    const cells = args.providers.map(provider => {
      const chunkSize = provider === 'chunked' ? (args.chunkSize ?? lib.autoChunkSize(N, V)) : null;
      const row: Row = {backend: tf.getBackend(), N, H, V, provider, chunkSize, status: 'ok'};
      return {row, f: lossFn(provider, lib, labels, V, chunkSize ?? undefined), times: [] as number[]};
    });
    const attempt = async (c: typeof cells[number], what: () => Promise<void>) => {
      if (c.row.status !== 'ok') return;
      try {
        await what();
      } catch (e) {
        c.row.status = 'error';
        c.row.error = (e as Error).message.slice(0, 300);
      }
    };
    const tensorsBefore = tf.memory().numTensors;
    for (const c of cells) await attempt(c, async () => { c.row.firstMs = await step(c.f, h, w); });
    for (let r = 0; r < args.reps; r++) {
      for (const c of cells) await attempt(c, async () => { c.times.push(await step(c.f, h, w)); });
    }
    for (const c of cells) {
      await attempt(c, async () => {
        Object.assign(c.row, summarize(c.times), {reps: c.times.length});
        c.row.leakedTensors = tf.memory().numTensors - tensorsBefore;
        c.row.peakBackendExtraBytes = await extraPeakBytes(() => tf.grads(c.f)([h, w]));
        const mem = await trackPeakMemory(async sample => {
          const grads = tf.grads(c.f)([h, w]);
          await Promise.all(grads.map(g => g.data()));
          sample();
          tf.dispose(grads);
        });
        c.row.peakExtraBytes = mem.peakExtraBytes;
      });
      rows.push(c.row);
      console.error(JSON.stringify(c.row));
    }
    tf.dispose([h, w, labels]);
  }
  const previous: Row[] = fs.existsSync(args.out) ? JSON.parse(fs.readFileSync(args.out, 'utf8')).rows : [];
  const key = (r: Row) => `${r.backend} ${r.N}x${r.H}x${r.V} ${r.provider} ${r.chunkSize}`;
  const merged = [...previous.filter(p => !rows.some(r => key(r) === key(p))), ...rows];
  fs.mkdirSync(path.dirname(args.out), {recursive: true});
  fs.writeFileSync(args.out, JSON.stringify({
    schema: 1, bench: 'linear_cross_entropy', note: 'forward + backward (tf.grads w.r.t. hidden and weight), mean reduction',
    host: {cpus: require('os').cpus().length, node: process.version}, rows: merged,
  }, null, 1));
  console.log(table(merged));
}

/** Markdown table; ratios against the unfused path of the same size. */
export function table(rows: Row[]): string {
  const mb = (b?: number) => b == null ? '–' : (b / 2 ** 20).toFixed(1);
  const lines = ['| backend | N×H×V | provider | chunk | median ms (p20–p80) | peak extra MiB (alloc / harness) | time vs unfused | peak vs unfused |',
                 '|---|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    const base = rows.find(b => b.backend === r.backend && b.N === r.N && b.H === r.H && b.V === r.V && b.provider === 'unfused');
    const ratio = (a?: number, b?: number) => a == null || b == null ? '–' : (a / b).toFixed(2) + '×';
    lines.push(`| ${r.backend} | ${r.N}×${r.H}×${r.V} | ${r.provider} | ${r.chunkSize ?? '–'} | ` +
        (r.status === 'ok' ? `${r.medianMs!.toFixed(0)} (${r.p20Ms!.toFixed(0)}–${r.p80Ms!.toFixed(0)})` : `error: ${r.error}`) +
        ` | ${mb(r.peakBackendExtraBytes)} / ${mb(r.peakExtraBytes)} | ${ratio(r.medianMs, base?.medianMs)} | ` +
        `${ratio(r.peakBackendExtraBytes, base?.peakBackendExtraBytes)} |`);
  }
  return lines.join('\n');
}

if (require.main === module) {
  main().then(() => process.exit(0), e => {
    console.error(e instanceof Error ? e.stack : e);
    process.exit(1);
  });
}

/**
 * ONNX Runtime (onnxruntime-node, CPU, one thread) as a forward-only peer of
 * our sparse softmax cross-entropy forward on `cpu` and `wasm`, measured side
 * by side in one process: each round runs every provider once, the first one
 * rotating. ORT has no cross-entropy gradient, hence forward only. Two ORT
 * graphs (onnx_models.ts): the LogSoftmax chain and the SoftmaxCrossEntropyLoss
 * node. Each call ends with its loss in JS (ours: `await loss.data()`).
 * Per provider: wall time (min, p20, median) and the process's CPU time per
 * call (process.cpuUsage: every thread of the process, ORT's included), so a
 * busy machine shows as wall time above CPU time.
 *
 *   npm run bench:ort:install        # once: npm install --ignore-scripts in benchmarks/ort
 *   npx tsx benchmarks/ort/ort_peer.ts [--shapes 1024x1000,4096x1000] [--rounds 20] [--out FILE]
 *
 * Writes JSON (default benchmarks/results/wasm-simd/ort-peer.json) and prints a table.
 */
import * as fs from 'node:fs';
import {createRequire} from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {sparseSoftmaxCrossEntropyWithLogits} from '../../src/index';
import {rng} from '../../tools/random';
import {logSoftmaxChain, sceNode} from './onnx_models';

interface OrtTensor {data: Float32Array}
interface OrtSession {run(feeds: Record<string, unknown>): Promise<Record<string, OrtTensor>>}
interface Ort {
  Tensor: new (type: string, data: Float32Array | BigInt64Array, dims: number[]) => unknown;
  InferenceSession: {create(model: Uint8Array, opts: object): Promise<OrtSession>};
  env: {versions?: Record<string, string>};
}

function loadOrt(): Ort {
  const here = path.dirname(__filename);
  try {
    return createRequire(path.join(here, 'package.json'))('onnxruntime-node') as Ort;
  } catch (e) {
    throw new Error(`onnxruntime-node is not installed in benchmarks/ort: run \`npm run bench:ort:install\` (${(e as Error).message})`);
  }
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

interface Provider {
  id: string;
  what: string;
  run(): Promise<number>;  // returns loss[0] (so nothing is optimised away)
  dispose(): void;
}

async function providers(ort: Ort, N: number, C: number): Promise<Provider[]> {
  const r = rng(N * 31 + C);
  const x = new Float32Array(N * C).map(() => 3 * (r() + r() + r() - 1.5));
  const t = Int32Array.from({length: N}, () => Math.floor(r() * C));
  const t64 = BigInt64Array.from(t, v => BigInt(v));
  const single = {intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all'};
  const chain = await ort.InferenceSession.create(logSoftmaxChain(N, C), single);
  const node = await ort.InferenceSession.create(sceNode(N, C), single);
  const logits = new ort.Tensor('float32', x, [N, C]);
  const labelsCol = new ort.Tensor('int64', t64, [N, 1]), labelsRow = new ort.Tensor('int64', t64, [N]);
  const ours = async (backend: string): Promise<Provider> => {
    await tf.setBackend(backend);
    const X = tf.tensor2d(x, [N, C]), T = tf.tensor1d(t, 'int32');
    return {
      id: `ours-${backend}`,
      what: `sparseSoftmaxCrossEntropyWithLogits on ${backend} (forward, loss read back)`,
      async run() {
        if (tf.getBackend() !== backend) await tf.setBackend(backend);
        const loss = sparseSoftmaxCrossEntropyWithLogits(T, X);
        const v = await loss.data();
        loss.dispose();
        return v[0];
      },
      dispose: () => tf.dispose([X, T]),
    };
  };
  return [
    {id: 'ort-logsoftmax-chain', what: 'ORT LogSoftmax → GatherElements → Neg, 1 thread',
     run: async () => (await chain.run({logits, labels: labelsCol})).loss.data[0], dispose: () => {}},
    {id: 'ort-sce-node', what: 'ORT SoftmaxCrossEntropyLoss (reduction none), 1 thread',
     run: async () => (await node.run({logits, labels: labelsRow})).loss.data[0], dispose: () => {}},
    await ours('cpu'),
    await ours('wasm'),
  ];
}

function quantile(sorted: number[], q: number): number {
  const i = (sorted.length - 1) * q, lo = Math.floor(i), hi = Math.ceil(i);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (i - lo);
}

async function main(): Promise<void> {
  const ort = loadOrt();
  const shapes = arg('--shapes', '1024x1000').split(',').map(s => s.split('x').map(Number) as [number, number]);
  const rounds = Number(arg('--rounds', '20'));
  const out = arg('--out', path.join('benchmarks', 'results', 'wasm-simd', 'ort-peer.json'));
  const results: object[] = [];
  for (const [N, C] of shapes) {
    const ps = await providers(ort, N, C);
    const times = new Map<string, number[]>(ps.map(p => [p.id, []]));
    const cpuTimes = new Map<string, number[]>(ps.map(p => [p.id, []]));
    const firstLoss = new Map<string, number>();
    for (const p of ps) {
      for (let w = 0; w < 3; w++) firstLoss.set(p.id, await p.run());  // warm-up (wasm tier-up, ORT arenas)
    }
    for (let k = 0; k < rounds; k++) {
      for (let j = 0; j < ps.length; j++) {
        const p = ps[(j + k) % ps.length];
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        await p.run();
        times.get(p.id)!.push(performance.now() - t0);
        const c = process.cpuUsage(c0);
        cpuTimes.get(p.id)!.push((c.user + c.system) / 1000);
      }
    }
    const ref = firstLoss.get('ort-logsoftmax-chain')!;
    for (const p of ps) {
      const ts = times.get(p.id)!.slice().sort((a, b) => a - b);
      const cs = cpuTimes.get(p.id)!.slice().sort((a, b) => a - b);
      results.push({shape: {rows: N, classes: C}, provider: p.id, what: p.what, minMs: ts[0], p20Ms: quantile(ts, 0.2),
                    medianMs: quantile(ts, 0.5), cpuMinMs: cs[0], cpuMedianMs: quantile(cs, 0.5),
                    timesMs: times.get(p.id)!.map(v => +v.toFixed(3)), cpuTimesMs: cpuTimes.get(p.id)!.map(v => +v.toFixed(3)),
                    loss0: firstLoss.get(p.id), loss0VsOrtChain: Math.abs(firstLoss.get(p.id)! - ref) / Math.abs(ref)});
      p.dispose();
    }
  }
  const report = {
    date: new Date().toISOString(), rounds, host: {cpus: os.cpus().length, model: os.cpus()[0]?.model, loadavg: os.loadavg()},
    versions: {node: process.version, tfjs: tf.version.tfjs, onnxruntime: (ort.env.versions ?? {})},
    results,
  };
  fs.mkdirSync(path.dirname(out), {recursive: true});
  fs.writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  console.log(`| shape | provider | min ms | p20 ms | median ms | CPU median ms |\n|---|---|---|---|---|---|`);
  for (const r of results as Array<{shape: {rows: number, classes: number}, provider: string, minMs: number, p20Ms: number, medianMs: number,
                                    cpuMedianMs: number}>) {
    console.log(`| ${r.shape.rows}×${r.shape.classes} | ${r.provider} | ${r.minMs.toFixed(2)} | ${r.p20Ms.toFixed(2)} | ${r.medianMs.toFixed(2)} | ` +
                `${r.cpuMedianMs.toFixed(2)} |`);
  }
  console.log(`load average ${os.loadavg().map(v => v.toFixed(2)).join(' ')}; written ${out}`);
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});

/**
 * Focal kernels on the local WebGPU adapter (SwiftShader here; the real-GPU
 * bundle runs it too: `BUNDLE_ENTRY=measure_focal.mjs ./run.sh`). Not a test:
 *
 *   npx tsx benchmarks/webgpu/measure_focal.ts [--reps N] [--shapes RxC,...] [--part backward|ops|both]
 *
 * Part `backward`: the softmax focal d/dlogits kernel as one row program per
 * call (lse pass, row sums, dx sweep in one dispatch) vs split (a row program
 * writing per-row stats, then an elementwise dx pass), switched by
 * FUSED_CE_WEBGPU_FOCAL_SPLIT_MIN_C / _MAX_ROWS. Part `ops`: the public focal ops, fused
 * kernels vs the composite path (FUSED_CE_FORCE_COMPOSITE), forward and
 * forward+backward (tf.grad with a ones upstream gradient made once).
 *
 * Variants take turns call by call (shared-load noise hits all). Per call:
 * GPU time from timestamp queries (tf.time's kernelMs, when the device has
 * `timestamp-query`) and wall time until one element of the result is read
 * back (reading a whole [rows, C] gradient would time the download). Medians.
 */
import '../../tools/webgpu/node_webgpu_env';
import {ensureNodeWebGPU} from '../../kernels/webgpu/node_webgpu';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import {
  setForceComposite, sigmoidFocalCrossEntropyWithLogits, softmaxFocalCrossEntropyWithLogits,
  sparseSoftmaxFocalCrossEntropyWithLogits,
} from '../../src/index';
import {FocalCrossEntropy, FocalCrossEntropyGrad, SparseFocalCrossEntropy, SparseFocalCrossEntropyGrad} from '../../kernels/kernel_names';
import {FOCAL_SPLIT_MAX_ROWS_DEFAULT, FOCAL_SPLIT_MAX_ROWS_FLAG, FOCAL_SPLIT_MIN_C_DEFAULT, FOCAL_SPLIT_MIN_C_FLAG} from '../../kernels/webgpu/flags_webgpu';
import {registerWebGPUKernels} from '../../kernels/webgpu/register_webgpu';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

/** One timed call: kernel ms (NaN without timestamp queries) and wall ms to one element read back. */
async function timeCall(f: () => tf.Tensor): Promise<[number, number]> {
  let out: tf.Tensor | null = null;
  const t0 = performance.now();
  const info = await tf.time(() => {
    out = f();
  });
  const res = out as unknown as tf.Tensor;
  const one = tf.tidy(() => tf.slice(tf.reshape(res, [-1]), [res.size - 1], [1]));
  await one.data();
  const wall = performance.now() - t0;
  tf.dispose([res, one]);
  const k = (info as unknown as {kernelMs: number | {error: string}}).kernelMs;
  return [typeof k === 'number' ? k : NaN, wall];
}

/** Runs the variants in turn, `reps` timed rounds after one untimed; returns [kernel, wall] medians per variant. */
async function race(reps: number, variants: Array<() => tf.Tensor>): Promise<Array<[number, number]>> {
  const times = variants.map(() => [[] as number[], [] as number[]]);
  for (let i = 0; i <= reps; i++) {
    for (let v = 0; v < variants.length; v++) {
      const [k, w] = await timeCall(variants[v]);
      if (i > 0) {
        times[v][0].push(k);
        times[v][1].push(w);
      }
    }
  }
  return times.map(([k, w]) => [median(k), median(w)]);
}

const fmt = (v: number) => (Number.isNaN(v) ? '–' : v < 10 ? v.toFixed(3) : v.toFixed(1));

async function backwardPart(reps: number, shapes: number[][]): Promise<void> {
  console.log('\n### d/dlogits: one dispatch vs split (row stats + elementwise)\n');
  console.log('| labels | rows × C | one: GPU ms | split: GPU ms | one: wall ms | split: wall ms | split / one (GPU) |');
  console.log('|---|---|---|---|---|---|---|');
  const attrs = {temperature: 1, labelSmoothing: 0, gamma: 2, alpha: [0.25], classWeights: null, ignoreIndex: null};
  for (const [rows, C] of shapes) {
    const logits = tf.randomNormal([rows, C], 0, 2, 'float32', 1);
    const ids = tf.randomUniform([rows], 0, C, 'int32', 2);
    const labels = tf.cast(tf.oneHot(ids, C), 'float32');
    const dy = tf.ones([rows]);
    for (const [name, fwd, grad, lab, a] of [
      ['dense', FocalCrossEntropy, FocalCrossEntropyGrad, labels, attrs],
      ['sparse, ε = 0.1', SparseFocalCrossEntropy, SparseFocalCrossEntropyGrad, ids, {...attrs, labelSmoothing: 0.1}],
    ] as const) {
      const [loss, lse] = tf.engine().runKernel(fwd, {logits, labels: lab}, a as unknown as tf.NamedAttrMap) as tf.Tensor[];
      const call = (split: boolean) => () => {
        tf.env().set(FOCAL_SPLIT_MIN_C_FLAG, split ? 0 : Infinity);
        tf.env().set(FOCAL_SPLIT_MAX_ROWS_FLAG, Infinity);
        return tf.engine().runKernel(grad, {logits, labels: lab, lse, dy}, {...a, wrt: 'logits'} as unknown as tf.NamedAttrMap) as tf.Tensor;
      };
      const [[k1, w1], [k2, w2]] = await race(reps, [call(false), call(true)]);
      console.log(`| ${name} | ${rows} × ${C} | ${fmt(k1)} | ${fmt(k2)} | ${fmt(w1)} | ${fmt(w2)} | ${(k2 / k1).toFixed(2)} |`);
      tf.dispose([loss, lse]);
    }
    tf.dispose([logits, ids, labels, dy]);
  }
}

async function opsPart(reps: number, shapes: number[][]): Promise<void> {
  console.log('\n### ops: fused vs composite (γ = 2, α = 0.25)\n');
  console.log('| op | mode | rows × C | fused: GPU ms | composite: GPU ms | fused: wall ms | composite: wall ms | composite / fused (wall) |');
  console.log('|---|---|---|---|---|---|---|---|');
  const o = {gamma: 2, alpha: 0.25};
  for (const [rows, C] of shapes) {
    const logits = tf.randomNormal([rows, C], 0, 2, 'float32', 1);
    const ids = tf.randomUniform([rows], 0, C, 'int32', 2);
    const labels = tf.cast(tf.oneHot(ids, C), 'float32');
    const ops: Array<[string, (x: tf.Tensor) => tf.Tensor]> = [
      ['dense', x => softmaxFocalCrossEntropyWithLogits(labels, x, o)],
      ['sparse', x => sparseSoftmaxFocalCrossEntropyWithLogits(ids, x, o)],
      ['binary', x => sigmoidFocalCrossEntropyWithLogits(labels, x, o)],
    ];
    for (const [name, f] of ops) {
      // The upstream gradient is made once: tf.sum's own backward would build a
      // [rows, C] tensor of ones on the CPU and upload it on every call (the
      // binary loss is [rows, C]), timing tfjs's upload instead of the kernels.
      const dy = tf.tidy(() => tf.onesLike(f(logits)));
      for (const mode of ['forward', 'forward+backward'] as const) {
        const call = (composite: boolean) => () => {
          setForceComposite(composite);
          try {
            return mode === 'forward' ? f(logits) : tf.grad(f)(logits, dy);
          } finally {
            setForceComposite(false);
          }
        };
        const [[k1, w1], [k2, w2]] = await race(reps, [call(false), call(true)]);
        console.log(`| ${name} | ${mode} | ${rows} × ${C} | ${fmt(k1)} | ${fmt(k2)} | ${fmt(w1)} | ${fmt(w2)} | ${(w2 / w1).toFixed(2)} |`);
      }
      dy.dispose();
    }
    tf.dispose([logits, ids, labels]);
  }
}

async function main(): Promise<void> {
  await ensureNodeWebGPU();
  registerWebGPUKernels();
  const reps = Number(arg('--reps', '7'));
  const part = arg('--part', 'both');
  const info = (tf.backend() as unknown as {adapterInfo?: Record<string, unknown>}).adapterInfo ?? {};
  const software = String(info.architecture ?? '').includes('swiftshader');
  const device = (tf.backend() as unknown as {device: GPUDevice}).device;
  console.log(`adapter: ${JSON.stringify(info)}; timestamp-query: ${device.features.has('timestamp-query')}; ` +
              `subgroups: ${device.features.has('subgroups')}; median of ${reps}`);
  const dflt = software ? '4096x100,512x1000,128x8000,16x32000' : '65536x100,4096x1000,1024x32000,64x128256,8x262144';
  const shapes = arg('--shapes', dflt).split(',').map(s => s.split('x').map(Number));
  if (part !== 'ops') await backwardPart(reps, shapes);
  tf.env().set(FOCAL_SPLIT_MIN_C_FLAG, FOCAL_SPLIT_MIN_C_DEFAULT);
  tf.env().set(FOCAL_SPLIT_MAX_ROWS_FLAG, FOCAL_SPLIT_MAX_ROWS_DEFAULT);
  if (part !== 'backward') await opsPart(reps, software ? [[512, 1000]] : [[4096, 1000], [1024, 32000]]);
}

main().then(() => process.exit(0), e => {
  console.error(e);
  process.exit(1);
});

/**
 * Page side of scripts/browser-bench-webgl.ts (bundled by it): times the WebGL
 * kernels in Chromium. Wall-clock per iteration including the read-back of a
 * small result (SwiftShader has no GPU timer queries); median of `reps`.
 */
import * as tf from '@tensorflow/tfjs';

import * as names from '../kernels/kernel_names';
import {PACKED_INPUTS_FLAG, SINGLE_PASS_MAX_FLAG} from '../kernels/webgl/flags_webgl';
import {setForceComposite, softmaxCrossEntropyWithLogits, sparseSoftmaxCrossEntropyWithLogits} from '../src/index';

export interface BenchRow {
  what: string;
  rows: number;
  C: number;
  variant: string;
  medianMs: number;
  /** Median CPU time of Chromium's GPU process per call (SwiftShader's shader threads), when known. */
  gpuCpuMs?: number;
}

declare global {
  interface Window {
    __benchWebGL(reps: number, mode: string): Promise<BenchRow[]>;
  }
}

/** CPU ms of the GPU process so far (exposed by the Node side; −1 when unknown). */
const gpuCpuMs = (): Promise<number> => (window as unknown as {__gpuCpuMs?: () => Promise<number>}).__gpuCpuMs?.() ?? Promise.resolve(-1);

const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function median(reps: number, once: () => Promise<void>): Promise<number> {
  await once();
  await once();  // warm-up: shader compiles, texture pools
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await once();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function data(rows: number, C: number) {
  const x = new Float32Array(rows * C);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 12.9898) * 4;
  const t = Int32Array.from({length: rows}, (_, i) => (i * 7919) % C);
  return {logits: tf.tensor2d(x, [rows, C]), ids: tf.tensor1d(t, 'int32'), dy: tf.ones([rows])};
}

const ATTRS = {temperature: 1, labelSmoothing: 0, zLoss: 0, classWeights: null, ignoreIndex: null};

/** The fused sparse forward kernel alone (the row reduction), with the single-pass limit at `limit`. */
async function forwardAt(rows: number, C: number, limit: number, reps: number): Promise<number> {
  const saved = tf.env().getNumber(SINGLE_PASS_MAX_FLAG);
  tf.env().set(SINGLE_PASS_MAX_FLAG, limit);
  const {logits, ids, dy} = data(rows, C);
  try {
    return await median(reps, async () => {
      const [loss, lse] = tf.engine().runKernel(names.SparseSoftmaxCrossEntropy, {logits, labels: ids},
                                                ATTRS as unknown as tf.NamedAttrMap) as tf.Tensor[];
      await loss.data();
      tf.dispose([loss, lse]);
    });
  } finally {
    tf.env().set(SINGLE_PASS_MAX_FLAG, saved);
    tf.dispose([logits, ids, dy]);
  }
}

/**
 * Logits from a matMul (a packed texture) into the fused sparse forward and
 * backward: the packed-input variants, or (flag off) tfjs's unpack pass
 * followed by the unpacked programs. The matMul is in both.
 */
async function packedAt(rows: number, C: number, packedVariant: boolean, reps: number): Promise<number> {
  const k = 64;
  const a = tf.randomNormal([rows, k]);
  const b = tf.randomNormal([k, C]);
  const {ids, dy} = data(rows, C);
  const ones = tf.ones([C, 1]);
  tf.env().set(PACKED_INPUTS_FLAG, packedVariant);
  try {
    return await median(reps, async () => {
      const e = tf.engine();
      const logits = tf.matMul(a, b);
      const [loss, lse] = e.runKernel(names.SparseSoftmaxCrossEntropy, {logits, labels: ids},
                                      ATTRS as unknown as tf.NamedAttrMap) as tf.Tensor[];
      const dx = e.runKernel(names.SparseSoftmaxCrossEntropyGrad, {logits, labels: ids, lse, dy},
                             {...ATTRS, wrt: 'logits'} as unknown as tf.NamedAttrMap) as tf.Tensor;
      // The gradient's consumer in training is a matMul (dW = hᵀ·dx), which
      // takes packed input: read through one, so neither variant pays a
      // layout conversion the other does not.
      const total = tf.matMul(dx, ones);
      await loss.data();
      await total.data();
      tf.dispose([logits, loss, lse, dx, total]);
    });
  } finally {
    tf.env().set(PACKED_INPUTS_FLAG, true);
    tf.dispose([a, b, ids, dy, ones]);
  }
}

/** The public op, value and gradient w.r.t. logits, fused or composite. */
async function opAt(sparse: boolean, rows: number, C: number, composite: boolean, reps: number): Promise<number> {
  const {logits, ids} = data(rows, C);
  const onehot = tf.oneHot(ids, C).toFloat();
  setForceComposite(composite);
  try {
    const f = (l: tf.Tensor) => sparse ? sparseSoftmaxCrossEntropyWithLogits(ids, l) : softmaxCrossEntropyWithLogits(onehot, l);
    const vg = tf.valueAndGrad(f);
    return await median(reps, async () => {
      // Read the loss and Σ grad: reading the whole [rows, C] gradient back
      // would time the read-back, not the kernels.
      const {value, grad} = vg(logits);
      const total = tf.sum(grad);
      await value.data();
      await total.data();
      tf.dispose([value, grad, total]);
    });
  } finally {
    setForceComposite(false);
    tf.dispose([logits, ids, onehot]);
  }
}

// ---------------------------------------------------------------------------
// The issue #4 target: fused vs tf.losses.softmaxCrossEntropy, interleaved.

type Lossy = (labels: tf.Tensor, logits: tf.Tensor) => tf.Tensor;
const PROVIDERS: Array<[string, Lossy]> = [
  ['fused', (y, x) => softmaxCrossEntropyWithLogits(y, x)],
  ['tf.losses', (y, x) => tf.losses.softmaxCrossEntropy(y, x, undefined, 0, tf.Reduction.NONE)],
];

/**
 * benchmarks/harness.ts's protocol: forward = the per-example loss read
 * back; forward+backward = tf.valueAndGrad of the mean loss w.r.t. the
 * logits, gradient and value read back. Providers alternate call by call.
 */
async function targetAt(rows: number, C: number, mode: string, reps: number): Promise<BenchRow[]> {
  const {logits, ids} = data(rows, C);
  const labels = tf.oneHot(ids, C).toFloat();
  const runs = PROVIDERS.map(([name, loss]) => {
    const vg = tf.valueAndGrad((x: tf.Tensor) => tf.mean(loss(labels, x)));
    const once = mode === 'forward' ? async () => {
      const out = loss(labels, logits);
      await out.data();
      out.dispose();
    } : async () => {
      const {value, grad} = tf.tidy(() => vg(logits));
      await grad.data();
      await value.data();
      tf.dispose([value, grad]);
    };
    return {name, once, times: [] as number[], cpu: [] as number[]};
  });
  for (const r of runs) { await r.once(); await r.once(); }
  for (let i = 0; i < reps; i++) {
    for (const r of runs) {
      const c0 = await gpuCpuMs();
      const t0 = performance.now();
      await r.once();
      r.times.push(performance.now() - t0);
      r.cpu.push(await gpuCpuMs() - c0);
    }
  }
  tf.dispose([logits, ids, labels]);
  return runs.map(r => ({
    what: `softmax CE ${mode}`, rows, C, variant: r.name, medianMs: med(r.times), gpuCpuMs: med(r.cpu),
  }));
}

/**
 * Per-program wall time: every runWebGLProgram (ours and tfjs's) is followed
 * by a synchronous 1-pixel readPixels of its output texture, which waits for
 * that program to finish (SwiftShader has no timer queries, and Chromium's
 * gl.finish() returned at once here: 0.1 ms for a 1024×32000 pass). The sync
 * costs a round trip per program, so the per-program sum exceeds the
 * unsynchronised total a little. Median over `reps` calls after two warm-ups.
 */
async function profileAt(label: string, rows: number, C: number, once: () => Promise<void>, reps: number): Promise<BenchRow[]> {
  const backend = tf.backend() as unknown as {
    runWebGLProgram: (...a: unknown[]) => tf.TensorInfo,
    gpgpu: {gl: WebGL2RenderingContext, framebuffer: WebGLFramebuffer},
    texData: {get(id: object): {texture?: {texture: WebGLTexture}}},
  };
  const gl = backend.gpgpu.gl;
  const fb = gl.createFramebuffer();
  const pixel = new Float32Array(4);
  // Waits for the GPU work writing `out`: a synchronous read of one texel.
  const sync = (out: tf.TensorInfo) => {
    const tex = backend.texData.get(out.dataId).texture;
    if (tex == null) return;
    gl.bindFramebuffer(gl.FRAMEBUFFER, fb);
    gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, tex.texture, 0);
    gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.FLOAT, pixel);
    gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, null, 0);
    gl.bindFramebuffer(gl.FRAMEBUFFER, backend.gpgpu.framebuffer);
  };
  const orig = backend.runWebGLProgram;
  const acc = new Map<string, number[]>();
  const accCpu = new Map<string, number[]>();
  const trace = window as unknown as {
    __cpuTraceStart?: () => Promise<void>, __cpuTraceStop?: (spans: Array<[number, number]>) => Promise<number[]>,
  };
  await once();
  await once();
  const totals: number[] = [];
  const cpus: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    const byProgram = new Map<string, number>();
    const spans: Array<[string, number, number]> = [];
    await trace.__cpuTraceStart?.();
    await new Promise(r => setTimeout(r, 20));
    backend.runWebGLProgram = function(this: unknown, ...a: unknown[]) {
      const t0 = performance.now();
      const out = orig.apply(this, a);
      sync(out);
      const prog = a[0] as {constructor: {name: string}, outputShape: number[], packedInputs?: boolean, variableNames: string[]};
      const key = `${prog.constructor.name} [${prog.outputShape}]${prog.packedInputs ? ' packed' : ''} (${prog.variableNames.join(', ')})`;
      const t1 = performance.now();
      byProgram.set(key, (byProgram.get(key) ?? 0) + t1 - t0);
      spans.push([key, performance.timeOrigin + t0, performance.timeOrigin + t1]);
      return out;
    };
    const c0 = await gpuCpuMs();
    const t0 = performance.now();
    try {
      await once();
    } finally {
      backend.runWebGLProgram = orig;
    }
    totals.push(performance.now() - t0);
    cpus.push(await gpuCpuMs() - c0);
    await new Promise(r => setTimeout(r, 20));
    const spanCpu = await trace.__cpuTraceStop?.(spans.map(([, a, b]) => [a, b])) ?? [];
    const cpuByProgram = new Map<string, number>();
    spans.forEach(([k], i) => cpuByProgram.set(k, (cpuByProgram.get(k) ?? 0) + (spanCpu[i] ?? -1)));
    for (const [k, v] of byProgram) acc.set(k, [...(acc.get(k) ?? []), v]);
    for (const [k, v] of cpuByProgram) accCpu.set(k, [...(accCpu.get(k) ?? []), v]);
  }
  const out: BenchRow[] = [...acc].map(([k, v]) => ({
    what: `${label}: ${k}`, rows, C, variant: 'synced', medianMs: med(v), gpuCpuMs: med(accCpu.get(k) ?? [-1]),
  }));
  out.push({what: `${label}: whole call`, rows, C, variant: 'synced', medianMs: med(totals), gpuCpuMs: med(cpus)});
  return out;
}

async function profileTarget(rows: number, C: number, reps: number, fusedOnly: boolean): Promise<BenchRow[]> {
  const {logits, ids} = data(rows, C);
  const labels = tf.oneHot(ids, C).toFloat();
  const out: BenchRow[] = [];
  for (const [name, loss] of fusedOnly ? PROVIDERS.slice(0, 1) : PROVIDERS) {
    const vg = tf.valueAndGrad((x: tf.Tensor) => tf.mean(loss(labels, x)));
    out.push(...await profileAt(`${name} fwd+bwd`, rows, C, async () => {
      const {value, grad} = tf.tidy(() => vg(logits));
      await grad.data();
      await value.data();
      tf.dispose([value, grad]);
    }, reps));
  }
  const sg = tf.valueAndGrad((x: tf.Tensor) => tf.mean(sparseSoftmaxCrossEntropyWithLogits(ids, x)));
  out.push(...await profileAt('fused sparse fwd+bwd', rows, C, async () => {
    const {value, grad} = tf.tidy(() => sg(logits));
    await grad.data();
    await value.data();
    tf.dispose([value, grad]);
  }, reps));
  tf.dispose([logits, ids, labels]);
  return out;
}

window.__benchWebGL = async (reps: number, mode: string) => {
  await tf.setBackend('webgl');
  const out: BenchRow[] = [];
  if (mode === 'target') {
    for (const [rows, C] of [[1024, 32000], [4096, 1000]]) {
      for (const m of ['forward', 'forward+backward']) out.push(...await targetAt(rows, C, m, reps));
    }
    return out;
  }
  if (mode === 'profile' || mode === 'profile-fused') {
    for (const [rows, C] of [[1024, 32000], [4096, 1000]]) out.push(...await profileTarget(rows, C, reps, mode === 'profile-fused'));
    return out;
  }
  // 1. The single-pass limit: one fragment per row vs ⌈√C⌉-class windows + a merge.
  for (const rows of [8, 64, 1024]) {
    for (const C of [32, 128, 256, 1024, 4096, 16384]) {
      if (rows * C > 1 << 22) continue;
      for (const [variant, limit] of [['single pass', 1 << 30], ['staged', 1]] as const) {
        out.push({what: 'sparse forward kernel', rows, C, variant, medianMs: await forwardAt(rows, C, limit, reps)});
      }
    }
  }
  // 2. Packed logits: packed-input variants vs unpack pass + unpacked programs.
  for (const [rows, C] of [[256, 1000], [1024, 1000], [64, 16384]]) {
    for (const packed of [true, false]) {
      out.push({what: 'matMul → sparse fwd+bwd kernels', rows, C, variant: packed ? 'packed variant' : 'unpack pass + unpacked',
                medianMs: await packedAt(rows, C, packed, reps)});
    }
  }
  // 3. Fused vs composite, the public ops (value + d/dlogits).
  for (const [rows, C] of [[1024, 10], [256, 1000], [16, 32000]]) {
    for (const sparse of [true, false]) {
      for (const composite of [false, true]) {
        out.push({
          what: `${sparse ? 'sparse' : 'dense'} op value+grad`, rows, C, variant: composite ? 'composite' : 'fused',
          medianMs: await opAt(sparse, rows, C, composite, reps),
        });
      }
    }
  }
  return out;
};

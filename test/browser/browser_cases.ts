/**
 * Browser-only cases (runner-independent, like the op spec): checks of the
 * WebGL kernels that only make sense on the webgl backend (shader cache,
 * packed inputs, staged reductions through the kernels directly) and the
 * float16 pass (WEBGL_FORCE_F16_TEXTURES). The jest side imports this module
 * in Node only to learn the case names; the cases run in Chromium.
 */
import * as tf from '@tensorflow/tfjs-core';

import * as names from '../../kernels/kernel_names';
import {SINGLE_PASS_MAX_FLAG} from '../../kernels/webgl/flags_webgl';
import {sigmoidCrossEntropyWithLogits, sigmoidFocalCrossEntropyWithLogits, softmaxCrossEntropyWithLogits, softmaxFocalCrossEntropyWithLogits, sparseSoftmaxCrossEntropyWithLogits, sparseSoftmaxFocalCrossEntropyWithLogits} from '../../src/index';
import {numericGrad, refBinaryFocalLoss, refFocalGrad, refFocalLoss, sparseToDense} from '../losses/focal_reference';
import {lseFromSaved, refSigmoidCrossEntropy, refSoftmaxCrossEntropy, refSparseSoftmaxCrossEntropy} from '../reference/reference';
import {expect, expectClose, expectFinite, expectThrows, oneHotRows, randLabels, randn, randProbs, rng, values} from '../spec/assert';
import type {SpecCase, SpecEnv} from '../spec/registry';

/** Internals of tfjs-backend-webgl these checks look at (not in its public types). */
interface WebGLInternals {
  binaryCache: Record<string, unknown>;
  texData: {get(id: object): {isPacked?: boolean, texture?: unknown}};
  runWebGLProgram: (program: object, ...rest: unknown[]) => tf.TensorInfo;
  numDataIds(): number;
}

function webgl(): WebGLInternals {
  expect(tf.getBackend() === 'webgl', () => `expected the webgl backend, got ${tf.getBackend()}`);
  return tf.backend() as unknown as WebGLInternals;
}

type ListId = 'webgl' | 'webgl1' | 'f16';
const cases: Array<SpecCase & {list: ListId}> = [];
function add(list: ListId, suite: string, name: string, fn: (env: SpecEnv) => Promise<void>): void {
  cases.push({list, suite, name, fn});
}

/**
 * Cases of one list ('webgl': webgl-only kernel checks; 'webgl1': the check
 * that a WebGL1 page really got a WebGL1 context; 'f16': the half-float pass).
 */
export function browserCases(list: ListId): SpecCase[] {
  return cases.filter(c => c.list === list);
}

/** Names of our programs in tfjs's shader cache (a key starts with the program's class name). */
function ourProgramKeys(cache: Record<string, unknown>): string[] {
  return Object.keys(cache).filter(k => /^(SoftmaxCE|SigmoidCE)/.test(k));
}

const SOFTMAX_ATTRS = {temperature: 1.5, labelSmoothing: 0.1, zLoss: 1e-3, classWeights: null, ignoreIndex: null};
const SIGMOID_ATTRS = {labelSmoothing: 0.1, posWeight: [2]};

/** Runs every kernel of the contract once on [rows, C] data and checks it against the reference. */
async function runAllKernels(rows: number, C: number, seed: number, rtol: number): Promise<void> {
  const x = randn(rows * C, seed, 2);
  const y = randProbs(rows, C, seed + 1);
  const t = randLabels(rows, C, seed + 2);
  const dy = randn(rows, seed + 3);
  const opts = {temperature: 1.5, labelSmoothing: 0.1, zLoss: 1e-3};
  const dense = refSoftmaxCrossEntropy(x, y, rows, C, opts);
  const sparse = refSparseSoftmaxCrossEntropy(x, t, rows, C, opts);
  const sig = refSigmoidCrossEntropy(x, y, C, {labelSmoothing: 0.1, posWeight: [2]});
  const logits = tf.tensor2d(x, [rows, C]);
  const labels = tf.tensor2d(y, [rows, C]);
  const ids = tf.tensor1d(t, 'int32');
  const dyT = tf.tensor1d(dy);
  const dyFull = tf.tensor2d(randn(rows * C, seed + 4), [rows, C]);
  const e = tf.engine();
  const run = (name: string, inputs: tf.NamedTensorMap, attrs: object) =>
      e.runKernel(name, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
  try {
    for (const [kernel, grad, ref, lbl] of [
           [names.SoftmaxCrossEntropy, names.SoftmaxCrossEntropyGrad, dense, labels],
           [names.SparseSoftmaxCrossEntropy, names.SparseSoftmaxCrossEntropyGrad, sparse, ids],
         ] as const) {
      const [loss, lse] = run(kernel, {logits, labels: lbl}, SOFTMAX_ATTRS) as tf.Tensor[];
      expectClose(await values(loss), ref.loss, rtol, `${kernel} loss (${rows}×${C})`);
      expectClose(lseFromSaved(await values(lse), SOFTMAX_ATTRS.temperature), ref.lse, rtol, `${kernel} lse (${rows}×${C})`);
      const dx = run(grad, {logits, labels: lbl, lse, dy: dyT}, {...SOFTMAX_ATTRS, wrt: 'logits'}) as tf.Tensor;
      expectClose(await values(dx), ref.dlogits(dy), rtol, `${grad} d/dlogits (${rows}×${C})`);
      tf.dispose([loss, lse, dx]);
    }
    const loss = run(names.SigmoidCrossEntropy, {logits, labels}, SIGMOID_ATTRS) as tf.Tensor;
    expectClose(await values(loss), sig.loss, rtol, `sigmoid loss (${rows}×${C})`);
    const dx = run(names.SigmoidCrossEntropyGrad, {logits, labels, dy: dyFull}, {...SIGMOID_ATTRS, wrt: 'logits'}) as tf.Tensor;
    expectClose(await values(dx), sig.dlogits(await values(dyFull)), rtol, `sigmoid d/dlogits (${rows}×${C})`);
    tf.dispose([loss, dx]);
  } finally {
    tf.dispose([logits, labels, ids, dyT, dyFull]);
  }
}

add('webgl', 'webgl kernels', 'new batch sizes and class counts of one size class compile no new shader', async env => {
  const cache = webgl().binaryCache;
  await runAllKernels(6, 10, 1, env.rtol);  // compiles this size class (loop bound 16)
  const before = ourProgramKeys(cache);
  expect(before.length >= 6, () => `expected our programs in the shader cache, found ${before.length}`);
  for (const [rows, C] of [[11, 10], [23, 13], [40, 9]]) {
    await runAllKernels(rows, C, rows, env.rtol);
  }
  const added = ourProgramKeys(cache).filter(k => !before.includes(k));
  expect(added.length === 0, () => `new shaders compiled for new shapes: ${added.map(k => k.slice(0, 60)).join(', ')}`);
  // A different size class does compile (the test can tell the difference).
  await runAllKernels(4, 40, 7, env.rtol);
  expect(ourProgramKeys(cache).length > before.length, () => 'C = 40 (loop bound 64) reused the C = 10 shader');
});

add('webgl', 'webgl kernels', 'kernels release every intermediate texture (uploads, stats, row weights)', async () => {
  // tf.memory() counts tensors, not the TensorInfos kernels make internally:
  // count the backend's data ids around calls with every option that uploads.
  const backend = webgl();
  const rows = 6, C = 300;  // C > the single-pass limit: stats + merge passes
  const logits = tf.tensor2d(randn(rows * C, 51), [rows, C]);
  const labels = tf.tensor2d(randProbs(rows, C, 52), [rows, C]);
  const ids = tf.tensor1d(randLabels(rows, C, 53), 'int32');
  const dy = tf.ones([rows]);
  const dyFull = tf.onesLike(logits);
  const weights = Array.from({length: C}, (_, c) => 1 + (c % 3));
  const attrs = {...SOFTMAX_ATTRS, classWeights: weights, ignoreIndex: 2};
  const sigAttrs = {labelSmoothing: 0.1, posWeight: weights};
  const e = tf.engine();
  const run = (name: string, inputs: tf.NamedTensorMap, at: object) =>
      e.runKernel(name, inputs, at as unknown as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
  const once = async () => {
    const outs: tf.Tensor[] = [];
    for (const [kernel, grad, lbl] of [
           [names.SoftmaxCrossEntropy, names.SoftmaxCrossEntropyGrad, labels],
           [names.SparseSoftmaxCrossEntropy, names.SparseSoftmaxCrossEntropyGrad, ids],
         ] as const) {
      const [loss, lse] = run(kernel, {logits, labels: lbl}, attrs) as tf.Tensor[];
      outs.push(loss, lse, run(grad, {logits, labels: lbl, lse, dy}, {...attrs, wrt: 'logits'}) as tf.Tensor);
    }
    outs.push(run(names.SoftmaxCrossEntropyGrad, {logits, labels, lse: outs[1], dy}, {...attrs, wrt: 'labels'}) as tf.Tensor);
    outs.push(run(names.SigmoidCrossEntropy, {logits, labels}, sigAttrs) as tf.Tensor);
    outs.push(run(names.SigmoidCrossEntropyGrad, {logits, labels, dy: dyFull}, {...sigAttrs, wrt: 'logits'}) as tf.Tensor);
    for (const o of outs) await o.data();
    tf.dispose(outs);
  };
  try {
    await once();
    const before = backend.numDataIds();
    for (let i = 0; i < 3; i++) await once();
    const after = backend.numDataIds();
    expect(after === before, () => `${after - before} backend data ids left behind over 3 calls of every kernel`);
  } finally {
    tf.dispose([logits, labels, ids, dy, dyFull]);
  }
});

add('webgl', 'webgl kernels', 'staged reductions (C above the single-pass limit) through the kernels', async env => {
  await runAllKernels(3, 1025, 11, env.rtol);
  await runAllKernels(2, 5000, 12, env.rtol);
});

add('webgl', 'webgl kernels', 'three-stage reductions (single-pass limit forced down to 4)', async env => {
  // C = 37 → windows of 7 → 6 partials → windows of 3 → 2 → 1: the stats
  // pass and two merge passes, through every kernel.
  const saved = tf.env().getNumber(SINGLE_PASS_MAX_FLAG);
  tf.env().set(SINGLE_PASS_MAX_FLAG, 4);
  try {
    await runAllKernels(5, 37, 41, env.rtol);
    await runAllKernels(3, 5, 42, env.rtol);
  } finally {
    tf.env().set(SINGLE_PASS_MAX_FLAG, saved);
  }
});

/**
 * Logits from a matMul (a packed texture) through every kernel with every
 * attribute, checked against the reference, with no unpack launch. Dense
 * labels come packed too (labels · I, exact), so the packed row-weight and
 * label reads run; C = 301 splits rows into windows (odd tail).
 */
async function checkPackedInputs(rows: number, C: number, seed: number, rtol: number): Promise<void> {
  const backend = webgl();
  const k = 4;
  const a = tf.tensor2d(randn(rows * k, seed), [rows, k]);
  const b = tf.tensor2d(randn(k * C, seed + 1), [k, C]);
  const t = randLabels(rows, C, seed + 2);
  const y = randProbs(rows, C, seed + 3);
  const dy = randn(rows, seed + 4);
  const ids = tf.tensor1d(t, 'int32');
  const labelsCpu = tf.tensor2d(y, [rows, C]);
  const eye = tf.eye(C);
  const dyT = tf.tensor1d(dy);
  // The reference reads the product from a second, identical matMul: reading
  // a tensor moves it to the CPU, which would defeat the point.
  const probe = tf.matMul(a, b);
  const x = await values(probe);
  probe.dispose();
  // Every attribute, so the packed reads of the weight vectors and the
  // ignore / z-loss paths run too.
  const classWeights = Array.from({length: C}, (_, c) => 0.25 + (c % 5) * 0.5);
  const posWeight = Array.from({length: C}, (_, c) => 0.5 + (c % 3));
  const opts = {temperature: 1.3, labelSmoothing: 0.1, zLoss: 1e-3, classWeights};
  const dense = refSoftmaxCrossEntropy(x, y, rows, C, opts);
  const sparse = refSparseSoftmaxCrossEntropy(x, t, rows, C, {...opts, ignoreIndex: t[0]});
  const sig = refSigmoidCrossEntropy(x, y, C, {labelSmoothing: 0.1, posWeight});
  const denseAttrs = {...opts, ignoreIndex: null};
  const sparseAttrs = {...opts, ignoreIndex: t[0]};
  const sigAttrs = {labelSmoothing: 0.1, posWeight};

  const launched: string[] = [];
  const original = backend.runWebGLProgram;
  backend.runWebGLProgram = function(this: WebGLInternals, program: object, ...rest: unknown[]) {
    launched.push(program.constructor.name);
    return original.call(this, program, ...rest);
  };
  const e = tf.engine();
  const run = (name: string, inputs: tf.NamedTensorMap, at: object) =>
      e.runKernel(name, inputs, at as unknown as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
  const outputs: tf.Tensor[] = [];
  try {
    for (const [kernel, grad, ref, attrs] of [
           [names.SoftmaxCrossEntropy, names.SoftmaxCrossEntropyGrad, dense, denseAttrs],
           [names.SparseSoftmaxCrossEntropy, names.SparseSoftmaxCrossEntropyGrad, sparse, sparseAttrs],
           [names.SigmoidCrossEntropy, names.SigmoidCrossEntropyGrad, sig, sigAttrs],
         ] as const) {
      const logits = tf.matMul(a, b);
      const lbl = kernel === names.SparseSoftmaxCrossEntropy ? ids : tf.matMul(labelsCpu, eye);
      for (const [what, v] of [['logits', logits], ['labels', lbl]] as const) {
        expect(v === ids || backend.texData.get(v.dataId).isPacked === true, () => `matMul ${what} are not packed`);
      }
      launched.length = 0;
      const sigmoid = kernel === names.SigmoidCrossEntropy;
      const fwd = run(kernel, {logits, labels: lbl}, attrs);
      const [loss, lse] = Array.isArray(fwd) ? fwd : [fwd, null];
      const gradInputs: tf.NamedTensorMap = sigmoid ? {logits, labels: lbl, dy: tf.onesLike(logits)} :
                                                      {logits, labels: lbl, lse: lse as tf.Tensor, dy: dyT};
      const dx = run(grad, gradInputs, {...attrs, wrt: 'logits'}) as tf.Tensor;
      const unpacks = launched.filter(n => /unpack/i.test(n));
      expect(unpacks.length === 0, () => `${kernel}: unpack passes ${unpacks} (launched ${launched})`);
      expect(launched.some(n => /^(SoftmaxCE|SigmoidCE)/.test(n)), () => `${kernel}: launched ${launched}`);
      outputs.push(logits, loss, dx, ...(lse ? [lse] : []), ...(sigmoid ? [gradInputs.dy] : []),
                   ...(lbl !== ids ? [lbl] : []));
      expectClose(await values(loss), ref.loss, rtol, `${kernel} loss from packed logits (${rows}×${C})`);
      const ones = sigmoid ? new Float32Array(rows * C).fill(1) : dy;
      expectClose(await values(dx), ref.dlogits(ones), rtol, `${grad} from packed logits (${rows}×${C})`);
    }
  } finally {
    backend.runWebGLProgram = original;
    tf.dispose([a, b, ids, labelsCpu, eye, dyT, ...outputs]);
  }
}

add('webgl', 'webgl kernels', 'packed logits (from matMul) run packed programs with no unpack pass', async env => {
  await checkPackedInputs(6, 7, 21, env.rtol);
  await checkPackedInputs(5, 301, 61, env.rtol);
});

add('webgl', 'webgl kernels', 'NaN, −∞ windows and out-of-range labels through a staged row', async env => {
  const rows = 5, C = 1500;
  const x = randn(rows * C, 31, 3);
  const t = Array.from(randLabels(rows, C, 32));
  for (let c = 0; c < 400; c++) x[c] = -Infinity;   // row 0: whole first windows masked, target later
  t[0] = 1200;
  x[C + 700] = NaN;                                  // row 1: one NaN
  for (let c = 0; c < C; c++) x[2 * C + c] = c === 5 ? 0 : -Infinity;  // row 2: one finite logit
  t[2] = 5;
  t[3] = C + 3;                                      // row 3: out of range
  const ref = refSparseSoftmaxCrossEntropy(x, t, rows, C, {});
  const logits = tf.tensor2d(x, [rows, C]);
  const labels = tf.tensor1d(t, 'int32');
  const dy = tf.ones([rows]);
  const attrs = {...SOFTMAX_ATTRS, temperature: 1, labelSmoothing: 0, zLoss: 0};
  const [loss, lse] = tf.engine().runKernel(names.SparseSoftmaxCrossEntropy, {logits, labels},
                                            attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  const dx = tf.engine().runKernel(names.SparseSoftmaxCrossEntropyGrad, {logits, labels, lse, dy},
                                   {...attrs, wrt: 'logits'} as unknown as tf.NamedAttrMap) as tf.Tensor;
  try {
    const l = await values(loss);
    expect(Number.isNaN(l[1]) && Number.isNaN(l[3]), () => `rows 1 (NaN) and 3 (bad label) must be NaN: ${l}`);
    expectClose(l, ref.loss, env.rtol, 'loss');
    expectClose(await values(dx), ref.dlogits(new Float32Array(rows).fill(1)), env.rtol, 'd/dlogits');
  } finally {
    tf.dispose([logits, labels, dy, loss, lse, dx]);
  }
});

/**
 * The aligned backward (softmax_cross_entropy_grad_gpu.ts) on both layouts:
 * 'rows' ([rows, C] textures) and 'split' (squarish textures, C > the
 * maximum texture size, forced here by lowering WEBGL_MAX_TEXTURE_SIZE), with
 * every attribute, NaN, −∞ masks, an all −∞ row, an ignored and an out-of-range sparse row,
 * and labels that are a slice (an offset view: read through tfjs's getter in
 * the backward, linearly with the offset in the forward); checked against
 * the reference, with no texture left behind.
 */
async function checkAlignedBackward(rows: number, C: number, maxTexture: number | null, rtol: number): Promise<void> {
  expect(rows >= 7, () => 'rows 0–6 carry the special cases');
  const backend = webgl();
  const saved = tf.env().getNumber('WEBGL_MAX_TEXTURE_SIZE');
  if (maxTexture != null) tf.env().set('WEBGL_MAX_TEXTURE_SIZE', maxTexture);
  const x = randn(rows * C, 71 + C, 2);
  const t = Array.from(randLabels(rows, C, 72 + C));
  x[C + 5] = NaN;                                             // row 1: NaN
  for (let c = 0; c < C; c += 3) if (c !== t[2]) x[2 * C + c] = -Infinity;  // row 2: −∞ masks
  x[3 * C + t[3]] = -Infinity;                                // row 3: target masked (+∞ loss)
  const ignore = t[4];                                        // row 4: ignored (sparse)
  t[5] = C + 2;                                               // row 5: out of range (sparse)
  for (let c = 0; c < C; c++) x[6 * C + c] = -Infinity;       // row 6: all −∞ (NaN gradient row)
  const y = randProbs(rows, C, 73 + C);
  const dy = randn(rows, 74 + C);
  const classWeights = Array.from({length: C}, (_, c) => 0.25 + (c % 5) * 0.5);
  const opts = {temperature: 1.3, labelSmoothing: 0.1, zLoss: 1e-3, classWeights};
  const dense = refSoftmaxCrossEntropy(x, y, rows, C, opts);
  const sparse = refSparseSoftmaxCrossEntropy(x, t, rows, C, {...opts, ignoreIndex: ignore});
  const logits = tf.tensor2d(x, [rows, C]);
  const padded = tf.tensor2d([...new Float32Array(C), ...y], [rows + 1, C]);
  const labels = tf.slice(padded, [1, 0], [rows, C]);
  const ids = tf.tensor1d(t, 'int32');
  const dyT = tf.tensor1d(dy);
  const e = tf.engine();
  const run = (name: string, inputs: tf.NamedTensorMap, at: object) =>
      e.runKernel(name, inputs, at as unknown as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
  const layouts: string[] = [];
  const original = backend.runWebGLProgram;
  backend.runWebGLProgram = function(this: WebGLInternals, program: object, ...rest: unknown[]) {
    const vars = (program as {variableNames: string[]}).variableNames;
    if (program.constructor.name === 'SoftmaxCEAlignedGradProgram') layouts.push(vars.includes('rowMap') ? 'split' : 'rows');
    return original.call(this, program, ...rest);
  };
  const ids0 = backend.numDataIds();
  try {
    for (const [kernel, grad, ref, lbl, attrs] of [
           [names.SoftmaxCrossEntropy, names.SoftmaxCrossEntropyGrad, dense, labels, {...opts, ignoreIndex: null}],
           [names.SparseSoftmaxCrossEntropy, names.SparseSoftmaxCrossEntropyGrad, sparse, ids, {...opts, ignoreIndex: ignore}],
         ] as const) {
      const [loss, lse] = run(kernel, {logits, labels: lbl}, attrs) as tf.Tensor[];
      const dx = run(grad, {logits, labels: lbl, lse, dy: dyT}, {...attrs, wrt: 'logits'}) as tf.Tensor;
      try {
        expectClose(await values(loss), ref.loss, rtol, `${kernel} loss (${rows}×${C})`);
        expectClose(await values(dx), ref.dlogits(dy), rtol, `${grad} d/dlogits (${rows}×${C})`);
        if (lbl === labels) {
          const dl = run(grad, {logits, labels: lbl, lse, dy: dyT}, {...attrs, wrt: 'labels'}) as tf.Tensor;
          expectClose(await values(dl), ref.dlabels(dy), rtol, `${grad} d/dlabels (${rows}×${C})`);
          dl.dispose();
        }
      } finally {
        tf.dispose([loss, lse, dx]);
      }
    }
    const want = maxTexture != null ? 'split' : 'rows';
    expect(layouts.length === 3 && layouts.every(l => l === want), () => `aligned layouts ${layouts}, expected 3 × ${want}`);
    expect(backend.numDataIds() === ids0, () => `${backend.numDataIds() - ids0} backend data ids left behind`);
  } finally {
    backend.runWebGLProgram = original;
    tf.env().set('WEBGL_MAX_TEXTURE_SIZE', saved);
    tf.dispose([logits, padded, labels, ids, dyT]);
  }
}

add('webgl', 'webgl kernels', "aligned backward, 'rows' and 'split' layouts: every attribute, NaN, −∞, ignored and out-of-range rows, sliced labels", async env => {
  await checkAlignedBackward(7, 300, null, env.rtol);
  await checkAlignedBackward(7, 300, 256, env.rtol);  // squarish [46, 46] texture: split rows
  await checkAlignedBackward(7, 1031, 512, env.rtol); // odd C, [85, 85] texture
});

// ---- fused reduction of the softmax kernels ('all', scale) --------------------

/** `scale·v`, or `scale·Σ v` (float64) as one value for 'all'. */
function scaled(v: ArrayLike<number>, scale: number): number[] {
  return Array.from(v, a => scale * a);
}
function sum64(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  return s;
}

interface ReductionTestAttrs {
  temperature: number;
  labelSmoothing: number;
  zLoss: number;
  classWeights: readonly number[] | null;
  ignoreIndex: null;
}

/** How the 'all' backward gets its one dy element. */
type DyForm = 'scalar on the CPU' | '[1] on the GPU';

/**
 * Both softmax kernel pairs with reduction 'all' and 'none' with a scale,
 * against the same kernels without (FORMULAS.md, "Fused reductions"): the
 * forward's loss `scale·Σ L` (a [] tensor) and `scale·L`, the saved (m, s)
 * unchanged, the backward w.r.t. logits (and dense labels) `scale·dy0·∂L`
 * from one dy element, and `scale·dy[i]·∂L` for 'none'. `logits()` makes the
 * logits in the layout under test; `program` is the elementwise backward
 * that must run (aligned or getter).
 */
async function checkSoftmaxReduction(
    what: string, logits: tf.Tensor2D, attrs: ReductionTestAttrs,
    ignoreFirst: boolean, dyForm: DyForm, program: string, rtol: number): Promise<void> {
  const [rows, C] = logits.shape;
  const t = randLabels(rows, C, rows + C);  // sparse: t[0] is the ignored class when `ignoreFirst`
  const ids = tf.tensor1d(t, 'int32');
  const labels = tf.tensor2d(randProbs(rows, C, rows + C + 1), [rows, C]);
  const dyRows = tf.tensor1d(randn(rows, rows + C + 2));
  const scale = 0.37, d0 = -1.7;
  const dyOne = dyForm === 'scalar on the CPU' ? tf.scalar(d0) : tf.tensor1d([d0]);
  if (dyForm === '[1] on the GPU') (tf.backend() as unknown as {uploadToGPU(id: object): void}).uploadToGPU(dyOne.dataId);
  const e = tf.engine();
  const run = (name: string, inputs: tf.NamedTensorMap, at: object) =>
      e.runKernel(name, inputs, at as unknown as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
  const outs: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor | tf.Tensor[]>(x: T): T => {
    outs.push(...(Array.isArray(x) ? x : [x]));
    return x;
  };
  try {
    const {launched} = await launchedPrograms(async () => {
      for (const [kernel, grad, lbl] of [
             [names.SoftmaxCrossEntropy, names.SoftmaxCrossEntropyGrad, labels],
             [names.SparseSoftmaxCrossEntropy, names.SparseSoftmaxCrossEntropyGrad, ids],
           ] as const) {
        const sparse = lbl === ids;
        const at = {...attrs, ignoreIndex: sparse && ignoreFirst ? t[0] : null};
        const w = `${kernel} ${what}`;
        const [loss, lse] = keep(run(kernel, {logits, labels: lbl}, at) as tf.Tensor[]);
        const lossV = await values(loss);
        const lseV = await values(lse);
        const [all, lseAll] = keep(run(kernel, {logits, labels: lbl}, {...at, reduction: 'all', scale}) as tf.Tensor[]);
        expect(all.shape.length === 0, () => `${w}: 'all' loss has shape [${all.shape}], expected []`);
        expectClose(await values(all), [scale * sum64(lossV)], rtol, `${w} 'all' loss`);
        expectClose(await values(lseAll), lseV, rtol, `${w} 'all' saved (m, s)`);
        const [none] = keep(run(kernel, {logits, labels: lbl}, {...at, reduction: 'none', scale}) as tf.Tensor[]);
        expectClose(await values(none), scaled(lossV, scale), rtol, `${w} 'none' loss, scale ${scale}`);
        for (const wrt of sparse ? ['logits'] as const : ['logits', 'labels'] as const) {
          const inputs = {logits, labels: lbl, lse};
          const base = keep(run(grad, {...inputs, dy: dyRows}, {...at, wrt}) as tf.Tensor);
          const baseOnes = keep(run(grad, {...inputs, dy: keep(tf.onesLike(dyRows))}, {...at, wrt}) as tf.Tensor);
          const gAll = keep(run(grad, {...inputs, dy: dyOne}, {...at, wrt, reduction: 'all', scale}) as tf.Tensor);
          const gNone = keep(run(grad, {...inputs, dy: dyRows}, {...at, wrt, reduction: 'none', scale}) as tf.Tensor);
          expect(gAll.shape.join() === `${rows},${C}`, () => `${w}: 'all' gradient shape [${gAll.shape}]`);
          expectClose(await values(gAll), scaled(await values(baseOnes), scale * d0), rtol,
                      `${grad} ${what} 'all' d/d${wrt} (dy ${dyForm})`);
          expectClose(await values(gNone), scaled(await values(base), scale), rtol,
                      `${grad} ${what} 'none' d/d${wrt}, scale ${scale}`);
        }
      }
    });
    expect(launched.includes(program), () => `${what}: ${program} did not run (launched ${[...new Set(launched)]})`);
  } finally {
    tf.dispose([ids, labels, dyRows, dyOne, ...outs]);
  }
}

const REDUCTION_ATTRS = {temperature: 1.3, labelSmoothing: 0.1, zLoss: 1e-3, ignoreIndex: null};
const classWeightsOf = (C: number) => Array.from({length: C}, (_, c) => 0.25 + (c % 5) * 0.5);

add('webgl', 'webgl kernels', "softmax reduction 'all' and scale: both kernel pairs against 'none' (aligned, staged, packed, sliced logits)", async env => {
  const plain = {temperature: 1, labelSmoothing: 0, zLoss: 0, classWeights: null, ignoreIndex: null};
  const aligned = 'SoftmaxCEAlignedGradProgram', getter = 'SoftmaxCEGradProgram';
  // Unpacked logits from the CPU: the aligned backward.
  for (const [rows, C, at, ignore, dyForm] of [
         [6, 10, plain, false, 'scalar on the CPU'],
         [5, 1500, {...REDUCTION_ATTRS, classWeights: classWeightsOf(1500)}, true, '[1] on the GPU'],  // stats + merge
       ] as const) {
    const logits = tf.tensor2d(randn(rows * C, rows * C, 2), [rows, C]);
    try {
      await checkSoftmaxReduction(`${rows}×${C}`, logits, at, ignore, dyForm, aligned, env.rtol);
    } finally {
      logits.dispose();
    }
  }
  // Packed logits (matMul): the packed getter programs, dy read as a packed
  // scalar (a CPU scalar there: fused_reductions.spec.ts's matMul case).
  for (const [rows, C, dyForm] of [[5, 301, '[1] on the GPU']] as const) {
    const a = tf.tensor2d(randn(rows * 4, C), [rows, 4]);
    const b = tf.tensor2d(randn(4 * C, C + 1), [4, C]);
    const logits = tf.matMul(a, b) as tf.Tensor2D;
    try {
      expect(webgl().texData.get(logits.dataId).isPacked === true, () => 'matMul logits are not packed');
      await checkSoftmaxReduction(`packed ${rows}×${C}`, logits, {...REDUCTION_ATTRS, classWeights: classWeightsOf(C)},
                                  true, dyForm, getter, env.rtol);
    } finally {
      tf.dispose([a, b, logits]);
    }
  }
  // Sliced logits (rows 1..6 of 8: a slice of the texture): the unpacked getter programs.
  for (const dyForm of ['scalar on the CPU'] as const) {
    const whole = tf.tensor2d(randn(8 * 300, 77, 2), [8, 300]);
    const logits = tf.slice(whole, [1, 0], [6, 300]);
    try {
      await checkSoftmaxReduction('sliced 6×300', logits, {...REDUCTION_ATTRS, classWeights: null}, true, dyForm, getter,
                                  env.rtol);
    } finally {
      tf.dispose([whole, logits]);
    }
  }
});

add('webgl', 'webgl kernels', "softmax reduction 'all': no rows (0·scale, NaN for scale ∞), dy of the wrong size, unknown reduction", async () => {
  const e = tf.engine();
  const run = (name: string, inputs: tf.NamedTensorMap, at: object) =>
      e.runKernel(name, inputs, at as unknown as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
  const attrs = {...REDUCTION_ATTRS, classWeights: null};
  const keep: tf.Tensor[] = [];
  try {
    for (const [kernel, grad, sparse] of [
           [names.SoftmaxCrossEntropy, names.SoftmaxCrossEntropyGrad, false],
           [names.SparseSoftmaxCrossEntropy, names.SparseSoftmaxCrossEntropyGrad, true],
         ] as const) {
      for (const rows of [0, 6]) {
        const C = 10;
        const logits = tf.tensor2d(randn(rows * C, 5), [rows, C]);
        const labels = sparse ? tf.tensor1d(randLabels(rows, C, 6), 'int32') : tf.tensor2d(randProbs(rows, C, 6), [rows, C]);
        keep.push(logits, labels);
        for (const [scale, want] of [[0.5, 0], [Infinity, NaN]]) {
          const [loss, lse] = run(kernel, {logits, labels}, {...attrs, reduction: 'all', scale}) as tf.Tensor[];
          keep.push(loss, lse);
          expect(loss.shape.length === 0, () => `${kernel}: 'all' loss of shape [${loss.shape}]`);
          if (rows === 0) {
            const v = (await values(loss))[0];
            expect(Object.is(v, want) || (Number.isNaN(v) && Number.isNaN(want)),
                   () => `${kernel}: 'all' over no rows, scale ${scale}: ${v}, expected ${want}`);
          }
        }
        const lse = (run(kernel, {logits, labels}, attrs) as tf.Tensor[]);
        keep.push(...lse);
        const inputs = {logits, labels, lse: lse[1]};
        if (rows === 0) {
          const one = tf.scalar(1);
          const g = run(grad, {...inputs, dy: one}, {...attrs, wrt: 'logits', reduction: 'all', scale: 0.5}) as tf.Tensor;
          keep.push(one);
          keep.push(g);
          expect(g.shape.join() === '0,10', () => `${grad}: 'all' gradient over no rows of shape [${g.shape}]`);
          continue;
        }
        const [ones, one] = [tf.ones([rows]), tf.scalar(1)];
        keep.push(ones, one);
        await expectThrows(() => run(grad, {...inputs, dy: ones}, {...attrs, wrt: 'logits', reduction: 'all'}),
                           [grad, 'dy', '6 elements', 'expected 1', "'all'"], `${grad} 'all' with dy [${rows}]`);
        await expectThrows(() => run(grad, {...inputs, dy: one}, {...attrs, wrt: 'logits'}),
                           [grad, 'dy', '1 elements', `expected ${rows}`, "'none'"], `${grad} 'none' with a scalar dy`);
        await expectThrows(() => run(kernel, {logits, labels}, {...attrs, reduction: 'mean'}),
                           [kernel, "unknown reduction 'mean'"], `${kernel} reduction 'mean'`);
        await expectThrows(() => run(grad, {...inputs, dy: one}, {...attrs, wrt: 'logits', reduction: 'rows'}),
                           [grad, "unknown reduction 'rows'"], `${grad} reduction 'rows'`);
      }
    }
  } finally {
    tf.dispose(keep);
  }
});

add('webgl', 'webgl kernels', "elementwise reduction 'all' (sigmoid, binary focal): a [] or [1] dy, on the CPU or the GPU, against 'none'", async env => {
  const e = tf.engine();
  const run = (name: string, inputs: tf.NamedTensorMap, at: object) =>
      e.runKernel(name, inputs, at as unknown as tf.NamedAttrMap) as tf.Tensor;
  const rows = 5, C = 7, d0 = -1.7, scale = 0.37;
  const logits = tf.tensor2d(randn(rows * C, 71, 3), [rows, C]);
  const labels = tf.tensor2d(randProbs(rows, C, 72), [rows, C]);
  const ones = tf.onesLike(logits);
  const keep: tf.Tensor[] = [logits, labels, ones];
  try {
    for (const [kernel, grad, at] of [
           [names.SigmoidCrossEntropy, names.SigmoidCrossEntropyGrad, SIGMOID_ATTRS],
           [names.BinaryFocalCrossEntropy, names.BinaryFocalCrossEntropyGrad, BINARY_FOCAL_ATTRS],
         ] as const) {
      for (const [dyShape, onGpu] of [[[], false], [[1], false], [[1], true], [[1, 1], true]] as const) {
        const dy = tf.tensor([d0], [...dyShape]);
        keep.push(dy);
        if (onGpu) (webgl() as unknown as {uploadToGPU(id: object): void}).uploadToGPU(dy.dataId);
        const what = `${grad} 'all', dy [${dyShape}]${onGpu ? ' on the GPU' : ''}`;
        for (const wrt of ['logits', 'labels'] as const) {
          const base = run(grad, {logits, labels, dy: ones}, {...at, wrt});
          const g = run(grad, {logits, labels, dy}, {...at, wrt, reduction: 'all', scale});
          keep.push(base, g);
          expect(g.shape.join() === `${rows},${C}`, () => `${what}: gradient of shape [${g.shape}]`);
          expectClose(await values(g), scaled(await values(base), scale * d0), env.rtol, `${what} d/d${wrt}`);
        }
      }
      const loss = run(kernel, {logits, labels}, at);
      const all = run(kernel, {logits, labels}, {...at, reduction: 'all', scale});
      keep.push(loss, all);
      expectClose(await values(all), [scale * sum64(await values(loss))], env.rtol, `${kernel} 'all' loss`);
    }
  } finally {
    tf.dispose(keep);
  }
});

add('webgl', 'webgl kernels', "the ops' reduction 'mean', forward + backward: only our programs and tfjs's Sum (no tf.mean gradient, no pack of the labels)", async () => {
  const backend = webgl() as unknown as WebGLInternals & {uploadToGPU(id: object): void};
  const rows = 6, C = 300;  // staged: stats + merge
  const logits = tf.tensor2d(randn(rows * C, 91, 2), [rows, C]);
  const ids = tf.tensor1d(randLabels(rows, C, 92), 'int32');
  const labels = tf.tensor2d(oneHotRows(randLabels(rows, C, 93), C), [rows, C]);
  for (const t of [logits, ids, labels]) backend.uploadToGPU(t.dataId);
  try {
    for (const sparse of [false, true]) {
      const vg = tf.valueAndGrad((x: tf.Tensor) => (sparse ? sparseSoftmaxCrossEntropyWithLogits(ids, x, {reduction: 'mean'}) :
                                                            softmaxCrossEntropyWithLogits(labels, x, {reduction: 'mean'})) as tf.Scalar);
      // The step alone (its read-back would add tfjs's decode program).
      const {result, launched} = await launchedPrograms(async () => vg(logits));
      await result.grad.data();
      tf.dispose([result.value, result.grad]);
      const foreign = launched.filter(n => !/^SoftmaxCE/.test(n) && n !== 'ReduceProgram');
      expect(foreign.length === 0, () => `${sparse ? 'sparse' : 'dense'}: programs other than ours and Sum's: ${launched}`);
      expect(launched.includes('ReduceProgram') && launched.includes('SoftmaxCEAlignedGradProgram'),
             () => `${sparse ? 'sparse' : 'dense'}: launched ${launched}`);
    }
  } finally {
    tf.dispose([logits, ids, labels]);
  }
});

// ---- focal kernels ------------------------------------------------------------

/** Names of our focal programs in tfjs's shader cache. */
function focalProgramKeys(cache: Record<string, unknown>): string[] {
  return Object.keys(cache).filter(k => /^(Focal|BinaryFocal)/.test(k));
}

/** Records the class names of the programs `runWebGLProgram` launches while `f` runs. */
async function launchedPrograms<T>(f: () => Promise<T>): Promise<{result: T, launched: string[]}> {
  const backend = webgl();
  const launched: string[] = [];
  const original = backend.runWebGLProgram;
  backend.runWebGLProgram = function(this: WebGLInternals, program: object, ...rest: unknown[]) {
    launched.push(program.constructor.name);
    return original.call(this, program, ...rest);
  };
  try {
    return {result: await f(), launched};
  } finally {
    backend.runWebGLProgram = original;
  }
}

/** d(Σ dy·L)/dv of an elementwise loss, entry by entry (central differences in float64). */
function elementwiseGrad(loss: (v: number, i: number) => number, v: ArrayLike<number>, dy: ArrayLike<number>): number[] {
  return Array.from(v, (vi, i) => {
    const h = 1e-5 * Math.max(1, Math.abs(vi));
    return dy[i] * (loss(vi + h, i) - loss(vi - h, i)) / (2 * h);
  });
}

const FOCAL_OPTS = {temperature: 1.3, labelSmoothing: 0.1, gamma: 1.5};
const BINARY_FOCAL_ATTRS = {labelSmoothing: 0.1, gamma: 1.5, alpha: 0.3, applyClassBalancing: true};

/**
 * Runs all six focal kernels directly on [rows, C] data with every attribute
 * (per-class α times class weights, smoothing, T, γ; sparse with an ignored
 * row, with and without smoothing) and checks each against the float64
 * reference; every focal kernel must launch our programs.
 */
async function runAllFocalKernels(rows: number, C: number, seed: number, rtol: number): Promise<string[]> {
  const x = randn(rows * C, seed, 2);
  const y = randProbs(rows, C, seed + 1);
  const t = randLabels(rows, C, seed + 2);
  const dy = randn(rows, seed + 3);
  const dyFull = randn(rows * C, seed + 4);
  const alpha = Array.from({length: C}, (_, c) => 0.1 + 0.05 * (c % 7));
  const classWeights = Array.from({length: C}, (_, c) => 0.5 + (c % 3));
  const o = {...FOCAL_OPTS, alpha, classWeights};
  const attrs = {...o, ignoreIndex: null};
  const logits = tf.tensor2d(x, [rows, C]);
  const labels = tf.tensor2d(y, [rows, C]);
  const ids = tf.tensor1d(t, 'int32');
  const dyT = tf.tensor1d(dy);
  const dyFullT = tf.tensor2d(dyFull, [rows, C]);
  const e = tf.engine();
  const run = (name: string, inputs: tf.NamedTensorMap, at: object) =>
      e.runKernel(name, inputs, at as unknown as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
  const what = `(${rows}×${C})`;
  const {launched} = await launchedPrograms(async () => {
    const outs: tf.Tensor[] = [];
    try {
      // Dense.
      const [loss, lse] = run(names.FocalCrossEntropy, {logits, labels}, attrs) as tf.Tensor[];
      outs.push(loss, lse);
      expectClose(await values(loss), refFocalLoss(x, y, rows, C, o), rtol, `FocalCrossEntropy loss ${what}`);
      expectClose(lseFromSaved(await values(lse), o.temperature),
                  refSoftmaxCrossEntropy(x, y, rows, C, {temperature: o.temperature}).lse, rtol,
                  `FocalCrossEntropy lse ${what}`);
      const dx = run(names.FocalCrossEntropyGrad, {logits, labels, lse, dy: dyT}, {...attrs, wrt: 'logits'}) as tf.Tensor;
      outs.push(dx);
      expectClose(await values(dx), refFocalGrad(x, y, rows, C, dy, o), rtol, `FocalCrossEntropyGrad d/dlogits ${what}`);
      const dl = run(names.FocalCrossEntropyGrad, {logits, labels, lse, dy: dyT}, {...attrs, wrt: 'labels'}) as tf.Tensor;
      outs.push(dl);
      if (rows * C <= 400) {  // finite differences: rows·C evaluations of the whole loss
        expectClose(await values(dl), numericGrad(v => refFocalLoss(x, v, rows, C, o), Array.from(y), dy), rtol,
                    `FocalCrossEntropyGrad d/dlabels ${what}`);
      }
      // Sparse, one ignored row, without smoothing (target-only programs) and with.
      for (const labelSmoothing of [0, 0.1]) {
        const so = {...o, labelSmoothing};
        const sAttrs = {...so, ignoreIndex: t[0]};
        const {targets, ignored} = sparseToDense(t, C, t[0]);
        const [sl, slse] = run(names.SparseFocalCrossEntropy, {logits, labels: ids}, sAttrs) as tf.Tensor[];
        outs.push(sl, slse);
        expectClose(await values(sl), refFocalLoss(x, targets, rows, C, so, ignored), rtol,
                    `SparseFocalCrossEntropy loss ε=${labelSmoothing} ${what}`);
        const sdx = run(names.SparseFocalCrossEntropyGrad, {logits, labels: ids, lse: slse, dy: dyT},
                        {...sAttrs, wrt: 'logits'}) as tf.Tensor;
        outs.push(sdx);
        expectClose(await values(sdx), refFocalGrad(x, targets, rows, C, dy, so, ignored), rtol,
                    `SparseFocalCrossEntropyGrad ε=${labelSmoothing} ${what}`);
      }
      // Binary.
      const b = BINARY_FOCAL_ATTRS;
      const bl = run(names.BinaryFocalCrossEntropy, {logits, labels}, b) as tf.Tensor;
      outs.push(bl);
      expectClose(await values(bl), refBinaryFocalLoss(x, y, b), rtol, `BinaryFocalCrossEntropy ${what}`);
      const one = (xi: number, zi: number) => refBinaryFocalLoss([xi], [zi], b)[0];
      for (const wrt of ['logits', 'labels'] as const) {
        const g = run(names.BinaryFocalCrossEntropyGrad, {logits, labels, dy: dyFullT}, {...b, wrt}) as tf.Tensor;
        outs.push(g);
        const ref = wrt === 'logits' ? elementwiseGrad((v, i) => one(v, y[i]), x, dyFull) :
                                       elementwiseGrad((v, i) => one(x[i], v), y, dyFull);
        expectClose(await values(g), ref, rtol, `BinaryFocalCrossEntropyGrad d/d${wrt} ${what}`);
      }
    } finally {
      tf.dispose(outs);
    }
  });
  tf.dispose([logits, labels, ids, dyT, dyFullT]);
  for (const p of ['FocalRowSumProgram', 'FocalTargetLossProgram', 'FocalGradProgram', 'BinaryFocalProgram']) {
    expect(launched.includes(p), () => `${p} did not run (launched: ${[...new Set(launched)].join(', ')})`);
  }
  return launched;
}

add('webgl', 'webgl focal kernels', 'every focal kernel, every attribute, runs our programs (6×10, 7×3, 5×1)', async env => {
  await runAllFocalKernels(6, 10, 101, env.rtol);
  await runAllFocalKernels(7, 3, 102, env.rtol);
  await runAllFocalKernels(5, 1, 103, env.rtol);
});

add('webgl', 'webgl focal kernels', 'new batch sizes and class counts of one size class compile no new shader', async env => {
  const cache = webgl().binaryCache;
  await runAllFocalKernels(6, 10, 111, env.rtol);  // loop bound 16
  const before = focalProgramKeys(cache);
  expect(before.length >= 5, () => `expected our focal programs in the shader cache, found ${before.length}`);
  for (const [rows, C] of [[11, 10], [23, 13], [40, 9]]) {
    await runAllFocalKernels(rows, C, rows + 110, env.rtol);
  }
  const added = focalProgramKeys(cache).filter(k => !before.includes(k));
  expect(added.length === 0, () => `new shaders compiled for new shapes: ${added.map(k => k.slice(0, 60)).join(', ')}`);
  await runAllFocalKernels(4, 40, 117, env.rtol);  // loop bound 64: must compile
  expect(focalProgramKeys(cache).length > before.length, () => 'C = 40 (loop bound 64) reused the C = 10 shader');
});

add('webgl', 'webgl focal kernels', 'staged row sums (C above the single-pass limit, and three stages with the limit at 4)', async env => {
  await runAllFocalKernels(3, 1025, 121, env.rtol);
  const {launched} = await launchedPrograms(() => runAllFocalKernels(2, 5000, 122, env.rtol));
  expect(launched.includes('FocalPartialSumProgram'), () => 'C = 5000 ran no merge stage');
  const saved = tf.env().getNumber(SINGLE_PASS_MAX_FLAG);
  tf.env().set(SINGLE_PASS_MAX_FLAG, 4);
  try {
    // C = 37 → windows of 7 → 6 partials → windows of 3 → 2 → 1.
    await runAllFocalKernels(5, 37, 123, env.rtol);
    await runAllFocalKernels(3, 5, 124, env.rtol);
  } finally {
    tf.env().set(SINGLE_PASS_MAX_FLAG, saved);
  }
});

add('webgl', 'webgl focal kernels', 'focal kernels release every intermediate texture (alpha upload, lse stats, row sums)', async () => {
  const backend = webgl();
  const rows = 6, C = 300;  // staged: stats + merges, row sum + merges
  const logits = tf.tensor2d(randn(rows * C, 131), [rows, C]);
  const labels = tf.tensor2d(randProbs(rows, C, 132), [rows, C]);
  const ids = tf.tensor1d(randLabels(rows, C, 133), 'int32');
  const dy = tf.ones([rows]);
  const dyFull = tf.onesLike(logits);
  const attrs = {...FOCAL_OPTS, alpha: [0.25], classWeights: Array.from({length: C}, (_, c) => 1 + (c % 3)), ignoreIndex: 2};
  const e = tf.engine();
  const run = (name: string, inputs: tf.NamedTensorMap, at: object) =>
      e.runKernel(name, inputs, at as unknown as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
  const once = async () => {
    const outs: tf.Tensor[] = [];
    for (const labelSmoothing of [0, 0.1]) {
      const at = {...attrs, labelSmoothing};
      for (const [kernel, grad, lbl] of [
             [names.FocalCrossEntropy, names.FocalCrossEntropyGrad, labels],
             [names.SparseFocalCrossEntropy, names.SparseFocalCrossEntropyGrad, ids],
           ] as const) {
        const [loss, lse] = run(kernel, {logits, labels: lbl}, at) as tf.Tensor[];
        outs.push(loss, lse, run(grad, {logits, labels: lbl, lse, dy}, {...at, wrt: 'logits'}) as tf.Tensor);
      }
      outs.push(run(names.FocalCrossEntropyGrad, {logits, labels, lse: outs[1], dy}, {...at, wrt: 'labels'}) as tf.Tensor);
    }
    outs.push(run(names.BinaryFocalCrossEntropy, {logits, labels}, BINARY_FOCAL_ATTRS) as tf.Tensor);
    outs.push(run(names.BinaryFocalCrossEntropyGrad, {logits, labels, dy: dyFull}, {...BINARY_FOCAL_ATTRS, wrt: 'logits'}) as tf.Tensor);
    for (const o of outs) await o.data();
    tf.dispose(outs);
  };
  try {
    await once();
    const before = backend.numDataIds();
    for (let i = 0; i < 3; i++) await once();
    const after = backend.numDataIds();
    expect(after === before, () => `${after - before} backend data ids left behind over 3 calls of every focal kernel`);
  } finally {
    tf.dispose([logits, labels, ids, dy, dyFull]);
  }
});

/**
 * Logits from a matMul (packed) through every focal kernel with every
 * attribute: reference values and no unpack launch. Dense labels come packed
 * too (labels · I, exact).
 */
async function checkFocalPackedInputs(rows: number, C: number, seed: number, rtol: number): Promise<void> {
  const backend = webgl();
  const k = 4;
  const a = tf.tensor2d(randn(rows * k, seed), [rows, k]);
  const b = tf.tensor2d(randn(k * C, seed + 1), [k, C]);
  const t = randLabels(rows, C, seed + 2);
  const y = randProbs(rows, C, seed + 3);
  const dy = randn(rows, seed + 4);
  const ids = tf.tensor1d(t, 'int32');
  const labelsCpu = tf.tensor2d(y, [rows, C]);
  const eye = tf.eye(C);
  const dyT = tf.tensor1d(dy);
  const probe = tf.matMul(a, b);
  const x = await values(probe);
  probe.dispose();
  const alpha = Array.from({length: C}, (_, c) => 0.2 + 0.1 * (c % 3));
  const classWeights = Array.from({length: C}, (_, c) => 0.25 + (c % 5) * 0.5);
  const ones = new Float32Array(rows * C).fill(1);
  const outputs: tf.Tensor[] = [];
  const e = tf.engine();
  const run = (name: string, inputs: tf.NamedTensorMap, at: object) =>
      e.runKernel(name, inputs, at as unknown as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
  try {
    const cases = [
      {kernel: names.FocalCrossEntropy, grad: names.FocalCrossEntropyGrad, labelSmoothing: 0.1, sparse: false},
      {kernel: names.SparseFocalCrossEntropy, grad: names.SparseFocalCrossEntropyGrad, labelSmoothing: 0, sparse: true},
      {kernel: names.SparseFocalCrossEntropy, grad: names.SparseFocalCrossEntropyGrad, labelSmoothing: 0.1, sparse: true},
      {kernel: names.BinaryFocalCrossEntropy, grad: names.BinaryFocalCrossEntropyGrad, labelSmoothing: 0.1, sparse: false},
    ];
    for (const cs of cases) {
      const binary = cs.kernel === names.BinaryFocalCrossEntropy;
      const o = {temperature: 1.3, labelSmoothing: cs.labelSmoothing, gamma: 0.5, alpha, classWeights};
      const attrs = binary ? BINARY_FOCAL_ATTRS : {...o, ignoreIndex: cs.sparse ? t[0] : null};
      const logits = tf.matMul(a, b);
      const lbl = cs.sparse ? ids : tf.matMul(labelsCpu, eye);
      for (const [what, v] of [['logits', logits], ['labels', lbl]] as const) {
        expect(v === ids || backend.texData.get(v.dataId).isPacked === true, () => `matMul ${what} are not packed`);
      }
      const {launched, result: [loss, lse, dx, dyFull]} = await launchedPrograms(async () => {
        const fwd = run(cs.kernel, {logits, labels: lbl}, attrs);
        const [l, s] = Array.isArray(fwd) ? fwd : [fwd, null];
        const dyFullT = binary ? tf.onesLike(logits) : null;
        const g = run(cs.grad, binary ? {logits, labels: lbl, dy: dyFullT as tf.Tensor} :
                                        {logits, labels: lbl, lse: s as tf.Tensor, dy: dyT}, {...attrs, wrt: 'logits'}) as tf.Tensor;
        return [l, s, g, dyFullT] as const;
      });
      outputs.push(logits, loss, dx, ...(lse ? [lse] : []), ...(dyFull ? [dyFull] : []), ...(lbl !== ids ? [lbl] : []));
      const unpacks = launched.filter(n => /unpack/i.test(n));
      const what = `${cs.kernel} ε=${cs.labelSmoothing} from packed logits (${rows}×${C})`;
      expect(unpacks.length === 0, () => `${what}: unpack passes ${unpacks} (launched ${launched})`);
      expect(launched.some(n => /Focal/.test(n)), () => `${what}: launched ${launched}`);
      if (binary) {
        expectClose(await values(loss), refBinaryFocalLoss(x, y, BINARY_FOCAL_ATTRS), rtol, `${what}: loss`);
        const ref = elementwiseGrad((v, i) => refBinaryFocalLoss([v], [y[i]], BINARY_FOCAL_ATTRS)[0], x, ones);
        expectClose(await values(dx), ref, rtol, `${what}: d/dlogits`);
      } else {
        const {targets, ignored} = cs.sparse ? sparseToDense(t, C, t[0]) : {targets: Array.from(y), ignored: []};
        expectClose(await values(loss), refFocalLoss(x, targets, rows, C, o, ignored), rtol, `${what}: loss`);
        expectClose(await values(dx), refFocalGrad(x, targets, rows, C, dy, o, ignored), rtol, `${what}: d/dlogits`);
      }
    }
  } finally {
    tf.dispose([a, b, ids, labelsCpu, eye, dyT, ...outputs]);
  }
}

add('webgl', 'webgl focal kernels', 'packed logits (from matMul) run packed focal programs with no unpack pass', async env => {
  await checkFocalPackedInputs(6, 7, 141, env.rtol);
  await checkFocalPackedInputs(5, 301, 142, env.rtol);
});

add('webgl', 'webgl focal kernels', 'NaN, −∞ windows and out-of-range labels through a staged row', async env => {
  const rows = 5, C = 1500;
  const x = randn(rows * C, 151, 3);
  const t = Array.from(randLabels(rows, C, 152));
  for (let c = 0; c < 400; c++) x[c] = -Infinity;  // row 0: first windows masked, target later
  t[0] = 1200;
  x[C + 700] = NaN;                                  // row 1: one NaN
  for (let c = 0; c < C; c++) x[2 * C + c] = c === 5 ? 0 : -Infinity;  // row 2: one finite logit, the target (p = 1)
  t[2] = 5;
  t[3] = C + 3;                                      // row 3: out of range
  const logits = tf.tensor2d(x, [rows, C]);
  const labels = tf.tensor1d(t, 'int32');
  const dy = tf.ones([rows]);
  const e = tf.engine();
  const valid = [0, 2, 4];
  const pick = (v: ArrayLike<number>, w: number) => Array.from(v).filter((_, i) => valid.includes(Math.floor(i / w)));
  try {
    for (const labelSmoothing of [0, 0.1]) {
      // ε = 0.1 puts target mass on the −∞ logits too: row 0 and 2 losses are +∞ then.
      const o = {temperature: 1, labelSmoothing, gamma: 0.5, alpha: [0.25], classWeights: null, ignoreIndex: null};
      const safe = t.map((v, i) => (i === 3 ? 0 : v));
      const {targets} = sparseToDense(safe, C);
      const [loss, lse] = e.runKernel(names.SparseFocalCrossEntropy, {logits, labels}, o as unknown as tf.NamedAttrMap) as tf.Tensor[];
      const dx = e.runKernel(names.SparseFocalCrossEntropyGrad, {logits, labels, lse, dy},
                             {...o, wrt: 'logits'} as unknown as tf.NamedAttrMap) as tf.Tensor;
      const l = await values(loss), g = await values(dx);
      tf.dispose([loss, lse, dx]);
      const at = `ε = ${labelSmoothing}`;
      expect(Number.isNaN(l[1]) && Number.isNaN(l[3]), () => `${at}: rows 1 (NaN) and 3 (bad label) must be NaN: ${l}`);
      expect(g.slice(C, 2 * C).every(Number.isNaN) && g.slice(3 * C, 4 * C).every(Number.isNaN), () => `${at}: gradient rows 1 and 3 must be NaN`);
      const refO = {gamma: 0.5, alpha: 0.25, labelSmoothing};
      expectClose(pick(l, 1), pick(refFocalLoss(x, targets, rows, C, refO), 1), env.rtol, `${at}: loss`);
      if (labelSmoothing === 0) {
        // The reference's B is 0·∞ = NaN for smoothed targets on −∞ logits; the kernels use its limit 0.
        expectClose(pick(g, C), pick(refFocalGrad(x, targets, rows, C, new Float32Array(rows).fill(1), refO), C), env.rtol,
                    `${at}: d/dlogits`);
      } else {
        expectFinite(pick(g, C), `${at}: d/dlogits of rows 0, 2, 4`);
      }
    }
  } finally {
    tf.dispose([logits, labels, dy]);
  }
});

add('webgl1', 'webgl1', 'tfjs runs on a WebGL1 context (GLSL ES 1.00 shaders)', async () => {
  const gl = (tf.backend() as unknown as {gpgpu: {gl: WebGLRenderingContext}}).gpgpu.gl;
  expect(tf.env().getNumber('WEBGL_VERSION') === 1, () => `WEBGL_VERSION = ${tf.env().getNumber('WEBGL_VERSION')}`);
  expect(!(gl instanceof WebGL2RenderingContext), () => 'the backend holds a WebGL2 context');
});

// ---- float16 textures -------------------------------------------------------

/**
 * max |actual − expected| ≤ atol, every actual finite. Logs the worst error
 * as a "[measure]" console line (the harness collects those for the report).
 */
function expectWithin(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, what: string): void {
  expectFinite(actual, what);
  let worst = 0, at = -1;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    if (!(err <= worst)) { worst = err; at = i; }
  }
  console.info(`[measure] float16 ${what}: max abs error ${worst.toExponential(2)} vs float64`);
  expect(worst <= atol, () => `${what}[${at}] = ${actual[at]}, expected ${expected[at]} (error ${worst} > ${atol})`);
}

/** Logits uniform in [−30, 30], the range the float16 pass must handle. */
function wideLogits(n: number, seed: number): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (r() * 2 - 1) * 30;
  out[0] = 30;
  out[1] = -30;
  return out;
}

/**
 * Absolute tolerances of the float16 pass: the README's claim, measured here (SwiftShader, fixed
 * data): losses 3.62e-2 (dense/sparse softmax 16×10), gradients 2.66e-3 (dense/sparse softmax
 * 16×10; every kernel saves (m, s), no float32 lse); about a tenth of headroom.
 */
const F16_ATOL = 4e-2, F16_GRAD_ATOL = 3e-3;

add('f16', 'float16', 'the webgl backend really stores half floats', async () => {
  // backend.floatPrecision() is no witness: its probe, abs(1e-8) on a scalar,
  // runs on the CPU (tfjs hands small tensors to cpu), so it says 32 here.
  // Instead: 2/3 computed on the GPU must come back rounded to float16
  // (0.66650390625, error 1.6e-4), not to float32 (error 2e-8).
  webgl();
  const third = tf.tensor1d(new Float32Array(1024).fill(1 / 3));
  const sum = tf.add(third, third);
  const v = (await values(sum))[0];
  tf.dispose([third, sum]);
  expect(Math.abs(v - 2 / 3) > 1e-5 && Math.abs(v - 2 / 3) < 1e-3, () => `2/3 came back as ${v}: not float16`);
});

for (const [rows, C] of [[16, 10], [4, 1500]]) {
  add('f16', 'float16', `dense and sparse softmax, logits ±30, ${rows}×${C}`, async () => {
    const x = wideLogits(rows * C, C);
    const t = randLabels(rows, C, C + 1);
    const y = oneHotRows(t, C);
    const logits = tf.tensor2d(x, [rows, C]);
    const labels = tf.tensor2d(y, [rows, C]);
    const ids = tf.tensor1d(t, 'int32');
    try {
      const dense = refSoftmaxCrossEntropy(x, y, rows, C, {labelSmoothing: 0.1});
      const sparse = refSparseSoftmaxCrossEntropy(x, t, rows, C, {labelSmoothing: 0.1});
      const ones = new Float32Array(rows).fill(1);
      const [l1, g1] = tf.tidy(() => {
        const f = (l: tf.Tensor) => softmaxCrossEntropyWithLogits(labels, l, {labelSmoothing: 0.1});
        return [f(logits), tf.grad(f)(logits)];
      });
      const [l2, g2] = tf.tidy(() => {
        const f = (l: tf.Tensor) => sparseSoftmaxCrossEntropyWithLogits(ids, l, {labelSmoothing: 0.1});
        return [f(logits), tf.grad(f)(logits)];
      });
      expectWithin(await values(l1), dense.loss, F16_ATOL, `dense loss ${rows}×${C}`);
      expectWithin(await values(g1), dense.dlogits(ones), F16_GRAD_ATOL, `dense d/dlogits ${rows}×${C}`);
      expectWithin(await values(l2), sparse.loss, F16_ATOL, `sparse loss ${rows}×${C}`);
      expectWithin(await values(g2), sparse.dlogits(ones), F16_GRAD_ATOL, `sparse d/dlogits ${rows}×${C}`);
      tf.dispose([l1, g1, l2, g2]);
    } finally {
      tf.dispose([logits, labels, ids]);
    }
  });
}

add('f16', 'float16', 'sigmoid, logits ±30', async () => {
  const rows = 8, C = 12;
  const x = wideLogits(rows * C, 5);
  const z = randProbs(rows, C, 6);
  const logits = tf.tensor2d(x, [rows, C]);
  const labels = tf.tensor2d(z, [rows, C]);
  try {
    const ref = refSigmoidCrossEntropy(x, z, C, {posWeight: [3]});
    const f = (l: tf.Tensor) => sigmoidCrossEntropyWithLogits(labels, l, {posWeight: 3});
    const [loss, g] = tf.tidy(() => [f(logits), tf.grad(f)(logits)]);
    expectWithin(await values(loss), ref.loss, F16_ATOL, 'sigmoid loss');
    expectWithin(await values(g), ref.dlogits(new Float32Array(rows * C).fill(1)), F16_GRAD_ATOL, 'sigmoid d/dlogits');
    tf.dispose([loss, g]);
  } finally {
    tf.dispose([logits, labels]);
  }
});

for (const [rows, C] of [[16, 10], [4, 1500]]) {
  add('f16', 'float16', `focal dense, sparse and binary, logits ±30, ${rows}×${C} (fused programs)`, async () => {
    const x = wideLogits(rows * C, C + 7);
    const t = randLabels(rows, C, C + 8);
    const y = oneHotRows(t, C);
    const logits = tf.tensor2d(x, [rows, C]);
    const labels = tf.tensor2d(y, [rows, C]);
    const ids = tf.tensor1d(t, 'int32');
    const ones = new Float32Array(rows).fill(1);
    try {
      const {launched} = await launchedPrograms(async () => {
        for (const labelSmoothing of [0, 0.1]) {
          // γ = 0.5 and T = 0.7: z = x/T is no half float, so the lse read back from
          // a half-float texture can round below the row's max z; q = 1 − p < 0
          // there would make q^γ NaN (the kernels clamp log p ≤ 0).
          const o = labelSmoothing === 0 ? {gamma: 2, alpha: 0.25, labelSmoothing} :
                                           {gamma: 0.5, alpha: 0.25, labelSmoothing, temperature: 0.7};
          const ref = refFocalLoss(x, y, rows, C, o), refG = refFocalGrad(x, y, rows, C, ones, o);
          for (const [what, f] of [
            ['dense', (l: tf.Tensor) => softmaxFocalCrossEntropyWithLogits(labels, l, o)],
            ['sparse', (l: tf.Tensor) => sparseSoftmaxFocalCrossEntropyWithLogits(ids, l, o)],
          ] as const) {
            const [loss, g] = tf.tidy(() => [f(logits), tf.grad(f)(logits)]);
            expectWithin(await values(loss), ref, F16_ATOL, `focal ${what} ε=${labelSmoothing} γ=${o.gamma} loss ${rows}×${C}`);
            expectWithin(await values(g), refG, F16_GRAD_ATOL, `focal ${what} ε=${labelSmoothing} γ=${o.gamma} d/dlogits ${rows}×${C}`);
            tf.dispose([loss, g]);
          }
        }
        const bo = {gamma: 2, alpha: 0.25, applyClassBalancing: true};
        const z = randProbs(rows, C, C + 9);
        const zT = tf.tensor2d(z, [rows, C]);
        const f = (l: tf.Tensor) => sigmoidFocalCrossEntropyWithLogits(zT, l, bo);
        const [loss, g] = tf.tidy(() => [f(logits), tf.grad(f)(logits)]);
        expectWithin(await values(loss), refBinaryFocalLoss(x, z, bo), F16_ATOL, `binary focal loss ${rows}×${C}`);
        const refG = elementwiseGrad((v, i) => refBinaryFocalLoss([v], [z[i]], bo)[0], x, new Float32Array(rows * C).fill(1));
        expectWithin(await values(g), refG, F16_GRAD_ATOL, `binary focal d/dlogits ${rows}×${C}`);
        tf.dispose([loss, g, zT]);
      });
      for (const p of ['FocalGradProgram', 'FocalTargetLossProgram', 'FocalRowSumProgram', 'BinaryFocalProgram']) {
        expect(launched.includes(p), () => `${p} did not run: the float16 pass must test the fused kernels`);
      }
    } finally {
      tf.dispose([logits, labels, ids]);
    }
  });
}

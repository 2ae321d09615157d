/**
 * WebGPU focal kernels in Node (Dawn), called directly through
 * tf.engine().runKernel so every attribute and both gradient targets are
 * exercised against the float64 focal reference (test/losses/focal_reference.ts;
 * d/dlabels from the contract's closed form in float64 here, and checked
 * against finite differences through the op spec): both reduction paths
 * (subgroups and workgroup memory) for every row layout, C from 1 to 5000,
 * the 2-D grid past 65535 rows with one workgroup per row, logits around ±1e4
 * and offset by 1e3, NaN, −∞ masks, empty batches, pipeline reuse across
 * shapes and inputs whose GPU buffer is int32 behind a float32 dtype. Every
 * case runs inside a WebGPU validation error scope. Tolerance: 1e-5 normwise.
 */
import {describeWebGPU} from '../../../tools/webgpu/node_webgpu_env';
import '../../../kernels/webgpu/node_webgpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import {
  BinaryFocalCrossEntropy, BinaryFocalCrossEntropyGrad, FocalCrossEntropy, FocalCrossEntropyAttrs, FocalCrossEntropyGrad,
  SoftmaxCrossEntropy, SoftmaxCrossEntropyGrad, SparseFocalCrossEntropy, SparseFocalCrossEntropyGrad,
} from '../../../kernels/kernel_names';
import {useSplitBackward} from '../../../kernels/webgpu/FocalCrossEntropyGrad';
import {fusedPipelineKeys} from '../../../kernels/webgpu/launch';
import {FOCAL_SPLIT_MAX_ROWS_DEFAULT, FOCAL_SPLIT_MAX_ROWS_FLAG, FOCAL_SPLIT_MIN_C_DEFAULT, FOCAL_SPLIT_MIN_C_FLAG, SUBGROUPS_FLAG} from '../../../kernels/webgpu/flags_webgpu';
import {refBinaryFocalLoss, RefBinaryFocalOptions, refFocalGrad, refFocalLoss, RefFocalOptions, sparseToDense} from '../../losses/focal_reference';
import {refSoftmaxCrossEntropy} from '../../reference/reference';
import {expect as check, expectClose, randLabels, randn, randProbs, rng} from '../../spec/assert';
import {inErrorScope, setupWebGPU, teardownWebGPU} from '../../../tools/webgpu/harness';

const RTOL = 1e-5;

function runK(name: string, inputs: tf.NamedTensorMap, attrs: object): tf.Tensor | tf.Tensor[] {
  return tf.engine().runKernel(name, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
}

/** The contract's attributes from reference options (defaults: γ = 2, α = 0.25, as the ops). */
function attrsOf(o: RefFocalOptions): FocalCrossEntropyAttrs {
  return {
    temperature: o.temperature ?? 1,
    labelSmoothing: o.labelSmoothing ?? 0,
    gamma: o.gamma ?? 2,
    alpha: typeof o.alpha === 'number' ? [o.alpha] : o.alpha ?? [0.25],
    classWeights: o.classWeights ?? null,
    ignoreIndex: o.ignoreIndex ?? null,
  };
}

/** float64 lse of z = x/T per row. */
function refLse(x: ArrayLike<number>, rows: number, C: number, T: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < rows; i++) {
    let m = -Infinity, nan = false;
    for (let c = 0; c < C; c++) {
      const z = x[i * C + c] / T;
      if (Number.isNaN(z)) nan = true;
      if (z > m) m = z;
    }
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(x[i * C + c] / T - m);
    out.push(nan ? NaN : m === -Infinity ? -Infinity : m + Math.log(s));
  }
  return out;
}

/** Contract: dlabels[i,c] = dy[i]·(1 − ε)·a[c]·q^γ·g, in float64 with q = (s − e_c)/s. */
function refFocalLabelsGrad(x: ArrayLike<number>, rows: number, C: number, dy: ArrayLike<number>, o: RefFocalOptions): number[] {
  const T = o.temperature ?? 1, eps = o.labelSmoothing ?? 0, gamma = o.gamma ?? 2, alpha = o.alpha ?? 0.25;
  const a = (c: number) => (typeof alpha === 'number' ? alpha : alpha[c]) * (o.classWeights ? o.classWeights[c] : 1);
  const out: number[] = [];
  for (let i = 0; i < rows; i++) {
    const z = Array.from({length: C}, (_, c) => x[i * C + c] / T);
    const m = Math.max(...z);
    const e = z.map(v => Math.exp(v - m));
    const s = e.reduce((u, v) => u + v, 0);
    for (let c = 0; c < C; c++) {
      const g = -(z[c] - m - Math.log(s));
      out.push(dy[i] * (1 - eps) * a(c) * Math.pow((s - e[c]) / s, gamma) * g);
    }
  }
  return out;
}

interface Problem {
  rows: number;
  C: number;
  x: Float32Array;
  y: Float32Array;
  t: Int32Array;
  dy: Float32Array;
}

function problem(rows: number, C: number, seed: number, std = 3): Problem {
  return {rows, C, x: randn(rows * C, seed, std), y: randProbs(rows, C, seed + 1), t: randLabels(rows, C, seed + 2), dy: randn(rows, seed + 3)};
}

/**
 * Runs the six softmax-focal kernel calls (dense forward, d/dlogits,
 * d/dlabels; sparse forward, d/dlogits) on one problem and compares each with
 * the float64 reference. `rowProgramsOnly`: the dense forward and d/dlogits
 * only (a slow software GPU at 70000 rows).
 */
async function checkFocal(p: Problem, o: RefFocalOptions, what: string, opts: {rowProgramsOnly?: boolean} = {}): Promise<void> {
  const {rows, C, x, y, dy} = p;
  const a = attrsOf(o);
  const logits = tf.tensor2d(x, [rows, C]);
  const labels = tf.tensor2d(y, [rows, C]);
  const dyT = tf.tensor1d(dy);
  const made: tf.Tensor[] = [logits, labels, dyT];
  try {
    const [loss, lse] = runK(FocalCrossEntropy, {logits, labels}, {...a, ignoreIndex: null}) as tf.Tensor[];
    made.push(loss, lse);
    expectClose(await loss.data(), refFocalLoss(x, y, rows, C, o), RTOL, `dense loss ${what}`);
    expectClose(await lse.data(), refLse(x, rows, C, a.temperature), RTOL, `dense lse ${what}`);
    const dx = runK(FocalCrossEntropyGrad, {logits, labels, lse, dy: dyT}, {...a, ignoreIndex: null, wrt: 'logits'}) as tf.Tensor;
    made.push(dx);
    expectClose(await dx.data(), refFocalGrad(x, y, rows, C, dy, o), RTOL, `dense dlogits ${what}`);
    if (opts.rowProgramsOnly) return;
    const dl = runK(FocalCrossEntropyGrad, {logits, labels, lse, dy: dyT}, {...a, ignoreIndex: null, wrt: 'labels'}) as tf.Tensor;
    made.push(dl);
    expectClose(await dl.data(), refFocalLabelsGrad(x, rows, C, dy, o), RTOL, `dense dlabels ${what}`);

    const t = Int32Array.from(p.t);
    const ignore = o.ignoreIndex ?? null;
    if (ignore != null && rows > 2) t[2] = ignore;
    const {targets, ignored} = sparseToDense(t, C, ignore);
    const ids = tf.tensor1d(t, 'int32');
    made.push(ids);
    const [sLoss, sLse] = runK(SparseFocalCrossEntropy, {logits, labels: ids}, a) as tf.Tensor[];
    made.push(sLoss, sLse);
    expectClose(await sLoss.data(), refFocalLoss(x, targets, rows, C, o, ignored), RTOL, `sparse loss ${what}`);
    expectClose(await sLse.data(), refLse(x, rows, C, a.temperature), RTOL, `sparse lse ${what}`);
    const sdx = runK(SparseFocalCrossEntropyGrad, {logits, labels: ids, lse: sLse, dy: dyT}, {...a, wrt: 'logits'}) as tf.Tensor;
    made.push(sdx);
    expectClose(await sdx.data(), refFocalGrad(x, targets, rows, C, dy, o, ignored), RTOL, `sparse dlogits ${what}`);
  } finally {
    tf.dispose(made);
  }
}

/** Option sets: Keras defaults; every attribute on (half-integer γ); general γ with per-class α; γ = 0. */
function optionSets(C: number, seed: number): Array<[string, RefFocalOptions]> {
  const r = rng(seed);
  const perClass = () => Array.from({length: C}, () => 0.2 + r());
  return [
    ['defaults (γ = 2, α = 0.25)', {}],
    ['all options (T = 1.7, ε = 0.1, γ = 0.5, α and class weights per class, ignoreIndex)',
      {temperature: 1.7, labelSmoothing: 0.1, gamma: 0.5, alpha: perClass(), classWeights: perClass(), ignoreIndex: -100}],
    ['γ = 1.3 (exp2/log2 power), per-class α, ε = 0.05', {gamma: 1.3, alpha: perClass(), labelSmoothing: 0.05}],
    ['γ = 0, class weights, T = 0.5', {gamma: 0, alpha: 1, classWeights: perClass(), temperature: 0.5}],
  ];
}

/** Elementwise float64 central differences of the binary reference, times dy. */
function binaryFD(x: Float32Array, z: Float32Array, dy: Float32Array, o: RefBinaryFocalOptions, wrt: 'logits' | 'labels'): number[] {
  return Array.from(x, (xi, i) => {
    const v = wrt === 'logits' ? xi : z[i];
    const h = 1e-5 * Math.max(1, Math.abs(v));
    const at = (w: number) => (wrt === 'logits' ? refBinaryFocalLoss([w], [z[i]], o) : refBinaryFocalLoss([xi], [w], o))[0];
    return dy[i] * (at(v + h) - at(v - h)) / (2 * h);
  });
}

describeWebGPU('fused webgpu focal kernels (Node)', () => {
  let backend: WebGPUBackend;
  let compiles = 0;
  beforeAll(async () => {
    backend = await setupWebGPU();
    const device = backend.device;
    const create = device.createComputePipeline.bind(device);
    device.createComputePipeline = (d: GPUComputePipelineDescriptor) => {
      compiles++;
      return create(d);
    };
  });
  afterEach(() => {
    tf.env().set(SUBGROUPS_FLAG, true);
    tf.env().set(FOCAL_SPLIT_MIN_C_FLAG, FOCAL_SPLIT_MIN_C_DEFAULT);
    tf.env().set(FOCAL_SPLIT_MAX_ROWS_FLAG, FOCAL_SPLIT_MAX_ROWS_DEFAULT);
  });
  afterAll(teardownWebGPU);

  const run = (f: () => Promise<void>) => () => inErrorScope(backend, f);

  test('the focal kernels are registered for webgpu', () => {
    for (const k of [FocalCrossEntropy, FocalCrossEntropyGrad, SparseFocalCrossEntropy, SparseFocalCrossEntropyGrad,
      BinaryFocalCrossEntropy, BinaryFocalCrossEntropyGrad]) {
      check(tf.getKernel(k, 'webgpu') != null, () => `${k} is not registered for webgpu`);
    }
  });

  // 1, 3, 5: one thread per row, scalar loads; 64: thread per row, vec4;
  // 65, 1031: a workgroup per row, scalar loads; 100, 1000, 5000: vec4. Above
  // 64 classes: both reductions, and the split backward (row stats, then an
  // elementwise pass) besides the single row program.
  const layouts: Array<[number, boolean, boolean]> = [];
  for (const C of [1, 3, 5, 64]) layouts.push([C, false, false]);
  for (const C of [65, 100, 1000, 1031, 5000]) layouts.push([C, true, false], [C, false, false], [C, true, true]);
  for (const [C, subgroups, split] of layouts) {
    const layout = C <= 64 ? 'thread per row' : `${subgroups ? 'subgroup' : 'workgroup-memory'} reductions${split ? ', split backward' : ''}`;
    test(`C = ${C}, ${layout}: every option set vs float64`, run(async () => {
      tf.env().set(SUBGROUPS_FLAG, subgroups);
      tf.env().set(FOCAL_SPLIT_MIN_C_FLAG, split ? 0 : Infinity);
      const before = new Set(fusedPipelineKeys(backend));
      for (const [name, o] of optionSets(C, 40 + C)) {
        await checkFocal(problem(7, C, 2000 + C), o, `C = ${C}, ${name}`);
      }
      const used = fusedPipelineKeys(backend).filter(k => !before.has(k) && k.includes('focal_'));
      const rowKeys = used.filter(k => !k.includes('focal_apply'));
      if (C > 64 && rowKeys.length > 0) {
        check(rowKeys.every(k => k.includes('_sg') === subgroups), () => `pipelines ${used.join(', ')} do not match subgroups=${subgroups}`);
      }
      if (C > 64 && used.length > 0) {
        check(used.some(k => k.includes('focal_apply') || k.includes('focal_stats')) === split,
            () => `pipelines ${used.join(', ')} do not match split=${split}`);
      }
    }), 120000);
  }

  test('default d/dlogits variant: split for ≤ 512 rows of ≥ 16384 classes (the H200 measurements), and it runs', run(async () => {
    check(useSplitBackward(8, 262144) && useSplitBackward(512, 32000) && useSplitBackward(1, 16384),
        () => 'few rows of many classes should take the split backward');
    check(!useSplitBackward(513, 32000) && !useSplitBackward(8, 16383) && !useSplitBackward(4096, 1000) && !useSplitBackward(1, 64),
        () => 'many rows, or fewer classes, should take one dispatch');
    await checkFocal(problem(3, 16384, 77), {gamma: 2, labelSmoothing: 0.1, ignoreIndex: -100}, '[3, 16384] default variant');
    // Which programs ran: the launcher names each dispatch after its program key under tf.time.
    const logits = tf.randomNormal([3, 16384]), labels = tf.softmax(tf.randomNormal([3, 16384])), dy = tf.ones([3]);
    let dx: tf.Tensor | null = null;
    const info = await tf.time(() => {
      dx = runK(FocalCrossEntropyGrad, {logits, labels, lse: dy, dy}, {...attrsOf({}), wrt: 'logits'}) as tf.Tensor;
    });
    const ran = (info as unknown as {getExtraProfileInfo?: () => string}).getExtraProfileInfo?.() ?? '';
    check(ran.includes('focal_stats_dense') && ran.includes('focal_apply_dense'), () => `the split backward did not run: ${ran}`);
    tf.dispose([logits, labels, dy, dx as unknown as tf.Tensor]);
  }), 120000);

  test('the max class is exact: C = 1 gives loss and gradient 0 exactly, at any T', run(async () => {
    for (const T of [1, 0.7, 3]) {
      const rows = 5;
      const x = randn(rows, 8, 3);
      const logits = tf.tensor2d(x, [rows, 1]), labels = tf.ones([rows, 1]), dy = tf.ones([rows]);
      const a = attrsOf({temperature: T, gamma: 0.5, labelSmoothing: 0.1});
      const [loss, lse] = runK(FocalCrossEntropy, {logits, labels}, a) as tf.Tensor[];
      const dx = runK(FocalCrossEntropyGrad, {logits, labels, lse, dy}, {...a, wrt: 'logits'}) as tf.Tensor;
      const l = await loss.data(), g = await dx.data();
      check(l.every(v => v === 0) && g.every(v => v === 0), () => `T = ${T}: loss ${l}, gradient ${g}`);
      expectClose(await lse.data(), Array.from(x, v => v / T), RTOL, `T = ${T}: lse`);
      tf.dispose([logits, labels, dy, loss, lse, dx]);
    }
  }));

  test('γ = 0 is softmax cross-entropy with weights a = α·w (the fused softmax kernels agree)', run(async () => {
    const {rows, C, x, y, dy} = problem(6, 70, 5);
    const w = Array.from({length: C}, (_, c) => 0.5 + (c % 7) / 4);
    const logits = tf.tensor2d(x, [rows, C]), labels = tf.tensor2d(y, [rows, C]), dyT = tf.tensor1d(dy);
    const fa = {temperature: 1.3, labelSmoothing: 0.1, gamma: 0, alpha: [0.5], classWeights: w, ignoreIndex: null};
    const sa = {temperature: 1.3, labelSmoothing: 0.1, zLoss: 0, classWeights: w.map(v => 0.5 * v), ignoreIndex: null};
    const [fl, flse] = runK(FocalCrossEntropy, {logits, labels}, fa) as tf.Tensor[];
    const [sl, slse] = runK(SoftmaxCrossEntropy, {logits, labels}, sa) as tf.Tensor[];
    const fdx = runK(FocalCrossEntropyGrad, {logits, labels, lse: flse, dy: dyT}, {...fa, wrt: 'logits'}) as tf.Tensor;
    const sdx = runK(SoftmaxCrossEntropyGrad, {logits, labels, lse: slse, dy: dyT}, {...sa, wrt: 'logits'}) as tf.Tensor;
    const ref = refSoftmaxCrossEntropy(x, y, rows, C, sa);
    expectClose(await fl.data(), ref.loss, RTOL, 'focal γ=0 loss vs softmax CE reference');
    expectClose(await fl.data(), Array.from(await sl.data()), RTOL, 'focal γ=0 loss vs fused softmax CE');
    expectClose(await fdx.data(), ref.dlogits(dy), RTOL, 'focal γ=0 dlogits vs softmax CE reference');
    expectClose(await fdx.data(), Array.from(await sdx.data()), RTOL, 'focal γ=0 dlogits vs fused softmax CE');
    tf.dispose([logits, labels, dyT, fl, flse, sl, slse, fdx, sdx]);
  }));

  test('70000 rows with one workgroup per row (2-D grid past 65535 workgroups), both layouts', run(async () => {
    await checkFocal(problem(70000, 65, 11, 2), {labelSmoothing: 0.1, gamma: 1.5}, '[70000, 65]', {rowProgramsOnly: true});
    await checkFocal(problem(70000, 3, 12, 2), {gamma: 2}, '[70000, 3]', {rowProgramsOnly: true});
  }), 300000);

  test('logits around ±1e4 and offset by 1e3: loss and gradients within 1e-5 of float64', run(async () => {
    for (const [name, C, x] of [['±1e4', 40, randn(8 * 40, 31, 1e4)], ['1e3 + N(0, 3²)', 40, randn(8 * 40, 32, 3).map(v => v + 1000)],
      ['±1e4, C = 4', 4, randn(8 * 4, 33, 1e4)]] as const) {
      const p = {...problem(8, C, 34), x: Float32Array.from(x)};
      await checkFocal(p, {gamma: 2, labelSmoothing: 0.1}, name);
      await checkFocal(p, {gamma: 0.5}, `${name}, γ = 0.5`);
    }
  }));

  test('NaN in a logit or a label gives NaN for that row only (loss, lse, both gradients)', run(async () => {
    for (const C of [6, 100]) {
      const rows = 3;
      const x = randn(rows * C, 1), y = randProbs(rows, C, 2);
      x[C + 2] = NaN;        // row 1: NaN logit
      y[2 * C + 1] = NaN;    // row 2: NaN label (dense)
      const logits = tf.tensor2d(x, [rows, C]), labels = tf.tensor2d(y, [rows, C]), dy = tf.ones([rows]);
      const a = attrsOf({labelSmoothing: 0.1});
      const [loss, lse] = runK(FocalCrossEntropy, {logits, labels}, a) as tf.Tensor[];
      const l = await loss.data(), s = await lse.data();
      check(Number.isFinite(l[0]) && Number.isNaN(l[1]) && Number.isNaN(l[2]), () => `C=${C} loss ${l}`);
      check(Number.isFinite(s[0]) && Number.isNaN(s[1]) && Number.isFinite(s[2]), () => `C=${C} lse ${s}`);
      const made: tf.Tensor[] = [logits, labels, dy, loss, lse];
      const value = async (t: tf.Tensor | tf.Tensor[]) => {
        const one = Array.isArray(t) ? t[0] : t;
        made.push(...(Array.isArray(t) ? t : [t]));
        return one.data();
      };
      const dx = await value(runK(FocalCrossEntropyGrad, {logits, labels, lse, dy}, {...a, wrt: 'logits'}));
      check(dx.slice(0, C).every(Number.isFinite) && dx.slice(C).every(Number.isNaN), () => `C=${C} dlogits ${dx}`);
      const dl = await value(runK(FocalCrossEntropyGrad, {logits, labels, lse, dy}, {...a, wrt: 'labels'}));
      check(dl.slice(0, C).every(Number.isFinite) && dl.slice(C, 2 * C).every(Number.isNaN) && dl.slice(2 * C).every(Number.isFinite),
          () => `C=${C} dlabels ${dl}`);
      const ids = tf.tensor1d([0, 1, 2], 'int32');
      made.push(ids);
      const sv = await value(runK(SparseFocalCrossEntropy, {logits, labels: ids}, a));
      check(Number.isFinite(sv[0]) && Number.isNaN(sv[1]) && Number.isFinite(sv[2]), () => `C=${C} sparse loss ${sv}`);
      const sdx = await value(runK(SparseFocalCrossEntropyGrad, {logits, labels: ids, lse, dy}, {...a, wrt: 'logits'}));
      check(sdx.slice(C, 2 * C).every(Number.isNaN) && sdx.slice(0, C).every(Number.isFinite) && sdx.slice(2 * C).every(Number.isFinite),
          () => `C=${C} sparse dlogits ${sdx}`);
      tf.dispose(made);
    }
  }));

  test('−∞ masks: finite where the target is not masked (vs float64), +∞ loss where it is', run(async () => {
    for (const C of [8, 97]) {
      const rows = 4;
      const x = randn(rows * C, 7);
      const t = Int32Array.from([0, 1, 2, 3]);
      for (let i = 0; i < rows; i++) {
        for (let c = 4; c < C; c += 3) x[i * C + c] = -Infinity;
      }
      x[3 * C + 3] = -Infinity;  // row 3: its target is masked
      const {targets} = sparseToDense(t, C);
      const o = {gamma: 2};
      const dy = new Float32Array(rows).fill(1);
      const logits = tf.tensor2d(x, [rows, C]), labels = tf.tensor2d(Float32Array.from(targets), [rows, C]);
      const ids = tf.tensor1d(t, 'int32'), dyT = tf.tensor1d(dy);
      const a = attrsOf(o);
      for (const [sparse, lab] of [[false, labels], [true, ids]] as const) {
        const [loss, lse] = runK(sparse ? SparseFocalCrossEntropy : FocalCrossEntropy, {logits, labels: lab}, a) as tf.Tensor[];
        const l = await loss.data();
        const ref = refFocalLoss(x, targets, rows, C, o);
        check(l[3] === Infinity, () => `loss of the masked-target row: ${l[3]}`);
        expectClose(l.slice(0, 3), ref.slice(0, 3), RTOL, `masked loss C=${C} sparse=${sparse}`);
        const dxT = runK(sparse ? SparseFocalCrossEntropyGrad : FocalCrossEntropyGrad,
            {logits, labels: lab, lse, dy: dyT}, {...a, wrt: 'logits'}) as tf.Tensor;
        const dx = await dxT.data();
        const refDx = refFocalGrad(x, targets, rows, C, dy, o);
        expectClose(dx.slice(0, 3 * C), refDx.slice(0, 3 * C), RTOL, `masked dlogits C=${C} sparse=${sparse}`);
        for (let c = 4; c < C; c += 3) check(dx[c] === 0, () => `masked entry ${c} has gradient ${dx[c]}`);
        tf.dispose([loss, lse, dxT]);
      }
      tf.dispose([logits, labels, ids, dyT]);
    }
  }));

  test('sparse: out-of-range labels give NaN rows, ignored rows 0 (lse still written)', run(async () => {
    const rows = 4, C = 70;
    const x = randn(rows * C, 3);
    const logits = tf.tensor2d(x, [rows, C]), ids = tf.tensor1d([1, -5, C, 7], 'int32'), dy = tf.ones([rows]);
    const a = attrsOf({ignoreIndex: -5, labelSmoothing: 0.1});
    const [loss, lse] = runK(SparseFocalCrossEntropy, {logits, labels: ids}, a) as tf.Tensor[];
    const l = await loss.data(), s = await lse.data();
    check(Number.isFinite(l[0]) && l[1] === 0 && Number.isNaN(l[2]) && Number.isFinite(l[3]), () => `loss ${l}`);
    expectClose(s, refLse(x, rows, C, 1), RTOL, 'lse of every row');
    const dxT = runK(SparseFocalCrossEntropyGrad, {logits, labels: ids, lse, dy}, {...a, wrt: 'logits'}) as tf.Tensor;
    const dx = await dxT.data();
    check(dx.slice(C, 2 * C).every(v => v === 0) && dx.slice(2 * C, 3 * C).every(Number.isNaN) &&
          dx.slice(0, C).every(Number.isFinite) && dx.slice(3 * C).every(Number.isFinite), () => 'gradient rows');
    tf.dispose([logits, ids, dy, loss, lse, dxT]);
  }));

  test('binary focal forward and both gradients vs float64, C % 4 = 0 and not, every option', run(async () => {
    const sets: RefBinaryFocalOptions[] = [
      {},
      {gamma: 0},
      {gamma: 1.5, alpha: 0.3, applyClassBalancing: true, labelSmoothing: 0.1},
      {gamma: 0.7, alpha: 0.8, applyClassBalancing: true},
      {gamma: 3, labelSmoothing: 0.2},
    ];
    for (const C of [1, 6, 8]) {
      for (const o of sets) {
        const rows = 9;
        const x = randn(rows * C, 20 + C, 4);
        x[0] = 1e4;
        x[1 % x.length] = -1e4;
        // Labels in [0, 1]; exact 0 and 1 only for integer γ (finite differences
        // step outside [0, 1] there, where u < 0 and u^γ is NaN for other γ).
        const r = rng(21 + C);
        const z = Float32Array.from({length: rows * C}, () => r());
        if (Number.isInteger(o.gamma ?? 2)) {
          z[2] = 1;
          z[3] = 0;
        }
        const dy = randn(rows * C, 22 + C);
        const logits = tf.tensor2d(x, [rows, C]), labels = tf.tensor2d(z, [rows, C]), dyT = tf.tensor2d(dy, [rows, C]);
        const attrs = {labelSmoothing: o.labelSmoothing ?? 0, gamma: o.gamma ?? 2, alpha: o.alpha ?? 0.25,
          applyClassBalancing: o.applyClassBalancing ?? false};
        const what = `C=${C} ${JSON.stringify(o)}`;
        const loss = runK(BinaryFocalCrossEntropy, {logits, labels}, attrs) as tf.Tensor;
        const dx = runK(BinaryFocalCrossEntropyGrad, {logits, labels, dy: dyT}, {...attrs, wrt: 'logits'}) as tf.Tensor;
        const dz = runK(BinaryFocalCrossEntropyGrad, {logits, labels, dy: dyT}, {...attrs, wrt: 'labels'}) as tf.Tensor;
        expectClose(await loss.data(), refBinaryFocalLoss(x, z, o), RTOL, `binary loss ${what}`);
        expectClose(await dx.data(), binaryFD(x, z, dy, o, 'logits'), RTOL, `binary dlogits ${what}`);
        expectClose(await dz.data(), binaryFD(x, z, dy, o, 'labels'), RTOL, `binary dlabels ${what}`);
        tf.dispose([logits, labels, dyT, loss, dx, dz]);
      }
    }
  }));

  test('binary focal: NaN in a logit or a label gives NaN there only; rank 3; empty', run(async () => {
    const x = randn(24, 5), z = randProbs(4, 6, 6);
    x[3] = NaN;
    z[10] = NaN;
    const logits = tf.tensor3d(x, [2, 2, 6]), labels = tf.tensor3d(z, [2, 2, 6]), dy = tf.onesLike(logits);
    const attrs = {labelSmoothing: 0, gamma: 2, alpha: 0.25, applyClassBalancing: true};
    const loss = runK(BinaryFocalCrossEntropy, {logits, labels}, attrs) as tf.Tensor;
    const dx = runK(BinaryFocalCrossEntropyGrad, {logits, labels, dy}, {...attrs, wrt: 'logits'}) as tf.Tensor;
    check(loss.shape.join() === '2,2,6', () => `shape ${loss.shape}`);
    for (const v of [await loss.data(), await dx.data()]) {
      v.forEach((e, i) => check(Number.isNaN(e) === (i === 3 || i === 10), () => `entry ${i} = ${e}`));
    }
    const empty = runK(BinaryFocalCrossEntropy, {logits: tf.zeros([0, 5]), labels: tf.zeros([0, 5])}, attrs) as tf.Tensor;
    check(empty.shape.join() === '0,5' && (await empty.data()).length === 0, () => `empty ${empty.shape}`);
    tf.dispose([logits, labels, dy, loss, dx, empty]);
  }));

  test('empty batch: empty outputs, no dispatch, no compilation', run(async () => {
    const c0 = compiles;
    const logits = tf.zeros([0, 7]), labels = tf.zeros([0, 7]), ids = tf.zeros([0], 'int32'), dy = tf.zeros([0]);
    const a = attrsOf({ignoreIndex: 3});
    const [loss, lse] = runK(FocalCrossEntropy, {logits, labels}, a) as tf.Tensor[];
    const [sLoss] = runK(SparseFocalCrossEntropy, {logits, labels: ids}, a) as tf.Tensor[];
    const dx = runK(FocalCrossEntropyGrad, {logits, labels, lse, dy}, {...a, wrt: 'logits'}) as tf.Tensor;
    const sdx = runK(SparseFocalCrossEntropyGrad, {logits, labels: ids, lse, dy}, {...a, wrt: 'logits'}) as tf.Tensor;
    check(loss.shape.join() === '0' && lse.shape.join() === '0' && sLoss.shape.join() === '0' && dx.shape.join() === '0,7' &&
          sdx.shape.join() === '0,7', () => `shapes ${loss.shape} ${lse.shape} ${sLoss.shape} ${dx.shape} ${sdx.shape}`);
    check((await loss.data()).length === 0 && (await dx.data()).length === 0, () => 'non-empty data');
    check(compiles === c0, () => 'an empty batch compiled a pipeline');
    tf.dispose([logits, labels, ids, dy, loss, lse, sLoss, dx, sdx]);
  }));

  test('20 shapes compile no new pipeline after the first; no size in a shader key', run(async () => {
    const r = rng(9);
    let afterFirst = -1;
    for (let i = 0; i < 20; i++) {
      const rows = 1 + Math.floor(r() * 40), C = 65 + 2 * Math.floor(r() * 300);
      const a = attrsOf({labelSmoothing: 0.1, gamma: 1 + r(), alpha: Array.from({length: C}, () => r()), ignoreIndex: 0});
      const logits = tf.tensor2d(randn(rows * C, i), [rows, C]);
      const labels = tf.tensor2d(randProbs(rows, C, i), [rows, C]);
      const ids = tf.tensor1d(randLabels(rows, C, i), 'int32');
      const dy = tf.ones([rows]);
      const outs = [
        ...runK(FocalCrossEntropy, {logits, labels}, a) as tf.Tensor[],
        ...runK(SparseFocalCrossEntropy, {logits, labels: ids}, a) as tf.Tensor[],
      ];
      for (const [wrt, kernel, lab] of [['logits', FocalCrossEntropyGrad, labels], ['labels', FocalCrossEntropyGrad, labels],
                                        ['logits', SparseFocalCrossEntropyGrad, ids]] as const) {
        outs.push(runK(kernel, {logits, labels: lab, lse: outs[1], dy}, {...a, wrt}) as tf.Tensor);
      }
      outs.push(runK(BinaryFocalCrossEntropy, {logits, labels}, {labelSmoothing: 0, gamma: 2, alpha: 0.25, applyClassBalancing: false}) as tf.Tensor);
      for (const o of outs) await o.data();
      tf.dispose([logits, labels, ids, dy, ...outs]);
      if (afterFirst < 0) afterFirst = compiles;
    }
    check(compiles === afterFirst, () => `${compiles - afterFirst} pipelines compiled after the first shape`);
    const keys = fusedPipelineKeys(backend).filter(k => k.includes('ocal_'));
    check(keys.every(k => !/_(\d{3,})(_|$)/.test(k.replace(/wg\d+|team\d+/g, ''))), () => `a size leaked into a shader key: ${keys.join(', ')}`);
  }), 120000);

  test('float32 tensors backed by int32 buffers (tfjs casts without converting)', run(async () => {
    const rows = 6, C = 12;
    const t = randLabels(rows, C, 3), x = randn(rows * C, 4);
    const hot = tf.oneHot(tf.tensor1d(t, 'int32'), C);
    const labels = tf.cast(hot, 'float32');
    const logits = tf.tensor2d(x, [rows, C]);
    const y = Float32Array.from(await labels.data());
    const [loss, lse] = runK(FocalCrossEntropy, {logits, labels}, attrsOf({})) as tf.Tensor[];
    expectClose(await loss.data(), refFocalLoss(x, y, rows, C, {}), RTOL, 'focal loss with int-backed labels');
    const bin = runK(BinaryFocalCrossEntropy, {logits, labels}, {labelSmoothing: 0, gamma: 2, alpha: 0.25, applyClassBalancing: true}) as tf.Tensor;
    expectClose(await bin.data(), refBinaryFocalLoss(x, y, {applyClassBalancing: true}), RTOL, 'binary focal loss with int-backed labels');
    tf.dispose([hot, labels, logits, loss, lse, bin]);
  }));

  test('bad attributes throw naming the kernel', () => {
    const logits = tf.zeros([2, 3]), labels = tf.zeros([2, 3]);
    expect(() => runK(FocalCrossEntropy, {logits, labels}, {...attrsOf({}), alpha: [1, 2]})).toThrow(/FusedFocalCrossEntropy.*alpha/);
    expect(() => runK(FocalCrossEntropy, {logits, labels}, {...attrsOf({}), classWeights: [1]})).toThrow(/classWeights/);
    tf.dispose([logits, labels]);
  });
});

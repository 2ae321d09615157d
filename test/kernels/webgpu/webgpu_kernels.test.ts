/**
 * WebGPU-specific checks of the fused kernels in Node (Dawn), called directly
 * through tf.engine().runKernel so every attribute and both gradient targets
 * are exercised: both reduction paths (subgroups and workgroup memory) against
 * the float64 reference, pipeline reuse across shapes, 2-D grids past 65535
 * rows, C = 131072, empty batches, and inputs whose GPU buffer is int32 behind
 * a float32 dtype; the softmax kernels' fused reduction ('all' and scale: the
 * device sum, the broadcast dy, the dy size checks, dispatches per fwd+bwd).
 * Every case runs inside a WebGPU validation error scope.
 */
import {describeWebGPU} from '../../../tools/webgpu/node_webgpu_env';
import '../../../kernels/webgpu/node_webgpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import {
  SigmoidCrossEntropy, SigmoidCrossEntropyGrad, SoftmaxCrossEntropy, SoftmaxCrossEntropyGrad,
  SparseSoftmaxCrossEntropy, SparseSoftmaxCrossEntropyGrad, SparseSoftmaxCrossEntropyGradInPlace,
} from '../../../kernels/kernel_names';
import {fusedPipelineKeys} from '../../../kernels/webgpu/launch';
import {SPLIT_K_MIN_SLICE, SPLIT_K_MIN_WORKGROUPS, splitKPlan} from '../../../kernels/webgpu/split_k';
import {MatMulAccumulate} from '../../../kernels/kernel_names';
import {SUBGROUPS_FLAG} from '../../../kernels/webgpu/flags_webgpu';
import {lseFromSaved, refMatMulAccumulate, refSigmoidCrossEntropy, refSoftmaxCrossEntropy, refSparseSoftmaxCrossEntropy, RefSoftmaxOptions} from '../../reference/reference';
import {expect as check, expectClose, expectThrows, randLabels, randn, randProbs, rng} from '../../spec/assert';
import {inErrorScope, setupWebGPU, teardownWebGPU} from '../../../tools/webgpu/harness';
import {countDispatches} from '../../../tools/gpu_counters';
import {countUploads} from '../../../tools/webgpu/upload_bytes';
import {softmaxCrossEntropyWithLogits, sparseSoftmaxCrossEntropyWithLogits} from '../../../src/index';

const RTOL = 1e-5;

/** runKernel with the contract's attribute objects (null entries included). */
function runK(name: string, inputs: tf.NamedTensorMap, attrs: object): tf.Tensor | tf.Tensor[] {
  return tf.engine().runKernel(name, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
}

interface SoftmaxAttrs {
  temperature: number;
  labelSmoothing: number;
  zLoss: number;
  classWeights: number[] | null;
  ignoreIndex: number | null;
}

function attrsFor(C: number, seed: number, all: boolean): SoftmaxAttrs {
  if (!all) {
    return {temperature: 1, labelSmoothing: 0, zLoss: 0, classWeights: null, ignoreIndex: null};
  }
  const r = rng(seed);
  return {
    temperature: 1.7, labelSmoothing: 0.1, zLoss: 1e-3,
    classWeights: Array.from({length: C}, () => 0.5 + r()), ignoreIndex: -100,
  };
}

/**
 * Runs forward and both backward kernels (dense and sparse) on one [rows, C]
 * problem and compares everything with the float64 reference
 * (`rowProgramsOnly`: only the kernels with one workgroup per row, i.e. the
 * forwards and the dense gradient w.r.t. logits).
 */
async function checkSoftmax(rows: number, C: number, seed: number, all: boolean, rowProgramsOnly = false): Promise<void> {
  const x = randn(rows * C, seed, 3);
  const y = randProbs(rows, C, seed + 1);
  const t = randLabels(rows, C, seed + 2);
  if (all && rows > 2) {
    t[2] = -100;  // an ignored row
  }
  const dy = randn(rows, seed + 3);
  const a = attrsFor(C, seed + 4, all);
  const o: RefSoftmaxOptions = {...a};
  const dense = refSoftmaxCrossEntropy(x, y, rows, C, o);
  const sparse = refSparseSoftmaxCrossEntropy(x, t, rows, C, o);

  const logits = tf.tensor2d(x, [rows, C]);
  const labels = tf.tensor2d(y, [rows, C]);
  const ids = tf.tensor1d(t, 'int32');
  const dyT = tf.tensor1d(dy);
  const what = `[${rows}, ${C}]${all ? ' all options' : ''}`;
  try {
    const [loss, lse] = runK(SoftmaxCrossEntropy, {logits, labels}, {...a, ignoreIndex: null}) as tf.Tensor[];
    expectClose(await loss.data(), dense.loss, RTOL, `dense loss ${what}`);
    expectClose(lseFromSaved(await lse.data(), a.temperature), dense.lse, RTOL, `dense lse ${what}`);
    const dx = runK(SoftmaxCrossEntropyGrad, {logits, labels, lse, dy: dyT}, {...a, ignoreIndex: null, wrt: 'logits'}) as tf.Tensor;
    expectClose(await dx.data(), dense.dlogits(dy), RTOL, `dense dlogits ${what}`);
    tf.dispose([loss, dx]);
    const [sLoss, sLse] = runK(SparseSoftmaxCrossEntropy, {logits, labels: ids}, {...a}) as tf.Tensor[];
    expectClose(await sLoss.data(), sparse.loss, RTOL, `sparse loss ${what}`);
    expectClose(lseFromSaved(await sLse.data(), a.temperature), sparse.lse, RTOL, `sparse lse ${what}`);
    if (rowProgramsOnly) {
      tf.dispose([lse, sLoss, sLse]);
      return;
    }
    const dl = runK(SoftmaxCrossEntropyGrad, {logits, labels, lse, dy: dyT}, {...a, ignoreIndex: null, wrt: 'labels'}) as tf.Tensor;
    expectClose(await dl.data(), dense.dlabels(dy), RTOL, `dense dlabels ${what}`);
    const sdx = runK(SparseSoftmaxCrossEntropyGrad, {logits, labels: ids, lse: sLse, dy: dyT}, {...a, wrt: 'logits'}) as tf.Tensor;
    expectClose(await sdx.data(), sparse.dlogits(dy), RTOL, `sparse dlogits ${what}`);
    tf.dispose([lse, dl, sLoss, sLse, sdx]);
  } finally {
    tf.dispose([logits, labels, ids, dyT]);
  }
}

/** Σ v in float64. */
function sum64(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) {
    s += v[i];
  }
  return s;
}

const times = (v: ArrayLike<number>, k: number) => Array.from(v, e => e * k);

/**
 * The softmax kernels' fused reduction (kernels/FORMULAS.md, "Fused
 * reductions") on one [rows, C] problem: 'all' with scale s = 1/rows against
 * the 'none' kernels' outputs (loss s·Σ L; gradients s·dy0·(the gradient at
 * dy = 1), dy0 a one-element dy) and against the float64 reference; 'none'
 * with a scale of 2.5; the lse output unchanged. Every backward kernel: dense
 * w.r.t. logits and labels, sparse, sparse in place.
 */
async function checkSoftmaxReduction(rows: number, C: number, seed: number, allOptions: boolean): Promise<void> {
  const x = randn(rows * C, seed, 3);
  const y = randProbs(rows, C, seed + 1);
  const t = randLabels(rows, C, seed + 2);
  if (allOptions && rows > 2) {
    t[2] = -100;  // an ignored row
  }
  const a = attrsFor(C, seed + 4, allOptions);
  const s = 1 / rows, dy0 = 0.75, noneScale = 2.5;
  const o: RefSoftmaxOptions = {...a};
  const ref = {dense: refSoftmaxCrossEntropy(x, y, rows, C, o), sparse: refSparseSoftmaxCrossEntropy(x, t, rows, C, o)};
  const what = `[${rows}, ${C}]${allOptions ? ' all options' : ''}`;
  const logits = tf.tensor2d(x, [rows, C]);
  const labels = tf.tensor2d(y, [rows, C]);
  const ids = tf.tensor1d(t, 'int32');
  const ones = tf.ones([rows]);
  const dyAll = tf.scalar(dy0);
  const dyAll1 = tf.tensor1d([dy0]);  // one element of rank 1: also accepted
  const keep: tf.Tensor[] = [logits, labels, ids, ones, dyAll, dyAll1];
  try {
    for (const sparse of [false, true]) {
      const kind = sparse ? 'sparse' : 'dense';
      const r = sparse ? ref.sparse : ref.dense;
      const fwd = sparse ? SparseSoftmaxCrossEntropy : SoftmaxCrossEntropy;
      const lab = sparse ? ids : labels;
      const fa = sparse ? a : {...a, ignoreIndex: null};
      const [nLoss, nLse] = runK(fwd, {logits, labels: lab}, fa) as tf.Tensor[];
      const [aLoss, aLse] = runK(fwd, {logits, labels: lab}, {...fa, reduction: 'all', scale: s}) as tf.Tensor[];
      const [sLoss, sLse] = runK(fwd, {logits, labels: lab}, {...fa, reduction: 'none', scale: noneScale}) as tf.Tensor[];
      keep.push(nLoss, nLse, aLoss, aLse, sLoss, sLse);
      check(aLoss.shape.length === 0 && sLoss.shape.join() === `${rows}` && aLse.shape.join() === `${rows},2`,
          () => `${kind} ${what}: shapes ${aLoss.shape} ${sLoss.shape} ${aLse.shape}`);
      const perRow = await nLoss.data();
      expectClose(await aLoss.data(), [s * sum64(perRow)], RTOL, `${kind} 'all' loss vs the 'none' kernel ${what}`);
      expectClose(await aLoss.data(), [s * sum64(r.loss)], RTOL, `${kind} 'all' loss vs float64 ${what}`);
      expectClose(await sLoss.data(), times(r.loss, noneScale), RTOL, `${kind} scaled 'none' loss ${what}`);
      const lseNone = await nLse.data();
      for (const other of [aLse, sLse]) {
        const v = await other.data();
        check(v.every((e, i) => Object.is(e, lseNone[i])), () => `${kind} ${what}: lse differs with a reduction`);
      }
      const grads: Array<[string, 'logits' | 'labels', (dyV: ArrayLike<number>) => number[]]> = sparse ?
        [[SparseSoftmaxCrossEntropyGrad, 'logits', r.dlogits], [SparseSoftmaxCrossEntropyGradInPlace, 'logits', r.dlogits]] :
        [[SoftmaxCrossEntropyGrad, 'logits', r.dlogits], [SoftmaxCrossEntropyGrad, 'labels', r.dlabels]];
      for (const [kernel, wrt, refGrad] of grads) {
        const inPlace = kernel === SparseSoftmaxCrossEntropyGradInPlace;
        const grad = (dy: tf.Tensor, at: object, lse: tf.Tensor) => {
          // The in-place kernel writes over its logits: each call gets a private copy.
          const target = inPlace ? tf.tensor2d(x, [rows, C]) : logits;
          const out = runK(kernel, {logits: target, labels: lab, lse, dy}, {...fa, ...at, wrt}) as tf.Tensor;
          keep.push(out, target, dy);
          return out.data();
        };
        const g = `${kernel} w.r.t. ${wrt} ${what}`;
        const gNone = await grad(ones, {}, nLse);
        const gAll = await grad(dyAll, {reduction: 'all', scale: s}, aLse);
        expectClose(gAll, times(gNone, s * dy0), RTOL, `${g}: 'all' vs the 'none' kernel at dy = 1`);
        expectClose(gAll, refGrad(new Array(rows).fill(s * dy0)), RTOL, `${g}: 'all' vs float64`);
        expectClose(await grad(dyAll1, {reduction: 'all', scale: s}, aLse), gAll, 0, `${g}: dy [1] as dy []`);
        const dy = randn(rows, seed + 5);
        expectClose(await grad(tf.tensor1d(dy), {reduction: 'none', scale: noneScale}, sLse), refGrad(times(dy, noneScale)),
            RTOL, `${g}: scaled 'none' vs float64`);
      }
    }
  } finally {
    tf.dispose(keep);
  }
}

describeWebGPU('fused webgpu kernels (Node)', () => {
  let backend: WebGPUBackend;
  let compiles = 0;
  beforeAll(async () => {
    backend = await setupWebGPU();
    // Count real pipeline compilations (the cache lookup happens before this call).
    const device = backend.device;
    const create = device.createComputePipeline.bind(device);
    device.createComputePipeline = (d: GPUComputePipelineDescriptor) => {
      compiles++;
      return create(d);
    };
  });
  afterEach(() => tf.env().set(SUBGROUPS_FLAG, true));
  afterAll(teardownWebGPU);

  const run = (f: () => Promise<void>) => () => inErrorScope(backend, f);

  test('the device has subgroups (SwiftShader does), so both reduction paths are reachable', run(async () => {
    check(backend.device.features.has('subgroups'),
        () => `this adapter lacks 'subgroups' (features: ${[...backend.device.features]}); the subgroup path cannot be tested`);
  }));

  for (const subgroups of [true, false]) {
    // 5, 64: one thread per row (scalar, vec4 loads); 65: one workgroup per
    // row, scalar loads; 100, 1000, 5000: vec4 loads.
    for (const C of [5, 64, 65, 100, 1000, 5000]) {
      for (const all of [false, true]) {
        test(`${subgroups ? 'subgroup' : 'workgroup-memory'} reductions vs float64: C = ${C}${all ? ', all options' : ''}`, run(async () => {
          tf.env().set(SUBGROUPS_FLAG, subgroups);
          const before = new Set(fusedPipelineKeys(backend));
          await checkSoftmax(7, C, 1000 + C, all);
          const used = fusedPipelineKeys(backend).filter(k => !before.has(k));
          // The path actually taken: row programs (C > 64) carry '_sg' exactly when subgroups are on.
          if (used.length > 0 && C > 64) {
            const rowKeys = used.filter(k => k.includes('team') && !k.includes('team1_'));
            check(rowKeys.length > 0 && rowKeys.every(k => k.includes('_sg') === subgroups),
                () => `pipelines ${used.join(', ')} do not match subgroups=${subgroups}`);
          }
        }));
      }
    }
  }

  test('C = 131072, both reduction paths', run(async () => {
    for (const subgroups of [true, false]) {
      tf.env().set(SUBGROUPS_FLAG, subgroups);
      await checkSoftmax(3, 131072, 7, true);
    }
  }), 120000);

  // [rows, C]: one thread per row (C = 5 scalar, 12 and 64 vec4; 1500 rows for a
  // longer device sum), one workgroup per row (100 vec4, 1001 scalar), long rows.
  for (const [rows, C] of [[7, 5], [1500, 12], [9, 64], [13, 100], [6, 1001], [3, 40000]]) {
    for (const allOptions of [false, true]) {
      test(`fused reduction: 'all' and scale vs the 'none' kernels and float64, [${rows}, ${C}]${allOptions ? ', all options' : ''}`,
          run(() => checkSoftmaxReduction(rows, C, 3000 + C, allOptions)), 60000);
    }
  }

  test("fused reduction, no rows: 'all' gives the scalar 0·scale (NaN for the mean), the gradients [0, C]", run(async () => {
    const C = 7;
    const logits = tf.zeros([0, C]);
    const labels = tf.zeros([0, C]);
    const ids = tf.zeros([0], 'int32');
    const dy = tf.scalar(1);
    const outs: tf.Tensor[] = [];
    try {
      for (const [fwd, lab] of [[SoftmaxCrossEntropy, labels], [SparseSoftmaxCrossEntropy, ids]] as const) {
        for (const scale of [2, Infinity]) {
          const [loss, lse] = runK(fwd, {logits, labels: lab}, {...attrsFor(C, 1, false), reduction: 'all', scale}) as tf.Tensor[];
          outs.push(loss, lse);
          const v = await loss.data();
          check(loss.shape.length === 0 && lse.shape.join() === '0,2' && (scale === 2 ? v[0] === 0 : Number.isNaN(v[0])),
              () => `${fwd} scale ${scale}: loss ${loss.shape} = ${v[0]}, lse ${lse.shape}`);
        }
      }
      for (const [kernel, lab, wrt] of [[SoftmaxCrossEntropyGrad, labels, 'logits'], [SoftmaxCrossEntropyGrad, labels, 'labels'],
                                        [SparseSoftmaxCrossEntropyGrad, ids, 'logits'],
                                        [SparseSoftmaxCrossEntropyGradInPlace, ids, 'logits']] as const) {
        const lse = tf.zeros([0, 2]);
        const g = runK(kernel, {logits: kernel === SparseSoftmaxCrossEntropyGradInPlace ? tf.zeros([0, C]) : logits, labels: lab, lse, dy},
            {...attrsFor(C, 1, false), reduction: 'all', scale: Infinity, wrt}) as tf.Tensor;
        outs.push(lse, g);
        check(g.shape.join() === `0,${C}` && (await g.data()).length === 0, () => `${kernel} w.r.t. ${wrt}: ${g.shape}`);
      }
    } finally {
      tf.dispose([logits, labels, ids, dy, ...outs]);
    }
  }));

  test('fused reduction: a dy of the wrong size and an unknown reduction throw, naming the kernel', run(async () => {
    const rows = 3, C = 8;
    const logits = tf.tensor2d(randn(rows * C, 1), [rows, C]);
    const labels = tf.tensor2d(randProbs(rows, C, 2), [rows, C]);
    const ids = tf.tensor1d(randLabels(rows, C, 3), 'int32');
    const [, lse] = runK(SoftmaxCrossEntropy, {logits, labels}, attrsFor(C, 1, false)) as tf.Tensor[];
    const perRow = tf.ones([rows]), one = tf.ones([1]), two = tf.ones([2]);
    const a = attrsFor(C, 1, false);
    try {
      for (const [kernel, lab, wrt] of [[SoftmaxCrossEntropyGrad, labels, 'logits'], [SoftmaxCrossEntropyGrad, labels, 'labels'],
                                        [SparseSoftmaxCrossEntropyGrad, ids, 'logits'],
                                        [SparseSoftmaxCrossEntropyGradInPlace, ids, 'logits']] as const) {
        for (const [reduction, dy, size, expected] of [['all', perRow, 3, 1], ['all', two, 2, 1], ['none', one, 1, 3]] as const) {
          const target = kernel === SparseSoftmaxCrossEntropyGradInPlace ? tf.tensor2d(randn(rows * C, 1), [rows, C]) : logits;
          await expectThrows(() => runK(kernel, {logits: target, labels: lab, lse, dy}, {...a, reduction, scale: 1, wrt}),
              [kernel, '(webgpu)', `dy has ${size} elements`, `expected ${expected} for reduction '${reduction}'`],
              `${kernel} w.r.t. ${wrt}, reduction ${reduction}, dy [${dy.shape}]`);
          if (target !== logits) target.dispose();
        }
        await expectThrows(() => runK(kernel, {logits, labels: lab, lse, dy: perRow}, {...a, reduction: 'rows', wrt}),
            [kernel, "unknown reduction 'rows'"], `${kernel} with reduction 'rows'`);
      }
      for (const [kernel, lab] of [[SoftmaxCrossEntropy, labels], [SparseSoftmaxCrossEntropy, ids]] as const) {
        await expectThrows(() => runK(kernel, {logits, labels: lab}, {...a, reduction: 'mean'}),
            [kernel, "unknown reduction 'mean'"], `${kernel} with reduction 'mean'`);
      }
    } finally {
      tf.dispose([logits, labels, ids, lse, perRow, one, two]);
    }
  }));

  test("the ops' reduction 'mean': at most 3 dispatches per fwd+bwd (forward, Sum, backward), no tensor upload but dy's seed and array labels", run(async () => {
    const rows = 256, C = 1000;
    const logits = tf.tensor2d(randn(rows * C, 41), [rows, C]);
    const labels = tf.tensor2d(randProbs(rows, C, 42), [rows, C]);
    const ids = tf.tensor1d(randLabels(rows, C, 43), 'int32');
    await Promise.all([logits, labels, ids].map(t => t.data()));
    try {
      // Labels passed as an array are uploaded each call; with an ignore index the op counts them on the host.
      const idArray = Array.from(randLabels(rows, C, 43)).map((v, i) => (i % 5 === 2 ? -100 : v));
      const losses: Array<[string, (x: tf.Tensor) => tf.Tensor, number]> = [
        ['dense', x => softmaxCrossEntropyWithLogits(labels, x, {reduction: 'mean'}), 0],
        ['sparse', x => sparseSoftmaxCrossEntropyWithLogits(ids, x, {reduction: 'mean'}), 0],
        ['sparse, ignore index, labels as an array',
         x => sparseSoftmaxCrossEntropyWithLogits(idArray, x, {reduction: 'mean', ignoreIndex: -100}), 4 * rows],
      ];
      for (const [kind, loss, labelBytes] of losses) {
        const vg = tf.valueAndGrad((x: tf.Tensor) => loss(x) as tf.Scalar);
        for (let step = 0; step < 2; step++) {  // the first compiles and warms caches
          const dispatches = countDispatches();
          const uploads = countUploads(backend);
          let out: tf.Tensor[];
          try {
            const {value, grad} = vg(logits);
            out = [value, grad];
          } finally {
            dispatches?.restore();
            uploads.restore();
          }
          const [value] = out;
          check(value.shape.length === 0, () => `${kind}: the loss is [${value.shape}]`);
          await Promise.all(out.map(t => t.data()));
          tf.dispose(out);
          if (step === 1) {
            check(dispatches != null && dispatches.count <= 3, () => `${kind}: ${dispatches?.count} dispatches per fwd+bwd`);
            // dy's seed, ones([]) from tf.valueAndGrad: 4 bytes.
            check(uploads.tensorBytes <= 4 + labelBytes, () => `${kind}: ${uploads.tensorBytes} tensor bytes uploaded per fwd+bwd`);
          }
        }
      }
    } finally {
      tf.dispose([logits, labels, ids]);
    }
  }));

  test('70000 rows with one workgroup per row (2-D grid past 65535 workgroups)', run(async () => {
    await checkSoftmax(70000, 65, 11, true, true);
  }), 120000);

  test('20 shapes compile no new pipeline after the first', run(async () => {
    const r = rng(5);
    let afterFirst = -1;
    for (let i = 0; i < 20; i++) {
      // Odd C above 64: one layout bucket (a 64-thread workgroup per row, scalar loads).
      const rows = 1 + Math.floor(r() * 40), C = 65 + 2 * Math.floor(r() * 300);
      const a = attrsFor(C, i, true);
      const logits = tf.tensor2d(randn(rows * C, i), [rows, C]);
      const labels = tf.tensor2d(randProbs(rows, C, i), [rows, C]);
      const ids = tf.tensor1d(randLabels(rows, C, i), 'int32');
      const dy = tf.ones([rows]);
      const outs = [
        ...runK(SoftmaxCrossEntropy, {logits, labels}, {...a, ignoreIndex: null}) as tf.Tensor[],
        ...runK(SparseSoftmaxCrossEntropy, {logits, labels: ids}, {...a}) as tf.Tensor[],
      ];
      for (const [wrt, kernel, lab] of [['logits', SoftmaxCrossEntropyGrad, labels], ['labels', SoftmaxCrossEntropyGrad, labels],
                                        ['logits', SparseSoftmaxCrossEntropyGrad, ids]] as const) {
        outs.push(runK(kernel, {logits, labels: lab, lse: outs[1], dy}, {...a, wrt}) as tf.Tensor);
      }
      outs.push(runK(SigmoidCrossEntropy, {logits, labels}, {labelSmoothing: 0.1, posWeight: [2]}) as tf.Tensor);
      for (const o of outs) {
        await o.data();
      }
      tf.dispose([logits, labels, ids, dy, ...outs]);
      if (afterFirst < 0) {
        afterFirst = compiles;
      }
    }
    check(compiles === afterFirst, () => `${compiles - afterFirst} pipelines compiled after the first shape`);
    const keys = fusedPipelineKeys(backend);
    check(keys.every(k => !/_(\d{3,})(_|$)/.test(k.replace(/wg\d+|team\d+/g, ''))),
        () => `a size leaked into a shader key: ${keys.join(', ')}`);
  }), 120000);

  test('tf.time records the fused kernels (timestamp-query path of the launcher)', run(async () => {
    const logits = tf.tensor2d(randn(8 * 100, 1), [8, 100]);
    const ids = tf.tensor1d(randLabels(8, 100, 2), 'int32');
    let outs: tf.Tensor[] = [];
    const info = await tf.time(() => {
      outs = runK(SparseSoftmaxCrossEntropy, {logits, labels: ids}, attrsFor(100, 1, false)) as tf.Tensor[];
    });
    const loss = await outs[0].data();
    expectClose(loss, refSparseSoftmaxCrossEntropy(randn(8 * 100, 1), randLabels(8, 100, 2), 8, 100).loss, RTOL, 'timed loss');
    check(info.wallMs >= 0 && (info as unknown as {kernelMs: number}).kernelMs >= 0, () => `timing ${JSON.stringify(info)}`);
    tf.dispose([logits, ids, ...outs]);
  }));

  test('empty batch: empty outputs, no dispatch, no compilation', run(async () => {
    const c0 = compiles;
    const logits = tf.zeros([0, 7]);
    const labels = tf.zeros([0, 7]);
    const ids = tf.zeros([0], 'int32');
    const [loss, lse] = runK(SoftmaxCrossEntropy, {logits, labels}, attrsFor(7, 1, true)) as tf.Tensor[];
    const [sLoss] = runK(SparseSoftmaxCrossEntropy, {logits, labels: ids}, attrsFor(7, 1, true)) as tf.Tensor[];
    const dx = runK(SoftmaxCrossEntropyGrad, {logits, labels, lse, dy: tf.zeros([0])}, {...attrsFor(7, 1, false), wrt: 'logits'}) as tf.Tensor;
    check(loss.shape.join() === '0' && lse.shape.join() === '0,2' && sLoss.shape.join() === '0' && dx.shape.join() === '0,7',
        () => `shapes ${loss.shape} ${lse.shape} ${sLoss.shape} ${dx.shape}`);
    check((await loss.data()).length === 0 && (await dx.data()).length === 0, () => 'non-empty data');
    check(compiles === c0, () => 'an empty batch compiled a pipeline');
  }));

  test('float32 tensors backed by int32 buffers (tfjs casts without converting)', run(async () => {
    const rows = 6, C = 12;
    const t = randLabels(rows, C, 3);
    const x = randn(rows * C, 4);
    const hot = tf.oneHot(tf.tensor1d(t, 'int32'), C);                // int32 buffer
    const labels = tf.cast(hot, 'float32');                             // float32 dtype, same int32 buffer
    const logits = tf.tensor2d(x, [rows, C]);
    const y = Float32Array.from(await labels.data());
    const [loss] = runK(SoftmaxCrossEntropy, {logits, labels}, attrsFor(C, 1, false)) as tf.Tensor[];
    expectClose(await loss.data(), refSoftmaxCrossEntropy(x, y, rows, C).loss, RTOL, 'loss with int-backed labels');
    const sig = runK(SigmoidCrossEntropy, {logits, labels}, {labelSmoothing: 0, posWeight: null}) as tf.Tensor;
    expectClose(await sig.data(), refSigmoidCrossEntropy(x, y, C).loss, RTOL, 'sigmoid loss with int-backed labels');
    tf.dispose([hot, labels, logits, loss, sig]);
  }));

  test('sigmoid forward and both gradients vs float64, per-class posWeight, C % 4 = 0 and not', run(async () => {
    for (const C of [1, 6, 8]) {
      const rows = 9;
      const x = randn(rows * C, 20 + C, 4);
      const z = randProbs(rows, C, 21 + C);
      const dy = randn(rows * C, 22 + C);
      const q = Array.from({length: C}, (_, i) => 0.5 + i);
      const ref = refSigmoidCrossEntropy(x, z, C, {labelSmoothing: 0.2, posWeight: q});
      const logits = tf.tensor2d(x, [rows, C]);
      const labels = tf.tensor2d(z, [rows, C]);
      const dyT = tf.tensor2d(dy, [rows, C]);
      const attrs = {labelSmoothing: 0.2, posWeight: q};
      const loss = runK(SigmoidCrossEntropy, {logits, labels}, attrs) as tf.Tensor;
      const dx = runK(SigmoidCrossEntropyGrad, {logits, labels, dy: dyT}, {...attrs, wrt: 'logits'}) as tf.Tensor;
      const dz = runK(SigmoidCrossEntropyGrad, {logits, labels, dy: dyT}, {...attrs, wrt: 'labels'}) as tf.Tensor;
      expectClose(await loss.data(), ref.loss, RTOL, `sigmoid loss C=${C}`);
      expectClose(await dx.data(), ref.dlogits(dy), RTOL, `sigmoid dlogits C=${C}`);
      expectClose(await dz.data(), ref.dlabels(dy), RTOL, `sigmoid dlabels C=${C}`);
      tf.dispose([logits, labels, dyT, loss, dx, dz]);
    }
  }));

  test('MatMulAccumulate split-K: the plan, and the split path (dh = G·W of a linear-CE chunk) vs float64', run(async () => {
    // The plan: few tiles and a long k split; many tiles or a short k do not.
    check(splitKPlan(128, 512, 32000).splits > 1, () => `dh of a 128-row chunk: ${JSON.stringify(splitKPlan(128, 512, 32000))}`);
    check(splitKPlan(32000, 512, 128).splits === 1, () => 'dW of a chunk has 16000 tiles: no split');
    check(splitKPlan(8, 8, 2 * SPLIT_K_MIN_SLICE - 1).splits === 1, () => 'k too short to split');
    for (const [M, P, K] of [[128, 512, 32000], [3, 5, 100000], [37, 33, 3000], [1024, 512, 32000]]) {
      const {splits, kSlice} = splitKPlan(M, P, K);
      const tiles = Math.ceil(M / 32) * Math.ceil(P / 32);
      check(kSlice % 32 === 0 || splits === 1, () => `slice ${kSlice} is not a multiple of the tile`);
      check(splits === Math.ceil(K / kSlice) && (splits - 1) * kSlice < K, () => `slices ${splits} × ${kSlice} do not cover k = ${K} exactly`);
      check(splits === 1 || kSlice >= SPLIT_K_MIN_SLICE, () => `slice ${kSlice} below the minimum`);
      check(splits === 1 || (splits - 1) * tiles < SPLIT_K_MIN_WORKGROUPS, () => `${splits} splits of ${tiles} tiles overshoot`);
    }
    // The split path on the device: 2 × 3 tiles over k = 5000 (splitKPlan: 18 slices of 288, the last one short).
    const [M, K, P, R, off] = [40, 5000, 70, 47, 6];
    const plan = splitKPlan(M, P, K);
    check(plan.splits > 1 && K % plan.kSlice !== 0, () => `expected a short last slice: ${JSON.stringify(plan)}`);
    const av = randn(M * K, 61), bv = randn(K * P, 62), acc0 = randn(R * P, 63);
    const expected = refMatMulAccumulate(acc0, av, bv, M, K, P, false, false, off);
    const a = tf.tensor2d(av, [M, K]);
    const b = tf.tensor2d(bv, [K, P]);
    const acc = tf.tensor2d(acc0, [R, P]);
    const before = new Set(fusedPipelineKeys(backend));
    const out = runK(MatMulAccumulate, {acc, a, b}, {transposeA: false, transposeB: false, rowOffset: off}) as tf.Tensor;
    acc.dispose();
    expectClose(await out.data(), expected, RTOL, 'split-K acc');
    const used = fusedPipelineKeys(backend).filter(k => !before.has(k));
    check(used.some(k => k.includes('_splitK')) || [...before].some(k => k.includes('_splitK')),
        () => `no split-K pipeline was used: ${used.join(', ')}`);
    tf.dispose([a, b, out]);
  }));

  test('MatMulAccumulate vec4 staging: every layout (dimensions multiples of 4, partial tiles, split-K) vs float64, and the vec4 pipelines ran', run(async () => {
    for (const [M, K, P] of [[36, 44, 20], [12, 4000, 8]]) {
      for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        const av = randn(M * K, 71), bv = randn(K * P, 72), acc0 = randn(M * P, 73);
        const expected = refMatMulAccumulate(acc0, av, bv, M, K, P, tA, tB);
        const a = tf.tensor2d(av, tA ? [K, M] : [M, K]);
        const b = tf.tensor2d(bv, tB ? [P, K] : [K, P]);
        const acc = tf.tensor2d(acc0, [M, P]);
        const out = runK(MatMulAccumulate, {acc, a, b}, {transposeA: tA, transposeB: tB, rowOffset: 0}) as tf.Tensor;
        acc.dispose();
        expectClose(await out.data(), expected, RTOL, `${M}×${K}×${P} transposeA=${tA} transposeB=${tB}`);
        tf.dispose([a, b, out]);
      }
    }
    const keys = fusedPipelineKeys(backend);
    for (const layout of ['_vec4AkBj', '_vec4AiBj', '_vec4AkBk', '_vec4AiBk']) {
      check(keys.some(k => k.includes(layout) && !k.includes('_splitK')) && keys.some(k => k.includes('_splitK' + layout)),
          () => `no ${layout} pipeline (one pass and split-K) among ${keys.join(', ')}`);
    }
  }));
});

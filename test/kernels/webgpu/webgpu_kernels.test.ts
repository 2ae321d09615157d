/**
 * WebGPU-specific checks of the fused kernels in Node (Dawn), called directly
 * through tf.engine().runKernel so every attribute and both gradient targets
 * are exercised: both reduction paths (subgroups and workgroup memory) against
 * the float64 reference, pipeline reuse across shapes, 2-D grids past 65535
 * rows, C = 131072, empty batches, and inputs whose GPU buffer is int32 behind
 * a float32 dtype. Every case runs inside a WebGPU validation error scope.
 */
import {describeWebGPU} from '../../../tools/webgpu/node_webgpu_env';
import '../../../kernels/webgpu/node_webgpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import {
  SigmoidCrossEntropy, SigmoidCrossEntropyGrad, SoftmaxCrossEntropy, SoftmaxCrossEntropyGrad,
  SparseSoftmaxCrossEntropy, SparseSoftmaxCrossEntropyGrad,
} from '../../../kernels/kernel_names';
import {fusedPipelineKeys} from '../../../kernels/webgpu/launch';
import {SPLIT_K_MIN_SLICE, SPLIT_K_MIN_WORKGROUPS, splitKPlan} from '../../../kernels/webgpu/MatMulAccumulate';
import {MatMulAccumulate} from '../../../kernels/kernel_names';
import {SUBGROUPS_FLAG} from '../../../kernels/webgpu/flags_webgpu';
import {lseFromSaved, refMatMulAccumulate, refSigmoidCrossEntropy, refSoftmaxCrossEntropy, refSparseSoftmaxCrossEntropy, RefSoftmaxOptions} from '../../reference/reference';
import {expect as check, expectClose, randLabels, randn, randProbs, rng} from '../../spec/assert';
import {inErrorScope, setupWebGPU, teardownWebGPU} from '../../../tools/webgpu/harness';

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

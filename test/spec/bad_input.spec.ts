/**
 * Spec of the ops on bad input (issue 14, sections 2 and 3): no silent wrong
 * answer on any backend. Non-integer sparse labels, GPU-resident per-class
 * vectors, unknown option keys, negative weights, option types in messages,
 * empty batches with the class axis elsewhere than last (tfjs-wasm).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  BinaryCrossentropy, CategoricalCrossentropy, linearSoftmaxCrossEntropy, losses, sigmoidCrossEntropyWithLogits, softmaxCrossEntropyWithLogits,
  sigmoidFocalCrossEntropyWithLogits, softmaxFocalCrossEntropyWithLogits, sparseSoftmaxCrossEntropyWithLogits, sparseSoftmaxFocalCrossEntropyWithLogits,
  SparseCategoricalCrossentropy, SparseCategoricalFocalCrossentropy,
} from '../../src/index';
import {expect, expectClose, expectThrows, poisonedBy, randLabels, randn, values} from './assert';
import {defineSpec, SpecEnv} from './registry';

/** Where a bad sparse label throws: the cpu fused kernels (elsewhere: NaN for its row). */
const throwsOnBadLabel = (env: SpecEnv) => env.backend === 'cpu' && !env.composite;

const SPARSE_OPS: Array<[string, (t: tf.Tensor | number[], x: tf.Tensor, o?: object) => tf.Tensor]> = [
  ['sparseSoftmaxCrossEntropyWithLogits', (t, x, o) => sparseSoftmaxCrossEntropyWithLogits(t, x, o)],
  ['sparseSoftmaxFocalCrossEntropyWithLogits', (t, x, o) => sparseSoftmaxFocalCrossEntropyWithLogits(t, x, o)],
];

/** Whether a webgpu / webgl tensor has a host copy of its values (the backend's private storage). */
function hasHostCopy(t: tf.Tensor): boolean {
  type Store = {get(id: object): {values?: unknown} | undefined};
  const b = tf.backend() as unknown as {tensorMap?: Store, texData?: Store};
  return (b.tensorMap ?? b.texData)?.get(t.dataId)?.values != null;
}

/**
 * A tensor whose values live only on the device where the backend has one:
 * computed by a kernel that runs there (tfjs-webgpu and tfjs-webgl run small
 * ops on the cpu unless their CPU_FORWARD flag is off), so no host copy exists.
 */
function onDevice(v: number[] | Float32Array, env: SpecEnv): tf.Tensor {
  const flag = env.backend === 'webgpu' ? 'WEBGPU_CPU_FORWARD' : env.backend === 'webgl' ? 'WEBGL_CPU_FORWARD' : null;
  const before = flag == null ? null : tf.env().getBool(flag);
  if (flag != null) tf.env().set(flag, false);
  try {
    const t = tf.tidy(() => tf.mul(tf.tensor1d(v), 1));
    if (flag != null) {
      expect(!hasHostCopy(t), () => `the ${env.backend} tensor still has its values on the host`);
    }
    return t;
  } finally {
    if (flag != null) tf.env().set(flag, before!);
  }
}

defineSpec('bad input: non-integer sparse labels', it => {
  const x = () => tf.tensor2d(randn(12, 41, 2), [4, 3]);

  for (const [name, f] of SPARSE_OPS) {
    it(`${name}: 1.5 and NaN throw on cpu, naming the row and the value`, async () => {
      const logits = x();
      await expectThrows(() => f(tf.tensor1d([0, 1.5, 2, 1]), logits), [name, 'labels[1] = 1.5', 'not an integer'], 'float tensor');
      await expectThrows(() => f([0, 1, NaN, 1], logits), [name, 'labels[2] = NaN', 'not an integer'], 'array');
      await expectThrows(() => f(tf.tensor1d([0, 1, 2, -Infinity]), logits), [name, 'labels[3] = -Infinity', 'not an integer'], '−∞');
      logits.dispose();
    }, {only: throwsOnBadLabel});

    it(`${name}: 1.5, NaN and ±∞ give NaN for their rows (GPU kernels, composite path)`, async env => {
      const logits = x();
      const good = await values(f(tf.tensor1d([0, 1, 2, 1], 'int32'), logits));
      for (const [what, labels] of [
        ['float tensor', tf.tensor1d([0, 1.5, 2, NaN])],
        ['array', [0, 1.5, 2, NaN]],
        ['float tensor with ±∞', tf.tensor1d([0, Infinity, 2, -Infinity])],
      ] as Array<[string, tf.Tensor | number[]]>) {
        const loss = await values(f(labels, logits));
        expect(Number.isNaN(loss[1]) && Number.isNaN(loss[3]), () => `${what}: loss ${loss}`);
        expectClose([loss[0], loss[2]], [good[0], good[2]], env.rtol, `${what}: the other rows`);
        const g = await values(tf.grad(l => f(labels, l))(logits));
        const bad = poisonedBy(env);
        expect([3, 4, 5, 9, 10, 11].every(i => bad(g[i])) && [0, 1, 2, 6, 7, 8].every(i => Number.isFinite(g[i])),
               () => `${what}: gradient ${g}`);
      }
      logits.dispose();
    }, {only: env => !throwsOnBadLabel(env)});

    it(`${name}: a NaN label is not the ignore index, even with ignoreIndex −1 or −2`, async () => {
      const logits = x();
      for (const ignoreIndex of [-1, -2]) {
        const loss = await values(f(tf.tensor1d([ignoreIndex, NaN, 0, 1]), logits, {ignoreIndex}));
        expect(loss[0] === 0 && Number.isNaN(loss[1]) && Number.isFinite(loss[2]), () => `ignoreIndex ${ignoreIndex}: loss ${loss}`);
      }
      logits.dispose();
    }, {only: env => !throwsOnBadLabel(env)});

    it(`${name}: validateLabels says "not an integer" for 0.5 and NaN, "out of range" for 3`, async () => {
      const logits = x();
      await expectThrows(() => f([0, 0.5, 2, 1], logits, {validateLabels: true}), [name, 'labels[1] = 0.5', 'not an integer'], '0.5');
      await expectThrows(() => f(tf.tensor1d([0, 1, NaN, 1]), logits, {validateLabels: true}), [name, 'labels[2] = NaN', 'not an integer'], 'NaN');
      await expectThrows(() => f([0, 1, 2, 3], logits, {validateLabels: true}), [name, 'labels[3] = 3', 'out of range [0, 3)'], '3');
      logits.dispose();
    });
  }

  it('non-integer labels on the device (2048 rows): NaN for those rows, no read back', async env => {
    const n = 2048, C = 4, ids = Float32Array.from(randLabels(n, C, 42));
    ids[7] = 2.5;
    ids[1500] = NaN;
    const labels = onDevice(ids, env);
    const logits = tf.tensor2d(randn(n * C, 43), [n, C]);
    const loss = await values(sparseSoftmaxCrossEntropyWithLogits(labels, logits));
    const nan = [...loss.keys()].filter(i => Number.isNaN(loss[i]));
    expect(nan.join() === '7,1500', () => `NaN rows ${nan}`);
    tf.dispose([labels, logits]);
  }, {only: env => !throwsOnBadLabel(env)});

  it('linearSoftmaxCrossEntropy: a float label 1.5 throws on cpu, else gives NaN for its row', async env => {
    const hidden = tf.tensor2d(randn(3 * 4, 44), [3, 4]), weight = tf.tensor2d(randn(5 * 4, 45), [5, 4]);
    const labels = tf.tensor1d([1, 1.5, 4]);
    if (throwsOnBadLabel(env)) {
      await expectThrows(() => linearSoftmaxCrossEntropy(hidden, weight, labels), ['linearSoftmaxCrossEntropy', 'labels[1] = 1.5', 'not an integer'], 'cpu');
    } else {
      const loss = await values(linearSoftmaxCrossEntropy(hidden, weight, labels, {reduction: 'none'}));
      expect(Number.isFinite(loss[0]) && Number.isNaN(loss[1]) && Number.isFinite(loss[2]), () => `loss ${loss}`);
    }
    await expectThrows(() => linearSoftmaxCrossEntropy(hidden, weight, [1, NaN, 4], {validateLabels: true}),
                       ['linearSoftmaxCrossEntropy', 'labels[1] = NaN', 'not an integer'], 'validateLabels');
    tf.dispose([hidden, weight, labels]);
  });

  it('sparse loss classes pass float labels on without truncating them', async env => {
    const logits = x();
    for (const loss of [new SparseCategoricalCrossentropy({fromLogits: true, reduction: 'none'}),
                        new SparseCategoricalFocalCrossentropy({fromLogits: true, reduction: 'none'})]) {
      const yTrue = tf.tensor2d([0, 1.5, 2, 1], [4, 1]);
      if (throwsOnBadLabel(env)) {
        await expectThrows(() => loss.call(yTrue, logits), ['labels[1] = 1.5', 'not an integer'], loss.name);
      } else {
        const v = await values(loss.call(yTrue, logits));
        expect(Number.isFinite(v[0]) && Number.isNaN(v[1]) && Number.isFinite(v[2]), () => `${loss.name}: ${v}`);
      }
      yTrue.dispose();
    }
    logits.dispose();
  });
});

defineSpec('bad input: per-class vectors', it => {
  const rows = 6, C = 5, w = [0.5, 2, 1, 3, 0.25];

  it('classWeights as a device tensor: same loss and gradient as numbers (dense, sparse, focal)', async env => {
    const x = tf.tensor2d(randn(rows * C, 50, 2), [rows, C]);
    const t = randLabels(rows, C, 51);
    t[2] = -100;
    const y = tf.oneHot(tf.tensor1d(t, 'int32'), C).toFloat();
    const cw = onDevice(w, env);
    const cases: Array<[string, (weights: tf.Tensor | number[]) => (l: tf.Tensor) => tf.Tensor]> = [
      ['dense', cwv => l => softmaxCrossEntropyWithLogits(y, l, {classWeights: cwv, labelSmoothing: 0.1, zLoss: 1e-3})],
      ['sparse', cwv => l => sparseSoftmaxCrossEntropyWithLogits(t, l, {classWeights: cwv, labelSmoothing: 0.1, ignoreIndex: -100, temperature: 1.5})],
      ['focal', cwv => l => softmaxFocalCrossEntropyWithLogits(y, l, {classWeights: cwv, alpha: cwv})],
      ['sparse focal', cwv => l => sparseSoftmaxFocalCrossEntropyWithLogits(t, l, {classWeights: cwv, ignoreIndex: -100})],
    ];
    for (const [what, f] of cases) {
      expectClose(await values(f(cw)(x)), await values(f(w)(x)), env.rtol, `${what}: loss`);
      expectClose(await values(tf.grad(f(cw))(x)), await values(tf.grad(f(w))(x)), env.rtol, `${what}: gradient`);
    }
    tf.dispose([x, y, cw]);
  });

  it('posWeight as a device tensor (per class and scalar): same loss and gradient as numbers', async env => {
    const x = tf.tensor2d(randn(rows * C, 52, 2), [rows, C]);
    const z = tf.tensor2d(Float32Array.from(randn(rows * C, 53), v => (v > 0 ? 1 : 0)), [rows, C]);
    for (const q of [w, [2.5]]) {
      const qt = onDevice(q, env);
      const f = (qv: tf.Tensor | number[]) => (l: tf.Tensor) => sigmoidCrossEntropyWithLogits(z, l, {posWeight: qv, labelSmoothing: 0.1});
      expectClose(await values(f(qt)(x)), await values(f(q)(x)), env.rtol, `posWeight [${q.length}]: loss`);
      expectClose(await values(tf.grad(f(qt))(x)), await values(tf.grad(f(q))(x)), env.rtol, `posWeight [${q.length}]: gradient`);
      qt.dispose();
    }
    tf.dispose([x, z]);
  });

  it('a device tensor with a negative entry gives NaN for the rows it weighs (it cannot be read to throw)', async env => {
    const x = tf.tensor2d(randn(rows * C, 54), [rows, C]);
    const cw = onDevice([1, -1, 1, 1, 1], env);
    const loss = await values(sparseSoftmaxCrossEntropyWithLogits([0, 1, 2, 1, 3, 4], x, {classWeights: cw}));
    expect([1, 3].every(i => Number.isNaN(loss[i])) && [0, 2, 4, 5].every(i => Number.isFinite(loss[i])), () => `loss ${loss}`);
    tf.dispose([x, cw]);
  }, {only: env => env.backend === 'webgpu' || env.backend === 'webgl'});

  it('linearSoftmaxCrossEntropy: classWeights on the device are refused, saying what to do; readable ones work', async env => {
    const hidden = tf.tensor2d(randn(3 * 4, 56), [3, 4]), weight = tf.tensor2d(randn(C * 4, 57), [C, 4]);
    const cw = onDevice(w, env);
    if (env.backend === 'webgpu' || env.backend === 'webgl') {
      await expectThrows(() => linearSoftmaxCrossEntropy(hidden, weight, [1, 0, 4], {classWeights: cw}),
                         ['linearSoftmaxCrossEntropy', 'classWeights', 'only on the GPU', 'await classWeights.data()'], 'device classWeights');
    } else {
      expectClose(await values(linearSoftmaxCrossEntropy(hidden, weight, [1, 0, 4], {classWeights: cw})),
                  await values(linearSoftmaxCrossEntropy(hidden, weight, [1, 0, 4], {classWeights: w})), env.rtol, 'host classWeights');
    }
    tf.dispose([hidden, weight, cw]);
  });

  it('loss classes: classWeights / posWeight on the device are refused, saying what to do; readable ones are read', async env => {
    const cw = onDevice(w, env);
    const make = () => new CategoricalCrossentropy({fromLogits: true, classWeights: cw});
    const makeBinary = () => new BinaryCrossentropy({fromLogits: true, posWeight: cw});
    if (env.backend === 'webgpu' || env.backend === 'webgl') {
      await expectThrows(make, ['CategoricalCrossentropy: classWeights', 'only on the GPU', 'await t.data()'], 'classWeights');
      await expectThrows(makeBinary, ['BinaryCrossentropy: posWeight', 'only on the GPU'], 'posWeight');
    } else {
      expect(make().classWeights!.join() === w.join() && String(makeBinary().posWeight) === w.join(), () => 'weights read');
    }
    cw.dispose();
  });

  it('negative classWeights / posWeight / alpha are refused, naming the argument', async () => {
    const x = tf.tensor2d(randn(6, 55), [2, 3]);
    await expectThrows(() => softmaxCrossEntropyWithLogits([[1, 0, 0], [0, 1, 0]], x, {classWeights: [1, -0.5, 1]}),
                       ['softmaxCrossEntropyWithLogits', 'classWeights', '≥ 0', '-0.5'], 'dense classWeights');
    await expectThrows(() => sparseSoftmaxCrossEntropyWithLogits([0, 1], x, {classWeights: tf.tensor1d([1, 1, -2])}),
                       ['sparseSoftmaxCrossEntropyWithLogits', 'classWeights', '≥ 0', '-2'], 'sparse classWeights (host tensor)');
    await expectThrows(() => sigmoidCrossEntropyWithLogits([[1, 0, 0], [0, 1, 0]], x, {posWeight: -1}),
                       ['sigmoidCrossEntropyWithLogits', 'posWeight', '≥ 0', '-1'], 'posWeight');
    await expectThrows(() => sparseSoftmaxFocalCrossEntropyWithLogits([0, 1], x, {classWeights: [1, -1, 1]}),
                       ['sparseSoftmaxFocalCrossEntropyWithLogits', 'classWeights', '≥ 0'], 'focal classWeights');
    await expectThrows(() => linearSoftmaxCrossEntropy(x, tf.zeros([4, 3]), [0, 1], {classWeights: [1, 1, -1, 1]}),
                       ['linearSoftmaxCrossEntropy', 'classWeights', '≥ 0'], 'linear classWeights');
    x.dispose();
  });
});

defineSpec('bad input: options', it => {
  const x = () => tf.tensor2d(randn(6, 60), [2, 3]);
  const y = [[1, 0, 0], [0, 1, 0]];
  const ops: Array<[string, (o: object) => tf.Tensor]> = [
    ['softmaxCrossEntropyWithLogits', o => softmaxCrossEntropyWithLogits(y, x(), o)],
    ['sparseSoftmaxCrossEntropyWithLogits', o => sparseSoftmaxCrossEntropyWithLogits([0, 1], x(), o)],
    ['sigmoidCrossEntropyWithLogits', o => sigmoidCrossEntropyWithLogits(y, x(), o)],
    ['softmaxFocalCrossEntropyWithLogits', o => softmaxFocalCrossEntropyWithLogits(y, x(), o)],
    ['sparseSoftmaxFocalCrossEntropyWithLogits', o => sparseSoftmaxFocalCrossEntropyWithLogits([0, 1], x(), o)],
    ['sigmoidFocalCrossEntropyWithLogits', o => sigmoidFocalCrossEntropyWithLogits(y, x(), o)],
    ['linearSoftmaxCrossEntropy', o => linearSoftmaxCrossEntropy(x(), tf.zeros([4, 3]), [0, 1], o)],
  ];

  it('an unknown option throws, naming it, with a "did you mean"', async () => {
    for (const [name, f] of ops) {
      const op = name;
      await expectThrows(() => f({labelSmothing: 0.1}), [op, `unknown option 'labelSmothing'`, `did you mean 'labelSmoothing'`], `${name}: typo`);
      await expectThrows(() => f({label_smoothing: 0.1}), [op, `unknown option 'label_smoothing'`, `did you mean 'labelSmoothing'`], `${name}: snake_case`);
      await expectThrows(() => f({weight: [1, 2, 3]}), [op, `unknown option 'weight'`, 'expected one of'], `${name}: another library's option`);
    }
    await expectThrows(() => sparseSoftmaxCrossEntropyWithLogits([0, 1], x(), {ignore_index: -100} as object),
                       [`unknown option 'ignore_index'`, `did you mean 'ignoreIndex'`], 'ignore_index');
  });

  it('a number option given as a string shows its type', async () => {
    await expectThrows(() => softmaxCrossEntropyWithLogits(y, x(), {temperature: '2'} as object),
                       ['softmaxCrossEntropyWithLogits', 'temperature', `got '2' (a string)`], 'temperature');
    await expectThrows(() => sparseSoftmaxCrossEntropyWithLogits([0, 1], x(), {labelSmoothing: '0.1'} as object),
                       ['labelSmoothing', `got '0.1' (a string)`], 'labelSmoothing');
    await expectThrows(() => softmaxCrossEntropyWithLogits(y, x(), {zLoss: '0'} as object), ['zLoss', `got '0' (a string)`], 'zLoss');
    await expectThrows(() => softmaxCrossEntropyWithLogits(y, x(), {axis: '1'} as object), ['axis', `got '1' (a string)`], 'axis');
    await expectThrows(() => sparseSoftmaxCrossEntropyWithLogits([0, 1], x(), {ignoreIndex: '-100'} as object),
                       ['ignoreIndex', `got '-100' (a string)`], 'ignoreIndex');
    await expectThrows(() => softmaxFocalCrossEntropyWithLogits(y, x(), {gamma: '2'} as object), ['gamma', `got '2' (a string)`], 'gamma');
    await expectThrows(() => linearSoftmaxCrossEntropy(x(), tf.zeros([4, 3]), [0, 1], {chunkSize: '2'} as object),
                       ['chunkSize', `got '2' (a string)`], 'chunkSize');
  });
});

defineSpec('bad input: empty batches', it => {
  it('class axis first or in the middle: empty results and gradients, as on cpu', async () => {
    const cases: Array<[string, number[], number, (x: tf.Tensor) => tf.Tensor]> = [
      ['dense, axis 0', [4, 0, 3], 0, l => softmaxCrossEntropyWithLogits(tf.zerosLike(l), l, {axis: 0})],
      ['dense, axis 1', [0, 3, 2], 1, l => softmaxCrossEntropyWithLogits(tf.zerosLike(l), l, {axis: 1})],
      ['sparse, axis 1', [0, 3, 2], 1, l => sparseSoftmaxCrossEntropyWithLogits(tf.zeros([0, 2], 'int32'), l, {axis: 1})],
      ['focal, axis 1', [0, 3, 2], 1, l => softmaxFocalCrossEntropyWithLogits(tf.zerosLike(l), l, {axis: 1})],
      ['sparse focal, axis 0', [3, 2, 0], 0, l => sparseSoftmaxFocalCrossEntropyWithLogits(tf.zeros([2, 0], 'int32'), l, {axis: 0})],
    ];
    for (const [what, shape, axis, f] of cases) {
      const logits = tf.zeros(shape);
      const out = f(logits);
      const want = shape.filter((_, d) => d !== axis);
      expect(out.shape.join() === want.join() && (await out.data()).length === 0, () => `${what}: shape [${out.shape}]`);
      const g = tf.grad(f)(logits);
      expect(g.shape.join() === shape.join(), () => `${what}: gradient shape [${g.shape}]`);
      tf.dispose([logits, out, g]);
    }
  });

  it('reductions of an empty batch give what cpu gives (drop-in twins, loss classes)', async () => {
    const logits = tf.zeros([0, 3]), labels = tf.zeros([0, 3]);
    const got: Array<[string, tf.Tensor, number]> = [
      ['SUM', losses.softmaxCrossEntropy(labels, logits, undefined, 0, tf.Reduction.SUM), 0],
      ['MEAN', losses.softmaxCrossEntropy(labels, logits, undefined, 0, tf.Reduction.MEAN), 0],
      ['MEAN, weights', losses.softmaxCrossEntropy(labels, logits, tf.tensor1d([2]), 0, tf.Reduction.MEAN), 0],
      ['SUM_BY_NONZERO_WEIGHTS', losses.softmaxCrossEntropy(labels, logits), NaN],
      ['sparse SUM', losses.sparseSoftmaxCrossEntropy(tf.zeros([0], 'int32'), logits, undefined, 0, tf.Reduction.SUM), 0],
      ['sigmoid SUM, weights [C]', losses.sigmoidCrossEntropy(labels, logits, tf.tensor1d([2, 1, 1]), 0, tf.Reduction.SUM), 0],
      ['sigmoid MEAN', losses.sigmoidCrossEntropy(labels, logits, undefined, 0, tf.Reduction.MEAN), 0],
      ['sigmoid MEAN, weights [C]', losses.sigmoidCrossEntropy(labels, logits, tf.tensor1d([2, 1, 1]), 0, tf.Reduction.MEAN), 0],
      ['sigmoid SUM_BY_NONZERO_WEIGHTS', losses.sigmoidCrossEntropy(labels, logits), NaN],
      ["class 'sum'", new SparseCategoricalCrossentropy({fromLogits: true, reduction: 'sum'}).call(tf.zeros([0]), logits), 0],
      ["class 'sum_over_batch_size'", new SparseCategoricalCrossentropy({fromLogits: true}).call(tf.zeros([0]), logits), NaN],
      ["class 'mean', ignoreClass", new SparseCategoricalCrossentropy({fromLogits: true, reduction: 'mean', ignoreClass: -1}).call(tf.zeros([0]), logits), 0],
    ];
    for (const [what, t, want] of got) {
      const v = await values(t);
      expect(v.length === 1 && (Object.is(v[0], want) || (Number.isNaN(want) && Number.isNaN(v[0]))), () => `${what}: ${v}, expected ${want}`);
    }
    tf.dispose([logits, labels, ...got.map(g => g[1])]);
  });
});

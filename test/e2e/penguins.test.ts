/**
 * End to end on a real data set (Palmer penguins from vega-datasets, read from
 * node_modules), cpu backend: a tfjs-layers classifier trained with
 * model.compile + our SparseCategoricalCrossentropy reaches the stated test
 * accuracy, and its per-epoch loss curve matches tfjs's built-in
 * 'sparseCategoricalCrossentropy' from the same initial weights.
 *
 * The honest equivalent of tfjs's loss (which takes probabilities) is the same
 * network ending in a softmax layer. Two comparisons, same seeds, same batch
 * order (shuffle off; the data are shuffled once with a seed):
 *  A. logits model + ours ({fromLogits: true}, the fused kernel on logits)
 *     vs softmax model + tfjs's loss: mathematically the same loss and
 *     gradients as long as no probability reaches tfjs's clip at 1 − 1e-7;
 *  B. softmax model + ours ({fromLogits: false}) vs softmax model + tfjs.
 * The float32 curves may differ only by rounding: within 1e-4 per epoch.
 */
import * as tf from '@tensorflow/tfjs';
import '../../src/index';
import {compileWithSparseLabels, SparseCategoricalCrossentropy} from '../../src/losses';
import {accuracy, buildModel, copyWeights, loadPenguins, NUM_FEATURES} from '../../examples/penguins';

const EPOCHS = 30;
const BATCH = 32;
const LR = 0.01;
/** Per-epoch agreement of the loss curves (float32 rounding over ~270 Adam steps). */
const CURVE_TOL = 1e-4;
/** Stated accuracy on the 20 % held-out split. */
const MIN_TEST_ACCURACY = 0.95;

interface Run {
  loss: number[];
  acc: number[];
  testAccuracy: number;
}

async function train(model: tf.Sequential, compile: (m: tf.Sequential) => void, data: ReturnType<typeof loadPenguins>): Promise<Run> {
  compile(model);
  const xs = tf.tensor2d(data.train.x, [data.train.n, NUM_FEATURES]);
  // Class ids [N, 1] as float32: tfjs's own sparse loss floors them and refuses int32 (ours takes either).
  const ys = tf.tensor2d(Float32Array.from(data.train.y), [data.train.n, 1]);
  const h = await model.fit(xs, ys, {epochs: EPOCHS, batchSize: BATCH, shuffle: false, verbose: 0});
  tf.dispose([xs, ys]);
  return {loss: h.history.loss as number[], acc: h.history.acc as number[], testAccuracy: await accuracy(model, data.test)};
}

describe('penguins end to end (cpu)', () => {
  const data = loadPenguins();
  let baseline: Run;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    tf.env().set('FUSED_CE_FORCE_COMPOSITE', false);
    const model = buildModel(true);
    baseline = await train(model, m => m.compile({
      optimizer: tf.train.adam(LR), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy']}), data);
  });

  test('the data: 342 complete rows, 3 species, 80/20 split', () => {
    expect(data.train.n + data.test.n).toBe(342);
    expect(new Set(data.train.y).size).toBe(3);
    expect(data.train.n).toBe(274);
  });

  afterEach(() => tf.env().set('FUSED_CE_FORCE_COMPOSITE', false));

  test.each([
    ['A: logits + ours (fromLogits: true)', false, true, false],
    ['B: softmax + ours (fromLogits: false)', true, false, false],
    ['A on the composite path (fused kernels forced off)', false, true, true],
  ])('%s matches tfjs\'s built-in loss per epoch and reaches the stated accuracy', async (_name, softmax, fromLogits, composite) => {
    tf.env().set('FUSED_CE_FORCE_COMPOSITE', composite);
    const reference = buildModel(true);
    const model = buildModel(softmax, 1234);   // different seed on purpose: the copy must make them equal
    copyWeights(reference, model);
    reference.dispose();
    const ours = await train(model, m => compileWithSparseLabels(m, {
      optimizer: tf.train.adam(LR), loss: new SparseCategoricalCrossentropy({fromLogits}), metrics: ['accuracy']}), data);
    const gaps = ours.loss.map((l, e) => Math.abs(l - baseline.loss[e]));
    const worst = Math.max(...gaps);
    // The largest per-epoch gap, printed with FUSED_CE_TEST_VERBOSE=1.
    if (/^(true|1)$/i.test(process.env.FUSED_CE_TEST_VERBOSE ?? '')) console.log(`${_name}: max |loss − tfjs loss| over ${EPOCHS} epochs = ${worst.toExponential(2)}; ` +
                `final loss ${ours.loss[EPOCHS - 1].toFixed(4)} vs ${baseline.loss[EPOCHS - 1].toFixed(4)}; ` +
                `test accuracy ${ours.testAccuracy.toFixed(3)} vs ${baseline.testAccuracy.toFixed(3)}`);
    expect(worst).toBeLessThan(CURVE_TOL);
    ours.acc.forEach((a, e) => expect(a).toBeCloseTo(baseline.acc[e], 6));
    expect(ours.loss[EPOCHS - 1]).toBeLessThan(ours.loss[0] / 4);
    expect(ours.testAccuracy).toBeGreaterThanOrEqual(MIN_TEST_ACCURACY);
    model.dispose();
  });
});

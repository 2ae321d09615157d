/**
 * The model suites of benchmarks/train_models.ts and the harness's train
 * modes (benchmarks/harness.ts), on the real cpu backend: one pipelined step
 * (optimizer.minimize over model.apply with the compiled loss function) moves
 * the weights exactly as one trainOnBatch does, for every provider of every
 * model, and the three providers train the same model alike (same seeded
 * initial weights, the same loss up to tfjs-layers' probability clipping).
 * Small shapes (8 rows, C = 100 or 2000; the LM head's hidden size is that of
 * cpu runs): the models' layers are the suites' own. No timings here.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {DEFAULT_RUN_OPTIONS, Inputs, Mode, prepare, RunOptions, Suite} from '../../benchmarks/harness';
import {TRAIN_MODEL_SUITES} from '../../benchmarks/train_models';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const opts: RunOptions = {...DEFAULT_RUN_OPTIONS, backend: 'cpu', pipelineSteps: 1};

/** The weights after one step of `mode`, as float64 arrays, and the tensors left alive by it. */
async function afterOneStep(suite: Suite, inputs: Inputs, mode: Mode, provider: number): Promise<{weights: Float64Array[], leaked: number}> {
  const prepared = prepare(mode, suite.providers[provider], inputs, opts);
  try {
    const before = tf.memory().numTensors;
    await prepared.run(() => {});
    const leaked = tf.memory().numTensors - before;
    const weights = await Promise.all(prepared.model!.getWeights().map(async w => Float64Array.from(await w.data())));
    return {weights, leaked};
  } finally {
    prepared.dispose();
  }
}

function maxRelDiff(a: Float64Array[], b: Float64Array[]): number {
  let worst = 0;
  a.forEach((x, i) => x.forEach((v, j) => {
    worst = Math.max(worst, Math.abs(v - b[i][j]) / Math.max(1e-3, Math.abs(v)));
  }));
  return worst;
}

describe.each(TRAIN_MODEL_SUITES.map(s => [s.id, s] as const))('%s', (_id, suite) => {
  let inputs: Inputs;
  let initial: Float64Array[];
  beforeAll(async () => {
    const shape = {rows: 8, classes: suite.id === 'train-lm-head' ? 2000 : 100};
    inputs = suite.makeInputs(shape, opts);
    const model = inputs.buildModel!('linear');
    initial = await Promise.all(model.getWeights().map(async w => Float64Array.from(await w.data())));
    model.dispose();
  });
  afterAll(() => tf.dispose([inputs.logits, inputs.labels, inputs.features, inputs.trainTargets]));

  it('a pipelined step equals a trainOnBatch step for every provider; the providers agree', async () => {
    const stepped: Float64Array[][] = [];
    for (let i = 0; i < suite.providers.length; i++) {
      const a = await afterOneStep(suite, inputs, 'train', i);
      const b = await afterOneStep(suite, inputs, 'train-pipelined', i);
      expect({provider: suite.providers[i].id, leaked: [a.leaked, b.leaked]}).toEqual({provider: suite.providers[i].id, leaked: [0, 0]});
      expect(maxRelDiff(a.weights, b.weights)).toBeLessThan(1e-6);
      // The step moved the weights.
      expect(maxRelDiff(initial, a.weights)).toBeGreaterThan(1e-6);
      stepped.push(a.weights);
    }
    // Same initial weights, same loss: the same update (tfjs-layers clips probabilities at 1e-7).
    for (let i = 1; i < stepped.length; i++) expect(maxRelDiff(stepped[0], stepped[i])).toBeLessThan(1e-4);
  });
});

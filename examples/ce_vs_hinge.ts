/**
 * Cross-entropy vs hinge loss on one binary question, "is it a sunny day?"
 * (Seattle weather: 640 of 1461 days). The same network from the same
 * initial weights, trained once with binary cross-entropy on logits (the fused
 * sigmoid kernel, BinaryCrossentropy({fromLogits: true})) and once with tfjs's
 * tf.losses.hingeLoss (a margin loss, as an SVM). Both separate the classes
 * about equally well, but only cross-entropy is a proper scoring rule: σ(score)
 * of the cross-entropy model is a usable probability (low ECE), while the hinge
 * model's scores pile up near the margin ±1, so σ(score) says ~73% where it
 * should say ~100%, and nothing in the loss asks it to be a probability.
 *
 *   npx tsx examples/ce_vs_hinge.ts            # under a minute on 2 cores
 *   npx tsx examples/ce_vs_hinge.ts --quick    # a few seconds (used by the tests)
 */
import * as tf from '@tensorflow/tfjs';
import '../src/index';
import {calibration} from '../src/calibration';
import {BinaryCrossentropy} from '../src/losses';
import {isQuick, logitsOf, mlp, pct, table, train} from './lib/common';
import {features, loadSeattleWeather, NUM_FEATURES, Split, WEATHER} from './lib/seattle_weather';

const SUN = WEATHER.indexOf('sun');

function sunny(s: Split): tf.Tensor2D {
  return tf.tensor2d(Float32Array.from(s.y, t => (t === SUN ? 1 : 0)), [s.n, 1]);
}

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  const quick = isQuick();
  const epochs = quick ? 15 : 150;
  const data = loadSeattleWeather();
  const x = features(data.train), y = sunny(data.train), xTest = features(data.test);
  const yTest = Int32Array.from(data.test.y, t => (t === SUN ? 1 : 0));
  console.log(`${data.train.n} training days (${y.sum().dataSync()[0]} sunny), ${data.test.n} test days`);

  const losses = [
    ['binary cross-entropy', new BinaryCrossentropy({fromLogits: true})],
    ['hinge (tf.losses.hingeLoss)', (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.losses.hingeLoss(yTrue, yPred, undefined, tf.Reduction.NONE).mean(-1)],
  ] as const;
  const rows: Array<Array<string | number>> = [];
  for (const [name, loss] of losses) {
    const model = mlp(NUM_FEATURES, [32, 32], 1, 51);
    model.compile({optimizer: tf.train.adam(0.005), loss});
    await train(name, model, x, y, epochs, 64);
    const scores = await logitsOf(model, xTest);
    const probs = Float32Array.from(scores, s => 1 / (1 + Math.exp(-s)));
    const cal = await calibration(yTest, probs);
    let hits = 0, nll = 0;
    for (let i = 0; i < yTest.length; i++) {
      hits += (scores[i] > 0 ? 1 : 0) === yTest[i] ? 1 : 0;
      const p = Math.min(Math.max(probs[i], 1e-7), 1 - 1e-7);
      nll -= yTest[i] ? Math.log(p) : Math.log(1 - p);
    }
    const absScores = Array.from(scores, Math.abs).sort((a, b) => a - b);
    rows.push([name, pct(hits / yTest.length), (nll / yTest.length).toFixed(4), pct(cal.ece), pct(cal.mce),
               absScores[Math.floor(absScores.length / 2)].toFixed(2)]);
    model.dispose();
  }
  console.log(`\nTest days (${data.test.n}); probability = σ(score):`);
  console.log(table(['loss', 'accuracy', 'NLL', 'ECE', 'MCE', 'median |score|'], rows));
  tf.dispose([x, y, xTest]);
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});

/**
 * Cross-entropy vs hinge loss on the five-class Seattle weather task. Two
 * models (linear, and one hidden layer of 16), each from the same initial
 * weights trained once with softmax
 * cross-entropy (the fused kernel, CategoricalCrossentropy({fromLogits: true}))
 * and once with tfjs's tf.losses.hingeLoss on the one-hot labels (one-vs-rest
 * margins, as a multi-class SVM). Both rank the classes about equally well,
 * but only cross-entropy is a proper scoring rule: softmax of the cross-entropy
 * model's scores is a usable probability (low ECE, low NLL), while the hinge
 * model's scores stop at the margins (true class ≈ +1, others ≈ −1: a loss of
 * 0 needs nothing more), so softmax of them is underconfident where the model
 * is sure, and nothing in a margin loss asks the scores to be probabilities.
 * What a run prints: examples/README.md (checked by test/examples).
 *
 *   npx tsx examples/ce_vs_hinge.ts            # under a minute on 2 cores
 *   npx tsx examples/ce_vs_hinge.ts --quick    # a few seconds (used by the tests)
 */
import * as tf from '@tensorflow/tfjs';
import '../src/index';
import {calibration} from '../src/calibration';
import {CategoricalCrossentropy} from '../src/losses';
import {argmaxRows, classMetrics, isQuick, logitsOf, meanNll, mlp, pct, table, train} from './lib/common';
import {features, loadSeattleWeather, NUM_CLASSES, NUM_FEATURES, oneHotLabels} from './lib/seattle_weather';

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  const quick = isQuick();
  const epochs = quick ? 15 : 80;
  const data = loadSeattleWeather();
  const x = features(data.train), y = oneHotLabels(data.train), xTest = features(data.test);
  const testLabels = tf.tensor1d(data.test.y, 'int32');
  console.log(`${data.train.n} training days, ${data.test.n} test days, ${NUM_CLASSES} classes`);

  const hinge = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.mean(tf.losses.hingeLoss(yTrue, yPred, undefined, tf.Reduction.NONE), -1);
  const losses = [
    ['softmax cross-entropy', new CategoricalCrossentropy({fromLogits: true})],
    ['hinge (tf.losses.hingeLoss)', hinge],
  ] as const;
  const rows: Array<Array<string | number>> = [];
  for (const [arch, hidden] of [['linear', []], ['MLP 16', [16]]] as const) {
    for (const [name, loss] of losses) {
      const model = mlp(NUM_FEATURES, [...hidden], NUM_CLASSES, 5);
      model.compile({optimizer: tf.train.adam(0.01), loss});
      await train(`${arch}, ${name}`, model, x, y, epochs, 64);
      const scores = await logitsOf(model, xTest);
      const m = classMetrics(argmaxRows(scores, NUM_CLASSES), data.test.y, NUM_CLASSES);
      const cal = await calibration(testLabels, tf.tensor2d(scores, [data.test.n, NUM_CLASSES]), {fromLogits: true});
      rows.push([`${arch}, ${name}`, pct(m.accuracy), m.macroF1.toFixed(3), pct(cal.confidence),
                 meanNll(scores, data.test.y, NUM_CLASSES).toFixed(4), pct(cal.ece), pct(cal.mce)]);
      model.dispose();
    }
  }
  console.log(`\nTest days (${data.test.n}); probabilities = softmax(scores):`);
  console.log(table(['model, loss', 'accuracy', 'macro-F1', 'mean confidence', 'NLL', 'ECE', 'MCE'], rows));
  tf.dispose([x, y, xTest, testLabels]);
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});

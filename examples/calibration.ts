/**
 * Overconfidence and temperature scaling. A wide network trained far past
 * convergence on the Seattle weather data memorises its training days and
 * becomes overconfident: its top-label confidence exceeds its accuracy on
 * new days. Temperature scaling (Guo et al. 2017) fits one T on validation
 * days (fitTemperature: a 1-D root search on the NLL's slope in β = 1/T,
 * slopes from the fused op's gradient); softmax(logits / T) keeps every
 * argmax, so accuracy is unchanged, while NLL and ECE fall on the test days.
 * Reliability diagrams (before / after) go to examples/output/ as SVG and PNG.
 *
 *   npx tsx examples/calibration.ts            # about two minutes on 2 busy cores
 *   npx tsx examples/calibration.ts --quick    # a few seconds (used by the tests)
 */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import '../src/index';
import {calibration, classwiseCalibration, fitTemperature} from '../src/calibration';
import {saveReliabilityDiagram} from '../src/calibration/node';
import {CategoricalCrossentropy} from '../src/losses';
import {isQuick, logitsOf, meanNll, mlp, pct, table, train} from './lib/common';
import {features, loadSeattleWeather, NUM_CLASSES, NUM_FEATURES, oneHotLabels} from './lib/seattle_weather';

export const OUTPUT_DIR = path.join(__dirname, 'output');

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  const quick = isQuick();
  const epochs = quick ? 20 : 200;
  const data = loadSeattleWeather();
  console.log(`${data.train.n} training, ${data.val.n} validation (for T), ${data.test.n} test days; ${NUM_CLASSES} classes`);

  const model = mlp(NUM_FEATURES, [96, 96], NUM_CLASSES, 21);
  model.compile({optimizer: tf.train.adam(0.005), loss: new CategoricalCrossentropy({fromLogits: true})});
  const x = features(data.train), y = oneHotLabels(data.train);
  await train('wide MLP, no regularisation', model, x, y, epochs, 64);

  const valX = features(data.val), testX = features(data.test);
  const valLogits = tf.tensor2d(await logitsOf(model, valX), [data.val.n, NUM_CLASSES]);
  const testLogitsArr = await logitsOf(model, testX);
  const testLogits = tf.tensor2d(testLogitsArr, [data.test.n, NUM_CLASSES]);
  const testLabels = tf.tensor1d(data.test.y, 'int32');

  const fit = await fitTemperature(valLogits, tf.tensor1d(data.val.y, 'int32'));
  console.log(`\nfitted on validation: T = ${fit.temperature.toFixed(3)} (${fit.evaluations} NLL evaluations, ` +
              `validation NLL ${fit.nllBefore.toFixed(4)} → ${fit.nllAfter.toFixed(4)})`);

  const scaled = tf.div(testLogits, fit.temperature);
  const before = await calibration(testLabels, testLogits, {fromLogits: true});
  const after = await calibration(testLabels, scaled, {fromLogits: true});
  const cwBefore = await classwiseCalibration(testLabels, testLogits, {fromLogits: true});
  const cwAfter = await classwiseCalibration(testLabels, scaled, {fromLogits: true});
  const trainAcc = (await calibration(tf.tensor1d(data.train.y, 'int32'), model.predict(x) as tf.Tensor, {fromLogits: true})).accuracy;

  console.log(`\nTest days (${data.test.n}), 15 equal-width bins; training accuracy ${pct(trainAcc)}:`);
  console.log(table(['metric', 'T = 1', `T = ${fit.temperature.toFixed(2)}`], [
    ['accuracy', pct(before.accuracy), pct(after.accuracy)],
    ['mean confidence', pct(before.confidence), pct(after.confidence)],
    ['NLL', meanNll(testLogitsArr, data.test.y, NUM_CLASSES).toFixed(4), meanNll(testLogitsArr, data.test.y, NUM_CLASSES, fit.temperature).toFixed(4)],
    ['ECE (top-label)', pct(before.ece), pct(after.ece)],
    ['MCE (top-label)', pct(before.mce), pct(after.mce)],
    ['ECE (classwise)', pct(cwBefore.ece), pct(cwAfter.ece)],
  ]));

  const panels = [
    {title: 'before: T = 1', result: before},
    {title: `after temperature scaling: T = ${fit.temperature.toFixed(2)}`, result: after},
  ];
  const title = `Reliability on ${data.test.n} held-out Seattle weather days`;
  for (const ext of ['svg', 'png']) {
    const file = await saveReliabilityDiagram(path.join(OUTPUT_DIR, `calibration_reliability.${ext}`), panels, {title});
    console.log(`saved ${path.relative(process.cwd(), file)}`);
  }
  tf.dispose([x, y, valX, testX, valLogits, testLogits, testLabels, scaled]);
  model.dispose();
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});

/**
 * Class imbalance on the Seattle weather data (drizzle, fog and snow are 4%,
 * 7% and 2% of the days): the same network, from the same initial weights,
 * trained four ways, then per-class recall and macro-F1 on held-out days.
 *
 *  - plain cross-entropy                       CategoricalCrossentropy({fromLogits})
 *  - class-weighted cross-entropy              ... classWeights = n / (C·n_c) (sklearn's "balanced")
 *  - focal loss, γ = 2                         CategoricalFocalCrossentropy({gamma: 2, alpha: 1})
 *  - focal loss, γ = 2, α = balanced weights   CategoricalFocalCrossentropy({gamma: 2, alpha: weights})
 *
 * All four run the fused kernels on the cpu backend (forward and backward).
 *
 *   npx tsx examples/class_imbalance.ts            # about a minute on 2 cores
 *   npx tsx examples/class_imbalance.ts --quick    # a few seconds (used by the tests)
 */
import * as tf from '@tensorflow/tfjs';
import '../src/index';
import {CategoricalCrossentropy} from '../src/losses';
import {CategoricalFocalCrossentropy} from '../src/losses/focal';
import {argmaxRows, classMetrics, isQuick, logitsOf, mlp, pct, table, train} from './lib/common';
import {classCounts, features, loadSeattleWeather, NUM_CLASSES, NUM_FEATURES, oneHotLabels, seattleWeatherPath, WEATHER} from './lib/seattle_weather';

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  const quick = isQuick();
  const epochs = quick ? 15 : 150;
  console.log(`Seattle weather from ${seattleWeatherPath()}`);
  const data = loadSeattleWeather();
  const counts = classCounts(data.train);
  console.log(`training days per class: ${WEATHER.map((w, c) => `${w} ${counts[c]}`).join(', ')}`);
  const weights = counts.map(n => data.train.n / (NUM_CLASSES * n));
  console.log(`balanced class weights n/(C·n_c): ${WEATHER.map((w, c) => `${w} ${weights[c].toFixed(2)}`).join(', ')}`);

  const losses = [
    ['cross-entropy', new CategoricalCrossentropy({fromLogits: true})],
    ['CE + class weights', new CategoricalCrossentropy({fromLogits: true, classWeights: weights})],
    ['focal γ=2', new CategoricalFocalCrossentropy({fromLogits: true, gamma: 2, alpha: 1})],
    ['focal γ=2 + α weights', new CategoricalFocalCrossentropy({fromLogits: true, gamma: 2, alpha: weights})],
  ] as const;

  const x = features(data.train), y = oneHotLabels(data.train), xTest = features(data.test);
  const results: Array<{name: string, m: ReturnType<typeof classMetrics>}> = [];
  for (const [name, loss] of losses) {
    const model = mlp(NUM_FEATURES, [32, 32], NUM_CLASSES, 11);
    model.compile({optimizer: tf.train.adam(0.005), loss});
    await train(name, model, x, y, epochs, 64);
    const pred = argmaxRows(await logitsOf(model, xTest), NUM_CLASSES);
    results.push({name, m: classMetrics(pred, data.test.y, NUM_CLASSES)});
    model.dispose();
  }
  tf.dispose([x, y, xTest]);

  const testCounts = classCounts(data.test);
  console.log(`\nTest set (${data.test.n} days), recall per class:`);
  console.log(table(['class (test days)', ...results.map(r => r.name)],
      WEATHER.map((w, c) => [`${w} (${testCounts[c]})`, ...results.map(r => pct(r.m.recall[c]))])));
  console.log('');
  console.log(table(['summary', ...results.map(r => r.name)], [
    ['accuracy', ...results.map(r => pct(r.m.accuracy))],
    ['macro-F1', ...results.map(r => r.m.macroF1.toFixed(3))],
    ['rare-class recall (mean)', ...results.map(r => pct((r.m.recall[0] + r.m.recall[1] + r.m.recall[3]) / 3))],
  ]));
  console.log('\nReading: class weights and α trade some accuracy on the frequent classes for recall on the rare ones;');
  console.log('focusing (γ) alone down-weights easy examples but does not rebalance the classes.');
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});

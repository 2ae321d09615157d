/**
 * Knowledge distillation (Hinton et al. 2015) on the Seattle weather data: a
 * small student learns from a larger teacher's logits. Three models, scored on
 * held-out days (accuracy, macro-F1, NLL, top-label ECE):
 *  - the teacher: two hidden layers of 64, cross-entropy;
 *  - the student alone: one hidden layer of 4, cross-entropy on the labels;
 *  - the distilled student: same initial weights, DistillationLoss
 *    α·CE(labels) + (1 − α)·T²·KL(softmax(teacher/T) ‖ softmax(student/T)),
 *    T = 4, α = 0.1, through the fused soft-label kernel with temperature T.
 * The teacher runs once over the training days; `distillationTargets` packs
 * its logits and the labels into one [N, C] target, so plain model.fit works.
 *
 *   npx tsx examples/distillation.ts            # about a minute on 2 cores
 *   npx tsx examples/distillation.ts --quick    # a few seconds (used by the tests)
 */
import * as tf from '@tensorflow/tfjs';
import '../src/index';
import {calibration} from '../src/calibration';
import {CategoricalCrossentropy} from '../src/losses';
import {DistillationLoss, distillationTargets} from '../src/losses/distillation';
import {argmaxRows, classMetrics, isQuick, logitsOf, meanNll, mlp, pct, table, train} from './lib/common';
import {features, loadSeattleWeather, NUM_CLASSES, NUM_FEATURES, oneHotLabels} from './lib/seattle_weather';

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  const quick = isQuick();
  const epochs = quick ? 15 : 150;
  // The teacher stops early (50 epochs): trained as long as the students it
  // overfits this small data set, and an overconfident teacher hands its
  // overconfidence down (measured at commit af18368: a 150-epoch teacher has
  // test NLL 0.62, ECE 8.7%, and its distilled student NLL 0.46, ECE 7.5%).
  const teacherEpochs = quick ? 15 : 50;
  const T = 4, alpha = 0.1;
  const data = loadSeattleWeather();
  const x = features(data.train), y = oneHotLabels(data.train), xTest = features(data.test);
  const labels = tf.tensor1d(data.train.y, 'int32'), testLabels = tf.tensor1d(data.test.y, 'int32');

  const teacher = mlp(NUM_FEATURES, [64, 64], NUM_CLASSES, 31);
  teacher.compile({optimizer: tf.train.adam(0.003), loss: new CategoricalCrossentropy({fromLogits: true})});
  await train('teacher 64-64', teacher, x, y, teacherEpochs, 64);
  const teacherLogits = teacher.predict(x) as tf.Tensor2D;
  const targets = distillationTargets(teacherLogits, labels);

  const alone = mlp(NUM_FEATURES, [4], NUM_CLASSES, 41);
  alone.compile({optimizer: tf.train.adam(0.01), loss: new CategoricalCrossentropy({fromLogits: true})});
  await train('student 4, alone', alone, x, y, epochs, 64);

  const distilled = mlp(NUM_FEATURES, [4], NUM_CLASSES, 41);
  distilled.compile({optimizer: tf.train.adam(0.01), loss: new DistillationLoss({temperature: T, alpha})});
  await train(`student 4, distilled T=${T} α=${alpha}`, distilled, x, targets, epochs, 64);

  const rows: Array<Array<string | number>> = [];
  for (const [name, model] of [['teacher (64-64)', teacher], ['student (4) alone', alone], ['student (4) distilled', distilled]] as const) {
    const logits = await logitsOf(model, xTest);
    const m = classMetrics(argmaxRows(logits, NUM_CLASSES), data.test.y, NUM_CLASSES);
    const cal = await calibration(testLabels, tf.tensor2d(logits, [data.test.n, NUM_CLASSES]), {fromLogits: true});
    rows.push([name, String(model.countParams()), pct(m.accuracy), m.macroF1.toFixed(3), meanNll(logits, data.test.y, NUM_CLASSES).toFixed(4), pct(cal.ece)]);
  }
  console.log(`\nTest days (${data.test.n}):`);
  console.log(table(['model', 'parameters', 'accuracy', 'macro-F1', 'NLL', 'ECE'], rows));
  tf.dispose([x, y, xTest, labels, testLabels, teacherLogits, targets]);
  for (const m of [teacher, alone, distilled]) m.dispose();
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});

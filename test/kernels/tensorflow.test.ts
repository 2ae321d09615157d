/**
 * The shared op spec on tfjs-node's `tensorflow` backend (TensorFlow's fused
 * ops for the options they support, the composite path for the rest). Runs
 * wherever @tensorflow/tfjs-node loads; its install downloads libtensorflow
 * from a host these machines cannot reach, so here it says so and skips.
 */
import * as tf from '@tensorflow/tfjs';
import {allCases, caseName} from '../spec/index';
import type {SpecEnv} from '../spec/registry';
import {applies, runCase} from '../spec/run_case';

let loadError: string | null = null;
try {
  require('@tensorflow/tfjs-node');
} catch (e) {
  loadError = (e as Error).message.split('\n')[0];
}

if (loadError != null) {
  // The reporter (test/reporters/skip_summary.js) lists this title after the run's summary.
  describe.skip(`tensorflow backend: SKIPPED, @tensorflow/tfjs-node does not load here (${loadError}); ` +
                'install it where libtensorflow can be downloaded', () => {
    test('spec', () => undefined);
  });
} else {
  beforeAll(async () => {
    await tf.setBackend('tensorflow');
  });
  const env: SpecEnv = {backend: 'tensorflow', platform: 'node', composite: false, rtol: 1e-6};
  describe('tensorflow (TensorFlow fused ops)', () => {
    for (const c of allCases().filter(c => applies(c, env))) {
      test(caseName(c), () => runCase(c, env));
    }
  });
}

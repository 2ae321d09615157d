/**
 * Page side of linear_cross_entropy_browser.test.ts (bundled by esbuild):
 * runs the linearSoftmaxCrossEntropy spec on one backend and path and returns
 * one result per case. Exposed as `window.__lceRun(backend, composite)`.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import '../../src/index';
import '../spec/linear_cross_entropy.spec';
import {allCases, caseName, SpecEnv} from '../spec/registry';
import {applies, runCase} from '../spec/run_case';

export interface LceResult {name: string; status: 'pass' | 'fail' | 'not applicable'; message?: string;}

async function run(backend: 'webgl' | 'webgpu', composite: boolean): Promise<LceResult[]> {
  if (!(await tf.setBackend(backend))) {
    throw new Error(`tf.setBackend('${backend}') returned false`);
  }
  const env: SpecEnv = {backend, platform: 'browser', composite, rtol: 1e-5};
  const out: LceResult[] = [];
  for (const c of allCases().filter(k => k.suite === 'linearSoftmaxCrossEntropy')) {
    if (!applies(c, env)) {
      out.push({name: caseName(c), status: 'not applicable'});
      continue;
    }
    try {
      await runCase(c, env);
      out.push({name: caseName(c), status: 'pass'});
    } catch (e) {
      out.push({name: caseName(c), status: 'fail', message: (e as Error).message});
    }
  }
  return out;
}

(window as unknown as {__lceRun: typeof run}).__lceRun = run;

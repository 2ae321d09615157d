/**
 * The benchmark harness's own arithmetic and accounting (benchmarks/harness.ts,
 * benchmarks/cli.ts), on the real cpu backend. Timings are not tested here:
 * performance lives in the benchmarks.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {parseArgs, toArgv} from '../../benchmarks/cli';
import {DEFAULT_RUN_OPTIONS, planCells, Provider, quantile, RunOptions, Suite, summarize,
  trackPeakMemory} from '../../benchmarks/harness';
import {softmaxModes, softmaxShapes} from '../../benchmarks/shapes';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('statistics', () => {
  it('interpolates quantiles linearly between order statistics', () => {
    const xs = [1, 2, 3, 4, 5];
    expect(quantile(xs, 0.5)).toBe(3);
    expect(quantile(xs, 0.2)).toBeCloseTo(1.8, 12);
    expect(quantile(xs, 0.8)).toBeCloseTo(4.2, 12);
    expect(quantile([7], 0.2)).toBe(7);
    expect(Number.isNaN(quantile([], 0.5))).toBe(true);
  });

  it('summarizes unsorted times without reordering the input', () => {
    const times = [40, 10, 30, 20];
    const s = summarize(times);
    expect(s.medianMs).toBe(25);
    expect(s.p20Ms).toBeCloseTo(16, 12);
    expect(s.p80Ms).toBeCloseTo(34, 12);
    expect(times).toEqual([40, 10, 30, 20]);
  });
});

describe('peak memory at kernel boundaries', () => {
  it('counts new buffers once and shared buffers (reshape) not at all', async () => {
    const x = tf.zeros([64, 100]);
    const two = tf.scalar(2);              // made before: not counted
    const bytes = 64 * 100 * 4;
    const mem = await trackPeakMemory(async sample => {
      const r = tf.reshape(x, [100, 64]);  // shares x's buffer
      const y = tf.add(x, two);            // one new [64, 100] buffer
      const z = tf.mul(y, two);            // a second one, alive with y
      sample();
      tf.dispose([r, y, z]);
    });
    expect(mem.peakExtraBytes).toBe(2 * bytes);
    // tf.memory().numBytes counts the reshape's handle too.
    expect(mem.peakEngineExtraBytes).toBe(3 * bytes);
    tf.dispose([x, two]);
  });

  it('sees a peak that is gone by the end of the run', async () => {
    const x = tf.ones([32, 32]);
    const before = tf.memory().numTensors;
    const mem = await trackPeakMemory(async () => {
      const y = tf.tidy(() => tf.sum(tf.exp(tf.neg(x))));  // two [32, 32] temporaries, freed by tidy
      await y.data();
      y.dispose();
    });
    // After the sum: both temporaries and the 4-byte result, before tidy frees them.
    expect(mem.peakExtraBytes).toBe(2 * 32 * 32 * 4 + 4);
    expect(tf.memory().numTensors).toBe(before);
    // The engine is restored: no wrapper left behind.
    expect(Object.prototype.hasOwnProperty.call(tf.engine(), 'runKernelFunc')).toBe(false);
    x.dispose();
  });
});

describe('plans and flags', () => {
  const opts = (over: Partial<RunOptions> = {}): RunOptions => ({...DEFAULT_RUN_OPTIONS, backend: 'cpu', ...over});
  // The real shape policy with four providers (benchmarks/suites.ts itself
  // loads tfjs-layers' ES-module internals, which jest does not transform).
  const provider = (id: Provider['id']): Provider => ({id, call: id, loss: (_y, x) => x, layersLoss: null});
  const softmaxSuite: Suite = {
    id: 'softmax-ce', title: '', kernels: [], shapes: softmaxShapes, modes: softmaxModes,
    providers: [provider('fused'), provider('composite'), provider('tf.losses'), provider('tfjs-layers')],
    makeInputs: () => {
      throw new Error('not used');
    },
  };

  it('runs the issue shapes on cpu by default, every provider, forward and forward+backward at each', () => {
    const cells = planCells([softmaxSuite], opts());
    const shapes = [...new Set(cells.map(c => `${c.shape.rows}x${c.shape.classes}`))];
    expect(shapes).toEqual(['4096x10', '1024x1000', '256x32000']);
    for (const shape of shapes) {
      for (const mode of ['forward', 'forward+backward'] as const) {
        const here = cells.filter(c => `${c.shape.rows}x${c.shape.classes}` === shape && c.mode === mode);
        expect(here.map(c => c.provider)).toEqual(['fused', 'composite', 'tf.losses', 'tfjs-layers']);
      }
    }
    // The training step only where the Dense(32 → C) model stays small.
    expect(cells.filter(c => c.mode === 'train').every(c => c.shape.classes <= 1000)).toBe(true);
  });

  it('runs 4096×1000 and 1024×32000 on a hardware GPU, smaller shapes on a software one', () => {
    const hw = planCells([softmaxSuite], opts({backend: 'webgpu'}));
    expect([...new Set(hw.map(c => `${c.shape.rows}x${c.shape.classes}`))]).toEqual(['4096x1000', '1024x32000']);
    const sw = planCells([softmaxSuite], opts({backend: 'webgl', softwareDevice: true}));
    expect(sw.every(c => c.shape.rows * c.shape.classes <= 1024 * 1024)).toBe(true);
  });

  it('parses flags and writes them back for child processes', () => {
    const a = parseArgs(['--backends', 'cpu,webgpu', '--suites', 'softmax-ce', '--full', '--shapes', '8x10',
      '--modes', 'forward', '--providers', 'fused,tf.losses', '--min-reps', '5', '--max-reps', '2']);
    expect(a.backends).toEqual(['cpu', 'webgpu']);
    expect(a.run.onlyShapes).toEqual([{rows: 8, classes: 10}]);
    expect(a.run.maxReps).toBe(5);  // never below minReps
    const back = parseArgs(toArgv(a, 'webgpu'));
    expect(back.backends).toEqual(['webgpu']);
    expect(back.run).toEqual(a.run);
    expect(back.suites).toEqual(['softmax-ce']);
    expect(() => parseArgs(['--modes', 'backward'])).toThrow(/unknown mode/);
    expect(() => parseArgs(['--shapes', '10by10'])).toThrow(/ROWSxCLASSES/);
  });

});

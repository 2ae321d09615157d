/**
 * The benchmark harness's own arithmetic and accounting (benchmarks/harness.ts,
 * benchmarks/cli.ts), on the real cpu backend. Timings are not tested here:
 * performance lives in the benchmarks.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {parseArgs, toArgv} from '../../benchmarks/cli';
import {CellResult, DEFAULT_RUN_OPTIONS, measureCell, planCells, Provider, ProviderId, quantile, RunOptions,
  runPlan, Suite, summarize} from '../../benchmarks/harness';
import {trackPeakMemory} from '../../tools/peak_memory';
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

  it('plans the pipelined mode beside forward+backward on the GPU backends only (or when asked)', () => {
    const modes = (o: Partial<RunOptions>) => [...new Set(planCells([softmaxSuite], opts(o)).map(c => c.mode))];
    expect(modes({})).not.toContain('pipelined');
    expect(modes({backend: 'webgpu'})).toEqual(['forward', 'forward+backward', 'pipelined', 'train']);
    expect(modes({backend: 'webgl', softwareDevice: true})).toContain('pipelined');
    expect(modes({backend: 'webgpu', pipelineSteps: 0})).not.toContain('pipelined');
    expect(modes({modes: ['pipelined']})).toEqual(['pipelined']);
  });

  it('runs 4096×1000 and 1024×32000 on a hardware GPU, smaller shapes on a software one', () => {
    const hw = planCells([softmaxSuite], opts({backend: 'webgpu'}));
    expect([...new Set(hw.map(c => `${c.shape.rows}x${c.shape.classes}`))]).toEqual(['4096x1000', '1024x32000']);
    const sw = planCells([softmaxSuite], opts({backend: 'webgl', softwareDevice: true}));
    expect(sw.every(c => c.shape.rows * c.shape.classes <= 1024 * 1024)).toBe(true);
  });

  it('parses flags and writes them back for child processes', () => {
    const a = parseArgs(['--backends', 'cpu,webgpu', '--suites', 'softmax-ce', '--full', '--shapes', '8x10',
      '--modes', 'forward', '--providers', 'fused,tf.losses', '--min-reps', '5', '--max-reps', '2', '--min-run-ms', '7']);
    expect(a.backends).toEqual(['cpu', 'webgpu']);
    expect(a.run.minRunMs).toBe(7);
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

describe('providers side by side', () => {
  // Real runs on the cpu backend: each provider's loss records its id when it
  // is called (once per run in every mode), so the log is the order of runs.
  const shape = {rows: 8, classes: 5};
  const makeInputs = () => tf.tidy(() => {
    const labels = tf.cast(tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 0, 1, 2], 'int32'), shape.classes), 'float32');
    return {
      logits: tf.randomNormal([shape.rows, shape.classes], 0, 1, 'float32', 3),
      labels, features: tf.randomNormal([shape.rows, 32], 0, 1, 'float32', 4), trainTargets: labels,
    };
  });
  /** A real softmax cross-entropy from tfjs ops; `failAt`: the call (1-based) that throws. */
  const recording = (id: ProviderId, log: string[], failAt?: number): Provider => {
    let calls = 0;
    const loss = (y: tf.Tensor, x: tf.Tensor) => {
      log.push(id);
      if (++calls === failAt) throw new Error(`${id} failed on call ${calls}`);
      return tf.neg(tf.sum(tf.mul(y, tf.logSoftmax(x)), -1));
    };
    return {id, call: id, loss, layersLoss: loss};
  };
  const suiteOf = (providers: Provider[], modes: Suite['modes'] = () => ['forward']): Suite => ({
    id: 'recorded', title: '', kernels: [], providers, shapes: () => [shape], modes, makeInputs,
  });
  const opts = (over: Partial<RunOptions> = {}): RunOptions =>
    ({...DEFAULT_RUN_OPTIONS, backend: 'cpu', warmup: 1, minReps: 3, maxReps: 3, budgetMs: 0, minRunMs: 0, ...over});
  const ok = (r: CellResult) => {
    expect(r.status).toBe('ok');
    expect(r.reps).toBe(3);
    expect(r.timesMs).toHaveLength(3);
    expect(r.medianMs).toBeGreaterThan(0);
    expect(r.firstMs).toBeGreaterThan(0);
    expect(r.peakExtraBytes).toBeGreaterThan(0);
    expect(r.leakedTensors).toBe(0);
  };

  it('prepares each provider, then alternates the timed runs, rotating the first provider each round', async () => {
    const log: string[] = [];
    const providers = (['fused', 'composite', 'tf.losses'] as const).map(id => recording(id, log));
    const before = tf.memory().numTensors;
    const results = await runPlan([suiteOf(providers)], opts());
    // First run + tracked warm-up per provider, then three rounds A B C, B C A, C A B.
    expect(log).toEqual([
      'fused', 'fused', 'composite', 'composite', 'tf.losses', 'tf.losses',
      'fused', 'composite', 'tf.losses',
      'composite', 'tf.losses', 'fused',
      'tf.losses', 'fused', 'composite',
    ]);
    expect(results.map(r => r.provider)).toEqual(['fused', 'composite', 'tf.losses']);
    for (const r of results) {
      ok(r);
      expect(r.interleaved).toBe(true);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('repeats the call within a timed run until minRunMs have passed, and times per step', async () => {
    const log: string[] = [];
    const slow = recording('tf.losses', log);
    const slowLoss = slow.loss;
    // tf.losses takes ≥ 30 ms per call: one call per run; fused is fast: several.
    slow.loss = (y, x) => {
      const t0 = performance.now();
      while (performance.now() - t0 < 30) { /* busy */ }
      return slowLoss(y, x);
    };
    const providers = [recording('fused', log), slow];
    const results = await runPlan([suiteOf(providers)], opts({minRunMs: 25}));
    const [fused, losses] = results;
    ok(fused);
    ok(losses);
    expect(losses.callsPerRun).toEqual([1, 1]);
    expect(fused.callsPerRun![0]).toBeGreaterThan(1);
    // Calls: 2 each to prepare, then per round one run each.
    const fusedCalls = log.filter(x => x === 'fused').length - 2;
    expect(fusedCalls).toBeGreaterThanOrEqual(3 * fused.callsPerRun![0]);
    expect(fusedCalls).toBeLessThanOrEqual(3 * fused.callsPerRun![1]);
    // Per step: a fused call is far below the run's 25 ms, tf.losses' ≥ 30 ms.
    expect(fused.medianMs!).toBeLessThan(25);
    expect(losses.medianMs!).toBeGreaterThanOrEqual(30);
  });

  it('runs rounds until every provider has spent the time budget, all with the same number of runs', async () => {
    const log: string[] = [];
    const providers = (['fused', 'tf.losses'] as const).map(id => recording(id, log));
    const t0 = performance.now();
    const results = await runPlan([suiteOf(providers)], opts({minReps: 2, maxReps: 100000, budgetMs: 40}));
    const wallMs = performance.now() - t0;
    const reps = results.map(r => r.reps!);
    expect(reps[0]).toBe(reps[1]);
    expect(reps[0]).toBeGreaterThanOrEqual(2);
    expect(reps[0]).toBeLessThan(100000);
    // 40 ms per provider in the rotation: at least 80 ms of timed runs.
    expect(wallMs).toBeGreaterThanOrEqual(80);
    // After the two preparations: fused first in even rounds, tf.losses first in odd ones.
    expect(log.slice(4)).toEqual(Array.from({length: reps[0]}, (_, round) =>
      round % 2 === 0 ? ['fused', 'tf.losses'] : ['tf.losses', 'fused']).flat());
  });

  it('keeps measuring the others when a provider fails while prepared or in a timed run', async () => {
    const log: string[] = [];
    const providers = [
      recording('fused', log),
      recording('composite', log, 1),   // its first run throws
      recording('tf.losses', log, 4),   // its second timed run throws (calls: first, tracked, timed, timed)
      recording('tfjs-layers', log),
    ];
    const before = tf.memory().numTensors;
    const results = await runPlan([suiteOf(providers, () => ['forward', 'forward+backward', 'train'])], opts());
    expect(results.map(r => `${r.mode} ${r.provider}`)).toEqual(
        ['forward', 'forward+backward', 'train'].flatMap(m =>
          ['fused', 'composite', 'tf.losses', 'tfjs-layers'].map(p => `${m} ${p}`)));
    for (const r of results) {
      if (r.provider === 'fused' || r.provider === 'tfjs-layers' || r.mode !== 'forward') {
        ok(r);
      } else {
        expect(r.status).toBe('error');
        expect(r.error).toMatch(`${r.provider} failed on call`);
        expect(r.medianMs).toBeUndefined();
      }
    }
    // The forward group: composite failed in its first run, tf.losses in
    // round 2 (its 4th call); the rotation went on without them.
    expect(log.slice(0, 15)).toEqual([
      'fused', 'fused', 'composite', 'tf.losses', 'tf.losses', 'tfjs-layers', 'tfjs-layers',
      'fused', 'tf.losses', 'tfjs-layers',   // round 1: A (B) C D
      'tf.losses', 'tfjs-layers', 'fused',   // round 2: (B) C✗ D A
      'tfjs-layers', 'fused',                // round 3: D A
    ]);
    expect(log[15]).toBe('fused');           // the forward+backward group begins
    // Every model of the train mode was disposed, every prepared state too.
    expect(tf.memory().numTensors).toBe(before);
  });

  it('pipelined: K steps per timed call, one read-back, times per step', async () => {
    const log: string[] = [];
    const inputs = makeInputs();
    const r = await measureCell({suite: 'recorded', shape, mode: 'pipelined', provider: 'fused'},
        recording('fused', log), inputs, opts({pipelineSteps: 4}));
    ok(r);
    expect(r.steps).toBe(4);
    expect(r.readBack).toBe('once per 4 steps');
    // Each run calls the loss K times: first run, tracked run, three timed runs.
    expect(log).toHaveLength(5 * 4);
    tf.dispose([inputs.logits, inputs.labels, inputs.features]);
  });

  it('measures one cell alone through measureCell', async () => {
    const log: string[] = [];
    const inputs = makeInputs();
    const r = await measureCell({suite: 'recorded', shape, mode: 'forward+backward', provider: 'fused'},
        recording('fused', log), inputs, opts());
    ok(r);
    expect(r.interleaved).toBe(false);
    expect(r.readBack).toBe('each call');
    expect(r.steps).toBe(1);
    expect(Number.isNaN(Date.parse(r.runDate!))).toBe(false);
    expect(log).toHaveLength(5);
    tf.dispose([inputs.logits, inputs.labels, inputs.features]);
  });
});


/**
 * The benchmark harness shared by every kernel script, in Node and in the
 * browser: no file system, no terminal, no Node API here (the Node side is in
 * `node/worker.ts` and `run.ts`, the browser side in `browser/entry.ts`).
 *
 * A *suite* (one per kernel family, in `suites.ts`) names its providers (ours,
 * ours forced to the composite path, tf.losses, tfjs-layers), its shapes and
 * its modes. `runPlan` measures every (shape, mode, provider) cell on the
 * active tfjs backend and returns plain JSON.
 *
 * The providers of one (suite, shape, mode) are measured side by side
 * (`measureSideBySide`), so that they see the same load on a shared machine:
 *  1. each provider in turn is prepared: its first run, timed apart (shader
 *     compilation, pipeline creation, texture allocation, tfjs-layers model
 *     build), then `warmup` (≥ 1) more untimed runs, the first of them with
 *     the memory tracker on (peak bytes, see below). Every prepared state
 *     (a compiled model in train mode) stays alive until step 2 ends;
 *  2. the timed runs go round-robin, one run per provider per round, the
 *     first provider rotating each round (A B C, B C A, C A B, …), until
 *     `minReps` rounds are done and `budgetMs` per provider still in the
 *     rotation is spent (or `maxReps` rounds): each provider's median, p20,
 *     p80. Every provider so gets the same number of runs. A timed run
 *     repeats its provider's call until `minRunMs` have passed (one call
 *     when a call takes longer) and counts the time per step: costs that
 *     come every few steps (V8 collecting the garbage the steps make) are
 *     paid whole or not at all by a run of one fast step, and over
 *     `minRunMs` each step pays its share, as in a training loop. (The cpu
 *     cells' 5 / 15 ms modes were another cost, glibc mapping fresh pages
 *     for new outputs: MALLOC_ENV in node/worker.ts, set by run.ts.)
 * A provider that throws (out of memory, say), while prepared or in a timed
 * run, gets an 'error' cell and leaves the rotation (its state disposed at
 * once); the others go on, and their states are disposed at the end.
 * `measureCell` is the same protocol with one provider.
 *
 * Every timed run ends by reading its results back (`readBack`), so GPU work
 * is inside the time. A result larger than READ_BACK_FULL_MAX elements (a
 * [rows, C] gradient, a sigmoid's elementwise loss) is not downloaded whole:
 * a training loop never downloads it, and on a real GPU the download
 * dominated the time (NVIDIA H200, 1024×32000 forward+backward: ~100 ms of
 * readback for every provider against ~1 ms of kernels). One element of it is
 * sliced out (on wasm: gathered) and read instead; the slice runs on the same
 * in-order queue after the kernels that produced the result, so the time
 * still covers them.
 *
 * Peak memory: tfjs's own accounting sampled at kernel boundaries
 * (tools/peak_memory.ts): the buffers created during the run and alive at
 * once, and the GPU backend's own in-use bytes. `tf.profile` was not used: its per-kernel timer reads outputs with
 * `dataSync()`, which webgpu in Node cannot do, and it would perturb the run.
 */
import * as tf from '@tensorflow/tfjs-core';
import type {Tensor} from '@tensorflow/tfjs-core';
// tfjs-layers' Node bundle also registers tfjs-core's gradients (Mean, …).
import * as tfl from '@tensorflow/tfjs-layers';
import type {LayersModel} from '@tensorflow/tfjs-layers';
import {countDispatches} from '../tools/gpu_counters';
import {PeakMemory, trackPeakMemory} from '../tools/peak_memory';
import {countUploads} from '../tools/webgpu/upload_bytes';

/**
 * forward: the loss, read back. forward+backward: the mean loss and its
 * gradient, read back after every call. pipelined: the same forward+backward
 * `pipelineSteps` times in a row with one read-back at the end (what a
 * training loop does), timed per step. train: one `trainOnBatch` step (it
 * reads the loss back). train-pipelined: the same training step K times in a
 * row without a read-back (`optimizer.minimize(() => mean(compiled loss of
 * model.apply(x)), false)`: what trainOnBatch computes, minus its loss
 * read-back), one read at the end, timed per step.
 */
export type Mode = 'forward' | 'forward+backward' | 'pipelined' | 'train' | 'train-pipelined';
export const MODES: readonly Mode[] = ['forward', 'forward+backward', 'pipelined', 'train', 'train-pipelined'];

/** Modes that queue K steps and read back once. */
export function isPipelined(mode: Mode): boolean {
  return mode === 'pipelined' || mode === 'train-pipelined';
}

/** Backends whose kernels run asynchronously on a device: there, a read-back per call is a cost training does not pay. */
export function isGpuBackend(backend: string): boolean {
  return backend === 'webgpu' || backend === 'webgl';
}

export type ProviderId = 'fused' | 'composite' | 'tf.losses' | 'tfjs-layers';
export const PROVIDER_IDS: readonly ProviderId[] = ['fused', 'composite', 'tf.losses', 'tfjs-layers'];

export interface Shape {
  rows: number;
  classes: number;
}

/** The labels/logits of one shape, made once per shape and reused. */
export interface Inputs {
  logits: Tensor;
  /** Dense [rows, C] float32, or sparse [rows] int32. */
  labels: Tensor;
  /** Training step inputs: features [rows, F] and targets for `trainOnBatch`. */
  features: Tensor;
  trainTargets: Tensor;
  /**
   * The model the train modes step, with the given output activation (the
   * same initial weights for every provider: fixed seeds). Absent: one Dense
   * layer, TRAIN_FEATURES → C (`features` must then be [rows, TRAIN_FEATURES]).
   */
  buildModel?(activation: TrainActivation): LayersModel;
  /** What `buildModel` builds (layer sizes), copied into every result of these inputs. */
  model?: string;
}

/** The output activation of a train-mode model: linear outputs logits. */
export type TrainActivation = 'linear' | 'softmax' | 'sigmoid';

export interface Provider {
  id: ProviderId;
  /** What exactly is called, for the report. */
  call: string;
  /**
   * The loss per example ([rows]) or per element ([rows, C]) from logits.
   * Runs inside a tidy.
   */
  loss(labels: Tensor, logits: Tensor): Tensor;
  /**
   * forward+backward and pipelined modes: the mean loss (a scalar) the way
   * this provider's own API gives it, e.g. our ops' `{reduction: 'mean'}`,
   * which differentiates the mean inside the kernels. Default: `loss` itself
   * when it returns a scalar, else `tf.mean` of it.
   */
  meanLoss?: (labels: Tensor, logits: Tensor) => Tensor;
  /** The same as a tfjs-layers loss function `(yTrue, yPred)` for `model.compile`; null: no train mode. */
  layersLoss: ((yTrue: Tensor, yPred: Tensor) => Tensor) | null;
  /**
   * Train mode only, instead of `model.compile({optimizer, loss: layersLoss})`:
   * compiles the model itself (e.g. sparse labels through
   * compileWithSparseLabels, or tfjs-layers' own string loss).
   */
  compileTrain?: (model: LayersModel, optimizer: tf.Optimizer) => void;
  /** Train mode only: runs each training step (e.g. with a flag set across its awaits). */
  aroundTrainStep?: (step: () => Promise<unknown>) => Promise<unknown>;
  /** Train modes only: the output layer's activation (default linear: the model outputs logits). */
  trainActivation?: TrainActivation;
  /**
   * Train modes only: the targets each step passes, made from the suite's
   * `trainTargets` inside the step (timed, disposed after it): e.g. one-hot
   * rows from class ids, as a user of a dense loss must (C: the logits' last
   * dimension). Default: as they are.
   */
  stepTargets?: (targets: Tensor, classes: number) => Tensor;
  /** Why there is no train mode, when neither `layersLoss` nor `compileTrain` is set. */
  noTrain?: string;
}

export interface Suite {
  id: string;
  title: string;
  /** Kernel names of the contract this suite exercises (to report whether they are registered). */
  kernels: string[];
  providers: Provider[];
  /** Shapes on this backend; `full` for the `--full` sweep; `software`: a software GPU. */
  shapes(backend: string, full: boolean, software: boolean): Shape[];
  /** Modes for this backend and shape. */
  modes(backend: string, shape: Shape, full: boolean, software: boolean): Mode[];
  /** The inputs of one shape (`opts`: the run's options, e.g. to size a model for a software GPU). */
  makeInputs(shape: Shape, opts?: RunOptions): Inputs;
}

export interface RunOptions {
  backend: string;
  full: boolean;
  warmup: number;
  minReps: number;
  maxReps: number;
  budgetMs: number;
  /** Only these providers / modes / suites (all when empty). */
  providers: ProviderId[];
  modes: Mode[];
  /** Extra shapes to append to every suite (e.g. the real-GPU bundle's 8192×32000). */
  extraShapes: Shape[];
  /** Replace the suite's shapes (e.g. `--shapes 64x1000`). */
  onlyShapes: Shape[];
  /**
   * The GPU backend runs on a software device (SwiftShader, llvmpipe): the
   * suites then default to smaller GPU shapes. Set by the runner from the
   * adapter, not by a flag.
   */
  softwareDevice?: boolean;
  /**
   * Steps of the pipelined mode (K forward+backward calls, one read-back).
   * It is planned beside every forward+backward cell on the GPU backends
   * (anywhere with `--modes pipelined`); 0 turns it off.
   */
  pipelineSteps: number;
  /** The device's copy bandwidth measured in this run (GB/s; roofline.ts), for each cell's rooflineFraction. */
  rooflineGBps?: number;
  /**
   * A timed run repeats the provider's call until this many milliseconds
   * have passed (at least one call); its time is per step (see the header).
   */
  minRunMs: number;
}

export const DEFAULT_RUN_OPTIONS: Omit<RunOptions, 'backend'> = {
  full: false,
  warmup: 1,
  minReps: 3,
  maxReps: 25,
  budgetMs: 1200,
  providers: [],
  modes: [],
  extraShapes: [],
  onlyShapes: [],
  pipelineSteps: 8,
  minRunMs: 50,
};

export interface Cell {
  suite: string;
  shape: Shape;
  mode: Mode;
  provider: ProviderId;
}

export interface CellResult extends Cell {
  /** Train modes of a model suite: the model trained (layer sizes). */
  model?: string;
  /** 'ok'; 'error' (threw, e.g. out of memory: a result, recorded); 'unavailable' (no such mode for this provider). */
  status: 'ok' | 'error' | 'unavailable';
  error?: string;
  /** Whether the fused kernels of the suite were registered for this backend (provider 'fused' only). */
  fusedKernel?: boolean;
  firstMs?: number;
  medianMs?: number;
  p20Ms?: number;
  p80Ms?: number;
  reps?: number;
  timesMs?: number[];
  /**
   * Node only: process CPU time (user + system, every thread: GC included) of
   * each timed call, and its median. On the cpu backend (one JS thread) this is
   * the work itself, unaffected by how much of the cores other processes take,
   * which the wall-clock times above are not on a shared machine.
   */
  cpuTimesMs?: number[];
  cpuMedianMs?: number;
  /** N·C·4: bytes of the logits. */
  logitsBytes: number;
  /** Bytes a perfect kernel must move: forward reads the logits (N·C·4); forward+backward also writes the gradient (2·N·C·4); train: forward+backward's. Labels are not counted. */
  floorBytes: number;
  /** floorBytes / medianMs. */
  gbps?: number;
  /** Peak bytes of tensor buffers created during one run and alive at once (inputs excluded). */
  peakExtraBytes?: number;
  /** tf.memory().numBytes peak minus before (counts a shared buffer once per tensor handle). */
  peakEngineExtraBytes?: number;
  /** GPU backends: backend.memory() numBytesInGPU peak during the run, minus before. */
  peakGpuExtraBytes?: number;
  /** GPU backends: allocated (pooled) GPU bytes after the run, minus before. */
  gpuAllocatedGrowthBytes?: number;
  /** Tensors left alive by one run (should be 0). */
  leakedTensors?: number;
  /**
   * Whether its timed runs alternated with those of the other providers of
   * the same (suite, shape, mode) (see the header): false when it ran alone.
   */
  interleaved?: boolean;
  /** When this cell was measured (ISO time of its timed runs' start). */
  runDate?: string;
  /**
   * How each timed call waits for its GPU work: 'each call' (every call reads
   * its results back: all of a result up to READ_BACK_FULL_MAX elements, one
   * element of a larger one) or 'once per K steps' (pipelined mode).
   */
  readBack?: string;
  /** Steps per timed call (pipelined: K; else 1). Times are per step. */
  steps?: number;
  /** Calls per timed run (fewest, most): a run repeats the call until minRunMs have passed. */
  callsPerRun?: [number, number];
  /**
   * Compute dispatches (webgpu) or programs run (webgl) per step, counted from
   * the backend during the tracked run: ours and tfjs's alike.
   */
  dispatches?: number;
  /** webgpu: bytes uploaded from the host per step (tensor uploads; uniforms apart). */
  uploadTensorBytes?: number;
  uploadUniformBytes?: number;
  /**
   * GPU time of the step's kernels from timestamp queries (tf.time's
   * kernelMs: one query pair per dispatch, summed), per step; or why not.
   */
  kernelMs?: number;
  kernelMsUnavailable?: string;
  /** floorBytes / (medianMs) as a fraction of the backend's measured copy bandwidth (BackendReport.roofline). */
  rooflineFraction?: number;
  /** floorBytes / kernelMs as a fraction of the same. */
  kernelRooflineFraction?: number;
}

export interface ProgressEvent {
  done: number;
  total: number;
  cell: Cell;
}

// ---------------------------------------------------------------------------
// Statistics

/** Linear-interpolated quantile of sorted values (q in [0, 1]). */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function summarize(times: number[]): {medianMs: number, p20Ms: number, p80Ms: number} {
  const s = [...times].sort((a, b) => a - b);
  return {medianMs: quantile(s, 0.5), p20Ms: quantile(s, 0.2), p80Ms: quantile(s, 0.8)};
}

// ---------------------------------------------------------------------------
// One run of one cell

/** Features per example of the one-layer model used by the train mode. */
export const TRAIN_FEATURES = 32;

/** Results up to this many elements are read back whole (per-row losses, scalars). */
export const READ_BACK_FULL_MAX = 65536;

/** Waits for `t`'s kernels: reads it back, or one element of it when it is large (see the header). */
export async function readBack(t: Tensor): Promise<void> {
  if (t.size <= READ_BACK_FULL_MAX) {
    await t.data();
    return;
  }
  // tfjs-wasm's Slice kernel first reads its whole input into a new JS array
  // (a copy of the [rows, C] result per call, which no training step pays);
  // its Gather reads only the indices: the wasm backend gathers the element.
  const one = tf.tidy(() => {
    const flat = tf.reshape(t, [-1]);
    return tf.getBackend() === 'wasm' ? tf.gather(flat, [t.size - 1]) : tf.slice(flat, [t.size - 1], [1]);
  });
  await one.data();
  one.dispose();
}

export interface Prepared {
  /** One run, results read back; calls `sample` before disposing. */
  run(sample: () => void): Promise<void>;
  /** Steps per run (the pipelined mode's K, else 1). */
  steps: number;
  /**
   * One step recorded without waiting (for tf.time's kernel timestamps): its
   * outputs, to dispose. Absent where a step is asynchronous (train).
   */
  enqueue?(): Tensor[];
  /** Train modes: the model being trained (its weights after a run). */
  model?: LayersModel;
  dispose(): void;
}

/** What a training loop differentiates: the provider's own mean loss (`Provider.meanLoss`). */
export function meanLoss(p: Provider, labels: Tensor, logits: Tensor): Tensor {
  if (p.meanLoss) {
    return p.meanLoss(labels, logits);
  }
  const l = p.loss(labels, logits);
  return l.rank === 0 ? l : tf.mean(l);
}

/** One provider's state for one mode (exported for the tests: the lanes of `measureSideBySide` use it). */
export function prepare(mode: Mode, p: Provider, inputs: Inputs, opts: RunOptions): Prepared {
  const {labels, logits} = inputs;
  if (mode === 'forward') {
    return {
      async run(sample) {
        const out = tf.tidy(() => p.loss(labels, logits));
        await readBack(out);
        sample();
        out.dispose();
      },
      steps: 1,
      enqueue: () => [tf.tidy(() => p.loss(labels, logits))],
      dispose() {},
    };
  }
  if (mode === 'forward+backward' || mode === 'pipelined') {
    // What a training loop does with the loss: the mean loss and its
    // gradient w.r.t. the logits. forward+backward reads both back after
    // every call; pipelined queues K calls (each one's outputs disposed once
    // the next is recorded, as a training loop drops them) and reads back
    // only the last.
    const vg = tf.valueAndGrad((x: Tensor) => meanLoss(p, labels, x));
    const steps = mode === 'pipelined' ? Math.max(1, opts.pipelineSteps) : 1;
    const step = () => {
      const {value, grad} = tf.tidy(() => vg(logits));
      return [value, grad];
    };
    return {
      async run(sample) {
        let out = step();
        for (let i = 1; i < steps; i++) {
          const next = step();
          tf.dispose(out);
          out = next;
        }
        const [value, grad] = out;
        await readBack(grad);
        await readBack(value);
        sample();
        tf.dispose(out);
      },
      steps,
      enqueue: step,
      dispose() {},
    };
  }
  // train, train-pipelined: SGD steps of the suite's model (default: one
  // Dense layer whose outputs are the logits).
  const model = inputs.buildModel ? inputs.buildModel(p.trainActivation ?? 'linear') : tfl.sequential({
    layers: [tfl.layers.dense({
      inputShape: [TRAIN_FEATURES], units: logits.shape[1]!, kernelInitializer: 'glorotNormal',
      activation: p.trainActivation ?? 'linear',
    })],
  });
  const optimizer = tf.train.sgd(1e-3);
  try {
    if (p.compileTrain) p.compileTrain(model, optimizer);
    else if (p.layersLoss) model.compile({optimizer, loss: p.layersLoss});
    else throw new Error(p.noTrain ?? 'no train mode');
  } catch (e) {
    model.dispose();
    optimizer.dispose();
    throw e;
  }
  const dispose = () => {
    model.dispose();
    // Not owned by the model (compiled with an instance): its learning-rate scalar.
    optimizer.dispose();
  };
  const targets = () => (p.stepTargets ? p.stepTargets(inputs.trainTargets, logits.shape[1]!) : inputs.trainTargets);
  if (mode === 'train') {
    return {
      async run(sample) {
        // trainOnBatch reads the loss back itself (it resolves to numbers).
        const y = targets();
        try {
          const step = () => model.trainOnBatch(inputs.features, y);
          await (p.aroundTrainStep ? p.aroundTrainStep(step) : step());
        } finally {
          if (y !== inputs.trainTargets) y.dispose();
        }
        sample();
      },
      steps: 1,
      model,
      dispose,
    };
  }
  // train-pipelined: what trainOnBatch's train function computes (the
  // compiled loss function on model.apply in training mode, its mean, SGD on
  // the trainable weights), recorded K times without reading anything back;
  // then one read of the last weight, which the last step's update wrote.
  const lossFn = compiledLoss(model);
  const vars = model.trainableWeights.map(w => w.read() as tf.Variable);
  const steps = Math.max(1, opts.pipelineSteps);
  const step = (): Tensor[] => {
    tf.tidy(() => {
      optimizer.minimize(() => tf.mean(lossFn(targets(), model.apply(inputs.features, {training: true}) as Tensor)),
          false, vars);
    });
    return [];
  };
  const runSteps = async () => {
    for (let i = 0; i < steps; i++) step();
    await readBack(vars[vars.length - 1]);
  };
  return {
    async run(sample) {
      await (p.aroundTrainStep ? p.aroundTrainStep(runSteps) : runSteps());
      sample();
    },
    steps,
    model,
    // A step under a flag set across awaits (aroundTrainStep) is counted over a whole run.
    ...(p.aroundTrainStep ? {} : {enqueue: step}),
    dispose,
  };
}

/**
 * The loss function a compiled model's train function calls (one output): a
 * Sequential model delegates to its inner functional model, where
 * compileWithSparseLabels puts ours.
 */
function compiledLoss(model: LayersModel): (yTrue: Tensor, yPred: Tensor) => Tensor {
  const inner = (model as unknown as {model?: LayersModel}).model;
  const fns = (inner?.lossFunctions ?? model.lossFunctions) as Array<(yTrue: Tensor, yPred: Tensor) => Tensor>;
  if (fns?.length !== 1) throw new Error('train-pipelined: the model must be compiled with one loss function');
  return fns[0];
}

function errorText(e: unknown): string {
  const s = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return s.length > 400 ? s.slice(0, 400) + '…' : s;
}

/** Process CPU time in ms (user + system), or null outside Node (the browser bundle). */
function processCpuMs(): number | null {
  if (typeof process === 'undefined' || typeof process.cpuUsage !== 'function') return null;
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function baseResult(cell: Cell, opts: RunOptions): CellResult {
  const {rows, classes} = cell.shape;
  const logitsBytes = rows * classes * 4;
  const floorBytes = cell.mode === 'forward' ? logitsBytes : 2 * logitsBytes;
  const steps = isPipelined(cell.mode) ? Math.max(1, opts.pipelineSteps) : 1;
  return {
    ...cell, status: 'ok', logitsBytes, floorBytes, runDate: new Date().toISOString(), steps,
    readBack: steps > 1 ? `once per ${steps} steps` : 'each call',
  };
}

/** One provider of a side-by-side measurement: its state, then its timed runs. */
interface Lane {
  cell: Cell;
  base: CellResult;
  /** Null once it failed (or before it is prepared, or after it is disposed). */
  prepared: Prepared | null;
  /** Set when it failed or cannot run: its final result. */
  done: CellResult | null;
  firstMs: number;
  mem: PeakMemory | null;
  /** Per step, from the tracked run (GPU backends). */
  counts: Pick<CellResult, 'dispatches' | 'uploadTensorBytes' | 'uploadUniformBytes'>;
  /** tf.time's kernelMs per step, or why there is none. */
  kernel: {ms?: number, unavailable?: string};
  leakedTensors: number;
  times: number[];
  cpuTimes: number[];
  calls: number[];
}

function disposeLane(lane: Lane): void {
  try {
    lane.prepared?.dispose();
  } catch {
    // A failed model build leaves nothing to dispose.
  }
  lane.prepared = null;
}

function failLane(lane: Lane, e: unknown): void {
  lane.done = {...lane.base, status: 'error', error: errorText(e)};
  disposeLane(lane);
}

/** Step 1 of the header: build, first run timed apart, tracked warm-up, warm-ups. */
async function prepareLane(lane: Lane, p: Provider, inputs: Inputs, opts: RunOptions): Promise<void> {
  if ((lane.cell.mode === 'train' || lane.cell.mode === 'train-pipelined') && p.layersLoss == null && p.compileTrain == null) {
    lane.done = {...lane.base, status: 'unavailable', error: p.noTrain ?? 'no train mode'};
    return;
  }
  try {
    const prepared = prepare(lane.cell.mode, p, inputs, opts);
    lane.prepared = prepared;
    const noop = () => {};
    const t0 = performance.now();
    await prepared.run(noop);
    lane.firstMs = performance.now() - t0;
    const liveBefore = tf.memory().numTensors;
    lane.mem = await trackPeakMemory(sample => prepared.run(sample));
    lane.leakedTensors = tf.memory().numTensors - liveBefore;
    for (let i = 1; i < opts.warmup; i++) await prepared.run(noop);
    if (isGpuBackend(tf.getBackend())) {
      lane.counts = await countStep(prepared);
      lane.kernel = await kernelTime(prepared);
    }
  } catch (e) {
    failLane(lane, e);
  }
}

/**
 * Dispatches (programs) and host uploads of one step, counted from the
 * backend while the step is recorded (no read-back in it); a train step,
 * which cannot be recorded apart, is counted over a whole run (its loss
 * read-back included).
 */
async function countStep(prepared: Prepared): Promise<Lane['counts']> {
  const dispatches = countDispatches();
  const uploads = tf.getBackend() === 'webgpu' ? countUploads(tf.backend() as never) : null;
  let outs: Tensor[] = [];
  try {
    if (prepared.enqueue) outs = prepared.enqueue();
    else await prepared.run(() => {});
  } finally {
    dispatches?.restore();
    uploads?.restore();
    tf.dispose(outs);
  }
  const counts: Lane['counts'] = {};
  if (dispatches) counts.dispatches = dispatches.count;
  if (uploads) {
    counts.uploadTensorBytes = uploads.tensorBytes;
    counts.uploadUniformBytes = uploads.writeBufferBytes;
  }
  return counts;
}

/**
 * GPU time of one step's kernels from timestamp queries: tf.time's kernelMs
 * (webgpu: one query pair around each dispatch, ours included, summed; webgl:
 * its disjoint timer query). "unavailable" with the reason where the device
 * has no timestamps or the step is asynchronous.
 */
async function kernelTime(prepared: Prepared): Promise<{ms?: number, unavailable?: string}> {
  if (prepared.enqueue == null) return {unavailable: 'an asynchronous step (train) cannot be timed by tf.time'};
  const b = tf.backend() as unknown as {supportTimestampQuery?: boolean};
  if (tf.getBackend() === 'webgpu' && !b.supportTimestampQuery) return {unavailable: 'no timestamp-query on this device'};
  let outs: Tensor[] = [];
  try {
    const info = await tf.time(() => {
      outs = prepared.enqueue!();
    });
    const ms = (info as unknown as {kernelMs: number | {error: string}}).kernelMs;
    if (typeof ms !== 'number' || !Number.isFinite(ms)) {
      return {unavailable: typeof ms === 'object' && ms != null && 'error' in ms ? String(ms.error) : 'no kernel time'};
    }
    return {ms};
  } catch (e) {
    return {unavailable: errorText(e)};
  } finally {
    tf.dispose(outs);
  }
}

/** One timed run of a prepared lane (step 2 of the header); times per step. */
async function timedRun(lane: Lane, minRunMs: number): Promise<void> {
  const noop = () => {};
  try {
    const steps = lane.prepared!.steps;
    const c0 = processCpuMs();
    const t0 = performance.now();
    let calls = 0;
    do {
      await lane.prepared!.run(noop);
      calls++;
    } while (performance.now() - t0 < minRunMs);
    lane.times.push((performance.now() - t0) / (steps * calls));
    if (c0 != null) lane.cpuTimes.push((processCpuMs()! - c0) / (steps * calls));
    lane.calls.push(calls);
  } catch (e) {
    failLane(lane, e);
  }
}

function laneResult(lane: Lane, interleaved: boolean): CellResult {
  if (lane.done) return lane.done;
  const {base, times, cpuTimes} = lane;
  const stats = summarize(times);
  const cpu = cpuTimes.length ? {
    cpuTimesMs: cpuTimes.map(t => Math.round(t * 1000) / 1000),
    cpuMedianMs: summarize(cpuTimes).medianMs,
  } : {};
  return {
    ...base, firstMs: lane.firstMs, ...stats, reps: times.length,
    timesMs: times.map(t => Math.round(t * 1000) / 1000), ...cpu,
    ...(lane.calls.length ? {callsPerRun: [Math.min(...lane.calls), Math.max(...lane.calls)] as [number, number]} : {}),
    gbps: base.floorBytes / (stats.medianMs * 1e6),
    ...lane.mem, leakedTensors: lane.leakedTensors,
    interleaved,
    ...lane.counts,
    ...(lane.kernel.ms != null ? {kernelMs: lane.kernel.ms} : {}),
    ...(lane.kernel.unavailable != null ? {kernelMsUnavailable: lane.kernel.unavailable} : {}),
  };
}

/**
 * Measures the cells of one (suite, shape, mode) side by side, one cell per
 * provider, `cells[i]` with `providers[i]` (see the header for the protocol):
 * every provider is prepared in turn, then the timed runs go round-robin,
 * the first provider of each round rotating. A provider that fails (while
 * prepared or in a timed run) gets an 'error' result and leaves the rotation;
 * the others go on. Every prepared state is disposed. Results in `cells`' order.
 */
export async function measureSideBySide(
    cells: Cell[], providers: Provider[], inputs: Inputs, opts: RunOptions): Promise<CellResult[]> {
  if (cells.length !== providers.length) throw new Error('measureSideBySide: one provider per cell');
  const lanes: Lane[] = cells.map(cell => ({
    cell, base: baseResult(cell, opts), prepared: null, done: null, firstMs: NaN, mem: null, counts: {}, kernel: {},
    leakedTensors: 0, times: [], cpuTimes: [], calls: [],
  }));
  let interleaved = false;
  try {
    for (let i = 0; i < lanes.length; i++) await prepareLane(lanes[i], providers[i], inputs, opts);
    const live = () => lanes.filter(l => l.prepared != null);
    interleaved = live().length > 1;
    // The budget is per provider, as if each had been measured alone: the
    // rotation takes budgetMs for each provider still in it.
    const start = performance.now();
    for (let round = 0; round < opts.maxReps; round++) {
      const n = live().length;
      if (n === 0 || (round >= opts.minReps && performance.now() - start >= opts.budgetMs * n)) break;
      for (let k = 0; k < lanes.length; k++) {
        const lane = lanes[(k + round) % lanes.length];
        if (lane.prepared) await timedRun(lane, opts.minRunMs);
      }
    }
    return lanes.map(l => laneResult(l, interleaved));
  } finally {
    for (const lane of lanes) disposeLane(lane);
  }
}

/** Measures one cell alone (the protocol of the header with one provider). */
export async function measureCell(cell: Cell, p: Provider, inputs: Inputs, opts: RunOptions): Promise<CellResult> {
  return (await measureSideBySide([cell], [p], inputs, opts))[0];
}

// ---------------------------------------------------------------------------
// A plan: every cell of every suite on the active backend

export function shapesOf(suite: Suite, opts: RunOptions): Shape[] {
  const shapes = opts.onlyShapes.length ? [...opts.onlyShapes] : suite.shapes(opts.backend, opts.full, !!opts.softwareDevice);
  for (const s of opts.extraShapes) {
    if (!shapes.some(t => t.rows === s.rows && t.classes === s.classes)) shapes.push(s);
  }
  return shapes;
}

/**
 * The suite's modes for this shape, with the pipelined mode beside
 * forward+backward: on the GPU backends by default, anywhere when asked for.
 */
export function modesOf(suite: Suite, shape: Shape, opts: RunOptions): Mode[] {
  const modes = suite.modes(opts.backend, shape, opts.full, !!opts.softwareDevice);
  const i = modes.indexOf('forward+backward');
  const wanted = isGpuBackend(opts.backend) || opts.modes.includes('pipelined');
  if (i >= 0 && opts.pipelineSteps > 0 && wanted && !modes.includes('pipelined')) {
    return [...modes.slice(0, i + 1), 'pipelined', ...modes.slice(i + 1)];
  }
  return modes;
}

export function planCells(suites: Suite[], opts: RunOptions): Cell[] {
  const cells: Cell[] = [];
  for (const suite of suites) {
    for (const shape of shapesOf(suite, opts)) {
      for (const mode of modesOf(suite, shape, opts)) {
        if (opts.modes.length && !opts.modes.includes(mode)) continue;
        for (const p of suite.providers) {
          if (opts.providers.length && !opts.providers.includes(p.id)) continue;
          cells.push({suite: suite.id, shape, mode, provider: p.id});
        }
      }
    }
  }
  return cells;
}

export function shapeKey(s: Shape): string {
  return `${s.rows}x${s.classes}`;
}

export function parseShape(text: string): Shape {
  const m = /^(\d+)x(\d+)$/.exec(text.trim());
  if (!m) throw new Error(`shape "${text}" is not ROWSxCLASSES`);
  return {rows: Number(m[1]), classes: Number(m[2])};
}

/**
 * Runs every cell on the active backend. Inputs are made once per (suite,
 * shape) and disposed after; an input that cannot be allocated marks all of
 * that shape's cells as errors. The providers of each (suite, shape, mode)
 * are measured side by side (`measureSideBySide`); their results come out
 * together, in the plan's order.
 */
export async function runPlan(
    suites: Suite[], opts: RunOptions, onProgress?: (e: ProgressEvent) => void,
    onResult?: (results: CellResult[]) => void): Promise<CellResult[]> {
  const cells = planCells(suites, opts);
  const results: CellResult[] = [];
  let done = 0;
  const registered = (suite: Suite) => suite.kernels.every(k => tf.getKernel(k, tf.getBackend()) != null);
  for (const suite of suites) {
    for (const shape of shapesOf(suite, opts)) {
      const mine = cells.filter(c => c.suite === suite.id && shapeKey(c.shape) === shapeKey(shape));
      if (!mine.length) continue;
      let inputs: Inputs | null = null;
      let inputError = '';
      try {
        inputs = suite.makeInputs(shape, opts);
        await inputs.logits.data();
      } catch (e) {
        inputError = 'inputs: ' + errorText(e);
      }
      const modes = [...new Set(mine.map(c => c.mode))];
      for (const mode of modes) {
        const group = mine.filter(c => c.mode === mode);
        const providers = group.map(c => suite.providers.find(q => q.id === c.provider)!);
        const measured: CellResult[] = inputs ?
            await measureSideBySide(group, providers, inputs, opts) :
            group.map(cell => ({...baseResult(cell, opts), status: 'error' as const, error: inputError}));
        for (const [i, r] of measured.entries()) {
          if (group[i].provider === 'fused') r.fusedKernel = registered(suite);
          if (inputs?.model) r.model = inputs.model;
          if (opts.rooflineGBps != null && r.status === 'ok') {
            if (r.gbps != null) r.rooflineFraction = r.gbps / opts.rooflineGBps;
            if (r.kernelMs != null && r.kernelMs > 0) {
              r.kernelRooflineFraction = r.floorBytes / (r.kernelMs * 1e6) / opts.rooflineGBps;
            }
          }
          results.push(r);
          onResult?.(results);
          onProgress?.({done: ++done, total: cells.length, cell: group[i]});
        }
      }
      if (inputs) tf.dispose([inputs.logits, inputs.labels, inputs.features, inputs.trainTargets]);
    }
  }
  return results;
}

// ---------------------------------------------------------------------------
// Environment description (the platform-specific parts are added by callers)

/** The device's copy bandwidth measured in the same run (roofline.ts), or why there is none. */
export type Roofline =
    {method: string, bytesPerCopy: number, copies: number, gbps: number, timesMs: number[]} |
    {unavailable: string};

export interface BackendReport {
  schema: 1;
  /** The copy-bandwidth roofline of this run's device (absent in reports from before it was measured). */
  roofline?: Roofline;
  platform: 'node' | 'chromium';
  backend: string;
  /** Short device name used in the file name (e.g. 'swiftshader', 'nvidia-h100'). */
  deviceSlug: string;
  device: Record<string, unknown>;
  versions: Record<string, string>;
  /** Kernel name -> registered for this backend at the time of the run. */
  fusedKernels: Record<string, boolean>;
  options: Omit<RunOptions, 'backend'> & {readBackFullMax?: number};
  startedAt: string;
  /** Null while the run is going on (a file left so was cut short: a crash). */
  finishedAt: string | null;
  results: CellResult[];
  notes: string[];
}

/** Adapter and backend facts tfjs can tell on any platform. */
export async function describeBackend(): Promise<{device: Record<string, unknown>, deviceSlug: string, software: boolean}> {
  const name = tf.getBackend();
  const device: Record<string, unknown> = {backend: name};
  let slug = name === 'cpu' || name === 'wasm' ? 'host' : 'unknown';
  if (name === 'webgpu') {
    const gpu = (globalThis as {navigator?: {gpu?: GPU}}).navigator?.gpu;
    const adapter = gpu ? await gpu.requestAdapter({powerPreference: 'high-performance'}) : null;
    const info = adapter?.info;
    if (info) {
      Object.assign(device, {
        vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description,
      });
      slug = String(info.architecture || info.vendor || info.description || 'unknown');
    }
    const limits = (tf.backend() as unknown as {device?: GPUDevice}).device?.limits;
    if (limits) device.maxBufferSize = limits.maxBufferSize;
  }
  if (name === 'webgl') {
    const gl = (tf.backend() as unknown as {gpgpu?: {gl: WebGL2RenderingContext}}).gpgpu?.gl;
    if (gl) {
      const ext = gl.getExtension('WEBGL_debug_renderer_info');
      device.renderer = ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
      device.vendor = ext ? gl.getParameter(ext.UNMASKED_VENDOR_WEBGL) : gl.getParameter(gl.VENDOR);
      device.maxTextureSize = gl.getParameter(gl.MAX_TEXTURE_SIZE);
      slug = /swiftshader/i.test(String(device.renderer)) ? 'swiftshader' : String(device.renderer);
    }
    device.webglVersion = tf.env().getNumber('WEBGL_VERSION');
    device.float32Textures = tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED');
  }
  if (name === 'wasm') {
    device.simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    device.threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  }
  slug = slug.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'unknown';
  const software = (name === 'webgpu' || name === 'webgl') &&
      /swiftshader|llvmpipe|lavapipe|software|basic render/i.test(JSON.stringify(device));
  return {device, deviceSlug: slug, software};
}

export function fusedKernelTable(suites: Suite[]): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const s of suites) for (const k of s.kernels) out[k] = tf.getKernel(k, tf.getBackend()) != null;
  return out;
}

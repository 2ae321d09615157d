/**
 * Property-based tests of the ops (fast-check), runner-independent like the
 * rest of the spec: random shapes (rank 1–3, the class axis anywhere, C = 1),
 * random options, logit scales and offsets, −∞ masks and NaNs, checked
 * against the float64 reference (test/reference, test/losses/focal_reference)
 * for the loss and both gradients at the env's rtol. On failure fast-check
 * shrinks to a minimal case and the error prints it with the seed.
 *
 * The properties are spec cases ('properties' suite in properties.spec.ts),
 * so every runner of the spec runs them: cpu fused and composite, wasm, webgpu
 * in Node, and the Chromium page (fast-check is bundled into the page; the
 * seed and the run count reach it through esbuild defines, harness.ts).
 *
 * Sizes and flags:
 *  - runs per property: PROPERTY_RUNS below (per backend, sized so the whole
 *    property suite stays within ~60 s of `npm test` on 2 cores), or
 *    FUSED_CE_PROPERTY_RUNS=2000 for a long run (same count on every backend).
 *  - seed: fixed (the suite is deterministic); FUSED_CE_PROPERTY_SEED=<n>
 *    explores other cases, and replays a failure's reported seed.
 *  - FUSED_CE_PROPERTY_REPORT=1 prints the largest relative error observed
 *    per property and quantity, relative to the scale the check used (below;
 *    '[measure] ...' lines; the browser suite prints its page's in its log).
 *
 * The error bound. Entry i of a loss or gradient passes when
 *   |actual_i − ref_i| ≤ max(rtol·max(‖ref‖∞, mag_i), atol)
 * with rtol the env's (1e-6 cpu and wasm, 1e-5 GPU backends; the composite
 * binary focal path's own, binaryFocalTol), ‖ref‖∞ over the tensor's finite
 * entries, atol the underflow floor (underflowFloor) and mag_i the float64
 * reference's condition magnitude of entry i: the sum of the absolute values of
 * the terms that are added or subtracted to form it (test/reference/reference.ts,
 * header; focal: test/losses/focal_reference.ts), e.g.
 *   softmax d/dlogits  |dy/T|·((W + 2λ·(|m| + ls + 1))·p_c + w_c·ŷ_c)  for dy/T·((W + 2λ·lse)·p_c − w_c·ŷ_c),
 *   softmax loss       Σ_c w_c·ŷ_c·((m − z_c) + ls + 1) + λ·(|m| + ls + 1)²,
 *   sigmoid d/dlabels  |dy|·(1 − ε)·(q·softplus(−x) + softplus(x)),
 * in the shift-invariant form the kernels evaluate (lse − z = (m − z) + ls,
 * m the row max of z = x/T, ls = log s with s ∈ [1, C] counted as ls + 1: s
 * rounded to relative δ puts δ into log s however small ls is).
 * Why: a float evaluation whose terms each carry relative error δ is off by up
 * to δ·mag_i, whatever their difference. Where the terms cancel, no relative
 * bound on the result holds: the gradient p − ŷ of a small softmax row at
 * label smoothing ε ≈ 0.9 (p ≈ ŷ), and losses that are exactly 0 (C = 1) or
 * cancel to ~0, where the kernels and the composite path alike return 1e-16–1e-9
 * (property seeds 1–5, 11, 12 and 2024 failed there at rtol·‖ref‖∞; so does a
 * confident row, logits (10, 0): the float32 p_t − 1 is off by 4e-4 of itself).
 * Where the terms do not cancel, mag_i is |ref_i| (a loss or labels gradient adds
 * log s's 1 per unit weight: W for a loss row) and the bound is the plain
 * normwise rtol·‖ref‖∞ wherever mag_i ≤ ‖ref‖∞. An entry is allowed more only
 * by the factor mag_i / ‖ref‖∞: the cancellation its own terms suffer (p_t − 1
 * of a one-hot row: (1 + p_t) / (1 − p_t)), for a loss row at most (L + W) / L.
 * Errors of 10× the tolerance still fail (cpu, default seed, perturbing the
 * outputs): every output × (1 + 10·rtol) in 99.5 % of comparisons, one entry
 * off by 10·rtol·‖ref‖∞ in 99.9 % of entries (93 % of loss entries); the rest
 * are entries whose terms exceed 10·‖ref‖∞.
 */
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import {sigmoidCrossEntropyWithLogits, sigmoidFocalCrossEntropyWithLogits, softmaxCrossEntropyWithLogits,
        softmaxFocalCrossEntropyWithLogits, sparseSoftmaxCrossEntropyWithLogits, sparseSoftmaxFocalCrossEntropyWithLogits} from '../../src/index';
import * as names from '../../kernels/kernel_names';
import {refFocalGrad, refFocalLoss, refFocalMagnitudes, refBinaryFocalGrad, refBinaryFocalLoss, refBinaryFocalMagnitudes,
        RefFocalOptions, sparseToDense} from '../losses/focal_reference';
import {refSigmoidCrossEntropy, refSoftmaxCrossEntropy, refSparseSoftmaxCrossEntropy} from '../reference/reference';
import {expectClose, FLOAT32_MIN_NORMAL, oneHotIds, poisonedBy, randLabels, randn, randProbs, rng, setCloseObserver} from './assert';
import {binaryFocalTol} from './focal_cross_entropy.spec';
import {expectRan, fusedEnv, oneHotEnv, recordKernels} from './kernels_ran';
import type {SpecEnv} from './registry';

// ---------------------------------------------------------------------------------------------
// Limits of what is generated.

/**
 * Largest |logit / temperature| (and |common row offset / temperature|) the softmax-family
 * properties generate, per backend. With a per-row lse saved in float32, p = exp(z − lse) is off
 * by up to ½ ulp(|lse|) relative (issue #14, section 1): every backend now saves the row max and
 * the shifted sum apart (m, s), softmax and focal kernels alike, and is generated up to 1e4.
 * (The fix's target, |logits| ≤ 1e4 at temperature ≥ 0.01, is up to 1e6 here.) Measured maxima:
 * README.md, "Accuracy".
 */
export const MAX_LOGIT_SCALE: Record<string, number> = {cpu: 1e4, wasm: 1e4, webgl: 1e4, webgpu: 1e4};

/**
 * Largest label smoothing generated, per backend. At ε near 1 the labels gradient is (1 − ε)·…,
 * and 1 − ε in float32 loses ε's low bits: the kernels take 1 − ε (and ε/C, ε/2) from the host in
 * float64 (webgl's programs take 1 − ε as a uniform too).
 */
export const MAX_LABEL_SMOOTHING: Record<string, number> = {cpu: 0.999, wasm: 0.999, webgl: 0.999, webgpu: 0.999};

function maxSmoothingOf(env: SpecEnv): number {
  return MAX_LABEL_SMOOTHING[env.backend] ?? 0.9;
}

/** Largest |logit| of the elementwise (sigmoid, binary focal) properties: they have no lse. */
export const MAX_ELEMENTWISE_LOGIT = 1e4;

/** Runs per property and backend when FUSED_CE_PROPERTY_RUNS is not set. */
export const PROPERTY_RUNS: Record<string, number> = {
  'cpu': 30, 'cpu composite': 30, 'wasm': 15,
  'webgpu': 6, 'webgpu composite': 5, 'webgl': 3, 'webgl composite': 2, 'webgl1': 2,
};

/** The fixed default seed (override with FUSED_CE_PROPERTY_SEED). */
export const DEFAULT_PROPERTY_SEED = 1414;

// Read from the environment in Node; in the browser bundle esbuild replaces these expressions
// with constants (harness.ts); elsewhere in a page `process` does not exist.
function envValue(name: 'runs' | 'seed' | 'report'): string | undefined {
  try {
    if (name === 'runs') return process.env.FUSED_CE_PROPERTY_RUNS;
    if (name === 'seed') return process.env.FUSED_CE_PROPERTY_SEED;
    return process.env.FUSED_CE_PROPERTY_REPORT;
  } catch {
    return undefined;
  }
}

export function propertyRuns(env: SpecEnv): number {
  const n = Number(envValue('runs'));
  if (n > 0) return Math.floor(n);
  // tfjs on a WebGL1 context (the Chromium suite's webgl1 page): the same kernels in another GLSL dialect.
  const webgl1 = env.backend === 'webgl' && !env.composite && tf.env().getNumber('WEBGL_VERSION') === 1;
  return PROPERTY_RUNS[webgl1 ? 'webgl1' : `${env.backend}${env.composite ? ' composite' : ''}`] ?? PROPERTY_RUNS[env.backend] ?? 10;
}

/** A long run (FUSED_CE_PROPERTY_RUNS set): every backend explores the whole shape space. */
function longRun(): boolean {
  return Number(envValue('runs')) > 0;
}

/**
 * Shader backends (webgl, webgpu) compile a program per new shape for tfjs's own kernels
 * (transpose, reshape, the composite path): on SwiftShader 0.5–2 s a random shape. In the
 * default run they draw layouts from SHADER_LAYOUT_POOL (rank 1–3, axis ≠ −1, C = 1, a
 * multi-thread row) so pipelines are reused and the runs go to options, scales, masks and NaNs;
 * a long run draws every shape there too.
 */
export const SHADER_LAYOUT_POOL: Layout[] = [
  {dims: [4, 5], axis: 1}, {dims: [2, 5, 3], axis: 1}, {dims: [3, 1], axis: 1}, {dims: [7], axis: 0}, {dims: [2, 130], axis: 1},
];

function usePool(env: SpecEnv): boolean {
  return (env.backend === 'webgl' || env.backend === 'webgpu') && !longRun();
}

export function propertySeed(): number {
  const s = envValue('seed');
  return s != null && s !== '' && Number.isFinite(Number(s)) ? Number(s) : DEFAULT_PROPERTY_SEED;
}

/**
 * An optional numeric option in [min, max]: absent, or a double. Values below 1e-6 become 0:
 * float32 kernels flush subnormal options (zLoss = 2e-323 is 0 to them), which is not a
 * finding worth a counterexample.
 */
function arbOptionalNumber(min: number, max: number): fc.Arbitrary<number | undefined> {
  return fc.option(fc.double({min, max, noNaN: true}).map(v => (Math.abs(v) < 1e-6 ? 0 : v)), {nil: undefined});
}

// ---------------------------------------------------------------------------------------------
// Shapes.

/** Logits dims with the class axis `axis` (size C); rows are the other dims, row-major. */
export interface Layout {dims: number[]; axis: number}

/** Class counts: mostly small (incl. C = 1), sometimes up to 300 (the GPU kernels' multi-thread rows). */
const arbC = fc.oneof({arbitrary: fc.integer({min: 1, max: 8}), weight: 4},
                      {arbitrary: fc.integer({min: 9, max: 300}), weight: 1});

/** Rank 1–3, batch dims 1–5, the class axis at any position. */
const arbAnyLayout: fc.Arbitrary<Layout> = fc.tuple(
    fc.integer({min: 1, max: 3}), fc.array(fc.integer({min: 1, max: 5}), {minLength: 2, maxLength: 2}), arbC, fc.nat(2))
    .map(([rank, batch, C, a]) => {
      const axis = a % rank;
      const dims = batch.slice(0, rank - 1);
      dims.splice(axis, 0, C);
      return {dims, axis};
    });

/**
 * A NaN logit goes into a case only when at least this many entries stay NaN-free (the NaN's row
 * drops out of the normwise comparison): over a row or two of C = 2 the comparison is elementwise,
 * and near a zero of the gradient (p ≈ ŷ) float32 cancellation is 1e-5 relative to the result
 * (focal dense, γ = 0, webgpu: 2e-8 on a gradient of 1.4e-3), as MIN_ELEMENTWISE_SIZE says.
 */
export const MIN_CLEAN_SIZE = 6;

/**
 * Fewest entries of an elementwise (sigmoid, binary focal) case. The comparison is normwise over
 * the tensor; over one or two entries it is elementwise, and near a zero of the gradient
 * s·(1 − ẑ + qẑ) − qẑ no float32 evaluation is accurate relative to the result (the cpu
 * composite path gave 1.4e-6 on a one-entry gradient of 0.0169): a handful of entries keeps
 * the check normwise, as the README states it.
 */
export const MIN_ELEMENTWISE_SIZE = 6;

/** Rank 1–3, any sizes (at least MIN_ELEMENTWISE_SIZE entries), last axis the class axis (elementwise ops). */
const arbAnyElementwiseLayout: fc.Arbitrary<Layout> = fc.tuple(
    fc.integer({min: 1, max: 3}), fc.array(fc.integer({min: 1, max: 6}), {minLength: 2, maxLength: 2}), arbC)
    .map(([rank, batch, C]) => {
      const dims = [...batch.slice(0, rank - 1), C];
      const size = dims.reduce((a, b) => a * b, 1);
      if (size < MIN_ELEMENTWISE_SIZE) dims[dims.length - 1] = Math.ceil(MIN_ELEMENTWISE_SIZE * C / size);
      return {dims, axis: rank - 1};
    });

function arbLayout(env: SpecEnv): fc.Arbitrary<Layout> {
  return usePool(env) ? fc.constantFrom(...SHADER_LAYOUT_POOL) : arbAnyLayout;
}

/** The pool's layouts with the class axis last, as the elementwise ops take them (≥ MIN_ELEMENTWISE_SIZE entries). */
function arbElementwiseLayout(env: SpecEnv): fc.Arbitrary<Layout> {
  return usePool(env) ? fc.constantFrom<Layout>({dims: [4, 5], axis: 1}, {dims: [2, 5, 3], axis: 2}, {dims: [7, 1], axis: 1})
                      : arbAnyElementwiseLayout;
}

interface RowView {rows: number; C: number; size: number; outShape: number[];
                   /** op-layout flat index → reference index row·C + c. */ toRef: Int32Array}

function rowView(l: Layout): RowView {
  const {dims, axis} = l;
  const C = dims[axis], size = dims.reduce((a, b) => a * b, 1), rows = size / C;
  const outShape = dims.filter((_, d) => d !== axis);
  const toRef = new Int32Array(size);
  const idx = new Array<number>(dims.length).fill(0);
  for (let k = 0; k < size; k++) {
    let row = 0;
    for (let d = 0; d < dims.length; d++) if (d !== axis) row = row * dims[d] + idx[d];
    toRef[k] = row * C + idx[axis];
    for (let d = dims.length - 1; d >= 0; d--) {  // next multi-index, row-major
      if (++idx[d] < dims[d]) break;
      idx[d] = 0;
    }
  }
  return {rows, C, size, outShape, toRef};
}

/** Reference-layout data [rows, C] in the op's layout. */
function toOp(v: RowView, ref: ArrayLike<number>): Float32Array {
  return Float32Array.from(v.toRef, r => ref[r]);
}

/** Op-layout values in reference layout. */
function fromOp(v: RowView, op: ArrayLike<number>): number[] {
  const out = new Array<number>(v.size);
  for (let k = 0; k < v.size; k++) out[v.toRef[k]] = op[k];
  return out;
}

// ---------------------------------------------------------------------------------------------
// Logits.

interface Scale {
  /** log10 of the spread of logit / temperature (uniform in ±10^v); 0 shrinks to ±1. */
  log10Scale: number;
  /** A common offset of every logit / temperature, as a fraction of the backend's maximum. */
  offset: number | undefined;
  /** log10 of the temperature (the op's option; undefined = not passed). */
  log10T: number | undefined;
}

function arbScale(maxScale: number): fc.Arbitrary<Scale> {
  return fc.record({
    log10Scale: fc.double({min: -2, max: Math.log10(maxScale), noNaN: true}),
    offset: fc.option(fc.double({min: -1, max: 1, noNaN: true}), {nil: undefined}),
    log10T: fc.option(fc.double({min: -2, max: 2, noNaN: true}), {nil: undefined}),
  });
}

function temperatureOf(s: Scale): number | undefined {
  return s.log10T == null ? undefined : 10 ** s.log10T;
}

/**
 * Logits [rows, C] (reference layout) whose logit / temperature lies in ±maxScale: a spread
 * 10^log10Scale (shrunk if an offset would pass the maximum) around the offset.
 */
function logitsOf(n: number, seed: number, s: Scale, maxScale: number): Float32Array {
  const T = temperatureOf(s) ?? 1;
  const off = (s.offset ?? 0) * maxScale;
  const spread = Math.min(10 ** s.log10Scale, Math.max(maxScale - Math.abs(off), 0));
  const r = rng(seed);
  return Float32Array.from({length: n}, () => T * (off + spread * (2 * r() - 1)));
}

// ---------------------------------------------------------------------------------------------
// Checking.

/** Largest relative error (to the check's scale, max(‖ref‖∞, mag_i)) seen per quantity of one property run (for the report). */
type Observed = Map<string, number>;

/**
 * The absolute floor of a case's comparisons (expectClose's atol): a float32 result below
 * FLOAT32_MIN_NORMAL is subnormal (its spacing 2^-149 is more than 1e-6 of it) or flushed to 0
 * (GPUs), and an intermediate that underflows is multiplied by at most the largest
 * |logit / T| (the cross-entropy factor), 1 / T and |dy| before it reaches a result. A case whose
 * every result lies below the floor (all losses ~1e-40, property seed 7 with 57+ runs: binary
 * focal at |x| ≈ 600) is checked to the floor; any other is checked normwise at rtol as before
 * (at |logit / T| ≤ 1e4, T ≥ 0.01 the floor is below 2^-126·1e6·|dy|, ~1e-32·|dy|).
 */
function underflowFloor(x: ArrayLike<number>, dy: ArrayLike<number>, temperature = 1): number {
  let xMax = 0, dyMax = 0;
  for (let i = 0; i < x.length; i++) if (Number.isFinite(x[i])) xMax = Math.max(xMax, Math.abs(x[i]));
  for (let i = 0; i < dy.length; i++) dyMax = Math.max(dyMax, Math.abs(dy[i]));
  return FLOAT32_MIN_NORMAL * (1 + xMax / temperature) * Math.max(1, dyMax) / Math.min(1, temperature);
}

/**
 * Compares op-layout `actual` with reference-layout `expected` (and its condition magnitudes
 * `magnitude`, reference layout) at rtol, the bound in the header (floored at atol,
 * underflowFloor): entries whose expected value is NaN (rows with a NaN logit) must be poisoned
 * (NaN; non-finite on webgpu's composite path, see poisonedBy), ±∞ must match exactly, the rest
 * to rtol·max(‖expected‖∞, magnitude_i).
 */
function compare(env: SpecEnv, actual: ArrayLike<number>, expected: ArrayLike<number>, magnitude: ArrayLike<number>,
                 rtol: number, what: string, atol: number, nanUnchecked = false): void {
  const poisoned = poisonedBy(env);
  const a: number[] = [], e: number[] = [], m: number[] = [];
  for (let i = 0; i < expected.length; i++) {
    if (Number.isNaN(expected[i])) {
      if (!nanUnchecked && !poisoned(actual[i])) throw new Error(`${what}[${i}] = ${actual[i]}, expected NaN (a NaN logit in its row)`);
    } else {
      a.push(actual[i]);
      e.push(expected[i]);
      m.push(magnitude[i]);
    }
  }
  expectClose(a, e, rtol, what, atol, m);
}

/** Reads every tensor, then disposes them. */
async function readAll(ts: tf.Tensor[]): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const t of ts) out.push(Float32Array.from(await t.data()));
  tf.dispose(ts);
  return out;
}

interface OpRun {
  /** The op on (logits, labels?) tensors. */
  f: (logits: tf.Tensor, labels: tf.Tensor) => tf.Tensor;
  logits: tf.Tensor;
  labels: tf.Tensor;
  /** Also differentiate w.r.t. the labels (dense labels). */
  labelsGrad: boolean;
  /** Kernels the fused path must run (forward and backward). */
  kernels: string[];
}

/**
 * Runs the op and its gradients with upstream dy (shape of the loss), recording the kernels,
 * and returns [loss, d/dlogits, d/dlabels?] as op-layout values. Checks that it leaks nothing
 * and, on a fused env, that the fused kernels ran.
 */
async function runOp(env: SpecEnv, r: OpRun, dy: Float32Array, what: string): Promise<Float32Array[]> {
  const before = tf.memory().numTensors - 2;  // r.logits and r.labels, disposed here
  const seen: string[] = [];
  const out = await recordKernels(seen, async () => {
    const loss = r.f(r.logits, r.labels);
    const dyT = tf.tensor(dy, loss.shape);
    const grads = r.labelsGrad ?
        tf.grads((l: tf.Tensor, t: tf.Tensor) => r.f(l, t))([r.logits, r.labels], dyT) :
        [tf.grad((l: tf.Tensor) => r.f(l, r.labels))(r.logits, dyT)];
    dyT.dispose();
    return readAll([loss, ...grads]);
  });
  tf.dispose([r.logits, r.labels]);
  const left = tf.memory().numTensors - before;
  if (left !== 0) throw new Error(`${what}: ${left} tensors left behind`);
  if (fusedEnv(env, r.kernels)) expectRan(seen, r.kernels, `${what}: fused path`);
  return out;
}

async function property<T>(env: SpecEnv, name: string, arb: fc.Arbitrary<T>,
                           check: (c: T, env: SpecEnv) => Promise<void>): Promise<void> {
  const observed: Observed = new Map();
  setCloseObserver((what, relErr) => {
    const key = what.slice(what.lastIndexOf(':') + 1).trim();
    if (Number.isFinite(relErr)) observed.set(key, Math.max(observed.get(key) ?? 0, relErr));
  });
  const numRuns = propertyRuns(env), seed = propertySeed();
  try {
    await fc.assert(fc.asyncProperty(arb, c => check(c, env)), {numRuns, seed});
  } finally {
    setCloseObserver(null);
  }
  if (envValue('report')) {
    const where = `${env.backend}${env.composite ? ' composite' : ''}${env.platform === 'browser' ? ' (browser)' : ''}`;
    const errs = [...observed].map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ');
    console.log(`[measure] property "${name}" on ${where}: ${numRuns} runs, seed ${seed}, max rel. error: ${errs}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Softmax family: dense, sparse, focal dense, focal sparse.

interface SoftmaxCase {
  layout: Layout;
  scale: Scale;
  seed: number;
  labelSmoothing: number | undefined;
  classWeights: boolean;
  /** Op-layout positions (mod size) set to −∞; never a row's target (sparse, one-hot) or its last finite logit. */
  masks: number[];
  /** An op-layout position (mod size) set to NaN. */
  nan: number | undefined;
}

function arbSoftmaxBase(env: SpecEnv, maxScale: number) {
  return {
    layout: arbLayout(env),
    scale: arbScale(maxScale),
    seed: fc.nat(1 << 20),
    labelSmoothing: arbOptionalNumber(0, maxSmoothingOf(env)),
    classWeights: fc.boolean(),
    masks: fc.array(fc.nat(), {maxLength: 4}),
    nan: fc.option(fc.nat(), {nil: undefined}),
  };
}

function maxScaleOf(env: SpecEnv): number {
  return MAX_LOGIT_SCALE[env.backend] ?? 8;
}

function weightsOf(C: number, seed: number): number[] {
  const r = rng(seed);
  return Array.from({length: C}, () => 0.05 + 3 * r());
}

/** Logits in reference layout with masks (sparing `keep(row, c)` entries) and the NaN applied. */
function maskedLogits(c: SoftmaxCase, v: RowView, maxScale: number, keep: (row: number, col: number) => boolean): Float32Array {
  const x = logitsOf(v.size, c.seed, c.scale, maxScale);
  for (const m of c.masks) {
    const k = v.toRef[m % v.size], row = Math.floor(k / v.C), col = k % v.C;
    let finite = 0;
    for (let j = 0; j < v.C; j++) finite += Number.isFinite(x[row * v.C + j]) ? 1 : 0;
    if (!keep(row, col) && finite > 1) x[k] = -Infinity;
  }
  if (c.nan != null && v.size - v.C >= MIN_CLEAN_SIZE) x[v.toRef[c.nan % v.size]] = NaN;
  return x;
}

interface DenseCase extends SoftmaxCase {oneHot: boolean; zLoss: number | undefined}

const SOFTMAX_KERNELS = [names.SoftmaxCrossEntropy, names.SoftmaxCrossEntropyGrad];
/** The dense op's kernels for one-hot labels where the backend has the one-hot kernels (d/dlabels included). */
const ONE_HOT_KERNELS = [names.DenseLabelClassIds, names.OneHotSoftmaxCrossEntropy, names.SparseSoftmaxCrossEntropyGrad,
                         names.SoftmaxCrossEntropyGrad];

/** The kernels a dense op runs for labels `y` [rows, C]: `oneHot` where the backend takes one-hot rows as class ids. */
function denseKernels(env: SpecEnv, y: Float32Array, rows: number, C: number, dense: string[], oneHot: string[]): string[] {
  return oneHotEnv(env) && rows > 0 && oneHotIds(y, rows, C) != null ? oneHot : dense;
}

const SPARSE_KERNELS = [names.SparseSoftmaxCrossEntropy, names.SparseSoftmaxCrossEntropyGrad];

async function checkDense(c: DenseCase, env: SpecEnv): Promise<void> {
  const v = rowView(c.layout), {rows, C} = v, maxScale = maxScaleOf(env);
  const hot = randLabels(rows, C, c.seed + 1);
  const x = maskedLogits(c, v, maxScale, (row, col) => c.oneHot && hot[row] === col);
  const y = c.oneHot ? Float32Array.from({length: rows * C}, (_, k) => (hot[Math.floor(k / C)] === k % C ? 1 : 0)) :
                       randProbs(rows, C, c.seed + 1);
  for (let k = 0; k < x.length; k++) if (x[k] === -Infinity) y[k] = 0;
  const opts = {temperature: temperatureOf(c.scale), labelSmoothing: c.labelSmoothing, zLoss: c.zLoss,
                classWeights: c.classWeights ? weightsOf(C, c.seed + 2) : undefined};
  const ref = refSoftmaxCrossEntropy(x, y, rows, C, opts);
  const dy = randn(rows, c.seed + 3);
  const [loss, gx, gy] = await runOp(env, {
    f: (l, t) => softmaxCrossEntropyWithLogits(t, l, {...opts, axis: c.layout.axis}),
    logits: tf.tensor(toOp(v, x), c.layout.dims), labels: tf.tensor(toOp(v, y), c.layout.dims),
    labelsGrad: true, kernels: denseKernels(env, y, rows, C, SOFTMAX_KERNELS, ONE_HOT_KERNELS),
  }, dy, 'dense');
  const atol = underflowFloor(x, dy, temperatureOf(c.scale));
  compare(env, loss, ref.loss, ref.lossMagnitude, env.rtol, 'dense: loss', atol);
  compare(env, fromOp(v, gx), ref.dlogits(dy), ref.dlogitsMagnitude(dy), env.rtol, 'dense: d/dlogits', atol);
  compare(env, fromOp(v, gy), ref.dlabels(dy), ref.dlabelsMagnitude(dy), env.rtol, 'dense: d/dlabels', atol);
}

interface SparseCase extends SoftmaxCase {zLoss: number | undefined; ignoreIndex: number | undefined; ignored: number[]}

/** Class ids with `ignored` rows (mod rows) set to ignoreIndex. */
function sparseLabels(c: SparseCase, rows: number, C: number): Int32Array {
  const t = randLabels(rows, C, c.seed + 1);
  if (c.ignoreIndex != null) for (const i of c.ignored) t[i % rows] = c.ignoreIndex;
  return t;
}

async function checkSparse(c: SparseCase, env: SpecEnv): Promise<void> {
  const v = rowView(c.layout), {rows, C} = v, maxScale = maxScaleOf(env);
  const t = sparseLabels(c, rows, C);
  const x = maskedLogits(c, v, maxScale, (row, col) => t[row] === col);
  const opts = {temperature: temperatureOf(c.scale), labelSmoothing: c.labelSmoothing, zLoss: c.zLoss,
                classWeights: c.classWeights ? weightsOf(C, c.seed + 2) : undefined, ignoreIndex: c.ignoreIndex};
  const ref = refSparseSoftmaxCrossEntropy(x, t, rows, C, opts);
  const dy = randn(rows, c.seed + 3);
  const [loss, gx] = await runOp(env, {
    f: (l, lab) => sparseSoftmaxCrossEntropyWithLogits(lab, l, {...opts, axis: c.layout.axis}),
    logits: tf.tensor(toOp(v, x), c.layout.dims), labels: tf.tensor(t, v.outShape, 'int32'),
    labelsGrad: false, kernels: SPARSE_KERNELS,
  }, dy, 'sparse');
  const atol = underflowFloor(x, dy, temperatureOf(c.scale));
  compare(env, loss, ref.loss, ref.lossMagnitude, env.rtol, 'sparse: loss', atol);
  compare(env, fromOp(v, gx), ref.dlogits(dy), ref.dlogitsMagnitude(dy), env.rtol, 'sparse: d/dlogits', atol);
}

// Focal.

interface FocalCase extends SoftmaxCase {gamma: number | undefined; alpha: 'scalar' | 'per class' | undefined; alphaValue: number}

function focalOptions(c: FocalCase, C: number): RefFocalOptions {
  return {
    temperature: temperatureOf(c.scale), labelSmoothing: c.labelSmoothing, gamma: c.gamma,
    alpha: c.alpha === 'scalar' ? c.alphaValue : c.alpha === 'per class' ? weightsOf(C, c.seed + 4).map(w => w / 4) : undefined,
    classWeights: c.classWeights ? weightsOf(C, c.seed + 2) : undefined,
  };
}

/**
 * d(Σ dy·L)/dlabels of the softmax focal loss: L is linear in the labels, ŷ = (1 − ε)·y + ε/C,
 * so the derivative is dy·(1 − ε)·αw_c·(1 − p_c)^γ·(−log p_c) (float64, from the definition).
 */
function refFocalLabelsGrad(x: ArrayLike<number>, rows: number, C: number, dy: ArrayLike<number>, o: RefFocalOptions): number[] {
  const T = o.temperature ?? 1, gamma = o.gamma ?? 2, alpha = o.alpha ?? 0.25, eps = o.labelSmoothing ?? 0;
  const a = (c: number) => (typeof alpha === 'number' ? alpha : alpha[c]) * (o.classWeights ? o.classWeights[c] : 1);
  const out: number[] = [];
  for (let i = 0; i < rows; i++) {
    const z = Array.from({length: C}, (_, c) => x[i * C + c] / T);
    const m = Math.max(...z);
    const e = z.map(v => Math.exp(v - m));
    const s = e.reduce((u, v) => u + v, 0);
    for (let c = 0; c < C; c++) {
      const logp = z[c] - m - Math.log(s), oneMinusP = (s - e[c]) / s;
      out.push(dy[i] * (1 - eps) * a(c) * Math.pow(oneMinusP, gamma) * -logp);
    }
  }
  return out;
}

const FOCAL_KERNELS = [names.FocalCrossEntropy, names.FocalCrossEntropyGrad];
const SPARSE_FOCAL_KERNELS = [names.SparseFocalCrossEntropy, names.SparseFocalCrossEntropyGrad];
/** The dense focal op's kernels for one-hot labels where the backend has the one-hot kernels. */
const ONE_HOT_FOCAL_KERNELS = [names.DenseLabelClassIds, names.OneHotFocalCrossEntropy, names.SparseFocalCrossEntropyGrad,
                               names.FocalCrossEntropyGrad];

/** The softmax focal tolerance: the env's rtol, fused and composite paths alike. */
function focalTol(env: SpecEnv): number {
  return env.rtol;
}

async function checkFocalDense(c: FocalCase & {oneHot: boolean}, env: SpecEnv): Promise<void> {
  const v = rowView(c.layout), {rows, C} = v, maxScale = maxScaleOf(env);
  const hot = randLabels(rows, C, c.seed + 1);
  const x = maskedLogits(c, v, maxScale, (row, col) => c.oneHot && hot[row] === col);
  const y = c.oneHot ? Float32Array.from({length: rows * C}, (_, k) => (hot[Math.floor(k / C)] === k % C ? 1 : 0)) :
                       randProbs(rows, C, c.seed + 1);
  for (let k = 0; k < x.length; k++) if (x[k] === -Infinity) y[k] = 0;
  const o = focalOptions(c, C);
  const dy = randn(rows, c.seed + 3);
  const [loss, gx, gy] = await runOp(env, {
    f: (l, t) => softmaxFocalCrossEntropyWithLogits(t, l, {...o, classWeights: o.classWeights ?? undefined, axis: c.layout.axis}),
    logits: tf.tensor(toOp(v, x), c.layout.dims), labels: tf.tensor(toOp(v, y), c.layout.dims),
    labelsGrad: true, kernels: denseKernels(env, y, rows, C, FOCAL_KERNELS, ONE_HOT_FOCAL_KERNELS),
  }, dy, 'focal dense');
  const atol = underflowFloor(x, dy, o.temperature);
  const tol = focalTol(env), mag = refFocalMagnitudes(x, y, rows, C, dy, o);
  compare(env, loss, refFocalLoss(x, y, rows, C, o), mag.loss, tol, 'focal dense: loss', atol);
  compare(env, fromOp(v, gx), refFocalGrad(x, y, rows, C, dy, o), mag.dlogits, tol, 'focal dense: d/dlogits', atol);
  compare(env, fromOp(v, gy), refFocalLabelsGrad(x, rows, C, dy, o), mag.dlabels, tol, 'focal dense: d/dlabels', atol);
}

async function checkFocalSparse(c: FocalCase & {ignoreIndex: number | undefined, ignored: number[]}, env: SpecEnv): Promise<void> {
  const v = rowView(c.layout), {rows, C} = v, maxScale = maxScaleOf(env);
  const t = sparseLabels({...c, zLoss: undefined}, rows, C);
  const x = maskedLogits(c, v, maxScale, (row, col) => t[row] === col);
  const o = focalOptions(c, C);
  const {targets, ignored} = sparseToDense(t, C, c.ignoreIndex ?? null);
  const dy = randn(rows, c.seed + 3);
  const [loss, gx] = await runOp(env, {
    f: (l, lab) => sparseSoftmaxFocalCrossEntropyWithLogits(lab, l, {...o, classWeights: o.classWeights ?? undefined,
                                                                      ignoreIndex: c.ignoreIndex, axis: c.layout.axis}),
    logits: tf.tensor(toOp(v, x), c.layout.dims), labels: tf.tensor(t, v.outShape, 'int32'),
    labelsGrad: false, kernels: SPARSE_FOCAL_KERNELS,
  }, dy, 'focal sparse');
  const atol = underflowFloor(x, dy, o.temperature);
  const tol = focalTol(env), mag = refFocalMagnitudes(x, targets, rows, C, dy, o, ignored);
  compare(env, loss, refFocalLoss(x, targets, rows, C, o, ignored), mag.loss, tol, 'focal sparse: loss', atol);
  compare(env, fromOp(v, gx), refFocalGrad(x, targets, rows, C, dy, o, ignored), mag.dlogits, tol, 'focal sparse: d/dlogits', atol);
}

// ---------------------------------------------------------------------------------------------
// Elementwise: sigmoid, binary focal.

interface ElementwiseCase {
  layout: Layout;
  log10Scale: number;
  seed: number;
  labelSmoothing: number | undefined;
  /** Soft targets in [0, 1] (else hard 0/1). */
  soft: boolean;
  nan: number | undefined;
}

const arbElementwiseBase = (env: SpecEnv) => ({
  layout: arbElementwiseLayout(env),
  log10Scale: fc.double({min: -2, max: Math.log10(MAX_ELEMENTWISE_LOGIT), noNaN: true}),
  seed: fc.nat(1 << 20),
  labelSmoothing: arbOptionalNumber(0, maxSmoothingOf(env)),
  soft: fc.boolean(),
  nan: fc.option(fc.nat(), {nil: undefined}),
});

function elementwiseData(c: ElementwiseCase): {x: Float32Array, z: Float32Array, n: number, C: number} {
  const n = c.layout.dims.reduce((a, b) => a * b, 1), C = c.layout.dims[c.layout.dims.length - 1];
  const r = rng(c.seed), s = 10 ** c.log10Scale;
  const x = Float32Array.from({length: n}, () => s * (2 * r() - 1));
  if (c.nan != null) x[c.nan % n] = NaN;
  const z = Float32Array.from({length: n}, () => (c.soft ? r() : r() < 0.5 ? 0 : 1));
  return {x, z, n, C};
}

interface SigmoidCase extends ElementwiseCase {posWeight: 'scalar' | 'per class' | undefined}

async function checkSigmoid(c: SigmoidCase, env: SpecEnv): Promise<void> {
  const {x, z, n, C} = elementwiseData(c);
  const q = c.posWeight === 'scalar' ? [0.05 + 4 * rng(c.seed + 5)()] : c.posWeight === 'per class' ? weightsOf(C, c.seed + 5) : undefined;
  const ref = refSigmoidCrossEntropy(x, z, C, {labelSmoothing: c.labelSmoothing, posWeight: q});
  const dy = randn(n, c.seed + 3);
  const posWeight = q == null ? undefined : c.posWeight === 'scalar' ? q[0] : q;
  const [loss, gx, gz] = await runOp(env, {
    f: (l, t) => sigmoidCrossEntropyWithLogits(t, l, {labelSmoothing: c.labelSmoothing, posWeight}),
    logits: tf.tensor(x, c.layout.dims), labels: tf.tensor(z, c.layout.dims),
    labelsGrad: true, kernels: [names.SigmoidCrossEntropy, names.SigmoidCrossEntropyGrad],
  }, dy, 'sigmoid');
  const atol = underflowFloor(x, dy);
  compare(env, loss, ref.loss, ref.lossMagnitude, env.rtol, 'sigmoid: loss', atol);
  // tfjs's own WGSL sigmoid (the composite path on webgpu) may assume no NaN (WGSL finite math):
  // on SwiftShader its gradient at a NaN logit is finite (−0.786 for one). Not ours to poison.
  compare(env, gx, ref.dlogits(dy), ref.dlogitsMagnitude(dy), env.rtol, 'sigmoid: d/dlogits', atol,
          env.backend === 'webgpu' && env.composite);
  compare(env, gz, ref.dlabels(dy), ref.dlabelsMagnitude(dy), env.rtol, 'sigmoid: d/dlabels', atol);
}

interface BinaryFocalCase extends ElementwiseCase {gamma: number | undefined; alpha: number | undefined; applyClassBalancing: boolean}

/**
 * Gradients from the closed-form float64 reference (refBinaryFocalGrad; a NaN stays in its place):
 * central differences break where u = 1 − p_t is as small as their step.
 */
async function checkBinaryFocal(c: BinaryFocalCase, env: SpecEnv): Promise<void> {
  const {x, z, n} = elementwiseData(c);
  const o = {labelSmoothing: c.labelSmoothing, gamma: c.gamma, alpha: c.alpha, applyClassBalancing: c.applyClassBalancing};
  const dy = randn(n, c.seed + 3);
  const [loss, gx, gz] = await runOp(env, {
    f: (l, t) => sigmoidFocalCrossEntropyWithLogits(t, l, o),
    logits: tf.tensor(x, c.layout.dims), labels: tf.tensor(z, c.layout.dims),
    labelsGrad: true, kernels: [names.BinaryFocalCrossEntropy, names.BinaryFocalCrossEntropyGrad],
  }, dy, 'binary focal');
  // 2·rtol on the composite path (focal_cross_entropy.spec.ts).
  const atol = underflowFloor(x, dy);
  const tol = binaryFocalTol(env), mag = refBinaryFocalMagnitudes(x, z, dy, o);
  compare(env, loss, refBinaryFocalLoss(x, z, o), mag.loss, tol, 'binary focal: loss', atol);
  const ref = refBinaryFocalGrad(x, z, dy, o);
  compare(env, gx, ref.dx, mag.dx, tol, 'binary focal: d/dlogits', atol);
  compare(env, gz, ref.dz, mag.dz, tol, 'binary focal: d/dlabels', atol);
}

// ---------------------------------------------------------------------------------------------
// The properties, as run by properties.spec.ts.

export interface Property {name: string; run: (env: SpecEnv) => Promise<void>}

function arbDense(env: SpecEnv): fc.Arbitrary<DenseCase> {
  return fc.record({...arbSoftmaxBase(env, maxScaleOf(env)), oneHot: fc.boolean(),
                    zLoss: arbOptionalNumber(0, 0.1)});
}

function arbSparse(env: SpecEnv): fc.Arbitrary<SparseCase> {
  return fc.record({...arbSoftmaxBase(env, maxScaleOf(env)),
                    zLoss: arbOptionalNumber(0, 0.1),
                    ignoreIndex: fc.option(fc.constantFrom(-100, 0), {nil: undefined}),
                    ignored: fc.array(fc.nat(), {maxLength: 3})});
}

function arbFocalBase(env: SpecEnv) {
  return {...arbSoftmaxBase(env, maxScaleOf(env)),
          gamma: arbOptionalNumber(0, 5),
          alpha: fc.option(fc.constantFrom<'scalar' | 'per class'>('scalar', 'per class'), {nil: undefined}),
          alphaValue: fc.double({min: 0.01, max: 1, noNaN: true})};
}

export const PROPERTIES: Property[] = [
  {name: 'softmaxCrossEntropyWithLogits', run: env => property(env, 'dense', arbDense(env), checkDense)},
  {name: 'sparseSoftmaxCrossEntropyWithLogits', run: env => property(env, 'sparse', arbSparse(env), checkSparse)},
  {name: 'sigmoidCrossEntropyWithLogits', run: env => property(env, 'sigmoid', fc.record({
    ...arbElementwiseBase(env), posWeight: fc.option(fc.constantFrom<'scalar' | 'per class'>('scalar', 'per class'), {nil: undefined}),
  }), checkSigmoid)},
  {name: 'softmaxFocalCrossEntropyWithLogits', run: env => property(env, 'focal dense', fc.record({
    ...arbFocalBase(env), oneHot: fc.boolean(),
  }), checkFocalDense)},
  {name: 'sparseSoftmaxFocalCrossEntropyWithLogits', run: env => property(env, 'focal sparse', fc.record({
    ...arbFocalBase(env), ignoreIndex: fc.option(fc.constantFrom(-100, 0), {nil: undefined}), ignored: fc.array(fc.nat(), {maxLength: 3}),
  }), checkFocalSparse)},
  {name: 'sigmoidFocalCrossEntropyWithLogits', run: env => property(env, 'binary focal', fc.record({
    ...arbElementwiseBase(env),
    gamma: arbOptionalNumber(0, 5),
    alpha: arbOptionalNumber(0.01, 1),
    applyClassBalancing: fc.boolean(),
  }), checkBinaryFocal)},
];

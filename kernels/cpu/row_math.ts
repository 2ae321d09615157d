/**
 * Row primitives of the cpu kernels (plain TypeScript over typed arrays).
 *
 * Inputs are indexed generically (`ArrayLike<number>`): the typed-array class
 * behind a tensor may not match its dtype (a no-copy cast leaves an Int32Array
 * behind a float32 tensor). All arithmetic is in JS numbers, i.e. float64; only
 * the outputs are rounded to float32.
 */
import {fastExp} from './fast_exp';
import type {SoftmaxCrossEntropyAttrs} from '../kernel_names';

/**
 * The row's log-sum-exp in two parts, as the last rowLse / rowLseScaled /
 * rowLogSumExp call left them: [0] m = max_c x (the raw logit, before the
 * temperature: an exact float32 value), [1] s = Σ_c exp((x − m)/T), in
 * [1, C]. lse = m/T + log s. The forward kernels save (m, s) per row for the
 * backward (kernel_names.ts: the `lse` output [rows, 2]), which rebuilds lse
 * in float64 from them: a float32 lse would put up to ½ ulp(|lse|) into every
 * exp(z − lse) (FORMULAS.md, "Precision").
 */
export const ROW_STATS = new Float64Array(2);

/** Row i's (m, s) from ROW_STATS into the saved [rows, 2] array. */
export function saveRowStats(stats: Float32Array, i: number): void {
  stats[2 * i] = ROW_STATS[0];
  stats[2 * i + 1] = ROW_STATS[1];
}

/** lse = m/T + log s of row i of a saved `[rows, 2]` (m, s) array, in float64. */
export function savedLse(stats: ArrayLike<number>, i: number, invT: number): number {
  return stats[2 * i] * invT + Math.log(stats[2 * i + 1]);
}

/**
 * Online log-sum-exp of `x[off .. off+C) · invT` (online softmax, one pass):
 * keep the running max m of x and s = Σ exp((x − m)·invT); when a larger x
 * arrives rescale s by exp((m − x)·invT). −∞ entries add nothing; NaN makes
 * the result NaN, and so does +∞ (FORMULAS.md: a row with a +∞ logit is NaN,
 * as in PyTorch). Leaves (m, s) in ROW_STATS.
 */
export function rowLogSumExp(x: ArrayLike<number>, off: number, C: number, invT: number): number {
  let m = -Infinity;
  let s = 0;
  for (let c = 0; c < C; c++) {
    const v = x[off + c];
    if (v > m) {
      s = s * fastExp((m - v) * invT) + 1;
      m = v;
    } else if (v !== -Infinity) {
      s += fastExp((v - m) * invT);  // NaN lands here and poisons s.
    }
  }
  return finishRow(m, s, invT);
}

/** Stores (m, s) in ROW_STATS (s = NaN for a +∞ max) and returns lse = m·invT + log s. */
function finishRow(m: number, s: number, invT: number): number {
  if (m === Infinity) s = NaN;
  ROW_STATS[0] = m;
  ROW_STATS[1] = s;
  return m * invT + Math.log(s);
}

/**
 * Rows of a [rows, C] kernel input as Float32Array slices, so that the hot
 * loops index one typed-array class only (a monomorphic keyed load V8 inlines).
 * The tensor's own array is used in place when it is a Float32Array (always,
 * for float32 tensors the cpu backend made itself); otherwise (an Int32Array
 * left behind a float32 tensor by a no-copy cast, e.g. int one-hot labels
 * cast to float32) each row is copied into one reused C-element scratch row,
 * rounded to float32 as the tensor's dtype says: O(C) extra memory, no
 * [rows, C] copy.
 * A monomorphic load is faster than a polymorphic one, and the row copy
 * costs Int32Array-backed labels little (README.md, "F32Rows").
 */
export class F32Rows {
  /** The array of the row last asked for: the tensor's own, or the scratch row. */
  readonly array: Float32Array;
  private readonly source: ArrayLike<number> | null;

  constructor(values: ArrayLike<number>, private readonly C: number) {
    if (values instanceof Float32Array) {
      this.array = values;
      this.source = null;
    } else {
      this.array = new Float32Array(C);
      this.source = values;
    }
  }

  /** Offset of row i in `array` (copying the row into the scratch first when needed). */
  row(i: number): number {
    const src = this.source;
    if (src === null) {
      return i * this.C;
    }
    const off = i * this.C;
    if (ArrayBuffer.isView(src)) {
      // A typed array: one native converting copy (see the measurements above).
      this.array.set((src as unknown as Int32Array).subarray(off, off + this.C));
    } else {
      for (let c = 0; c < this.C; c++) {
        this.array[c] = src[off + c];
      }
    }
    return 0;
  }
}

/**
 * Online log-sum-exp of the row `x[off .. off+C)` (as `rowLogSumExp`, T = 1,
 * Float32Array only: the kernels' hot loop). Leaves (m, s) in ROW_STATS.
 */
export function rowLse(x: Float32Array, off: number, C: number): number {
  let m = -Infinity;
  let s = 0;
  for (let c = off, end = off + C; c < end; c++) {
    const z = x[c];
    if (z > m) {
      s = s * fastExp(m - z) + 1;
      m = z;
    } else if (z !== -Infinity) {
      s += fastExp(z - m);  // NaN z lands here and poisons s.
    }
  }
  return finishRow(m, s, 1);
}

/** The same with z = x·invT (temperature ≠ 1); m stays in logit units. */
export function rowLseScaled(x: Float32Array, off: number, C: number, invT: number): number {
  let m = -Infinity;
  let s = 0;
  for (let c = off, end = off + C; c < end; c++) {
    const v = x[c];
    if (v > m) {
      s = s * fastExp((m - v) * invT) + 1;
      m = v;
    } else if (v !== -Infinity) {
      s += fastExp((v - m) * invT);
    }
  }
  return finishRow(m, s, invT);
}

/**
 * The nonzero labels of a dense forward, kept for its backward: O(rows) state
 * (at most 2·rows + 8 entries: one-hot and two-hot rows fit; soft-label rows
 * do not, and then nothing is kept). With them the plain dense backward
 * never reads the [rows, C] labels: it writes dy·(W + 2λ·lse)·p for every
 * class, W summed from the kept values, and recomputes the few classes with
 * y ≠ 0 (one fastExp each): the dense one-hot backward then runs at the
 * sparse backward's speed, for a small cost to the forward (README.md,
 * "LabelRows").
 *
 * Kept in a WeakMap keyed by the dataId of the forward's lse output (the
 * backward receives that very buffer; tfjs's saved tensors and reshapes share
 * dataIds): the entry goes when the lse buffer does. It records which labels
 * buffer it describes; the backward uses it only for those labels (tfjs
 * buffers are immutable) and the same [rows, C], else reads the labels.
 */
export interface LabelRows {
  /** dataId of the labels the forward read. */
  labels: object;
  rows: number;
  C: number;
  /** Row i's entries are start[i] … start[i+1] − 1 of cls and val. */
  start: Int32Array;
  cls: Int32Array;
  val: Float32Array;
}

const labelRowsByLse = new WeakMap<object, LabelRows>();

export function keepLabelRows(lseDataId: object, rows: LabelRows): void {
  labelRowsByLse.set(lseDataId, rows);
}

/** The kept labels of the forward that produced `lseDataId`, if they describe `labelsDataId` at [rows, C]. */
export function keptLabelRows(lseDataId: object, labelsDataId: object, rows: number, C: number): LabelRows | null {
  const k = labelRowsByLse.get(lseDataId);
  return k != null && k.labels === labelsDataId && k.rows === rows && k.C === C ? k : null;
}

/** The capacity of a LabelRows for `rows` rows. */
export function labelRowsCapacity(rows: number): number {
  return 2 * rows + 8;
}

/**
 * True when the attributes leave the per-element math plain: T = 1, ε = 0 and
 * no class weights (z-loss and ignoreIndex act per row). The kernels run a
 * specialised loop then, with no multiply by 1/T, no smoothing and no weight
 * lookups per element.
 */
export function isPlain(attrs: SoftmaxCrossEntropyAttrs): boolean {
  return attrs.temperature === 1 && attrs.labelSmoothing === 0 && attrs.classWeights == null;
}

/**
 * The per-class weights w[c] as an array (ones when none are given): the inner
 * loops index it directly (a helper call per element was much slower:
 * README.md, "classWeightArray").
 */
export function classWeightArray(attrs: SoftmaxCrossEntropyAttrs, C: number): Float64Array {
  return attrs.classWeights == null ? new Float64Array(C).fill(1) : Float64Array.from(attrs.classWeights);
}

/** Σ_c w[c]. */
export function sumOf(w: ArrayLike<number>): number {
  let s = 0;
  for (let c = 0; c < w.length; c++) {
    s += w[c];
  }
  return s;
}

/**
 * Throws for a sparse label outside [0, C) that is not the ignore index
 * (FORMULAS.md: the cpu kernel throws, naming the row and the value).
 */
export function checkSparseLabel(t: number, row: number, C: number): void {
  if (!(t >= 0 && t < C && Number.isInteger(t))) {
    throw new Error(`sparseSoftmaxCrossEntropyWithLogits: labels[${row}] = ${t} is out of range [0, ${C})`);
  }
}

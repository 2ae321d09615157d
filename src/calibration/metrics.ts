/**
 * Calibration metrics of a classifier's predictions: expected and maximum
 * calibration error (ECE, MCE) with equal-width bins, top-label and classwise,
 * from probabilities or logits, and the data of a reliability diagram.
 *
 * Predictions are read back to the host once (`await data()`, which works on
 * every backend, webgpu in Node included) and binned in float64: the metrics
 * are not differentiable and cost O(N·C) host work, nothing a kernel would win.
 *
 * Shapes: multiclass `predictions` [N, C] (probabilities, or logits with
 * `fromLogits: true`: softmax in float64 on the host); binary predictions [N]
 * or [N, 1] (probability of the positive class, or its logit: sigmoid),
 * treated as the two classes [1 − p, p]. `labels`: class ids [N] (int or
 * float), or one-hot / probability rows [N, C] (their argmax), binary labels
 * 0/1 as [N] or [N, 1].
 */
import {Tensor, TensorLike, tensor} from '@tensorflow/tfjs-core';
import {calibrationFromConfidences, CalibrationResult, checkBins} from './binning';

export interface CalibrationOptions {
  /** Number of equal-width bins over (0, 1] (default 15, as Guo et al.). */
  nBins?: number;
  /** The predictions are logits: softmax (multiclass) or sigmoid (binary) first. Default false. */
  fromLogits?: boolean;
}

/** Classwise calibration (Kull et al. 2019): one binning per class of p[:, c] against [label = c]. */
export interface ClasswiseCalibrationResult {
  /** Classwise ECE: the mean over classes of the per-class ECE. */
  ece: number;
  /** The largest per-class MCE. */
  mce: number;
  /** One result per class (its `accuracy` is the class frequency, `confidence` the mean p[:, c]). */
  perClass: CalibrationResult[];
}

/** Predictions as float64 probability rows [N, C] (C ≥ 2) and labels as class ids. */
export interface ProbabilityRows {
  probs: Float64Array;
  labels: Int32Array;
  n: number;
  C: number;
}

async function read(v: Tensor | TensorLike): Promise<{values: ArrayLike<number>, shape: number[]}> {
  const t = v instanceof Tensor ? v : tensor(v as TensorLike);
  const values = await t.data() as ArrayLike<number>;
  const shape = t.shape.slice();
  if (t !== v) {
    t.dispose();
  }
  return {values, shape};
}

/**
 * Reads predictions and labels into float64 probability rows and class ids,
 * checking shapes. Exported for the diagram helpers and tests.
 */
export async function toProbabilityRows(labels: Tensor | TensorLike, predictions: Tensor | TensorLike,
                                        fromLogits = false, fn = 'calibration'): Promise<ProbabilityRows> {
  const pred = await read(predictions);
  const lab = await read(labels);
  const binary = pred.shape.length === 1 || (pred.shape.length === 2 && pred.shape[1] === 1);
  if (!binary && pred.shape.length !== 2) {
    throw new Error(`${fn}: predictions must be [N, C], [N] or [N, 1], got shape [${pred.shape}]`);
  }
  const n = pred.shape[0];
  const C = binary ? 2 : pred.shape[1];
  const probs = new Float64Array(n * C);
  for (let i = 0; i < n; i++) {
    if (binary) {
      const v = pred.values[i];
      const p = fromLogits ? 1 / (1 + Math.exp(-v)) : v;
      probs[2 * i] = 1 - p;
      probs[2 * i + 1] = p;
      continue;
    }
    if (fromLogits) {
      let m = -Infinity;
      for (let c = 0; c < C; c++) m = Math.max(m, pred.values[i * C + c]);
      let s = 0;
      for (let c = 0; c < C; c++) s += (probs[i * C + c] = Math.exp(pred.values[i * C + c] - m));
      for (let c = 0; c < C; c++) probs[i * C + c] /= s;
    } else {
      for (let c = 0; c < C; c++) probs[i * C + c] = pred.values[i * C + c];
    }
  }
  const ids = new Int32Array(n);
  const labelRows = lab.shape.length === 2 && lab.shape[1] > 1;
  if (lab.shape[0] !== n || !(lab.shape.length === 1 || (lab.shape.length === 2 && (lab.shape[1] === 1 || lab.shape[1] === C)))) {
    throw new Error(`${fn}: labels must be [${n}] class ids or [${n}, ${C}] rows, got shape [${lab.shape}]`);
  }
  for (let i = 0; i < n; i++) {
    if (labelRows) {
      let best = 0;
      for (let c = 1; c < C; c++) if (lab.values[i * C + c] > lab.values[i * C + best]) best = c;
      ids[i] = best;
    } else {
      const t = lab.values[i];
      if (!(Number.isInteger(t) && t >= 0 && t < C)) {
        throw new Error(`${fn}: labels[${i}] = ${t} is not a class id in [0, ${C})`);
      }
      ids[i] = t;
    }
  }
  return {probs, labels: ids, n, C};
}

/** Top-label confidences (max_c p) and whether the argmax (first maximum) is the label. */
export function topLabel(rows: ProbabilityRows): {confidences: Float64Array, correct: Uint8Array} {
  const {probs, labels, n, C} = rows;
  const confidences = new Float64Array(n), correct = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (probs[i * C + c] > probs[i * C + best]) best = c;
    confidences[i] = probs[i * C + best];
    correct[i] = best === labels[i] ? 1 : 0;
  }
  return {confidences, correct};
}

/**
 * Top-label calibration: ECE, MCE, overall accuracy and confidence, and the
 * reliability-diagram bins (per bin: mean confidence, accuracy, count).
 *
 * ```js
 * const labels = tf.tensor1d([0, 1, 2, 1], 'int32');                      // class ids [N]
 * const logits = tf.tensor2d([[3, 0, -1], [0.5, 1.5, 0], [0, 2, 1], [1, 0.8, 0]]);
 * const r = await calibration(labels, logits, {fromLogits: true, nBins: 5});
 * console.log(r.ece, r.mce, r.bins);
 * ```
 */
export async function calibration(labels: Tensor | TensorLike, predictions: Tensor | TensorLike,
                                  options: CalibrationOptions = {}): Promise<CalibrationResult> {
  const nBins = checkBins(options.nBins ?? 15, 'calibration');
  const {confidences, correct} = topLabel(await toProbabilityRows(labels, predictions, options.fromLogits, 'calibration'));
  return calibrationFromConfidences(confidences, correct, nBins);
}

/** Top-label expected calibration error Σ_b (n_b / n)·|acc_b − conf_b|. */
export async function expectedCalibrationError(labels: Tensor | TensorLike, predictions: Tensor | TensorLike,
                                               options: CalibrationOptions = {}): Promise<number> {
  return (await calibration(labels, predictions, options)).ece;
}

/** Top-label maximum calibration error max_b |acc_b − conf_b| over non-empty bins. */
export async function maximumCalibrationError(labels: Tensor | TensorLike, predictions: Tensor | TensorLike,
                                              options: CalibrationOptions = {}): Promise<number> {
  return (await calibration(labels, predictions, options)).mce;
}

/**
 * Classwise calibration: for every class c, the binning of p[:, c] against
 * [label = c]; ECE is the mean over classes, MCE the maximum.
 */
export async function classwiseCalibration(labels: Tensor | TensorLike, predictions: Tensor | TensorLike,
                                           options: CalibrationOptions = {}): Promise<ClasswiseCalibrationResult> {
  const nBins = checkBins(options.nBins ?? 15, 'classwiseCalibration');
  const {probs, labels: ids, n, C} = await toProbabilityRows(labels, predictions, options.fromLogits, 'classwiseCalibration');
  const perClass: CalibrationResult[] = [];
  const conf = new Float64Array(n), hit = new Uint8Array(n);
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < n; i++) {
      conf[i] = probs[i * C + c];
      hit[i] = ids[i] === c ? 1 : 0;
    }
    perClass.push(calibrationFromConfidences(conf, hit, nBins));
  }
  return {
    ece: perClass.reduce((s, r) => s + r.ece, 0) / C,
    mce: perClass.reduce((s, r) => Math.max(s, r.mce), 0),
    perClass,
  };
}

/**
 * Equal-width confidence binning on the host (float64), the part of every
 * calibration metric that needs no tensors (Guo et al. 2017, "On Calibration
 * of Modern Neural Networks"; torchmetrics' CalibrationError with norm 'l1' /
 * 'max'). Bins cover (0, 1] as (b/n, (b+1)/n]: a confidence exactly on a
 * boundary goes to the lower bin (torchmetrics uses [b/n, (b+1)/n); the two
 * differ only for confidences that are exact multiples of 1/n). A confidence
 * of 0 goes to the first bin.
 */

/** One reliability-diagram bin. `confidence`, `accuracy` and `gap` are null for an empty bin. */
export interface ReliabilityBin {
  /** Lower edge (exclusive, except 0 for the first bin). */
  lower: number;
  /** Upper edge (inclusive). */
  upper: number;
  /** Number of predictions in the bin. */
  count: number;
  /** Mean confidence of those predictions. */
  confidence: number | null;
  /** Fraction of them that are correct (the empirical frequency). */
  accuracy: number | null;
  /** accuracy − confidence (negative: overconfident). */
  gap: number | null;
}

/** Calibration of one set of (confidence, correct) pairs. */
export interface CalibrationResult {
  /** Expected calibration error Σ_b (n_b / n)·|acc_b − conf_b| (0 for no predictions). */
  ece: number;
  /** Maximum calibration error max_b |acc_b − conf_b| over non-empty bins (0 for none). */
  mce: number;
  /** Mean confidence over all predictions. */
  confidence: number;
  /** Fraction correct over all predictions. */
  accuracy: number;
  /** Number of predictions. */
  count: number;
  /** The bins, in increasing confidence. */
  bins: ReliabilityBin[];
}

/** Index of the bin (b/n, (b+1)/n] holding confidence c ∈ [0, 1]. */
export function binIndex(c: number, nBins: number): number {
  return Math.min(nBins - 1, Math.max(0, Math.ceil(c * nBins) - 1));
}

/** Checks the bin count (an integer ≥ 1). */
export function checkBins(nBins: number, fn: string): number {
  if (!Number.isInteger(nBins) || nBins < 1) {
    throw new Error(`${fn}: nBins must be an integer ≥ 1, got ${nBins}`);
  }
  return nBins;
}

/**
 * Calibration of `confidences[i]` ∈ [0, 1] against `correct[i]` (1/true when
 * the prediction was right, or for classwise calibration when the class is the
 * label). Throws for a confidence outside [0, 1] or NaN.
 */
export function calibrationFromConfidences(confidences: ArrayLike<number>, correct: ArrayLike<number | boolean>,
                                           nBins = 15): CalibrationResult {
  checkBins(nBins, 'calibrationFromConfidences');
  const n = confidences.length;
  if (correct.length !== n) {
    throw new Error(`calibrationFromConfidences: ${n} confidences but ${correct.length} outcomes`);
  }
  const count = new Float64Array(nBins), confSum = new Float64Array(nBins), hits = new Float64Array(nBins);
  let totalConf = 0, totalHits = 0;
  for (let i = 0; i < n; i++) {
    const c = confidences[i];
    if (!(c >= 0 && c <= 1)) {
      throw new Error(`calibrationFromConfidences: confidence[${i}] = ${c} is not in [0, 1]`);
    }
    const b = binIndex(c, nBins);
    const hit = correct[i] ? 1 : 0;
    count[b]++;
    confSum[b] += c;
    hits[b] += hit;
    totalConf += c;
    totalHits += hit;
  }
  let ece = 0, mce = 0;
  const bins: ReliabilityBin[] = [];
  for (let b = 0; b < nBins; b++) {
    const bin: ReliabilityBin = {lower: b / nBins, upper: (b + 1) / nBins, count: count[b], confidence: null, accuracy: null, gap: null};
    if (count[b] > 0) {
      bin.confidence = confSum[b] / count[b];
      bin.accuracy = hits[b] / count[b];
      bin.gap = bin.accuracy - bin.confidence;
      ece += (count[b] / n) * Math.abs(bin.gap);
      mce = Math.max(mce, Math.abs(bin.gap));
    }
    bins.push(bin);
  }
  return {ece, mce, confidence: n ? totalConf / n : NaN, accuracy: n ? totalHits / n : NaN, count: n, bins};
}

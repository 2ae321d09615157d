/**
 * Float64 reference of every loss and gradient, written from
 * /work/shared/notes/loss-formulas.md independently of kernels/: plain JS
 * numbers, two passes per row (max, then sum), explicit target rows.
 * Data is row-major [rows, C] in plain arrays.
 *
 * Besides each value, the reference gives its condition magnitude (the
 * `…Magnitude` fields): the sum of the absolute values of the terms that are
 * added or subtracted to form it, in the shift-invariant form the formulas are
 * evaluated in (loss-formulas.md): z − lse = (z − m) − ls with m the row max of
 * z = x / T and ls = log s ≥ 0, s = Σ exp(z − m) ∈ [1, C]. A float evaluation
 * whose terms each carry a relative error δ is off by up to δ times this sum,
 * whatever their difference is: where terms cancel (p − ŷ at p ≈ ŷ, a loss of
 * exactly 0 at C = 1) the value says nothing about the error, the magnitude
 * does. Rules, shared by every loss here and in test/losses/focal_reference.ts:
 *  - a sum or difference a ± b has magnitude |a| + |b| (of the terms'
 *    magnitudes); a product, the product of its factors' magnitudes;
 *  - ls = log s counts as ls + 1: s ≥ 1 rounded to relative δ puts δ·1 into
 *    log s, however small ls is (a confident row, C = 1: ls ≈ 0);
 *  - inputs and what the kernels take exactly from the host count as exact:
 *    the logits and labels, ŷ and 1 − ŷ, 1 − ε, ε / C, 1 − p (the sum of the
 *    other classes' p), T, the options;
 *  - so lse − z_c = (m − z_c) + ls has magnitude (m − z_c) + ls + 1 and
 *    lse = m + ls has |m| + ls + 1.
 * The magnitude is never below |value|; where no terms cancel it equals |value|
 * up to the ls + 1 term. It is invariant under a common shift of a row's
 * logits (but for the z-loss, which is not).
 */

export interface RefSoftmaxOptions {
  temperature?: number;
  labelSmoothing?: number;
  classWeights?: number[] | null;
  zLoss?: number;
  ignoreIndex?: number | null;
}

export interface RefSoftmaxResult {
  loss: number[];
  lse: number[];
  /** d(Σ dy·L)/dlogits. */
  dlogits: (dy: ArrayLike<number>) => number[];
  /** d(Σ dy·L)/dlabels (dense only). */
  dlabels: (dy: ArrayLike<number>) => number[];
  /** Condition magnitudes (header) of `loss`: Σ_c w·ŷ·((m − z_c) + ls + 1) + λ·(|m| + ls + 1)². */
  lossMagnitude: number[];
  /** Of `dlogits(dy)`: |dy / T|·((W + 2λ·(|m| + ls + 1))·p_c + w_c·ŷ_c). */
  dlogitsMagnitude: (dy: ArrayLike<number>) => number[];
  /** Of `dlabels(dy)`: |dy|·(1 − ε)·w_c·((m − z_c) + ls + 1). */
  dlabelsMagnitude: (dy: ArrayLike<number>) => number[];
}

/** max_c z (finite or −∞; NaN if any z is NaN). */
function rowMax(z: number[]): number {
  let m = -Infinity;
  for (const v of z) {
    if (Number.isNaN(v)) return NaN;
    if (v > m) m = v;
  }
  return m;
}

/** Magnitude of lse − z_c = (m − z_c) + ls (header): 0 where z_c = −∞ has no target (the term is skipped). */
function lseMinusZMagnitude(m: number, ls: number, zc: number): number {
  return m - zc + ls + 1;
}

function logSumExp(z: number[]): number {
  let m = -Infinity;
  for (const v of z) {
    if (Number.isNaN(v)) return NaN;
    if (v > m) m = v;
  }
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (const v of z) s += Math.exp(v - m);
  return m + Math.log(s);
}

/**
 * Softmax cross-entropy with target rows `targets` ([rows, C], before
 * smoothing); `ignored[i]` marks rows that give 0; `invalid[i]` rows give NaN.
 */
function softmaxCE(x: ArrayLike<number>, targets: number[], rows: number, C: number, o: RefSoftmaxOptions,
                   ignored: boolean[], invalid: boolean[]): RefSoftmaxResult {
  const T = o.temperature ?? 1, eps = o.labelSmoothing ?? 0, lam = o.zLoss ?? 0;
  const w = (c: number) => (o.classWeights ? o.classWeights[c] : 1);
  const loss: number[] = [], lse: number[] = [];
  const z: number[][] = [], yh: number[][] = [];
  for (let i = 0; i < rows; i++) {
    const zi: number[] = [], yi: number[] = [];
    for (let c = 0; c < C; c++) {
      zi.push(x[i * C + c] / T);
      yi.push((1 - eps) * targets[i * C + c] + eps / C);
    }
    z.push(zi); yh.push(yi);
    const l = logSumExp(zi);
    lse.push(l);
    if (ignored[i]) { loss.push(0); continue; }
    if (invalid[i]) { loss.push(NaN); continue; }
    let L = 0;
    for (let c = 0; c < C; c++) {
      if (yi[c] !== 0) L += w(c) * yi[c] * (l - zi[c]);
    }
    loss.push(L + lam * l * l);
  }
  const dlogits = (dy: ArrayLike<number>) => {
    const out: number[] = [];
    for (let i = 0; i < rows; i++) {
      if (ignored[i]) { for (let c = 0; c < C; c++) out.push(0); continue; }
      let W = 0;
      for (let c = 0; c < C; c++) W += w(c) * yh[i][c];
      for (let c = 0; c < C; c++) {
        const p = Math.exp(z[i][c] - lse[i]);
        const g = (dy[i] / T) * ((W + 2 * lam * lse[i]) * p - w(c) * yh[i][c]);
        out.push(invalid[i] ? NaN : g);
      }
    }
    return out;
  };
  const dlabels = (dy: ArrayLike<number>) => {
    const out: number[] = [];
    for (let i = 0; i < rows; i++) {
      for (let c = 0; c < C; c++) out.push(dy[i] * (1 - eps) * w(c) * (lse[i] - z[i][c]));
    }
    return out;
  };
  // Condition magnitudes (header), from m = max z and ls = lse − m.
  const m = z.map(rowMax), ls = lse.map((l, i) => l - m[i]);
  const lseMag = (i: number) => Math.abs(m[i]) + ls[i] + 1;
  const lossMagnitude: number[] = [];
  for (let i = 0; i < rows; i++) {
    if (ignored[i]) { lossMagnitude.push(0); continue; }
    if (invalid[i]) { lossMagnitude.push(NaN); continue; }
    let M = 0;
    for (let c = 0; c < C; c++) {
      if (yh[i][c] !== 0) M += Math.abs(w(c) * yh[i][c]) * lseMinusZMagnitude(m[i], ls[i], z[i][c]);
    }
    lossMagnitude.push(M + lam * lseMag(i) ** 2);
  }
  const dlogitsMagnitude = (dy: ArrayLike<number>) => {
    const out: number[] = [];
    for (let i = 0; i < rows; i++) {
      if (ignored[i]) { for (let c = 0; c < C; c++) out.push(0); continue; }
      let W = 0;
      for (let c = 0; c < C; c++) W += Math.abs(w(c) * yh[i][c]);
      for (let c = 0; c < C; c++) {
        const p = Math.exp(z[i][c] - lse[i]);
        const g = Math.abs(dy[i] / T) * ((W + 2 * lam * lseMag(i)) * p + Math.abs(w(c) * yh[i][c]));
        out.push(invalid[i] ? NaN : g);
      }
    }
    return out;
  };
  const dlabelsMagnitude = (dy: ArrayLike<number>) => {
    const out: number[] = [];
    for (let i = 0; i < rows; i++) {
      for (let c = 0; c < C; c++) out.push(Math.abs(dy[i] * (1 - eps) * w(c)) * lseMinusZMagnitude(m[i], ls[i], z[i][c]));
    }
    return out;
  };
  return {loss, lse, dlogits, dlabels, lossMagnitude, dlogitsMagnitude, dlabelsMagnitude};
}

/** Dense labels ([rows, C] probability rows). */
export function refSoftmaxCrossEntropy(x: ArrayLike<number>, y: ArrayLike<number>, rows: number, C: number,
                                       o: RefSoftmaxOptions = {}): RefSoftmaxResult {
  const none = new Array<boolean>(rows).fill(false);
  return softmaxCE(x, Array.from(y), rows, C, o, none, none);
}

/** Sparse labels (class ids; out-of-range rows give NaN, ignoreIndex rows 0). */
export function refSparseSoftmaxCrossEntropy(x: ArrayLike<number>, t: ArrayLike<number>, rows: number, C: number,
                                             o: RefSoftmaxOptions = {}): RefSoftmaxResult {
  const targets = new Array<number>(rows * C).fill(0);
  const ignored: boolean[] = [], invalid: boolean[] = [];
  for (let i = 0; i < rows; i++) {
    const ig = o.ignoreIndex != null && t[i] === o.ignoreIndex;
    const ok = Number.isInteger(t[i]) && t[i] >= 0 && t[i] < C;
    ignored.push(ig);
    invalid.push(!ig && !ok);
    if (ok) targets[i * C + t[i]] = 1;
  }
  return softmaxCE(x, targets, rows, C, o, ignored, invalid);
}

export interface RefSigmoidOptions {
  labelSmoothing?: number;
  /** null, a scalar as [q], or one per class. */
  posWeight?: number[] | null;
}

function softplus(v: number): number {
  // log(1 + e^v) without overflow, and with log1p: log(1 + e) rounds 1 + e, so it
  // is 1.5e-3 off at e = e^−30 and 0 below e^−37.
  return v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v));
}

/** σ(v) = 1/(1 + e^−v) to float64's relative accuracy at every v (σ(−v) = 1 − σ(v) without the cancellation). */
function logistic(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

/** Sigmoid cross-entropy, elementwise over [rows, C]. */
export function refSigmoidCrossEntropy(x: ArrayLike<number>, z: ArrayLike<number>, C: number, o: RefSigmoidOptions = {}) {
  const eps = o.labelSmoothing ?? 0;
  const q = (i: number) => (o.posWeight == null ? 1 : o.posWeight.length === 1 ? o.posWeight[0] : o.posWeight[i % C]);
  const n = x.length;
  const zh = (i: number) => z[i] * (1 - eps) + eps / 2;
  const loss: number[] = [];
  for (let i = 0; i < n; i++) loss.push(q(i) * zh(i) * softplus(-x[i]) + (1 - zh(i)) * softplus(x[i]));
  const dlogits = (dy: ArrayLike<number>) => {
    const out: number[] = [];
    // σ(x)·(q·ẑ + 1 − ẑ) − q·ẑ = (1 − ẑ)·σ(x) − q·ẑ·σ(−x): no σ(x) − 1 to cancel (0 from x ≈ 37).
    for (let i = 0; i < n; i++) out.push(dy[i] * ((1 - zh(i)) * logistic(x[i]) - q(i) * zh(i) * logistic(-x[i])));
    return out;
  };
  const dlabels = (dy: ArrayLike<number>) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(dy[i] * (1 - eps) * (q(i) * softplus(-x[i]) - softplus(x[i])));
    return out;
  };
  // Condition magnitudes (header): the loss's two terms are ≥ 0 (its magnitude is itself); the
  // gradients subtract: σ·(q·ẑ + 1 − ẑ) − q·ẑ and q·softplus(−x) − softplus(x).
  const lossMagnitude = loss.map(Math.abs);
  const dlogitsMagnitude = (dy: ArrayLike<number>) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      out.push(Math.abs(dy[i]) * (logistic(x[i]) * (q(i) * zh(i) + 1 - zh(i)) + q(i) * zh(i)));
    }
    return out;
  };
  const dlabelsMagnitude = (dy: ArrayLike<number>) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(Math.abs(dy[i] * (1 - eps)) * (q(i) * softplus(-x[i]) + softplus(x[i])));
    return out;
  };
  return {loss, dlogits, dlabels, lossMagnitude, dlogitsMagnitude, dlabelsMagnitude};
}

/**
 * acc[(rowOffset + i)·P + j] + Σ_k A(i, k)·B(k, j) in float64 (a new array; acc is [R, P]), with
 * A = a ([M, K]) or aᵀ (a is [K, M]) and B = b ([K, P]) or bᵀ (b is [P, K]): the contract of the
 * MatMulAccumulate kernel (kernels/kernel_names.ts).
 */
export function refMatMulAccumulate(acc: ArrayLike<number>, a: ArrayLike<number>, b: ArrayLike<number>,
                                    M: number, K: number, P: number, transposeA = false, transposeB = false,
                                    rowOffset = 0): Float64Array {
  const out = Float64Array.from(acc);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < P; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[transposeA ? k * M + i : i * K + k] * b[transposeB ? j * K + k : k * P + j];
      out[(rowOffset + i) * P + j] += s;
    }
  }
  return out;
}

/**
 * lse = m/T + log s per row (float64) from a softmax kernel's saved second
 * output, (m, s) per row ([rows, 2], kernels/kernel_names.ts), to compare with
 * the reference's `lse`.
 */
export function lseFromSaved(saved: ArrayLike<number>, temperature = 1): number[] {
  const out: number[] = [];
  for (let i = 0; 2 * i < saved.length; i++) out.push(saved[2 * i] / temperature + Math.log(saved[2 * i + 1]));
  return out;
}

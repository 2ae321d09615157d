/**
 * Float64 reference of the focal losses (loss-formulas.md, "Focal loss"),
 * written from the definitions, independently of kernels/ and src/: plain JS
 * numbers, explicit smoothed target rows, 1 − p as the sum of the other
 * classes' probabilities (not expm1, as the kernels do), and finite
 * differences of these float64 losses to check the closed-form gradients.
 */

export interface RefFocalOptions {
  temperature?: number;
  labelSmoothing?: number;
  gamma?: number;
  /** Scalar or per class. */
  alpha?: number | number[];
  classWeights?: number[] | null;
  ignoreIndex?: number | null;
}

const defaultGamma = 2, defaultAlpha = 0.25;

/** Softmax focal loss per row, with `targets` the unsmoothed dense rows and `ignored` rows giving 0. */
export function refFocalLoss(x: ArrayLike<number>, targets: ArrayLike<number>, rows: number, C: number,
                             o: RefFocalOptions = {}, ignored: boolean[] = []): number[] {
  const T = o.temperature ?? 1, eps = o.labelSmoothing ?? 0, gamma = o.gamma ?? defaultGamma;
  const alpha = o.alpha ?? defaultAlpha;
  const a = (c: number) => (typeof alpha === 'number' ? alpha : alpha[c]) * (o.classWeights ? o.classWeights[c] : 1);
  const loss: number[] = [];
  for (let i = 0; i < rows; i++) {
    if (ignored[i]) { loss.push(0); continue; }
    const z = Array.from({length: C}, (_, c) => x[i * C + c] / T);
    const m = Math.max(...z);
    const e = z.map(v => Math.exp(v - m));
    const s = e.reduce((u, v) => u + v, 0);
    let L = 0;
    for (let c = 0; c < C; c++) {
      const yh = (1 - eps) * targets[i * C + c] + eps / C;
      if (yh === 0) continue;
      const logp = z[c] - m - Math.log(s);
      const oneMinusP = (s - e[c]) / s;
      L += a(c) * yh * Math.pow(oneMinusP, gamma) * -logp;
    }
    loss.push(L);
  }
  return loss;
}

/** Closed-form d(Σ_i dy[i]·L[i])/dlogits of the softmax focal loss (loss-formulas.md). */
export function refFocalGrad(x: ArrayLike<number>, targets: ArrayLike<number>, rows: number, C: number, dy: ArrayLike<number>,
                             o: RefFocalOptions = {}, ignored: boolean[] = []): number[] {
  const T = o.temperature ?? 1, eps = o.labelSmoothing ?? 0, gamma = o.gamma ?? defaultGamma;
  const alpha = o.alpha ?? defaultAlpha;
  const a = (c: number) => (typeof alpha === 'number' ? alpha : alpha[c]) * (o.classWeights ? o.classWeights[c] : 1);
  const out: number[] = [];
  for (let i = 0; i < rows; i++) {
    if (ignored[i]) { for (let c = 0; c < C; c++) out.push(0); continue; }
    const z = Array.from({length: C}, (_, c) => x[i * C + c] / T);
    const m = Math.max(...z);
    const e = z.map(v => Math.exp(v - m));
    const s = e.reduce((u, v) => u + v, 0);
    const f: number[] = [], B: number[] = [], p: number[] = [];
    for (let c = 0; c < C; c++) {
      const yh = (1 - eps) * targets[i * C + c] + eps / C;
      p.push(e[c] / s);
      const q = (s - e[c]) / s;
      const g = -(z[c] - m - Math.log(s));
      f.push(a(c) * yh * Math.pow(q, gamma));
      // p·log p → 0 where p = 0 (a masked logit under smoothing).
      B.push(yh === 0 || gamma === 0 || q === 0 || p[c] === 0 ? 0 : a(c) * yh * gamma * Math.pow(q, gamma - 1) * p[c] * g);
    }
    const A = f.reduce((u, v) => u + v, 0), Bs = B.reduce((u, v) => u + v, 0);
    for (let c = 0; c < C; c++) out.push(dy[i] / T * (p[c] * (A + Bs) - f[c] - B[c]));
  }
  return out;
}

/**
 * Condition magnitudes (test/reference/reference.ts, header) of refFocalLoss, refFocalGrad and the
 * labels gradient dy·(1 − ε)·α_c·(1 − p_c)^γ·g_c, per entry: with g_c = −log p_c = (m − z_c) + ls
 * counted as gm_c = (m − z_c) + ls + 1, f_c = α_c·ŷ_c·(1 − p_c)^γ (1 − p exact: the other classes'
 * sum), B̄_c = α_c·ŷ_c·γ·(1 − p_c)^(γ−1)·p_c·gm_c:
 *   loss Σ_c f_c·gm_c; d/dlogits |dy / T|·(p_k·(A + Σ_c B̄_c) + f_k + B̄_k) (the terms of
 *   p_k·(A + Bs) − f_k − B_k); d/dlabels |dy|·(1 − ε)·α_c·(1 − p_c)^γ·gm_c.
 */
export function refFocalMagnitudes(x: ArrayLike<number>, targets: ArrayLike<number>, rows: number, C: number, dy: ArrayLike<number>,
                                   o: RefFocalOptions = {}, ignored: boolean[] = []): {loss: number[], dlogits: number[], dlabels: number[]} {
  const T = o.temperature ?? 1, eps = o.labelSmoothing ?? 0, gamma = o.gamma ?? defaultGamma;
  const alpha = o.alpha ?? defaultAlpha;
  const a = (c: number) => (typeof alpha === 'number' ? alpha : alpha[c]) * (o.classWeights ? o.classWeights[c] : 1);
  const loss: number[] = [], dlogits: number[] = [], dlabels: number[] = [];
  for (let i = 0; i < rows; i++) {
    const z = Array.from({length: C}, (_, c) => x[i * C + c] / T);
    const m = Math.max(...z);
    const e = z.map(v => Math.exp(v - m));
    const s = e.reduce((u, v) => u + v, 0), ls = Math.log(s);
    const f: number[] = [], B: number[] = [], p: number[] = [], q: number[] = [], gm: number[] = [];
    for (let c = 0; c < C; c++) {
      const yh = (1 - eps) * targets[i * C + c] + eps / C;
      p.push(e[c] / s);
      q.push((s - e[c]) / s);
      gm.push(m - z[c] + ls + 1);
      f.push(yh === 0 ? 0 : Math.abs(a(c) * yh) * Math.pow(q[c], gamma));
      B.push(yh === 0 || gamma === 0 || q[c] === 0 || p[c] === 0 ? 0 : Math.abs(a(c) * yh) * gamma * Math.pow(q[c], gamma - 1) * p[c] * gm[c]);
    }
    const A = f.reduce((u, v) => u + v, 0), Bs = B.reduce((u, v) => u + v, 0);
    let L = 0;
    for (let c = 0; c < C; c++) if (f[c] !== 0) L += f[c] * gm[c];
    loss.push(ignored[i] ? 0 : L);
    for (let c = 0; c < C; c++) {
      dlogits.push(ignored[i] ? 0 : Math.abs(dy[i] / T) * (p[c] * (A + Bs) + f[c] + B[c]));
      dlabels.push(Math.abs(dy[i] * (1 - eps) * a(c)) * Math.pow(q[c], gamma) * gm[c]);
    }
  }
  return {loss, dlogits, dlabels};
}

/** Dense targets of sparse class ids (and the ignored mask). */
export function sparseToDense(t: ArrayLike<number>, C: number, ignoreIndex: number | null = null): {targets: number[], ignored: boolean[]} {
  const targets = new Array<number>(t.length * C).fill(0);
  const ignored: boolean[] = [];
  for (let i = 0; i < t.length; i++) {
    ignored.push(ignoreIndex != null && t[i] === ignoreIndex);
    if (!ignored[i]) targets[i * C + t[i]] = 1;
  }
  return {targets, ignored};
}

export interface RefBinaryFocalOptions {
  labelSmoothing?: number;
  gamma?: number;
  alpha?: number;
  applyClassBalancing?: boolean;
}

/** One element's binary focal terms (float64): ẑ, p = σ(x), q = σ(−x), bce, u = 1 − p_t, u^γ, b. */
interface BinaryFocalElement {zh: number; p: number; q: number; bce: number; u: number; uG: number; b: number}

function binaryFocalElement(x: number, z: number, o: RefBinaryFocalOptions): BinaryFocalElement {
  const eps = o.labelSmoothing ?? 0, gamma = o.gamma ?? defaultGamma, alpha = o.alpha ?? defaultAlpha;
  const zh = z * (1 - eps) + eps / 2;
  // log σ(x) and log(1 − σ(x)) without overflow, and without cancellation: log(1 − σ(x)) = log σ(x) − x
  // would lose every digit of log1p(e^x) (a 1e-3 relative error of bce at x = −26.7).
  const l1p = Math.log1p(Math.exp(-Math.abs(x)));
  const logP = x >= 0 ? -l1p : x - l1p;
  const log1mP = x >= 0 ? -x - l1p : -l1p;
  const p = Math.exp(logP), q = Math.exp(log1mP);
  const bce = -(zh * logP + (1 - zh) * log1mP);
  const u = zh * q + (1 - zh) * p;  // = 1 − p_t, exact form
  const b = o.applyClassBalancing ? alpha * zh + (1 - alpha) * (1 - zh) : 1;
  return {zh, p, q, bce, u, uG: Math.pow(u, gamma), b};
}

/** Binary focal loss, elementwise (Keras 3 with logits, before its mean over the last axis). */
export function refBinaryFocalLoss(x: ArrayLike<number>, z: ArrayLike<number>, o: RefBinaryFocalOptions = {}): number[] {
  return Array.from(x, (xi, i) => {
    const e = binaryFocalElement(xi, z[i], o);
    return e.uG * e.bce * e.b;
  });
}

/**
 * Both gradients of Σ_i dy[i]·refBinaryFocalLoss(x, z)[i], in closed form (float64). Finite
 * differences are no reference here: u = 1 − p_t moves linearly with z, and where u is as small
 * as the step (a confident correct prediction) u^γ's curvature breaks a central difference.
 * Product rule on L = b·u^γ·bce with ẑ = z·(1 − ε) + ε/2, p = σ(x), q = σ(−x):
 *   ∂u/∂ẑ = q − p, ∂bce/∂ẑ = −x, ∂b/∂ẑ = 2α − 1 (balancing) or 0;
 *   ∂u/∂x = (1 − 2ẑ)·p·q, ∂bce/∂x = p − ẑ.
 * u^(γ−1) is taken as u^γ / u, and the γ term is 0 when γ = 0 or u = 0 (its limit).
 * focal.test.ts checks it against finite differences where they are well conditioned.
 */
export function refBinaryFocalGrad(x: ArrayLike<number>, z: ArrayLike<number>, dy: ArrayLike<number>,
                                   o: RefBinaryFocalOptions = {}): {dx: number[], dz: number[]} {
  const eps = o.labelSmoothing ?? 0, gamma = o.gamma ?? defaultGamma, alpha = o.alpha ?? defaultAlpha;
  const db = o.applyClassBalancing ? 2 * alpha - 1 : 0;
  const dx: number[] = [], dz: number[] = [];
  for (let i = 0; i < x.length; i++) {
    const {zh, p, q, bce, u, uG, b} = binaryFocalElement(x[i], z[i], o);
    const gTerm = gamma === 0 || u === 0 ? 0 : gamma * uG / u;  // γ·u^(γ−1)
    dx.push(dy[i] * b * (gTerm * (1 - 2 * zh) * p * q * bce + uG * (p - zh)));
    dz.push(dy[i] * (1 - eps) * (db * uG * bce + b * gTerm * (q - p) * bce - b * uG * x[i]));
  }
  return {dx, dz};
}

/**
 * Condition magnitudes (test/reference/reference.ts, header) of refBinaryFocalLoss and
 * refBinaryFocalGrad: the loss b·u^γ·bce is a product of sums of terms ≥ 0 (its magnitude is
 * itself); the gradients' differences count as sums: (1 − 2ẑ) = (1 − ẑ) − ẑ as 1, p − ẑ as p + ẑ,
 * q − p as q + p = 1, and the three terms of d/dlabels apart.
 */
export function refBinaryFocalMagnitudes(x: ArrayLike<number>, z: ArrayLike<number>, dy: ArrayLike<number>,
                                         o: RefBinaryFocalOptions = {}): {loss: number[], dx: number[], dz: number[]} {
  const eps = o.labelSmoothing ?? 0, gamma = o.gamma ?? defaultGamma, alpha = o.alpha ?? defaultAlpha;
  const db = o.applyClassBalancing ? 2 * alpha - 1 : 0;
  const loss: number[] = [], dx: number[] = [], dz: number[] = [];
  for (let i = 0; i < x.length; i++) {
    const {zh, p, q, bce, u, uG, b} = binaryFocalElement(x[i], z[i], o);
    const gTerm = gamma === 0 || u === 0 ? 0 : gamma * uG / u;
    loss.push(Math.abs(uG * bce * b));
    dx.push(Math.abs(dy[i] * b) * (gTerm * p * q * bce + uG * (p + zh)));
    dz.push(Math.abs(dy[i] * (1 - eps)) * (Math.abs(db) * uG * bce + b * gTerm * (q + p) * bce + b * uG * Math.abs(x[i])));
  }
  return {loss, dx, dz};
}

/**
 * Central finite differences (float64) of Σ_i dy[i]·f(v)[i] with respect to
 * every entry of v: h scaled to each entry, error O(h²).
 */
export function numericGrad(f: (v: number[]) => number[], v: ArrayLike<number>, dy: ArrayLike<number>, h = 1e-5): number[] {
  const base = Array.from(v);
  const total = (w: number[]) => f(w).reduce((s, l, i) => s + dy[i] * l, 0);
  return base.map((vi, k) => {
    const step = h * Math.max(1, Math.abs(vi));
    const up = base.slice(), dn = base.slice();
    up[k] = vi + step;
    dn[k] = vi - step;
    return (total(up) - total(dn)) / (2 * step);
  });
}

/**
 * kernels/cpu/fast_exp.ts against Math.exp over its whole argument range:
 * relative error below 4.5e-10 (the bound is r³/6 = 4.13e-10 at |r| = ln2/512,
 * plus a few roundings) wherever the result is normal, exact special values,
 * subnormal results within one subnormal step, and never above 1 for x ≤ 0
 * (the kernels' p = exp(z − lse) stays a probability).
 */
import {fastExp} from '../../kernels/cpu/fast_exp';

const REL = 4.5e-10;
const MIN_SUBNORMAL = Math.pow(2, -1074);

/** Largest relative error over `xs` (absolute error where the result is subnormal, in units of 2^-1074). */
function worst(xs: Iterable<number>): {rel: number, at: number, subnormalSteps: number} {
  let rel = 0, at = NaN, subnormalSteps = 0;
  for (const x of xs) {
    const e = Math.exp(x), f = fastExp(x);
    if (e < 2.2250738585072014e-308) {
      subnormalSteps = Math.max(subnormalSteps, Math.abs(f - e) / MIN_SUBNORMAL);
      continue;
    }
    const r = Math.abs(f - e) / e;
    if (!(r <= rel)) {
      rel = r;
      at = x;
    }
  }
  return {rel, at, subnormalSteps};
}

function* grid(from: number, to: number, n: number): Generator<number> {
  for (let i = 0; i <= n; i++) {
    yield from + (to - from) * (i / n);
  }
}

function* seeded(from: number, to: number, n: number): Generator<number> {
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (s * 16807) % 2147483647;
    yield from + (to - from) * (s / 2147483647);
  }
}

test('relative error below 4.5e-10 on a fine grid of the whole range, −745.2 … 709.78', () => {
  const w = worst(grid(-745.2, 709.78, 2_000_000));
  expect(w.rel).toBeLessThan(REL);
  expect(w.subnormalSteps).toBeLessThanOrEqual(1);
});

test('the same on 1M seeded arguments in [−30, 0] (the kernels\' usual z − max, z − lse) and near 0', () => {
  expect(worst(seeded(-30, 0, 1_000_000)).rel).toBeLessThan(REL);
  expect(worst(seeded(-1e-3, 1e-3, 100_000)).rel).toBeLessThan(REL);
  expect(worst(seeded(-1e-12, 1e-12, 10_000)).rel).toBeLessThan(REL);
});

test('worst case of the reduction: arguments at the table midpoints, |r| = ln2/512, across the range', () => {
  const xs: number[] = [];
  for (let n = -261_000; n <= 261_000; n += 7) {
    const mid = (n + 0.5) * Math.LN2 / 256;
    xs.push(mid, mid * (1 - 1e-15), mid * (1 + 1e-15));
  }
  expect(worst(xs).rel).toBeLessThan(REL);
});

test('the fast path\'s edges (−708, 709) and the float32-relevant range are continuous with Math.exp', () => {
  for (const x of [-708, -708 - 1e-12, -708 + 1e-12, -707.9999, 709, 709 - 1e-12, 709 + 1e-12, 709.78, -87.3, -103.3, 88.7]) {
    const e = Math.exp(x);
    expect(Math.abs(fastExp(x) - e)).toBeLessThanOrEqual(REL * e);
  }
});

test('special values: NaN, ±Infinity, ±0, overflow and underflow as Math.exp', () => {
  expect(fastExp(NaN)).toBeNaN();
  expect(fastExp(-Infinity)).toBe(0);
  expect(fastExp(Infinity)).toBe(Infinity);
  expect(fastExp(0)).toBe(1);
  expect(fastExp(-0)).toBe(1);
  expect(fastExp(709.8)).toBe(Infinity);
  expect(fastExp(1000)).toBe(Infinity);
  expect(fastExp(-745.2)).toBe(0);
  expect(fastExp(-1e308)).toBe(0);
  expect(fastExp(-745)).toBe(Math.exp(-745));         // the smallest subnormal, 2^-1074
  expect(fastExp(-720)).toBe(Math.exp(-720));         // subnormal results come from Math.exp itself
});

test('never above 1 for x ≤ 0 and monotone over a dense grid near 0 (p = exp(z − lse) ≤ 1)', () => {
  const bad: number[] = [];
  let prev = 0;
  for (const x of grid(-0.05, 0, 200_000)) {
    const f = fastExp(x);
    if (!(f <= 1 && f >= prev)) bad.push(x);
    prev = f;
  }
  for (const x of seeded(-745, 0, 200_000)) {
    if (!(fastExp(x) <= 1)) bad.push(x);
  }
  expect(bad).toEqual([]);
});

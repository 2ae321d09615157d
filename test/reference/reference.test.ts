/**
 * The float64 reference's own gradients (test/reference/reference.ts) against
 * float64 central finite differences of its losses, as test/losses/focal.test.ts
 * does for the focal reference: the spec trusts these closed forms on every
 * backend, so they are checked here, property-based (@fast-check/jest), over
 * random shapes, options and logit scales. Pure float64: no tfjs.
 */
import {fc, test} from '@fast-check/jest';
import {numericGrad, refBinaryFocalGrad, refBinaryFocalLoss, refBinaryFocalMagnitudes, refFocalGrad, refFocalLoss,
        refFocalMagnitudes, sparseToDense} from '../losses/focal_reference';
import {refSigmoidCrossEntropy, refSoftmaxCrossEntropy, refSparseSoftmaxCrossEntropy} from './reference';

/**
 * Normwise relative closeness: max |a − e| ≤ rtol·max |e| + atol, atol the finite differences'
 * own rounding floor: the losses are sums of terms of size ~|z| = |x/T| that may cancel (L = lse − z
 * near 0), so central differences with step h = 1e-5 carry ~ε·Σ|dy|·(1 + max|z|)/h ≈ 1e-11·…
 * absolute error even where the gradient is 0 (sigmoid d/dlabels at x = 0, q = 1).
 */
function expectNormwiseClose(actual: number[], expected: number[], rtol: number, atol: number, what: string): void {
  const scale = Math.max(...expected.map(Math.abs));
  const err = Math.max(...actual.map((a, i) => Math.abs(a - expected[i])));
  if (!(err <= rtol * scale + atol)) {
    throw new Error(`${what}: error ${err.toExponential(2)} > ${rtol}·${scale.toExponential(2)} + ${atol.toExponential(2)}`);
  }
}

/**
 * The floor of numericGrad for Σ dy·L at logits x / T (with z-loss λ·lse²): its rounding (10× the
 * estimate above) plus its truncation, h²/6·|f'''| with f''' ~ T⁻³ in the logits (a gradient that
 * is exactly 0, e.g. all-equal logits at T = 0.1, shows only this floor).
 */
function fdFloor(x: ArrayLike<number>, dy: ArrayLike<number>, T = 1, zLoss = 0): number {
  const zMax = Math.max(...Array.from(x, v => Math.abs(v / T)));
  const dySum = Array.from(dy).reduce((s, v) => s + Math.abs(v), 0);
  return 1e-10 * dySum * (1 + zMax + zLoss * zMax * zMax) + 1e-10 / 6 * dySum * Math.max(1, 1 / T) ** 3;
}

// A fixed seed, as the op spec's properties (FUSED_CE_PROPERTY_SEED overrides it): a red run
// is reproducible and CI is not a lottery.
fc.configureGlobal({seed: Number(process.env.FUSED_CE_PROPERTY_SEED) || 1414});

/** Central differences in float64 with h = 1e-5·max(1, |v|): truncation ~1e-10, rounding ~1e-11 relative. */
const FD_RTOL = 1e-6;

/** Upstream gradients: |dy| in [0.1, 2] (a subnormal dy only tests the comparison's floor). */
const arbDy = (n: number) => fc.array(fc.tuple(fc.boolean(), fc.double({min: 0.1, max: 2, noNaN: true})).map(([neg, v]) => (neg ? -v : v)),
                                      {minLength: n, maxLength: n});
const arbShape = fc.record({rows: fc.integer({min: 1, max: 3}), C: fc.integer({min: 1, max: 6})});
const arbVec = (n: number, scale: number) => fc.array(fc.double({min: -scale, max: scale, noNaN: true}), {minLength: n, maxLength: n});
const arbOptions = fc.record({
  temperature: fc.option(fc.double({min: 0.1, max: 10, noNaN: true}), {nil: undefined}),
  labelSmoothing: fc.option(fc.double({min: 0, max: 0.9, noNaN: true}), {nil: undefined}),
  zLoss: fc.option(fc.double({min: 0, max: 0.1, noNaN: true}), {nil: undefined}),
  weighted: fc.boolean(),
});

/** Shape, logits, soft labels, class weights and dy for one softmax case. */
const arbSoftmaxCase = arbShape.chain(({rows, C}) => fc.record({
  rows: fc.constant(rows), C: fc.constant(C),
  x: arbVec(rows * C, 20),
  y: fc.array(fc.double({min: 0, max: 1, noNaN: true}), {minLength: rows * C, maxLength: rows * C}),
  w: fc.array(fc.double({min: 0.1, max: 3, noNaN: true}), {minLength: C, maxLength: C}),
  t: fc.array(fc.integer({min: 0, max: C - 1}), {minLength: rows, maxLength: rows}),
  dy: arbDy(rows),
  o: arbOptions,
}));

describe('float64 reference gradients vs finite differences', () => {
  test.prop([arbSoftmaxCase], {numRuns: 150})('softmax dense: d/dlogits and d/dlabels', c => {
    const o = {temperature: c.o.temperature, labelSmoothing: c.o.labelSmoothing, zLoss: c.o.zLoss, classWeights: c.o.weighted ? c.w : null};
    const ref = refSoftmaxCrossEntropy(c.x, c.y, c.rows, c.C, o);
    expectNormwiseClose(ref.dlogits(c.dy), numericGrad(v => refSoftmaxCrossEntropy(v, c.y, c.rows, c.C, o).loss, c.x, c.dy), FD_RTOL, fdFloor(c.x, c.dy, c.o.temperature, c.o.zLoss), 'd/dlogits');
    expectNormwiseClose(ref.dlabels(c.dy), numericGrad(v => refSoftmaxCrossEntropy(c.x, v, c.rows, c.C, o).loss, c.y, c.dy), FD_RTOL, fdFloor(c.x, c.dy, c.o.temperature, c.o.zLoss), 'd/dlabels');
  });

  test.prop([arbSoftmaxCase, fc.boolean()], {numRuns: 150})('sparse: d/dlogits (with ignoreIndex)', (c, ignoreFirst) => {
    const o = {temperature: c.o.temperature, labelSmoothing: c.o.labelSmoothing, zLoss: c.o.zLoss,
               classWeights: c.o.weighted ? c.w : null, ignoreIndex: ignoreFirst ? c.t[0] : null};
    const ref = refSparseSoftmaxCrossEntropy(c.x, c.t, c.rows, c.C, o);
    expectNormwiseClose(ref.dlogits(c.dy), numericGrad(v => refSparseSoftmaxCrossEntropy(v, c.t, c.rows, c.C, o).loss, c.x, c.dy),
                        FD_RTOL, fdFloor(c.x, c.dy, c.o.temperature, c.o.zLoss), 'd/dlogits');
  });

  test.prop([arbShape.chain(({rows, C}) => fc.record({
    C: fc.constant(C),
    x: arbVec(rows * C, 30),
    z: fc.array(fc.double({min: 0, max: 1, noNaN: true}), {minLength: rows * C, maxLength: rows * C}),
    q: fc.option(fc.oneof(fc.array(fc.double({min: 0.1, max: 5, noNaN: true}), {minLength: 1, maxLength: 1}),
                          fc.array(fc.double({min: 0.1, max: 5, noNaN: true}), {minLength: C, maxLength: C})), {nil: null}),
    labelSmoothing: fc.option(fc.double({min: 0, max: 0.9, noNaN: true}), {nil: undefined}),
    dy: arbDy(rows * C),
  }))], {numRuns: 150})('sigmoid: d/dlogits and d/dlabels (posWeight scalar or per class)', c => {
    const o = {labelSmoothing: c.labelSmoothing, posWeight: c.q};
    const ref = refSigmoidCrossEntropy(c.x, c.z, c.C, o);
    expectNormwiseClose(ref.dlogits(c.dy), numericGrad(v => refSigmoidCrossEntropy(v, c.z, c.C, o).loss, c.x, c.dy), FD_RTOL, fdFloor(c.x, c.dy), 'd/dlogits');
    expectNormwiseClose(ref.dlabels(c.dy), numericGrad(v => refSigmoidCrossEntropy(c.x, v, c.C, o).loss, c.z, c.dy), FD_RTOL, fdFloor(c.x, c.dy), 'd/dlabels');
  });
});

/** Every magnitude is at least |value| (float64 rounding aside): the bound it sets is never below the plain one. */
function expectCovers(magnitude: number[], value: number[], what: string): void {
  value.forEach((v, i) => {
    if (!(magnitude[i] >= Math.abs(v) * (1 - 1e-12))) throw new Error(`${what}[${i}]: magnitude ${magnitude[i]} < |${v}|`);
  });
}

/** Equal to 1e-9 relative (of the larger). */
function expectSame(a: number[], b: number[], what: string): void {
  a.forEach((v, i) => {
    if (!(Math.abs(v - b[i]) <= 1e-9 * Math.max(Math.abs(v), Math.abs(b[i])))) throw new Error(`${what}[${i}]: ${v} vs ${b[i]}`);
  });
}

describe('condition magnitudes (the spec\'s error scale where terms cancel)', () => {
  test('hand-worked values: C = 1, an even one-hot row, sigmoid at x = 0', () => {
    // C = 1: lse = z, the loss and labels gradient are exactly 0; the magnitude is ls + 1 = 1 per unit weight.
    const one = refSoftmaxCrossEntropy([3.5], [1], 1, 1);
    expect(one.loss).toEqual([0]);
    expect(one.lossMagnitude).toEqual([1]);
    expect(one.dlabelsMagnitude([-2])).toEqual([2]);
    // logits [0, 0], target 1: dlogits = dy·[0.5, −0.5]; terms p = 0.5 and ŷ = (0, 1): magnitudes |dy|·[0.5, 1.5].
    const even = refSoftmaxCrossEntropy([0, 0], [0, 1], 1, 2, {temperature: 2});
    expect(even.dlogits([4])).toEqual([1, -1]);
    expect(even.dlogitsMagnitude([4])).toEqual([1, 3]);
    // Loss log 2: terms (m − z) = 0 and ls = log 2, plus 1 for ls's rounding.
    expect(even.lossMagnitude[0]).toBeCloseTo(Math.log(2) + 1, 14);
    // Sigmoid at x = 0, z = 0.5, q = 1: both gradients are exactly 0; their terms are 0.5 + 0.5 and 2·log 2.
    const sig = refSigmoidCrossEntropy([0], [0.5], 1);
    expect(sig.dlogits([1])).toEqual([0]);
    expect(sig.dlogitsMagnitude([1])).toEqual([1]);
    expect(sig.dlabels([1])[0]).toBe(0);
    expect(sig.dlabelsMagnitude([-1])[0]).toBeCloseTo(2 * Math.log(2), 14);
  });

  test.prop([arbSoftmaxCase, fc.double({min: -50, max: 50, noNaN: true})], {numRuns: 100})(
      'softmax dense and sparse: cover |value|; loss = value + W·1 without z-loss; invariant under a common shift of the logits',
      (c, shift) => {
        const o = {temperature: c.o.temperature, labelSmoothing: c.o.labelSmoothing, classWeights: c.o.weighted ? c.w : null};
        const T = c.o.temperature ?? 1;
        const shifted = c.x.map(v => v + shift * T);
        for (const [ref, ref2, what] of [
          [refSoftmaxCrossEntropy(c.x, c.y, c.rows, c.C, o), refSoftmaxCrossEntropy(shifted, c.y, c.rows, c.C, o), 'dense'],
          [refSparseSoftmaxCrossEntropy(c.x, c.t, c.rows, c.C, o), refSparseSoftmaxCrossEntropy(shifted, c.t, c.rows, c.C, o), 'sparse'],
        ] as const) {
          expectCovers(ref.lossMagnitude, ref.loss, `${what} loss`);
          expectCovers(ref.dlogitsMagnitude(c.dy), ref.dlogits(c.dy), `${what} d/dlogits`);
          expectSame(ref.lossMagnitude, ref2.lossMagnitude, `${what} loss magnitude, shifted`);
          expectSame(ref.dlogitsMagnitude(c.dy), ref2.dlogitsMagnitude(c.dy), `${what} d/dlogits magnitude, shifted`);
        }
        const dense = refSoftmaxCrossEntropy(c.x, c.y, c.rows, c.C, o);
        expectCovers(dense.dlabelsMagnitude(c.dy), dense.dlabels(c.dy), 'dense d/dlabels');
        expectSame(dense.dlabelsMagnitude(c.dy), refSoftmaxCrossEntropy(shifted, c.y, c.rows, c.C, o).dlabelsMagnitude(c.dy), 'dense d/dlabels magnitude, shifted');
        // The loss's terms are ≥ 0: its magnitude is itself plus W (ls's rounding, 1 per unit of ŷ·w).
        const eps = c.o.labelSmoothing ?? 0;
        const W = Array.from({length: c.rows}, (_, i) => c.y.slice(i * c.C, (i + 1) * c.C)
            .reduce((s, y, k) => s + (o.classWeights ? o.classWeights[k] : 1) * ((1 - eps) * y + eps / c.C), 0));
        expectSame(dense.lossMagnitude, dense.loss.map((l, i) => l + W[i]), 'dense loss magnitude = loss + W');
        // With z-loss: still at least the value.
        const z = refSoftmaxCrossEntropy(c.x, c.y, c.rows, c.C, {...o, zLoss: c.o.zLoss ?? 0.05});
        expectCovers(z.lossMagnitude, z.loss, 'z-loss loss');
        expectCovers(z.dlogitsMagnitude(c.dy), z.dlogits(c.dy), 'z-loss d/dlogits');
      });

  test.prop([arbSoftmaxCase, fc.double({min: 0, max: 4, noNaN: true}), fc.double({min: -50, max: 50, noNaN: true})], {numRuns: 100})(
      'softmax focal: cover |value|; invariant under a common shift of the logits', (c, gamma, shift) => {
        const o = {temperature: c.o.temperature, labelSmoothing: c.o.labelSmoothing, gamma, classWeights: c.o.weighted ? c.w : null};
        const T = c.o.temperature ?? 1;
        const {targets, ignored} = sparseToDense(c.t, c.C);
        const mag = refFocalMagnitudes(c.x, targets, c.rows, c.C, c.dy, o, ignored);
        expectCovers(mag.loss, refFocalLoss(c.x, targets, c.rows, c.C, o, ignored), 'focal loss');
        expectCovers(mag.dlogits, refFocalGrad(c.x, targets, c.rows, c.C, c.dy, o, ignored), 'focal d/dlogits');
        const magS = refFocalMagnitudes(c.x.map(v => v + shift * T), targets, c.rows, c.C, c.dy, o, ignored);
        expectSame(mag.loss, magS.loss, 'focal loss magnitude, shifted');
        expectSame(mag.dlogits, magS.dlogits, 'focal d/dlogits magnitude, shifted');
        expectSame(mag.dlabels, magS.dlabels, 'focal d/dlabels magnitude, shifted');
      });

  test.prop([fc.array(fc.tuple(fc.double({min: -30, max: 30, noNaN: true}), fc.double({min: 0, max: 1, noNaN: true}),
                               fc.double({min: 0.1, max: 2, noNaN: true})), {minLength: 1, maxLength: 12}),
             fc.option(fc.double({min: 0, max: 0.9, noNaN: true}), {nil: undefined}), fc.double({min: 0, max: 4, noNaN: true}),
             fc.double({min: 0.01, max: 1, noNaN: true}), fc.boolean(), fc.double({min: 0.1, max: 5, noNaN: true})], {numRuns: 100})(
      'sigmoid and binary focal: cover |value|; the losses (no cancelling terms) are their own magnitude', (e, labelSmoothing, gamma, alpha, applyClassBalancing, q) => {
        const x = e.map(v => v[0]), z = e.map(v => v[1]), dy = e.map(v => v[2]);
        const sig = refSigmoidCrossEntropy(x, z, 1, {labelSmoothing, posWeight: [q]});
        expect(sig.lossMagnitude).toEqual(sig.loss);
        expectCovers(sig.dlogitsMagnitude(dy), sig.dlogits(dy), 'sigmoid d/dlogits');
        expectCovers(sig.dlabelsMagnitude(dy), sig.dlabels(dy), 'sigmoid d/dlabels');
        const o = {labelSmoothing, gamma, alpha, applyClassBalancing};
        const mag = refBinaryFocalMagnitudes(x, z, dy, o), g = refBinaryFocalGrad(x, z, dy, o);
        expect(mag.loss).toEqual(refBinaryFocalLoss(x, z, o));
        expectCovers(mag.dx, g.dx, 'binary focal d/dlogits');
        expectCovers(mag.dz, g.dz, 'binary focal d/dlabels');
      });
});

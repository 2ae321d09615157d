/**
 * Host side of the softmax kernels' reduction (kernel_names.ts,
 * `SoftmaxCrossEntropyAttrs.reduction` / `scale`; FORMULAS.md, "Fused
 * reductions") for the backends that reach their data from JavaScript (cpu,
 * wasm): the forward's per-row loss summed in float64 and scaled, and the
 * backward's dy made one value per row. The GPU backends broadcast dy in their
 * shaders and sum on the device.
 */
import type {SoftmaxCrossEntropyAttrs, SoftmaxReduction} from './kernel_names';

type ReductionAttrs = Pick<SoftmaxCrossEntropyAttrs, 'reduction' | 'scale'>;

/** The attributes with their defaults, checking the reduction's name. */
export function rowReduction(attrs: ReductionAttrs, kernel: string): {reduction: SoftmaxReduction, scale: number} {
  const reduction = attrs.reduction ?? 'none';
  if (reduction !== 'none' && reduction !== 'all') {
    throw new Error(`${kernel}: unknown reduction '${String(reduction)}'`);
  }
  return {reduction, scale: attrs.scale ?? 1};
}

/** Whether the kernels' outputs and dy are the plain per-row ones (no pass needed). */
export function isUnreduced(attrs: ReductionAttrs): boolean {
  return (attrs.reduction ?? 'none') === 'none' && (attrs.scale ?? 1) === 1;
}

/** Throws unless dy has the size the reduction fixes: `rows`, or one element for 'all'. */
export function checkRowDy(dySize: number, rows: number, attrs: ReductionAttrs, kernel: string): void {
  const {reduction} = rowReduction(attrs, kernel);
  const expected = reduction === 'all' ? 1 : rows;
  if (dySize !== expected) {
    throw new Error(`${kernel}: dy has ${dySize} elements, expected ${expected} for reduction '${reduction}' of ${rows} rows`);
  }
}

/** `scale·dy_b[i]` for every row i into `out` (length `rows`). */
export function fillRowDy(dy: ArrayLike<number>, attrs: ReductionAttrs, out: Float32Array): void {
  const scale = attrs.scale ?? 1;
  if ((attrs.reduction ?? 'none') === 'all') {
    out.fill(scale * dy[0]);
  } else {
    for (let i = 0; i < out.length; i++) {
      out[i] = scale * dy[i];
    }
  }
}

/** The per-row dy the kernels' loops read: dy itself, or `scale·dy_b` (checked first). */
export function rowDy(dy: ArrayLike<number>, rows: number, attrs: ReductionAttrs, kernel: string): ArrayLike<number> {
  checkRowDy(dy.length, rows, attrs, kernel);
  if (isUnreduced(attrs)) {
    return dy;
  }
  const out = new Float32Array(rows);
  fillRowDy(dy, attrs, out);
  return out;
}

/**
 * The forward's loss output from the per-row losses: `scale·L` ([rows]) or
 * `scale·Σ L` in float64 ([]); a sum of no rows is 0 (times scale).
 */
export function reduceRowLoss(loss: ArrayLike<number>, attrs: ReductionAttrs, kernel: string):
    {shape: number[], values: Float32Array} {
  const {reduction, scale} = rowReduction(attrs, kernel);
  if (reduction === 'all') {
    let s = 0;
    for (let i = 0; i < loss.length; i++) {
      s += loss[i];
    }
    return {shape: [], values: Float32Array.of(scale * s)};
  }
  const values = Float32Array.from(loss);
  if (scale !== 1) {
    for (let i = 0; i < values.length; i++) {
      values[i] *= scale;
    }
  }
  return {shape: [loss.length], values};
}

/**
 * Dense labels that are one-hot, read as class ids: the scan that lets a host
 * backend run the sparse kernels for them (kernels/FORMULAS.md, "One-hot
 * dense labels"). Reads only the labels; writes only `ids`.
 */

/** A lane's bits with the sign cleared: 0 for +0 and −0. */
const ABS: u32 = 0x7fffffff;
/** The bits of 1.0f. */
const ONE: u32 = 0x3f800000;

/**
 * Whether one entry's bits keep a one-hot row one-hot: −1 = not one-hot, 0 = a
 * zero (±0), 1 = a 1.
 */
// @ts-ignore: decorator
@inline
function entryKind(bits: u32): i32 {
  if ((bits & ABS) == 0) return 0;
  return bits == ONE ? 1 : -1;
}

/**
 * y: [rows, C] f32 labels. If every row is one-hot (one entry exactly 1, every
 * other ±0) writes each row's class id to ids [rows] i32 and returns 1;
 * otherwise returns 0 at the first row that is not (ids then partly written).
 * A NaN, a value other than 0 and 1, a −1, two 1s or none: not one-hot.
 * Sixteen lanes per step: a one-hot row is almost all zeros, and a step
 * whose lanes are all ±0 costs four loads, three ors, an and and a test.
 */
export function oneHotClassIds(y: usize, rows: i32, C: i32, ids: usize): i32 {
  const rowBytes = <usize>C << 2;
  const abs = i32x4.splat(ABS);
  for (let i = 0; i < rows; i++) {
    const yr = y + <usize>i * rowBytes;
    let hot = -1;
    let c = 0;
    for (; c + 16 <= C; c += 16) {
      const p = yr + (<usize>c << 2);
      const any = v128.or(v128.or(v128.load(p), v128.load(p, 16)), v128.or(v128.load(p, 32), v128.load(p, 48)));
      if (!v128.any_true(v128.and(any, abs))) continue;
      for (let k = 0; k < 16; k++) {
        const kind = entryKind(load<u32>(p + (<usize>k << 2)));
        if (kind == 0) continue;
        if (kind < 0 || hot >= 0) return 0;
        hot = c + k;
      }
    }
    for (; c < C; c++) {
      const kind = entryKind(load<u32>(yr + (<usize>c << 2)));
      if (kind == 0) continue;
      if (kind < 0 || hot >= 0) return 0;
      hot = c;
    }
    if (hot < 0) return 0;
    store<i32>(ids + (<usize>i << 2), hot);
  }
  return 1;
}

/**
 * The SIMD module's softmax forwards (denseForward, sparseForward) read the
 * next row's max inside the current row's exp loop and leave it in the next
 * row's m slot (assembly/softmax_cross_entropy.ts, forwardRowStats). The
 * contract: the same bits as a row on its own, where the row's max comes from
 * rowMax. So every call over all rows must give bitwise the loss and (m, s) of
 * one call per row, whatever the row lengths (the 32-, 16- and 4-float blocks
 * and the tail) and whatever the neighbours: rows of +∞, all −∞, NaN entries,
 * ±0, and ordinary rows at different scales, in every order.
 */
import {instantiateSimd, SimdExports} from '../../../kernels/simd/simd_module';
import {randLabels, randn, randProbs, rng} from '../../spec/assert';

/** Row kinds the max pass treats apart, then ordinary ones. */
function fillRow(kind: number, row: Float32Array, seed: number): void {
  const r = rng(seed);
  const C = row.length;
  for (let c = 0; c < C; c++) row[c] = 4 * (r() - 0.5) + (kind === 5 ? 1e4 : kind === 6 ? -3e3 : 0);
  const at = Math.floor(r() * C);
  if (kind === 0) row[at] = Infinity;
  if (kind === 1) row.fill(-Infinity);
  if (kind === 2) row[at] = NaN;
  if (kind === 3) row.fill(0).fill(-0, 0, Math.ceil(C / 2));
  if (kind === 4) row[C - 1] = 50;  // the max in the tail
}

const CS = [1, 3, 4, 15, 16, 17, 31, 32, 33, 47, 100, 1000];
const KINDS = 7;

describe('SIMD softmax forwards: all rows at once give bitwise one call per row', () => {
  const memory = new WebAssembly.Memory({initial: 64});
  const k: SimdExports = instantiateSimd(memory);

  test.each(CS)('C = %i, every row kind before and after every other', C => {
    // Pairs (a, b) of kinds in both orders, plus a final ordinary row: 2·KINDS² + 1 rows.
    const kinds: number[] = [];
    for (let a = 0; a < KINDS; a++) for (let b = 0; b < KINDS; b++) kinds.push(a, b);
    kinds.push(7);
    const rows = kinds.length, n = rows * C;
    const x = new Float32Array(n);
    kinds.forEach((kind, i) => fillRow(kind, x.subarray(i * C, (i + 1) * C), 1000 * C + i));
    const y = randProbs(rows, C, C + 1), t = randLabels(rows, C, C + 2);
    const X = 64, Y = X + 4 * n, T = Y + 4 * n, W = T + 4 * rows, LOSS = W + 4 * C, STATS = LOSS + 4 * rows,
          RLOSS = STATS + 8 * rows, RSTATS = RLOSS + 4 * rows, END = RSTATS + 8 * rows;
    expect(END).toBeLessThan(memory.buffer.byteLength);
    const f32 = (at: number, count: number) => new Float32Array(memory.buffer, at, count);
    f32(X, n).set(x);
    f32(Y, n).set(y);
    new Int32Array(memory.buffer, T, rows).set(t);
    f32(W, C).set(randn(C, C + 3, 0.5).map(v => 1 + Math.abs(v)));
    const bytes = (at: number, count: number) => Buffer.from(new Uint8Array(memory.buffer, at, count));
    const calls: Array<[string, (x: number, y: number, t: number, rows: number, loss: number, stats: number) => void]> = [
      ['dense', (xp, yp, _t, r, loss, stats) => k.denseForward(xp, yp, r, C, 1 / 0.7, 0.9, 0.1 / C, W, 1e-3, loss, stats)],
      ['sparse', (xp, _y, tp, r, loss, stats) => k.sparseForward(xp, tp, r, C, 1 / 1.3, 0.1, W, C, 1e-3, 0, 0, loss, stats)],
    ];
    for (const [what, run] of calls) {
      new Uint8Array(memory.buffer, LOSS, END - LOSS).fill(0xa5);
      run(X, Y, T, rows, LOSS, STATS);
      for (let i = 0; i < rows; i++) run(X + 4 * i * C, Y + 4 * i * C, T + 4 * i, 1, RLOSS + 4 * i, RSTATS + 8 * i);
      expect({what, loss: bytes(LOSS, 4 * rows).equals(bytes(RLOSS, 4 * rows))}).toEqual({what, loss: true});
      expect({what, stats: bytes(STATS, 8 * rows).equals(bytes(RSTATS, 8 * rows))}).toEqual({what, stats: true});
      // The kinds did what they are for: a NaN s for +∞ rows, s = 0 for all −∞ rows, finite losses elsewhere.
      const stats = f32(STATS, 2 * rows), loss = f32(LOSS, rows);
      kinds.forEach((kind, i) => {
        if (kind === 0) expect(Number.isNaN(stats[2 * i + 1])).toBe(true);
        if (kind === 1) expect(stats[2 * i + 1]).toBe(0);
        if (kind >= 3) expect(Number.isFinite(loss[i])).toBe(true);
      });
    }
  });
});

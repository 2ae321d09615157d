/**
 * The parts of the threads experiment (wasm_threads.ts) that run both in Node
 * and in the Chromium page (wasm_threads_page.ts): the arrays' layout in a
 * memory, the row-split kernel calls, the control block and the worker loop.
 * No Node or DOM APIs here. runRows and workerLoop are also sent to the
 * workers as source (Function.prototype.toString): they use nothing from
 * outside but their arguments and the OP table the worker defines.
 */
import type {SimdExports} from '../kernels/simd/simd_module';

/** The job ops: 0 = nothing (measures the dispatch alone), 1–4 the kernels. */
export const OP = {none: 0, denseForward: 1, denseGrad: 2, sparseForward: 3, sparseGrad: 4} as const;

/** Control block (an Int32Array over a SharedArrayBuffer): indices. */
export const CTL = {gen: 0, done: 1, op: 2, layout: 3, quit: 4} as const;

/** Byte offsets of one problem's arrays in a memory (16-byte aligned). */
export interface Layout {
  rows: number;
  C: number;
  x: number;
  y: number;
  t: number;
  dy: number;
  loss: number;
  stats: number;
  grad: number;
  end: number;
}

/** The arrays of a [rows, C] problem, from byte offset `base` (16-byte aligned, not 0: 0 means "none"). */
export function layout(rows: number, C: number, base = 16): Layout {
  let top = base;
  const take = (bytes: number) => {
    const p = top;
    top = (top + bytes + 15) & ~15;
    return p;
  };
  const x = take(4 * rows * C), y = take(4 * rows * C), t = take(4 * rows), dy = take(4 * rows);
  const loss = take(4 * rows), stats = take(8 * rows), grad = take(4 * rows * C);
  return {rows, C, x, y, t, dy, loss, stats, grad, end: top};
}

/** A deterministic generator in [0, 1) (a page cannot import tools/random's, which is fine: any fill does). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** Fills the inputs: logits uniform in [−6, 6), soft labels with one 0.9 entry per row, integer labels, dy = 1/rows. */
export function fill(buffer: ArrayBufferLike, L: Layout): void {
  const r = lcg(16);
  const f32 = new Float32Array(buffer), i32 = new Int32Array(buffer);
  for (let i = 0; i < L.rows * L.C; i++) f32[L.x / 4 + i] = 12 * r() - 6;
  for (let i = 0; i < L.rows; i++) {
    const target = Math.floor(r() * L.C);
    i32[L.t / 4 + i] = target;
    f32[L.dy / 4 + i] = 1 / L.rows;
    f32.fill(0.1 / (L.C - 1), L.y / 4 + i * L.C, L.y / 4 + (i + 1) * L.C);
    f32[L.y / 4 + i * L.C + target] = 0.9;
  }
}

/** Runs op on rows [r0, r1) of L (the same on the main thread and in the workers). */
export function runRows(k: SimdExports, op: number, L: Layout, r0: number, r1: number): void {
  const n = r1 - r0, rowBytes = 4 * L.C;
  if (n <= 0 || op === 0) return;
  const x = L.x + r0 * rowBytes, y = L.y + r0 * rowBytes, t = L.t + 4 * r0, dy = L.dy + 4 * r0;
  const loss = L.loss + 4 * r0, stats = L.stats + 8 * r0, grad = L.grad + r0 * rowBytes;
  if (op === 1) k.denseForward(x, y, n, L.C, 1, 1, 0, 0, 0, loss, stats);
  else if (op === 2) k.denseGrad(x, y, stats, dy, n, L.C, 1, 1, 0, 0, 0, grad);
  else if (op === 3) k.sparseForward(x, t, n, L.C, 1, 0, 0, L.C, 0, 0, 0, loss, stats);
  else if (op === 4) k.sparseGrad(x, t, stats, dy, n, L.C, 1, 0, 0, L.C, 0, 0, 0, grad);
}

/**
 * A worker's loop: wait for a new generation (Atomics.wait: workers may block), run its rows of
 * the job, count itself done and wake the main thread; until quit. `run` is runRows.
 */
export function workerLoop(k: SimdExports, ctl: Int32Array, id: number, n: number, layouts: Layout[],
                           run: typeof runRows): void {
  let gen = Atomics.load(ctl, 0);
  for (;;) {
    Atomics.wait(ctl, 0, gen);
    gen = Atomics.load(ctl, 0);
    if (Atomics.load(ctl, 4) === 1) return;
    const L = layouts[Atomics.load(ctl, 3)];
    run(k, Atomics.load(ctl, 2), L, Math.floor(L.rows * id / n), Math.floor(L.rows * (id + 1) / n));
    Atomics.add(ctl, 1, 1);
    Atomics.notify(ctl, 1);
  }
}

/**
 * One dispatch from the main thread (id 0) to `others` workers: post the job, wake them, run its
 * own rows, then wait for them: Atomics.wait, or spinning on Atomics.load where the main thread
 * may not block (a browser's).
 */
export function dispatch(k: SimdExports, ctl: Int32Array, n: number, layouts: Layout[], op: number, li: number,
                         spin: boolean): void {
  const others = n - 1;
  Atomics.store(ctl, CTL.op, op);
  Atomics.store(ctl, CTL.layout, li);
  Atomics.store(ctl, CTL.done, 0);
  Atomics.add(ctl, CTL.gen, 1);
  Atomics.notify(ctl, CTL.gen);
  const L = layouts[li];
  runRows(k, op, L, 0, Math.floor(L.rows / n));
  if (spin) {
    while (Atomics.load(ctl, CTL.done) < others) { /* spin */ }
  } else {
    for (let d = Atomics.load(ctl, CTL.done); d < others; d = Atomics.load(ctl, CTL.done)) Atomics.wait(ctl, CTL.done, d);
  }
}

/** Tells the workers to leave their loop. */
export function quit(ctl: Int32Array): void {
  Atomics.store(ctl, CTL.quit, 1);
  Atomics.add(ctl, CTL.gen, 1);
  Atomics.notify(ctl, CTL.gen);
}

export function median(a: number[]): number {
  const s = [...a].sort((p, q) => p - q);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** One timed variant of a shape: a name, its thread count and one fwd+bwd step. */
export interface Variant {
  name: string;
  threads: number;
  step: () => void;
}

/** Per-variant timings of interleaved repetitions (each repetition runs every variant once, rotating the order). */
export function timeInterleaved(variants: Variant[], reps: number, cpuMs?: () => number): {wall: number[][], cpu: number[][]} {
  const wall = variants.map(() => [] as number[]), cpu = variants.map(() => [] as number[]);
  for (let w = 0; w < 2; w++) variants.forEach(v => v.step());
  for (let r = 0; r < reps; r++) {
    for (let j = 0; j < variants.length; j++) {
      const i = (r + j) % variants.length;
      const c0 = cpuMs?.() ?? 0, t0 = performance.now();
      variants[i].step();
      const t1 = performance.now(), c1 = cpuMs?.() ?? 0;
      wall[i].push(t1 - t0);
      cpu[i].push(c1 - c0);
    }
  }
  return {wall, cpu};
}

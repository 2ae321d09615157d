/**
 * kernels/simd/shared_memory_variant.ts (withSharedMemoryImport) and the
 * variant choice of kernels/simd/simd_module.ts, in Node:
 *  - the rewritten SIMD module validates, imports a shared env.memory with the
 *    original minimum and maximum 65536 pages, keeps every export, and differs
 *    from the original in the import section only;
 *  - it instantiates over a shared WebAssembly.Memory (as tfjs-wasm's
 *    threaded build's heap is) where the original cannot, and the reverse over
 *    a plain memory;
 *  - the softmax (dense and sparse, forward and backward) and sigmoid kernels
 *    give bitwise the same bytes over the shared memory as the original over a
 *    plain one, from the same inputs at the same offsets;
 *  - instantiateSimd picks the variant by the memory, each compiled once;
 *  - the rewriter refuses, saying why, modules without exactly the env.memory
 *    import.
 */
import {withSharedMemoryImport} from '../../../kernels/simd/shared_memory_variant';
import {instantiateSimd, isSharedMemory, SimdExports, simdModule, simdWasmBytes} from '../../../kernels/simd/simd_module';
import {randLabels, randn, randProbs} from '../../spec/assert';

const ORIGINAL = simdWasmBytes();

/** A module's sections as [id, content bytes]. */
function sections(bytes: Uint8Array): Array<[number, Uint8Array]> {
  const out: Array<[number, Uint8Array]> = [];
  let pos = 8;
  const u32 = () => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[pos++];
      v += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return v;
    }
  };
  while (pos < bytes.length) {
    const id = bytes[pos++];
    const size = u32();
    out.push([id, bytes.subarray(pos, pos + size)]);
    pos += size;
  }
  return out;
}

/** A module from its sections (sizes below 128 bytes). */
function moduleOf(...parts: Array<[number, number[]]>): Uint8Array<ArrayBuffer> {
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  for (const [id, content] of parts) out.push(id, content.length, ...content);
  return new Uint8Array(out);
}
const ascii = (s: string) => [s.length, ...Buffer.from(s)];
/** A type section with one () → () function type. */
const TYPES: [number, number[]] = [1, [1, 0x60, 0, 0]];
/** An import section of the given imports (module, field, kind and description bytes). */
const imports = (...list: number[][]): [number, number[]] => [2, [list.length, ...list.flat()]];
const memoryImport = (module: string, field: string, limits: number[]) => [...ascii(module), ...ascii(field), 2, ...limits];
const functionImport = (module: string, field: string) => [...ascii(module), ...ascii(field), 0, 0];

const sharedMemory = () => new WebAssembly.Memory({initial: 1, maximum: 65536, shared: true} as WebAssembly.MemoryDescriptor);

describe('withSharedMemoryImport on the SIMD module', () => {
  const rewritten = withSharedMemoryImport(ORIGINAL);

  test('validates; env.memory becomes shared (flags 0x03, the same minimum, maximum 65536); nothing else changes', () => {
    expect(WebAssembly.validate(rewritten)).toBe(true);
    const before = sections(ORIGINAL), after = sections(rewritten);
    expect(after.map(([id]) => id)).toEqual(before.map(([id]) => id));
    for (let i = 0; i < before.length; i++) {
      if (before[i][0] !== 2) expect(Buffer.from(after[i][1]).equals(Buffer.from(before[i][1]))).toBe(true);
    }
    // The build's module: one import, env.memory, no maximum, minimum 0 pages.
    const imp = before.find(([id]) => id === 2)![1];
    expect(Array.from(imp)).toEqual([1, ...ascii('env'), ...ascii('memory'), 2, 0x00, 0x00]);
    expect(Array.from(after.find(([id]) => id === 2)![1]))
        .toEqual([1, ...ascii('env'), ...ascii('memory'), 2, 0x03, 0x00, 0x80, 0x80, 0x04]);
    const original = new WebAssembly.Module(ORIGINAL), shared = new WebAssembly.Module(rewritten);
    expect(WebAssembly.Module.exports(shared)).toEqual(WebAssembly.Module.exports(original));
    expect(WebAssembly.Module.imports(shared)).toEqual([{module: 'env', name: 'memory', kind: 'memory'}]);
  });

  test('instantiates over a shared memory (the original cannot), and not over a plain one', () => {
    const shared = new WebAssembly.Module(rewritten), original = new WebAssembly.Module(ORIGINAL);
    expect(() => new WebAssembly.Instance(shared, {env: {memory: sharedMemory()}})).not.toThrow();
    expect(() => new WebAssembly.Instance(original, {env: {memory: sharedMemory()}})).toThrow(/shared/);
    const plainWithMaximum = new WebAssembly.Memory({initial: 1, maximum: 65536});
    expect(() => new WebAssembly.Instance(shared, {env: {memory: plainWithMaximum}})).toThrow(/shared/);
  });

  test('the kernels give bitwise the same results over the shared memory as the original over a plain one', () => {
    const plain = new WebAssembly.Memory({initial: 1}), shared = sharedMemory();
    expect(isSharedMemory(plain)).toBe(false);
    expect(isSharedMemory(shared)).toBe(true);
    const kPlain = new WebAssembly.Instance(new WebAssembly.Module(ORIGINAL), {env: {memory: plain}}).exports as unknown as SimdExports;
    const kShared = new WebAssembly.Instance(new WebAssembly.Module(rewritten), {env: {memory: shared}}).exports as unknown as SimdExports;
    // C = 37: the 16- and 4-lane blocks and a tail; large logits for the float64 paths.
    const rows = 5, C = 37, n = rows * C;
    const x = randn(n, 1, 8), y = randProbs(rows, C, 2), t = randLabels(rows, C, 3), dy = randn(rows, 4), z = randProbs(rows, C, 5);
    const X = 64, Y = X + 4 * n, T = Y + 4 * n, DY = T + 4 * rows, Z = DY + 4 * rows, LOSS = Z + 4 * n, STATS = LOSS + 4 * rows,
          OUT = STATS + 8 * rows, SLOSS = OUT + 4 * n, SSTATS = SLOSS + 4 * rows, SOUT = SSTATS + 8 * rows,
          SIG = SOUT + 4 * n, SIGR = SIG + 4 * n, END = SIGR + 16;
    expect(END).toBeLessThan(65536);
    for (const memory of [plain, shared]) {
      new Uint8Array(memory.buffer, 0, 65536).fill(0xa5);  // outputs not written stay equal, written ones are compared
      new Float32Array(memory.buffer, X, n).set(x);
      new Float32Array(memory.buffer, Y, n).set(y);
      new Int32Array(memory.buffer, T, rows).set(t);
      new Float32Array(memory.buffer, DY, rows).set(dy);
      new Float32Array(memory.buffer, Z, n).set(z);
    }
    for (const k of [kPlain, kShared]) {
      const invT = 1 / 1.5, eps = 0.1;
      k.denseForward(X, Y, rows, C, invT, 1 - eps, eps / C, 0, 1e-3, LOSS, STATS);
      k.denseGrad(X, Y, STATS, DY, rows, C, invT, 1 - eps, eps / C, 0, 1e-3, OUT);
      k.sparseForward(X, T, rows, C, invT, eps, 0, 0, 1e-3, 0, -1, SLOSS, SSTATS);
      k.sparseGrad(X, T, SSTATS, DY, rows, C, invT, eps, 0, 0, 1e-3, 0, -1, SOUT);
      k.sigmoidForward(X, Z, rows, C, 1 - eps, eps / 2, 0, 1, 0, 1, SIG);
      k.sigmoidForward(X, Z, rows, C, 1, 0, 0, 1, 2, 1 / n, SIGR);  // reduction 'all': one value
    }
    const a = new Uint8Array(plain.buffer, 0, 65536), b = new Uint8Array(shared.buffer, 0, 65536);
    expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true);
    // And the kernels wrote something: finite losses and gradients, not the fill pattern.
    for (const [at, count] of [[LOSS, rows], [OUT, n], [SLOSS, rows], [SOUT, n], [SIG, n], [SIGR, 1]]) {
      const v = new Float32Array(plain.buffer, at, count);
      expect(v.every(Number.isFinite)).toBe(true);
      expect(v.some(e => e !== 0)).toBe(true);
    }
  });

  test('instantiateSimd picks the variant by the memory; each variant is compiled once', () => {
    expect(simdModule({shared: true})).toBe(simdModule({shared: true}));
    expect(simdModule()).toBe(simdModule({shared: false}));
    expect(simdModule({shared: true})).not.toBe(simdModule());
    expect(typeof instantiateSimd(sharedMemory()).denseForward).toBe('function');
    expect(typeof instantiateSimd(new WebAssembly.Memory({initial: 1})).denseForward).toBe('function');
  });
});

describe('withSharedMemoryImport refuses other modules', () => {
  test.each([
    ['not a module', new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), /not a WebAssembly binary module/],
    ['no import section', moduleOf(TYPES), /no import section/],
    ['a function import only', moduleOf(TYPES, imports(functionImport('env', 'f'))), /imports no memory/],
    ['a memory under another name', moduleOf(imports(memoryImport('env', 'mem', [0, 1]))), /imports env\.mem$/],
    ['two memory imports', moduleOf(imports(memoryImport('env', 'memory', [0, 1]), memoryImport('env', 'memory', [0, 1]))),
     /imports env\.memory, env\.memory$/],
    ['already shared', moduleOf(imports(memoryImport('env', 'memory', [3, 1, 2]))), /already shared/],
    ['a truncated import section', moduleOf([2, [1, ...ascii('env'), ...ascii('memory'), 2]]), /truncated/],
  ])('%s', (_, bytes, message) => {
    expect(() => withSharedMemoryImport(bytes)).toThrow(message);
    expect(() => withSharedMemoryImport(bytes)).toThrow(/withSharedMemoryImport\(bytes\)/);
  });

  test('keeps other imports and the minimum, replaces a maximum (300 pages) by 65536, in a hand-made module', () => {
    const bytes = moduleOf(TYPES, imports(functionImport('env', 'f'), memoryImport('env', 'memory', [1, 2, 0xac, 0x02])));
    expect(WebAssembly.validate(bytes)).toBe(true);
    const out = withSharedMemoryImport(bytes);
    expect(WebAssembly.validate(out)).toBe(true);
    expect(Array.from(sections(out)[1][1]))
        .toEqual(imports(functionImport('env', 'f'), memoryImport('env', 'memory', [3, 2, 0x80, 0x80, 0x04]))[1]);
    const memory = new WebAssembly.Memory({initial: 2, maximum: 65536, shared: true} as WebAssembly.MemoryDescriptor);
    expect(() => new WebAssembly.Instance(new WebAssembly.Module(out), {env: {f: () => undefined, memory}})).not.toThrow();
  });
});

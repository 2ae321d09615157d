/**
 * The shared-memory variant of the SIMD module, derived from its bytes: the
 * same code with its `env.memory` import declared shared (limits flags 0x03,
 * the original minimum, maximum 65536 pages). Such a module instantiates over
 * a shared WebAssembly.Memory (tfjs-backend-wasm's threaded build) and no
 * longer over a non-shared one, so the bundle carries one module and
 * simd_module.ts compiles whichever variant a memory needs.
 *
 * The module's code needs nothing else: it has no atomics and no data or
 * global section (the build checks), and a memory's shared flag changes only
 * what may import it. Only the import section is rewritten (its size and the
 * memory's limits re-encoded as LEB128s); every other section is copied.
 */

/** The largest memory a 32-bit WebAssembly module can address, in 64 KiB pages: any shared memory fits under it. */
const MAX_PAGES = 65536;

const IMPORT_SECTION = 2;
const KIND_FUNCTION = 0, KIND_TABLE = 1, KIND_MEMORY = 2, KIND_GLOBAL = 3, KIND_TAG = 4;

function fail(why: string): never {
  throw new Error(`tfjs-fused-cross-entropy: withSharedMemoryImport(bytes): ${why}`);
}

/** A reader of a module's bytes: LEB128s, names, positions. */
class Reader {
  pos: number;

  constructor(readonly bytes: Uint8Array, pos: number, readonly end: number) {
    this.pos = pos;
  }

  byte(): number {
    if (this.pos >= this.end) fail(`truncated at byte ${this.pos}`);
    return this.bytes[this.pos++];
  }

  /** An unsigned LEB128 of at most 32 bits. */
  u32(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) {
        if (result > 0xffffffff) fail(`a LEB128 over 32 bits at byte ${this.pos}`);
        return result;
      }
    }
    return fail(`a LEB128 longer than 5 bytes at byte ${this.pos}`);
  }

  /** A name (a UTF-8 string with its length). */
  name(): string {
    const n = this.u32();
    if (this.pos + n > this.end) fail(`a name past its section at byte ${this.pos}`);
    const s = new TextDecoder().decode(this.bytes.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }

  /** A table's or memory's limits: flags, min and (flag bit 0) max. */
  limits(): {flags: number, min: number, max?: number} {
    const flags = this.byte();
    if ((flags & ~0x03) !== 0) fail(`limits flags 0x${flags.toString(16)} (64-bit or unknown) are not supported`);
    const min = this.u32();
    return (flags & 1) !== 0 ? {flags, min, max: this.u32()} : {flags, min};
  }
}

/** `n` as an unsigned LEB128. */
function leb128(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/** Skips one import's description after its kind byte. */
function skipImportDesc(r: Reader, kind: number): void {
  switch (kind) {
    case KIND_FUNCTION: r.u32(); return;                    // type index
    case KIND_TABLE: r.byte(); r.limits(); return;          // element type, limits
    case KIND_MEMORY: r.limits(); return;
    case KIND_GLOBAL: r.byte(); r.byte(); return;           // value type, mutability
    case KIND_TAG: r.byte(); r.u32(); return;               // attribute, type index
    default: fail(`unknown import kind ${kind}`);
  }
}

/**
 * `bytes` (a WebAssembly module whose only memory is the import `env.memory`)
 * with that import declared shared: limits flags 0x03, the same minimum,
 * maximum 65536 pages. Throws, saying why, where the module does not have
 * exactly one memory import, `env.memory`, or cannot be parsed.
 */
export function withSharedMemoryImport(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  if (bytes.length < 8 || bytes[0] !== 0x00 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d ||
      bytes[4] !== 0x01 || bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) {
    fail('not a WebAssembly binary module (version 1)');
  }
  const top = new Reader(bytes, 8, bytes.length);
  while (top.pos < bytes.length) {
    const sectionStart = top.pos;
    const id = top.byte();
    const size = top.u32();
    const contentStart = top.pos;
    const contentEnd = contentStart + size;
    if (contentEnd > bytes.length) fail(`section ${id} runs past the end of the module`);
    if (id !== IMPORT_SECTION) {
      top.pos = contentEnd;
      continue;
    }
    const r = new Reader(bytes, contentStart, contentEnd);
    const count = r.u32();
    let memory: {limitsStart: number, limitsEnd: number, min: number, shared: boolean} | null = null;
    const memories: string[] = [];
    for (let i = 0; i < count; i++) {
      const module = r.name(), field = r.name();
      const kind = r.byte();
      if (kind === KIND_MEMORY) {
        memories.push(`${module}.${field}`);
        const limitsStart = r.pos;
        const {flags, min} = r.limits();
        if (module === 'env' && field === 'memory') {
          memory = {limitsStart, limitsEnd: r.pos, min, shared: (flags & 2) !== 0};
        }
      } else {
        skipImportDesc(r, kind);
      }
    }
    if (r.pos !== contentEnd) fail(`the import section has ${contentEnd - r.pos} bytes after its ${count} imports`);
    if (memories.length !== 1 || memory == null) {
      fail(`expected exactly one memory import, env.memory; the module imports ${memories.length === 0 ? 'no memory' : memories.join(', ')}`);
    }
    if (memory.shared) fail('env.memory is already shared');
    const limits = [0x03, ...leb128(memory.min), ...leb128(MAX_PAGES)];
    const newSize = size - (memory.limitsEnd - memory.limitsStart) + limits.length;
    const header = [id, ...leb128(newSize)];
    const out = new Uint8Array(bytes.length - (contentStart - sectionStart) + header.length - size + newSize);
    let o = 0;
    const put = (part: ArrayLike<number>) => {
      out.set(part, o);
      o += part.length;
    };
    put(bytes.subarray(0, sectionStart));
    put(header);
    put(bytes.subarray(contentStart, memory.limitsStart));
    put(limits);
    put(bytes.subarray(memory.limitsEnd));
    return out;
  }
  return fail('the module has no import section (no env.memory import)');
}

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

/** `n` as an unsigned LEB128. */
function leb128(n: number): number[] {
  const out = [];
  for (; n > 127; n = Math.floor(n / 128)) out.push(n % 128 | 128);
  out.push(n);
  return out;
}

/**
 * `bytes` (a WebAssembly module whose only memory is the import `env.memory`)
 * with that import declared shared: limits flags 0x03, the same minimum,
 * maximum 65536 pages (the most a 32-bit memory has, so any shared memory fits
 * under it). Throws, saying why, where the module does not have exactly one
 * memory import, `env.memory`, non-shared, or cannot be parsed.
 */
export function withSharedMemoryImport(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const fail = (why: string): never => {
    throw new Error(`tfjs-fused-cross-entropy: withSharedMemoryImport(bytes): ${why}`);
  };
  let pos = 8, end = bytes.length;
  const byte = () => pos < end ? bytes[pos++] : fail(`truncated at byte ${pos}`);
  const u32 = () => {
    let v = 0;
    for (let shift = 0, b = 128; b & 128; shift += 7) v += ((b = byte()) & 127) * 2 ** shift;
    return v;
  };
  const name = () => {
    const n = u32();
    pos += n;
    return pos <= end ? String.fromCharCode(...bytes.subarray(pos - n, pos)) : fail(`truncated at byte ${pos}`);
  };
  /** Skips a table's or memory's limits (flags, min, max where flag bit 0); returns the flags. */
  const limits = () => {
    const flags = byte();
    u32();
    if (flags & 1) u32();
    return flags;
  };
  if (String.fromCharCode(...bytes.subarray(0, 8)) !== '\0asm\x01\0\0\0') fail('not a WebAssembly binary module (version 1)');
  while (pos < bytes.length) {
    const sectionStart = pos;
    end = bytes.length;
    const id = byte(), size = u32(), contentStart = pos;
    end = pos + size;
    if (id !== 2) {  // not the import section
      pos = end;
      continue;
    }
    const memories: string[] = [];
    let limitsStart = 0, limitsEnd = 0, shared = false;
    for (let i = u32(); i > 0; i--) {
      const imported = `${name()}.${name()}`, kind = byte();
      if (kind === 2) {  // memory
        memories.push(imported);
        limitsStart = pos;
        shared = (limits() & 2) !== 0;
        limitsEnd = pos;
      } else if (kind === 1) {  // table: element type, limits
        byte();
        limits();
      } else if (kind === 3) {  // global: value type, mutability
        pos += 2;
      } else if (kind === 0 || kind === 4) {  // function: type index; tag: attribute, type index
        if (kind === 4) byte();
        u32();
      } else {
        fail(`unknown import kind ${kind}`);
      }
    }
    if (pos !== end) fail('the import section does not end after its imports');
    if (memories.join() !== 'env.memory') {
      fail(`expected exactly one memory import, env.memory; the module imports ${memories.join(', ') || 'no memory'}`);
    }
    if (shared) fail('env.memory is already shared');
    pos = limitsStart + 1;
    const newLimits = [3, ...leb128(u32()), ...leb128(65536)];
    return new Uint8Array([...bytes.subarray(0, sectionStart), id, ...leb128(size - (limitsEnd - limitsStart) + newLimits.length),
                           ...bytes.subarray(contentStart, limitsStart), ...newLimits, ...bytes.subarray(limitsEnd)]);
  }
  return fail('the module has no import section (no env.memory import)');
}

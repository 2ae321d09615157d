/**
 * Each backend folder under kernels/ stands on its own (kernels/BACKENDS.md,
 * "Adding a backend"): a backend's files import from kernels/ and kernels/simd/
 * (the helpers the backends share), never from a sibling backend's folder (the
 * wasm kernels once took their SIMD host helpers from kernels/cpu); and the
 * shared files import no backend folder, except register_all.ts, which
 * registers each backend through its register_<backend>.ts.
 *
 * Inside a backend folder: a PascalCase kernel file per kernel (host work)
 * beside snake_case program and helper files. A helper two kernels share lives
 * in a snake_case file, never in a sibling kernel file: only the folder's one
 * register_<backend>.ts imports kernel files.
 */
import * as fs from 'fs';
import * as path from 'path';

const KERNELS = path.join(__dirname, '../../kernels');
const BACKENDS = ['cpu', 'tensorflow', 'wasm', 'webgl', 'webgpu'];

/** Every .ts file under `dir`. */
function sources(dir: string): string[] {
  return fs.readdirSync(dir, {withFileTypes: true}).flatMap(e =>
      e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []);
}

/** Code without comments (line and block), strings kept. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** The relative module specifiers of `text` (import … from, export … from, import '…', import(), require()). */
function relativeImports(text: string): string[] {
  const specs = [...code(text).matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"`](\.{1,2}\/[^'"`]+)['"`]/g)];
  return specs.map(m => m[1]);
}

/** The backend folder (kernels/<backend>/) a path lies in, or null for the shared files. */
function backendOf(file: string): string | null {
  const first = path.relative(KERNELS, file).split(path.sep)[0];
  return BACKENDS.includes(first) && first !== path.relative(KERNELS, file) ? first : null;
}

/** 'file: imports spec (a backend folder)' for each import of `text` (as if at `file`) that `allowed` refuses. */
function offences(file: string, text: string, allowed: (from: string | null, to: string) => boolean): string[] {
  const out: string[] = [];
  for (const spec of relativeImports(text)) {
    const to = backendOf(path.resolve(path.dirname(file), spec));
    if (to != null && !allowed(backendOf(file), to)) {
      out.push(`${path.relative(KERNELS, file)}: imports '${spec}' (kernels/${to}/)`);
    }
  }
  return out;
}

const siblingRule = (from: string | null, to: string) => from == null || from === to;

test('the import check sees a wasm kernel importing from kernels/cpu, and nothing in a shared import', () => {
  const file = path.join(KERNELS, 'wasm/SigmoidCrossEntropy.ts');
  const text = `// import {x} from '../cpu/commented';\nimport {dyStride} from '../cpu/SigmoidCrossEntropy';\n` +
      `import type {A} from "../cpu/sigmoid_simd";\nimport {reductionCode} from '../simd/sigmoid_host';\n` +
      `import {simdOnWasmBackend} from './SoftmaxCrossEntropy';\nconst m = require('../webgl/x');\n`;
  expect(offences(file, text, siblingRule)).toEqual([
    `wasm/SigmoidCrossEntropy.ts: imports '../cpu/SigmoidCrossEntropy' (kernels/cpu/)`,
    `wasm/SigmoidCrossEntropy.ts: imports '../cpu/sigmoid_simd' (kernels/cpu/)`,
    `wasm/SigmoidCrossEntropy.ts: imports '../webgl/x' (kernels/webgl/)`,
  ]);
});

test('no file in a backend folder imports from a sibling backend folder (kernels/wasm nothing from kernels/cpu)', () => {
  const found: string[] = [];
  for (const backend of BACKENDS) {
    for (const file of sources(path.join(KERNELS, backend))) {
      found.push(...offences(file, fs.readFileSync(file, 'utf8'), siblingRule));
    }
  }
  expect(found).toEqual([]);
});

test('the shared kernel files import no backend folder, except register_all.ts its register files', () => {
  const shared = sources(KERNELS).filter(f => backendOf(f) == null);
  expect(shared).toContain(path.join(KERNELS, 'simd/sigmoid_host.ts'));
  const found: string[] = [];
  for (const file of shared) {
    const text = fs.readFileSync(file, 'utf8');
    if (path.relative(KERNELS, file) === 'register_all.ts') {
      for (const spec of relativeImports(text)) {
        if (backendOf(path.resolve(KERNELS, spec)) != null && !/^\.\/(\w+)\/register_\1$/.test(spec)) {
          found.push(`register_all.ts: imports '${spec}'`);
        }
      }
    } else {
      found.push(...offences(file, text, () => false));
    }
  }
  expect(found).toEqual([]);
});

/** Whether `file` is its backend folder's register_<backend>.ts. */
function isRegisterFile(file: string): boolean {
  const backend = backendOf(file);
  return backend != null && path.relative(KERNELS, file) === path.join(backend, `register_${backend}.ts`);
}

/** 'file: imports spec (a kernel file)' for each import of `text` (as if at `file`) of a PascalCase file of kernels/, unless `file` is a register file. */
function kernelFileImports(file: string, text: string): string[] {
  if (isRegisterFile(file)) {
    return [];
  }
  const out: string[] = [];
  for (const spec of relativeImports(text)) {
    const to = path.resolve(path.dirname(file), spec);
    if (!path.relative(KERNELS, to).startsWith('..') && /^[A-Z]/.test(path.basename(to))) {
      out.push(`${path.relative(KERNELS, file)}: imports '${spec}' (a kernel file)`);
    }
  }
  return out;
}

test('the kernel-file check sees a kernel or helper importing a kernel file, and lets the register file do so', () => {
  const text = `import {x} from './FocalCrossEntropy';\nimport {y} from './focal_host';\n` +
      `// import {z} from './SoftmaxCrossEntropy';\nimport type {A} from '../kernel_names';\n`;
  expect(kernelFileImports(path.join(KERNELS, 'webgpu/FocalCrossEntropyGrad.ts'), text)).toEqual([
    `webgpu/FocalCrossEntropyGrad.ts: imports './FocalCrossEntropy' (a kernel file)`,
  ]);
  expect(kernelFileImports(path.join(KERNELS, 'cpu/focal_targets.ts'), text)).toEqual([
    `cpu/focal_targets.ts: imports './FocalCrossEntropy' (a kernel file)`,
  ]);
  expect(kernelFileImports(path.join(KERNELS, 'webgpu/register_webgpu.ts'), text)).toEqual([]);
  expect(kernelFileImports(path.join(KERNELS, 'cpu/register_webgpu.ts'), text)).toHaveLength(1);
});

test('no kernel file imports a sibling kernel file: shared helpers live in snake_case files, only register_<backend>.ts imports kernels', () => {
  const found: string[] = [];
  for (const file of sources(KERNELS)) {
    found.push(...kernelFileImports(file, fs.readFileSync(file, 'utf8')));
  }
  expect(found).toEqual([]);
});

test('each backend folder has one register file, register_<backend>.ts', () => {
  for (const backend of BACKENDS) {
    const registers = fs.readdirSync(path.join(KERNELS, backend)).filter(f => /^register_.*\.ts$/.test(f));
    expect({backend, registers}).toEqual({backend, registers: [`register_${backend}.ts`]});
  }
});

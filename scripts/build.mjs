#!/usr/bin/env node
/**
 * `npm run build` (also run by `prepare`, so `npm ci` and `npm install <git
 * url>` have dist/, and by `prepack`, so `npm pack` and `npm publish` always
 * carry a fresh one): everything that goes into the package's dist/.
 *
 *   dist/esm   ES modules + .d.ts for bundlers (the `module` export condition;
 *              extensionless relative imports, which bundlers resolve and
 *              Node's own ESM loader does not)
 *   dist/cjs   CommonJS + .d.ts for Node (require and import) and TypeScript
 *   dist/tfjs-fused-cross-entropy.min.js
 *              the script-tag build, tfjs's convention (like
 *              tf-backend-webgpu.min.js): a minified IIFE of src/index.ts that
 *              takes every `@tensorflow/*` import from the global `tf` of
 *              tfjs's own dist/tf.min.js and exposes the package as the
 *              global `tfFusedCE`.
 *
 * First the WebAssembly SIMD module (assembly/*.ts, AssemblyScript) is compiled
 * and written, one char per byte, into kernels/simd/simd_wasm_bytes.generated.ts (not in
 * git; tsc and jest need it, so `npm ci` builds it through `prepare`).
 * `node scripts/build.mjs --simd-only` does only that step.
 *
 * The two tsc runs go in parallel (each type-checks the whole program).
 */
import {spawn} from 'node:child_process';
import {createRequire} from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {fileURLToPath} from 'node:url';

import * as esbuild from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(ROOT, 'package.json'));

export const SCRIPT_TAG_FILE = 'dist/tfjs-fused-cross-entropy.min.js';
export const SCRIPT_TAG_GLOBAL = 'tfFusedCE';

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {cwd: ROOT, stdio: 'inherit'});
    child.on('error', reject);
    child.on('exit', code => code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}`)));
  });
}

/**
 * The names the package imports from each `@tensorflow/*` package, read from
 * an unminified ESM bundle of src/index.ts with those packages external.
 */
async function importedTfjsNames() {
  const result = await esbuild.build({
    absWorkingDir: ROOT, entryPoints: ['src/index.ts'], bundle: true, write: false, format: 'esm',
    platform: 'browser', target: 'es2020', external: ['@tensorflow/*'], logLevel: 'silent',
  });
  const text = result.outputFiles[0].text;
  const names = new Map();
  for (const m of text.matchAll(/^import\s*(?:(\{[^}]*\})|(\*\s*as\s+[\w$]+)|([\w$]+))?\s*(?:from\s*)?"(@tensorflow\/[^"]+)";?$/gm)) {
    const [, named, namespace, defaultName, pkg] = m;
    if (namespace != null || defaultName != null) {
      throw new Error(`script-tag build: a namespace or default import of ${pkg} cannot be checked against the global tf`);
    }
    const set = names.get(pkg) ?? new Set();
    for (const part of (named ?? '{}').slice(1, -1).split(',')) {
      const name = part.trim().split(/\s+as\s+/)[0];
      if (name) set.add(name);
    }
    names.set(pkg, set);
  }
  return names;
}

/**
 * Every runtime value the bundle takes from `tf` must exist on the `tf` that
 * tfjs's script tags make: dist/tf.min.js (tfjs-core, -layers, -converter,
 * -data, -backend-cpu, -backend-webgl re-exported as one object), plus
 * tf-backend-webgpu.min.js for imports from tfjs-backend-webgpu. Both are
 * UMD files: loaded with require they return the object the page gets.
 */
function checkAgainstGlobalTf(names) {
  const quiet = console.warn;
  console.warn = () => {};
  const log = console.log;
  console.log = () => {};  // tfjs-backend-cpu's "install tfjs-node" banner
  let tfKeys, webgpuKeys;
  try {
    tfKeys = new Set(Object.keys(require('@tensorflow/tfjs/dist/tf.min.js')));
    webgpuKeys = new Set(Object.keys(require('@tensorflow/tfjs-backend-webgpu/dist/tf-backend-webgpu.min.js')));
  } finally {
    console.warn = quiet;
    console.log = log;
  }
  const missing = [];
  for (const [pkg, set] of names) {
    const allowed = pkg === '@tensorflow/tfjs-backend-webgpu' ? new Set([...tfKeys, ...webgpuKeys]) : tfKeys;
    for (const name of set) {
      if (!allowed.has(name)) missing.push(`${pkg}: ${name}`);
    }
  }
  if (missing.length > 0) {
    throw new Error('script-tag build: these imports do not exist on the global tf of tf.min.js ' +
                    `(+ tf-backend-webgpu.min.js): ${missing.join(', ')}`);
  }
}

/** `@tensorflow/*` → the page's global `tf` (a clear error if tfjs is not loaded first). */
const tfGlobalPlugin = {
  name: 'tf-global',
  setup(build) {
    build.onResolve({filter: /^@tensorflow\//}, args => ({path: args.path, namespace: 'tf-global'}));
    build.onLoad({filter: /.*/, namespace: 'tf-global'}, args => ({
      loader: 'js',
      contents: `if (typeof tf === 'undefined') {
  throw new Error('tfjs-fused-cross-entropy: load @tensorflow/tfjs (dist/tf.min.js) before this script (${args.path} comes from the global tf)');
}
module.exports = tf;`,
    }));
  },
};

async function buildScriptTag() {
  const names = await importedTfjsNames();
  checkAgainstGlobalTf(names);
  const version = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
  await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: ['src/index.ts'],
    outfile: SCRIPT_TAG_FILE,
    bundle: true,
    format: 'iife',
    globalName: SCRIPT_TAG_GLOBAL,
    platform: 'browser',
    target: 'es2020',
    minify: true,
    // tfjs names shader programs (WebGPU labels, WebGL cache keys) after their class.
    keepNames: true,
    legalComments: 'none',
    banner: {js: `/** tfjs-fused-cross-entropy ${version} | Apache-2.0 | needs @tensorflow/tfjs (global tf) loaded first; exposes ${SCRIPT_TAG_GLOBAL} */`},
    plugins: [tfGlobalPlugin],
    logLevel: 'warning',
  });
  const counted = [...names.values()].reduce((n, s) => n + s.size, 0);
  const bytes = fs.statSync(path.join(ROOT, SCRIPT_TAG_FILE)).size;
  console.log(`${SCRIPT_TAG_FILE}: ${(bytes / 1024).toFixed(1)} KiB, global ${SCRIPT_TAG_GLOBAL}; ` +
              `${counted} names from ${[...names.keys()].join(', ')}, all on tf.min.js's tf`);
}

export const SIMD_SOURCE = 'assembly/softmax_cross_entropy.ts';
export const SIMD_GENERATED = 'kernels/simd/simd_wasm_bytes.generated.ts';

/**
 * Section ids of a WebAssembly binary, in order. The SIMD module must have no
 * data section (11) and no globals (6) and import nothing but its memory: it
 * runs on tfjs-backend-wasm's heap, where static data would overwrite the
 * backend's own.
 */
function wasmSectionIds(bytes) {
  const ids = [];
  let i = 8;
  while (i < bytes.length) {
    const id = bytes[i++];
    let size = 0, shift = 0, b;
    do {
      b = bytes[i++];
      size |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    ids.push(id);
    i += size;
  }
  return ids;
}

async function buildSimdModule() {
  const {default: asc} = await import('assemblyscript/asc');
  let wasm = null;
  const stderr = [];
  const {error} = await asc.main([
    SIMD_SOURCE, '-O3', '--noAssert', '--runtime', 'stub', '--enable', 'simd', '--importMemory',
    '--noExportMemory', '--initialMemory', '0', '--use', 'abort=', '--outFile', 'simd.wasm',
  ], {
    writeFile: (name, contents) => {
      if (name.endsWith('.wasm')) wasm = contents;
    },
    stderr: {write: s => stderr.push(String(s))},
    stdout: {write: () => {}},
  });
  if (error != null || wasm == null) {
    throw new Error(`AssemblyScript build of ${SIMD_SOURCE} failed: ${error?.message ?? 'no output'}\n${stderr.join('')}`);
  }
  const ids = wasmSectionIds(wasm);
  if (ids.includes(11) || ids.includes(6)) {
    throw new Error(`${SIMD_SOURCE}: the module has a data or global section (sections ${ids.join(', ')}); it must use none`);
  }
  // One char per byte, not base64: printable ASCII as itself, the rest as \xNN. Brotli packs
  // this about a quarter smaller than base64, whose 6-bit groups hide the bytes' structure.
  let binary = '';
  for (const byte of wasm) {
    const plain = byte >= 0x20 && byte < 0x7f && byte !== 0x5c && byte !== 0x27;  // not a backslash nor a quote
    binary += plain ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  const text = `// Generated by scripts/build.mjs from ${SIMD_SOURCE}; not in git.\n` +
               `// The module's bytes, one char each (char code = byte).\n` +
               `export const SIMD_WASM_BINARY = '${binary}';\n`;
  const out = path.join(ROOT, SIMD_GENERATED);
  if (!fs.existsSync(out) || fs.readFileSync(out, 'utf8') !== text) {
    fs.writeFileSync(out, text);
  }
  console.log(`${SIMD_GENERATED}: ${wasm.length} bytes of WebAssembly from ${SIMD_SOURCE}`);
}

async function main() {
  // `prepare` passes --skip-when-packing: `npm pack` and `npm publish` run
  // prepack and then prepare, and prepack has just built.
  if (process.argv.includes('--skip-when-packing') && ['pack', 'publish'].includes(process.env.npm_command)) {
    console.log(`build: skipped in prepare (npm ${process.env.npm_command} built in prepack)`);
    return;
  }
  await buildSimdModule();
  if (process.argv.includes('--simd-only')) {
    return;
  }
  fs.rmSync(path.join(ROOT, 'dist'), {recursive: true, force: true});
  const tsc = require.resolve('typescript/bin/tsc');
  await Promise.all([
    run(process.execPath, [tsc, '-p', 'tsconfig.esm.json']),
    run(process.execPath, [tsc, '-p', 'tsconfig.cjs.json']),
  ]);
  await buildScriptTag();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch(e => {
    console.error(e.message ?? e);
    process.exit(1);
  });
}

/**
 * `npm run check:package` (part of `npm test`): checks the package the way
 * users get it, not the repo.
 *
 *   1. pack     `npm pack` (its prepack builds dist/); the tarball holds dist/cjs,
 *               dist/esm, the script-tag bundle, README and package.json only,
 *               and every file package.json points at.
 *   2. tools    publint --strict, @arethetypeswrong/cli, size-limit.
 *   3. smoke    the tarball installed from the npm registry into fresh scratch
 *               projects outside the repo (one `mktemp -d`, npm's shared cache):
 *                 a. declared peers only (tfjs-core, -backend-cpu, -layers), CommonJS:
 *                    test/package/smoke_peers.cjs; a'. the same script bundled by
 *                    esbuild (our dist/esm through the `module` condition, tfjs's ES
 *                    modules), run by Node
 *                 b. @tensorflow/tfjs, ESM: the README quick start, test/package/quickstart.mjs;
 *                    b'. with @tensorflow/tfjs-backend-wasm: our WebAssembly SIMD kernels load
 *                    from the package, register for and run on 'wasm', and agree with cpu
 *                    (test/package/smoke_wasm.cjs)
 *                 c. a strict TypeScript consumer (skipLibCheck false) of every
 *                    `exports` subpath, moduleResolution node16 (CJS and ESM
 *                    files) and bundler
 *                 d. Chromium: tfjs's dist/tf.min.js + tf-backend-webgpu.min.js +
 *                    tf-backend-wasm.min.js + our script-tag bundle train a tiny model
 *                    on webgl, webgpu and wasm (test/package/page.html)
 *
 * Options: --tarball <file> (skip packing: check that tarball), --keep (keep
 * the scratch directory). Without Chromium, stage d fails under CI (tools/ci.ts
 * isCI()) and is skipped (loudly) elsewhere.
 */
import {spawn} from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import type {AddressInfo} from 'net';
import * as os from 'os';
import * as path from 'path';

import * as esbuild from 'esbuild';
import {chromium} from 'playwright-core';

import {CHROMIUM_ARGS, findChromium} from '../tools/browser/harness';
import {isCI} from '../tools/ci';

const ROOT = path.resolve(__dirname, '..');
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const NAME: string = PKG.name;
const TFJS = '4.22.0';
const NPM_INSTALL = ['install', '--no-audit', '--no-fund', '--prefer-offline'];

const t0 = Date.now();
const secs = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;
const say = (text: string) => console.log(`[package] ${text}`);

interface Run {
  code: number;
  out: string;
}

/**
 * npm as a user runs it: without the npm_* variables of the `npm test` that
 * runs this script (npm_config_local_prefix and friends would point the
 * scratch installs at the repo), keeping the shared cache and registry.
 */
function cleanEnv(): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig']);
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) || keep.has(k.toLowerCase())));
}

/** Runs a command, collecting stdout + stderr; rejects on a non-zero exit unless `allowFail`. */
function run(cmd: string, args: string[], cwd: string, opts: {allowFail?: boolean, timeoutMs?: number} = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe']});
    let out = '';
    child.stdout.on('data', d => out += d);
    child.stderr.on('data', d => out += d);
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 300_000);
    child.on('error', reject);
    child.on('close', code => {
      clearTimeout(timer);
      if (code !== 0 && !opts.allowFail) {
        reject(new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited with ${code}:\n${out}`));
      } else {
        resolve({code: code ?? -1, out});
      }
    });
  });
}

const bin = (name: string) => path.join(ROOT, 'node_modules', '.bin', name);

// ---------------------------------------------------------------- 1. pack

interface Packed {
  tarball: string;
  files: string[];
}

async function pack(scratch: string, given: string | null): Promise<Packed> {
  const start = Date.now();
  let tarball: string;
  if (given != null) {
    tarball = path.resolve(given);
    say(`pack: using ${tarball} (--tarball)`);
  } else {
    say('pack: npm pack (prepack runs the build) …');
    const {out} = await run('npm', ['pack', '--pack-destination', scratch], ROOT, {timeoutMs: 600_000});
    const name = out.trim().split('\n').pop()!.trim();
    tarball = path.join(scratch, name);
    if (!fs.existsSync(tarball)) throw new Error(`npm pack did not leave ${tarball}:\n${out}`);
  }
  const files = (await run('tar', ['-tzf', tarball], scratch)).out.trim().split('\n')
      .filter(f => !f.endsWith('/')).map(f => f.replace(/^package\//, ''));
  checkContents(files);
  const kb = (fs.statSync(tarball).size / 1000).toFixed(1);
  say(`pack: ✓ ${path.basename(tarball)}: ${kb} kB, ${files.length} files; no tests, benchmarks, examples or ` +
      `source maps; every file package.json points at is in it (${secs(start)})`);
  return {tarball, files};
}

function checkContents(files: string[]): void {
  const allowed = [/^dist\/cjs\//, /^dist\/esm\//, /^dist\/tfjs-fused-cross-entropy\.min\.js$/, /^README\.md$/, /^package\.json$/, /^LICENSE$/];
  const stray = files.filter(f => !allowed.some(re => re.test(f)));
  const forbidden = files.filter(f => /(^|\/)(test|tests|benchmarks|examples|scripts)\/|\.(test|spec)\.|\.map$/.test(f));
  const pointed = new Set<string>();
  const collect = (v: unknown): void => {
    if (typeof v === 'string') pointed.add(v.replace(/^\.\//, ''));
    else if (v != null && typeof v === 'object') Object.values(v).forEach(collect);
  };
  [PKG.main, PKG.module, PKG.types, PKG.unpkg, PKG.jsdelivr, PKG.exports].forEach(collect);
  const missing = [...pointed].filter(f => !files.includes(f));
  const problems = [
    ...stray.map(f => `not meant for the tarball: ${f}`),
    ...forbidden.map(f => `test/benchmark/example/source-map file in the tarball: ${f}`),
    ...missing.map(f => `package.json points at ${f}, which is not in the tarball`),
  ];
  if (problems.length > 0) throw new Error(`tarball contents:\n  ${problems.join('\n  ')}`);
}

// ---------------------------------------------------------------- 2. tools

async function tools(tarball: string): Promise<void> {
  const start = Date.now();
  const publint = await run(bin('publint'), ['run', tarball, '--strict'], ROOT, {allowFail: true});
  if (publint.code !== 0 || /Suggestions:|Warnings:|Errors:/.test(publint.out)) {
    throw new Error(`publint:\n${publint.out}`);
  }
  // All four of attw's resolutions: node10 (TypeScript's `moduleResolution:
  // node`, which ignores `exports`: package.json's typesVersions maps the
  // subpaths for it), node16 from CJS and from ESM, bundler.
  const attw = await run(bin('attw'), [tarball, '--format', 'table-flipped'], ROOT, {allowFail: true});
  if (attw.code !== 0) throw new Error(`@arethetypeswrong/cli:\n${attw.out}`);
  const size = await run(bin('size-limit'), ['--json'], ROOT, {allowFail: true});
  let sizes: Array<{name: string, passed: boolean, size: number, sizeLimit: number}>;
  try {
    sizes = JSON.parse(size.out.slice(size.out.indexOf('[')));
  } catch {
    throw new Error(`size-limit:\n${size.out}`);
  }
  const over = sizes.filter(s => !s.passed);
  if (size.code !== 0 || over.length > 0) throw new Error(`size-limit over budget:\n${size.out}`);
  say(`tools: ✓ publint --strict clean; attw clean (node10, node16 CJS + ESM, bundler; every subpath); size-limit: ` +
      sizes.map(s => `${s.name} ${(s.size / 1000).toFixed(2)} kB brotli ≤ ${(s.sizeLimit / 1000).toFixed(0)} kB`).join('; ') +
      ` (${secs(start)})`);
}

// ---------------------------------------------------------------- 3. smoke

function project(dir: string, name: string): void {
  fs.mkdirSync(dir, {recursive: true});
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({name, version: '0.0.0', private: true}, null, 2));
}

async function install(dir: string, deps: string[], what: string): Promise<void> {
  const start = Date.now();
  await run('npm', [...NPM_INSTALL, ...deps], dir, {timeoutMs: 300_000});
  say(`install ${what}: ✓ npm install ${deps.map(d => d.endsWith('.tgz') ? path.basename(d) : d).join(' ')} (${secs(start)})`);
}

/** Runs a smoke script with node; prints its ✓ lines (tfjs's banners stay out). */
async function smokeScript(dir: string, file: string, stage: string): Promise<void> {
  const start = Date.now();
  fs.copyFileSync(path.join(ROOT, 'test', 'package', file), path.join(dir, file));
  const {code, out} = await run(process.execPath, [file], dir, {allowFail: true, timeoutMs: 120_000});
  const checks = out.split('\n').filter(l => l.startsWith('✓'));
  if (code !== 0 || checks.length === 0) throw new Error(`${stage}: node ${file} failed (exit ${code}):\n${out}`);
  say(`${stage}: ✓ node ${file} (${secs(start)})`);
  checks.forEach(l => console.log(`    ${l}`));
}

/**
 * The same declared-peers smoke script as a bundler user gets it: esbuild
 * resolves our `module` export condition (dist/esm) and tfjs's ES module
 * builds (their `module` fields), all inlined in one file run by Node.
 */
async function bundledSmoke(dir: string, file: string, stage: string): Promise<void> {
  const start = Date.now();
  const out = file.replace(/\.c?js$/, '.bundled.mjs');
  const result = await esbuild.build({
    absWorkingDir: dir, entryPoints: [file], outfile: out, bundle: true, platform: 'node', format: 'esm',
    target: 'es2020', mainFields: ['module', 'main'], metafile: true, logLevel: 'error',
    // require.resolve and Node built-ins in the (CommonJS) script keep working in the ES module bundle.
    banner: {js: "import {createRequire} from 'module'; const require = createRequire(import.meta.url);"},
  });
  const inputs = Object.keys(result.metafile!.inputs);
  const ours = inputs.filter(f => f.includes(`node_modules/${NAME}/`));
  if (ours.length === 0 || !ours.every(f => f.includes(`node_modules/${NAME}/dist/esm/`))) {
    throw new Error(`${stage}: esbuild should take ${NAME} from dist/esm, took:\n  ${ours.join('\n  ')}`);
  }
  for (const p of ['tfjs-core', 'tfjs-layers']) {
    const tfjs = inputs.filter(f => f.includes(`node_modules/@tensorflow/${p}/`));
    if (tfjs.length === 0 || tfjs.some(f => /\.node\.js$/.test(f))) throw new Error(`${stage}: @tensorflow/${p} not from its ES modules`);
  }
  const {code, out: text} = await run(process.execPath, [out], dir, {allowFail: true, timeoutMs: 120_000});
  const checks = text.split('\n').filter(l => l.startsWith('✓'));
  if (code !== 0 || checks.length === 0) throw new Error(`${stage}: node ${out} failed (exit ${code}):\n${text}`);
  say(`${stage}: ✓ ${file} bundled by esbuild from ${ours.length} dist/esm files + tfjs's ES modules, ${checks.length} checks passed (${secs(start)})`);
}

/** A strict consumer of every `exports` subpath, type-checked against the shipped .d.ts. */
async function typescriptConsumer(dir: string): Promise<void> {
  const start = Date.now();
  const subpaths = Object.keys(PKG.exports).filter(k => k !== './package.json');
  const specifiers = subpaths.map(k => k === '.' ? NAME : `${NAME}/${k.slice(2)}`);
  const source = [
    '// Generated by scripts/check-package.ts: every `exports` subpath, and typed use of the main entry.',
    "import * as tf from '@tensorflow/tfjs';",
    `import {CategoricalCrossentropy, linearSoftmaxCrossEntropy, losses, sparseSoftmaxCrossEntropyWithLogits} from '${NAME}';`,
    ...specifiers.map((s, i) => `import * as entry${i} from '${s}';`),
    '',
    'const labels = tf.tensor2d([[0, 1, 0], [1, 0, 0]]);',
    'const logits = tf.tensor2d([[1, 2, 0.5], [3, -1, 0]]);',
    'const mean: tf.Tensor = losses.softmaxCrossEntropy(labels, logits);',
    'const perRow: tf.Tensor = sparseSoftmaxCrossEntropyWithLogits([1, 0], logits, {labelSmoothing: 0.1});',
    "const chunked: tf.Tensor = linearSoftmaxCrossEntropy(tf.ones([2, 4]), tf.ones([5, 4]), tf.tensor1d([1, 2], 'int32'), {chunkSize: 1});",
    'const model = tf.sequential({layers: [tf.layers.dense({inputShape: [3], units: 3})]});',
    "model.compile({optimizer: 'adam', loss: new CategoricalCrossentropy({fromLogits: true, labelSmoothing: 0.1})});",
    `export const used: unknown[] = [mean, perRow, chunked, ${specifiers.map((_, i) => `entry${i}`).join(', ')}];`,
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'consumer.ts'), source);
  fs.writeFileSync(path.join(dir, 'consumer_esm.mts'), source);
  const base = {target: 'ES2020', lib: ['ES2020', 'DOM'], strict: true, skipLibCheck: false, noEmit: true};
  const configs: Record<string, object> = {
    node16: {compilerOptions: {...base, module: 'node16', moduleResolution: 'node16'}, files: ['consumer.ts', 'consumer_esm.mts']},
    bundler: {compilerOptions: {...base, module: 'esnext', moduleResolution: 'bundler'}, files: ['consumer.ts']},
  };
  const tsc = path.join(dir, 'node_modules', 'typescript', 'bin', 'tsc');
  const version = JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', 'typescript', 'package.json'), 'utf8')).version;
  const results = await Promise.all(Object.entries(configs).map(async ([id, config]) => {
    fs.writeFileSync(path.join(dir, `tsconfig.${id}.json`), JSON.stringify(config, null, 2));
    const {out} = await run(process.execPath, [tsc, '-p', `tsconfig.${id}.json`, '--pretty', 'false'], dir, {allowFail: true});
    // Errors tfjs's own declarations give under strict + skipLibCheck false
    // (tfjs-layers' .d.ts were compiled without strictNullChecks) are tfjs's,
    // whatever imports it: only errors elsewhere (our .d.ts, the consumer) count.
    const errors = out.split('\n').filter(l => /error TS\d+/.test(l));
    const upstream = errors.filter(l => l.startsWith('node_modules/@tensorflow/'));
    const ours = errors.filter(l => !l.startsWith('node_modules/@tensorflow/'));
    if (ours.length > 0 || (errors.length === 0 && out.trim() !== '')) {
      throw new Error(`TypeScript consumer (${id}):\n${out}`);
    }
    return `${id}: 0 errors in ${NAME}'s .d.ts and the consumer (${upstream.length} in @tensorflow's own .d.ts, ignored)`;
  }));
  say(`c. TypeScript ${version} strict consumer, skipLibCheck false, ${subpaths.length} subpaths: ✓ (${secs(start)})`);
  results.forEach(r => console.log(`    ✓ ${r}`));
}

/** Serves `dir` (the page and node_modules) on 127.0.0.1: a secure origin, so navigator.gpu exists. */
function serve(dir: string): Promise<http.Server> {
  const types: Record<string, string> = {'.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm'};
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent((req.url ?? '/').split('?')[0]);
    const file = path.join(dir, url === '/' ? 'page.html' : url);
    if (!file.startsWith(dir + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(url === '/favicon.ico' ? 204 : 404).end();
      return;
    }
    res.writeHead(200, {'content-type': types[path.extname(file)] ?? 'application/octet-stream'});
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

interface TrainResult {
  backend: string;
  fusedKernelRegistered: boolean;
  fusedKernelRan: boolean;
  losses: number[];
  wasmBinaries: string[];
}

async function browserPage(dir: string): Promise<void> {
  const start = Date.now();
  const executablePath = findChromium();
  if (executablePath == null) {
    if (isCI()) throw new Error('d. Chromium: no Chromium found (set CHROMIUM_PATH); CI must run this stage');
    say('d. Chromium: SKIPPED, no Chromium found (set CHROMIUM_PATH). CI runs this stage.');
    return;
  }
  fs.copyFileSync(path.join(ROOT, 'test', 'package', 'page.html'), path.join(dir, 'page.html'));
  const server = await serve(dir);
  const port = (server.address() as AddressInfo).port;
  const browser = await chromium.launch({executablePath, headless: true, args: CHROMIUM_ARGS});
  const lines: string[] = [];
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', msg => {
      if (msg.type() === 'error') errors.push(`console.error: ${msg.text()}`);
    });
    page.on('pageerror', err => errors.push(`page error: ${err.message}`));
    page.on('requestfailed', req => errors.push(`request failed: ${req.url()}`));
    page.on('response', res => {
      if (res.status() >= 400) errors.push(`HTTP ${res.status()}: ${res.url()}`);
    });
    await page.goto(`http://127.0.0.1:${port}/`);
    const globals = await page.evaluate(() => [typeof (window as any).tf, typeof (window as any).tfFusedCE]);
    if (globals.join() !== 'object,object') throw new Error(`d. Chromium: globals tf, tfFusedCE are ${globals.join(', ')}\n${errors.join('\n')}`);
    for (const backend of ['webgl', 'webgpu', 'wasm']) {
      // The page's labels are one-hot: on wasm the dense op runs them as class ids (kernels/kernel_names.ts).
      const kernel = backend === 'wasm' ? 'OneHotSoftmaxCrossEntropy' : 'SoftmaxCrossEntropy';
      const r = await page.evaluate(([b, k]) => (window as any).trainTiny(b, k), [backend, kernel]) as TrainResult;
      const l = r.losses;
      const problems = [
        r.backend !== backend && `ran on ${r.backend}`,
        !r.fusedKernelRegistered && 'fused kernel not registered',
        !r.fusedKernelRan && 'fused kernel did not run',
        !(l.length > 0 && l.every(Number.isFinite)) && `losses not finite: ${l}`,
        !(l[l.length - 1] < 0.8 * l[0]) && `loss did not go down: ${l.map(v => v.toFixed(4))}`,
        // Not cross-origin isolated: tfjs-wasm's non-threaded SIMD build (the threaded one, in isolated pages, is test/browser_wasm.test.ts's).
        backend === 'wasm' && r.wasmBinaries.join() !== 'tfjs-backend-wasm-simd.wasm' && `tfjs-wasm fetched ${r.wasmBinaries.join(', ') || 'no binary'}`,
      ].filter(Boolean);
      if (problems.length > 0) throw new Error(`d. Chromium ${backend}: ${problems.join('; ')}\n${errors.join('\n')}`);
      lines.push(`✓ ${backend}: model.fit with tfFusedCE.CategoricalCrossentropy, loss ${l[0].toFixed(4)} → ${l[l.length - 1].toFixed(4)} ` +
                 `in ${l.length} epochs; the fused ${kernel} kernel ran` +
                 (backend === 'wasm' ? ` (our WebAssembly SIMD kernel on ${r.wasmBinaries.join()})` : ''));
    }
    if (errors.length > 0) throw new Error(`d. Chromium: errors on the page:\n${errors.join('\n')}`);
    lines.push(`✓ no console or page errors (Chromium ${browser.version()})`);
  } finally {
    await browser.close();
    await new Promise<void>(resolve => server.close(() => resolve()));
  }
  say(`d. Chromium: ✓ tf.min.js + tf-backend-webgpu.min.js + tf-backend-wasm.min.js + dist/tfjs-fused-cross-entropy.min.js (${secs(start)})`);
  lines.forEach(l => console.log(`    ${l}`));
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const given = args.includes('--tarball') ? args[args.indexOf('--tarball') + 1] : null;
  const keep = args.includes('--keep');
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'fce-package-'));
  say(`scratch directory ${scratch}`);
  let ok = false;
  try {
    const {tarball} = await pack(scratch, given);
    const smokeStart = Date.now();
    const peers = path.join(scratch, 'peers');
    const full = path.join(scratch, 'tfjs');
    project(peers, 'smoke-declared-peers');
    project(full, 'smoke-tfjs');
    // The tools and both installs run side by side (the installs wait on the network and npm's cache).
    await Promise.all([
      tools(tarball),
      install(peers, [`@tensorflow/tfjs-core@${TFJS}`, `@tensorflow/tfjs-backend-cpu@${TFJS}`, `@tensorflow/tfjs-layers@${TFJS}`, tarball],
              'a (declared peers)'),
      install(full, [`@tensorflow/tfjs@${TFJS}`, `@tensorflow/tfjs-backend-webgpu@${TFJS}`, `@tensorflow/tfjs-backend-wasm@${TFJS}`,
                     'typescript@~5.9.3', tarball],
              'b–d (@tensorflow/tfjs)'),
    ]);
    await smokeScript(peers, 'smoke_peers.cjs', 'a. declared peers only, CommonJS');
    await bundledSmoke(peers, 'smoke_peers.cjs', "a'. declared peers only, bundled (esbuild)");
    await smokeScript(full, 'quickstart.mjs', 'b. @tensorflow/tfjs, ESM');
    await smokeScript(full, 'smoke_wasm.cjs', "b'. tfjs-wasm: our SIMD kernels from the package");
    await typescriptConsumer(full);
    await browserPage(full);
    say(`✓ all package checks passed: tools + smoke installs ${secs(smokeStart)}, total ${secs(t0)}`);
    ok = true;
  } finally {
    if (ok && !keep) {
      fs.rmSync(scratch, {recursive: true, force: true});
    } else {
      say(`scratch directory kept: ${scratch}`);
    }
  }
}

main().catch(e => {
  console.error(`[package] ✗ ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});

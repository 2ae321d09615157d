/**
 * The linear + cross-entropy results (benchmarks/linear_cross_entropy.ts),
 * rendered from their JSON and never typed by hand: the RESULTS.md of
 * benchmarks/results/linear-ce (every device: that folder's files, which
 * `npm run bench:regenerate` fills, and the real-GPU folders' linear-CE files,
 * which the GPU bundle fills) and the README's linear-CE table
 * (benchmarks/readme_tables.ts). No tfjs here: reading and rendering only.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export type LinearCeProvider = 'chunked' | 'chunked-oop' | 'chunked-js' | 'fused-forward' | 'unfused' | 'tf.losses';
export type LinearCeMode = 'forward+backward' | 'forward';

/** One cell of a linear-CE results file. */
export interface LinearCeRow {
  backend: string; device?: string; N: number; H: number; V: number; provider: LinearCeProvider; chunkSize: number | null;
  /** Absent in rows measured before the mode existed: forward + backward. */
  mode?: LinearCeMode;
  /** The chunk size was the op's automatic choice (absent in older rows). */
  autoChunk?: boolean;
  status: 'ok' | 'error'; error?: string;
  firstMs?: number; medianMs?: number; p20Ms?: number; p80Ms?: number; reps?: number;
  /** Peak bytes counted at every backend allocation (tools/linear_ce_memory.ts). */
  peakBackendExtraBytes?: number;
  /** The harness's sampler (unique tensor buffers, at kernel boundaries). */
  peakExtraBytes?: number;
  leakedTensors?: number;
  /** When the row was measured (ISO); absent in rows of older runs. */
  runDate?: string;
  /** Providers took turns within every repetition (true in every run since the field exists). */
  interleaved?: boolean;
  /** How each timed step waited for its gradients. */
  readBack?: string;
  /** The 1-minute load average at the start and the end of the run that measured the row. */
  loadAverage?: [number, number];
  /** The benchmark flags of that run. */
  args?: string;
}

/** One results file (schema 2). */
export interface LinearCeFile {
  schema: 2;
  bench: 'linear_cross_entropy';
  note?: string;
  host?: {cpus?: number, cpu?: string, node?: string};
  devices?: Array<{name: string, maxStorageBufferBindingSize?: number, maxBufferSize?: number}>;
  /** Files from runs before rows carried a run date: the date of the run (and where it comes from). */
  measured?: {date: string, source: string};
  rows: LinearCeRow[];
}

/** One cell of the cpu GEMM benchmark (benchmarks/matmul_accumulate.cpu.ts). */
export interface GemmRow {
  product: string; n: number; H: number; V: number; provider: 'js' | 'simd' | 'tfjs'; reps: number;
  medianMs: number; minMs: number; cpuMedianMs: number; maxRelDiffFromJs: number;
}

/** Its results file (one run). */
export interface GemmFile {
  bench: 'matmul_accumulate_cpu'; runDate: string; args: string; interleaved: boolean; loadAverage: [number, number];
  host: {cpus: number, cpu?: string, node: string};
  rows: GemmRow[];
}

export const GEMM_FILE = 'matmul-accumulate-cpu.json';

export const LINEAR_CE_DIR = 'linear-ce';
const FILE = /^linear_cross_entropy\.results-.*\.json$/;

/** Every linear-CE results file: benchmarks/results/linear-ce first, then each other folder's, by path. */
export function loadLinearCe(resultsDir: string): Array<{rel: string, file: LinearCeFile}> {
  if (!fs.existsSync(resultsDir)) return [];
  const subs = [LINEAR_CE_DIR, ...fs.readdirSync(resultsDir).filter(s => s !== LINEAR_CE_DIR).sort()];
  const out: Array<{rel: string, file: LinearCeFile}> = [];
  for (const sub of subs) {
    const dir = path.join(resultsDir, sub);
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) continue;
    for (const f of fs.readdirSync(dir).filter(x => FILE.test(x)).sort()) {
      out.push({rel: `${sub}/${f}`, file: JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as LinearCeFile});
    }
  }
  return out;
}

export const modeOf = (r: LinearCeRow): LinearCeMode => r.mode ?? 'forward+backward';
const mib = (b?: number) => (b == null ? '–' : (b / 2 ** 20).toFixed(1));
const ratioText = (a?: number, b?: number) => (a == null || b == null ? '–' : `${(a / b).toFixed(2)}×`);

/** The materialised path (matMul + our fused CE) of the row's size, mode and device, when it ran. */
export function baseline(rows: LinearCeRow[], r: LinearCeRow): LinearCeRow | undefined {
  return rows.find(b => b.backend === r.backend && b.device === r.device && b.N === r.N && b.H === r.H && b.V === r.V &&
      modeOf(b) === modeOf(r) && b.provider === 'unfused' && b.status === 'ok');
}

/** When a row was measured: its own date, the file's, or 'not recorded'. */
export function runDateOf(r: LinearCeRow, file?: LinearCeFile): string {
  return r.runDate?.slice(0, 10) ?? (file?.measured ? `${file.measured.date} (${file.measured.source})` : 'not recorded');
}

const chunkText = (r: LinearCeRow) => (r.chunkSize == null ? '–' : `${r.chunkSize}${r.autoChunk ? ' (auto)' : ''}`);

/** Markdown table of rows; ratios against the unfused path of the same size on the same device. */
export function table(rows: LinearCeRow[]): string {
  const lines = ['| device | N×H×V | mode | provider | chunk | median ms (p20–p80), reps | peak extra MiB (alloc / harness) | time vs unfused | peak vs unfused |',
    '|---|---|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    const base = baseline(rows, r);
    const time = r.status !== 'ok' ? `failed: ${r.error}` : r.reps === 0 ? `${r.medianMs!.toFixed(0)} (one cold run)` :
      `${r.medianMs!.toFixed(0)} (${r.p20Ms!.toFixed(0)}–${r.p80Ms!.toFixed(0)}), ${r.reps ?? '?'}`;
    lines.push(`| ${r.device ?? r.backend} | ${r.N}×${r.H}×${r.V} | ${modeOf(r)} | ${r.provider} | ${chunkText(r)} | ${time} | ` +
        `${mib(r.peakBackendExtraBytes)} / ${mib(r.peakExtraBytes)} | ${ratioText(r.medianMs, base?.medianMs)} | ` +
        `${ratioText(r.peakBackendExtraBytes, base?.peakBackendExtraBytes)} |`);
  }
  return lines.join('\n');
}

/** The settings of a file's runs: one line per distinct (flags, date, load). */
function runsText(file: LinearCeFile): string[] {
  const seen = new Map<string, string>();
  for (const r of file.rows) {
    const load = r.loadAverage ? `, load ${r.loadAverage[0].toFixed(1)} → ${r.loadAverage[1].toFixed(1)}` : '';
    const key = `${r.args ?? '(flags not recorded)'}`;
    const text = `\`${key}\`: ${runDateOf(r, file)}${r.interleaved ? ', providers interleaved' : ''}` +
      `${r.readBack ? `, ${r.readBack}` : ''}${load}`;
    if (!seen.has(key)) seen.set(key, text);
  }
  return [...seen.values()].map(t => `- ${t}`);
}

/** The cpu GEMM loops, JavaScript against the SIMD module (and tfjs's matMul), from GEMM_FILE. */
function gemmSection(file: string): string[] {
  if (!fs.existsSync(file)) return [];
  const g = JSON.parse(fs.readFileSync(file, 'utf8')) as GemmFile;
  const providers = [...new Set(g.rows.map(r => r.provider))];
  const others = providers.filter(p => p !== 'js');
  const md = [`## The cpu GEMM loops: ${GEMM_FILE}`, '',
    'The five matrix products of one chunk (benchmarks/matmul_accumulate.cpu.ts): `js` = the JavaScript loops ' +
    '(kernels/cpu/matmul_accumulate.ts, `FUSED_CE_CPU_SIMD = false`), `simd` = the WebAssembly SIMD module ' +
    '(kernels/cpu/matmul_accumulate_simd.ts over assembly/matmul_accumulate.ts, the tile copies in and out included), ' +
    '`tfjs` = tfjs-backend-cpu\'s matMul. Providers take turns within every repetition. ' +
    `Run \`${g.args}\`: ${g.runDate.slice(0, 16).replace('T', ' ')} UTC, ${g.host.cpus} cores` +
    `${g.host.cpu ? ` (${g.host.cpu})` : ''}, Node ${g.host.node}, load ${g.loadAverage[0]} → ${g.loadAverage[1]}.`, '',
    `| product | ${providers.map(p => `${p} ms: median (min), process CPU`).join(' | ')} | ${others.map(p => `js / ${p}: median, min, CPU`).join(' | ')} | max rel. diff from js |`,
    `|---|${providers.map(() => '---|').join('')}${others.map(() => '---|').join('')}---|`];
  for (const product of [...new Set(g.rows.map(r => r.product))]) {
    const rs = g.rows.filter(r => r.product === product);
    const js = rs.find(r => r.provider === 'js');
    const cells = providers.map(p => rs.find(r => r.provider === p)).map(r => (r ? `${r.medianMs.toFixed(0)} (${r.minMs.toFixed(0)}), ${r.cpuMedianMs.toFixed(0)}` : '–'));
    const ratios = others.map(p => rs.find(r => r.provider === p)).map(r => (r && js ?
      `**${(js.medianMs / r.medianMs).toFixed(2)}×**, ${(js.minMs / r.minMs).toFixed(2)}×, ${(js.cpuMedianMs / r.cpuMedianMs).toFixed(2)}×` : '–'));
    const diffs = others.map(p => rs.find(r => r.provider === p)?.maxRelDiffFromJs.toExponential(1) ?? '–').join(' / ');
    md.push(`| \`${product}\` (${rs[0].n}×${rs[0].H}×${rs[0].V}) | ${cells.join(' | ')} | ${ratios.join(' | ')} | ${diffs} |`);
  }
  md.push('');
  return md;
}

/** benchmarks/results/linear-ce/RESULTS.md: every linear-CE results file's rows. */
export function renderLinearCeMarkdown(resultsDir: string): string {
  const md = ['# Linear + cross-entropy results', '',
    'Generated by `benchmarks/linear_ce_report.ts` from the JSON files named below (never typed by hand): ' +
    '`npm run bench:regenerate` refills this folder (benchmarks/regenerate.ts, step linear-ce: ' +
    '`benchmarks/linear_cross_entropy.ts` on cpu and on webgpu in Node); the real-GPU folders come from the GPU ' +
    'bundle (`scripts/build-gpu-bundle.sh`, `BUNDLE_ENTRY=linear_ce.mjs ./run.sh ...`).', '',
    'Forward + backward: `tf.grads` of the mean loss w.r.t. hidden and weight, both gradients waited for ' +
    '(one element read back). Forward: the loss alone without a tape. Providers: `chunked` = ' +
    '`linearSoftmaxCrossEntropy` (chunk loop, gradients accumulated in place), `chunked-oop` = the same with ' +
    '`LINEAR_CE_IN_PLACE = false`, `chunked-js` = the same with `FUSED_CE_CPU_SIMD = false` (cpu: every kernel, ' +
    'the GEMM included, on its JavaScript path instead of the WebAssembly SIMD module), `fused-forward` = the op without a tape (one fused kernel on cpu and webgpu), ' +
    '`unfused` = matMul + our fused sparse CE (the `[N, V]` logits materialised), `tf.losses` = matMul + ' +
    '`tf.losses.softmaxCrossEntropy` on one-hot labels. Peak extra = bytes allocated beyond the inputs until the ' +
    'result exists, counted at every backend allocation / by the harness\'s sampler of live tensor buffers. ' +
    'The first run of each cell is cold and timed apart; `reps` timed runs follow (0: the cold run is the only time).', ''];
  md.push(...gemmSection(path.join(resultsDir, LINEAR_CE_DIR, GEMM_FILE)));
  for (const {rel, file} of loadLinearCe(resultsDir)) {
    md.push(`## ${rel}`, '');
    const devs = (file.devices ?? []).map(d => d.name + (d.maxStorageBufferBindingSize != null ?
      ` (maxStorageBufferBindingSize ${d.maxStorageBufferBindingSize} B, maxBufferSize ${d.maxBufferSize} B)` : ''));
    md.push(`Device: ${devs.join('; ') || '–'}; host: ${file.host?.cpus ?? '?'} cores${file.host?.cpu ? ` (${file.host.cpu})` : ''}, ` +
      `Node ${file.host?.node ?? '?'}.`, '');
    if (/swiftshader/i.test(JSON.stringify(file.devices ?? []))) {
      md.push('SwiftShader is a CPU emulation of a GPU: these rows compare implementations on one software device, not GPU speed.', '');
    }
    md.push('Runs:', '', ...runsText(file), '');
    md.push(table(file.rows), '');
    const dates = file.rows.filter(r => r.runDate == null);
    if (dates.length) {
      md.push(`${dates.length} of ${file.rows.length} rows carry no run date, interleaving or read-back mode of their own ` +
        `(an older run${file.measured ? `, ${file.measured.date} : ${file.measured.source}` : ''}).`, '');
    }
  }
  return md.join('\n');
}

const memText = (b: number) => (b < 2 ** 20 ? `${(b / 1024).toFixed(0)} KiB` : `${(b / 2 ** 20).toFixed(1)} MiB`);
const timesText = (x: number) => (x >= 10 ? `${x.toFixed(0)}×` : `${x.toFixed(2)}×`);
const msText = (x: number) => (x >= 10000 ? `${(x / 1000).toFixed(0)} s` : x >= 1000 ? `${(x / 1000).toFixed(1)} s` : `${x.toFixed(0)} ms`);

function deviceText(r: LinearCeRow): string {
  const dev = r.device ?? r.backend;
  if (/swiftshader/i.test(dev)) return `\`${r.backend}\` in Node (SwiftShader)`;
  if (/nvidia/i.test(dev)) return `\`${r.backend}\` in Node (NVIDIA${/h200/i.test(dev) ? ' H200' : ''})`;
  const cpu = /\(([^)]*)\)/.exec(dev)?.[1];
  return `\`${r.backend}\`${cpu ? ` (${cpu})` : ''}`;
}

/**
 * The README's linear-CE table: per device and size, the chunked op (forward +
 * backward) and the fused forward (no tape) against the materialised path of
 * the same run: time and peak extra memory; where the materialised path failed,
 * its error.
 */
export function linearCeReadmeTable(resultsDir: string): string {
  const out = ['| backend (device) | N×H×V | mode | ours | time vs materialised | peak extra memory vs materialised | measured | results |',
    '|---|---|---|---|---|---|---|---|'];
  const older: string[] = [];
  for (const {rel, file} of loadLinearCe(resultsDir)) {
    const link = `[${rel.split('/')[0]}](benchmarks/results/${LINEAR_CE_DIR}/RESULTS.md)`;
    const ours = file.rows.filter(r => r.status === 'ok' &&
        ((modeOf(r) === 'forward+backward' && r.provider === 'chunked') || (modeOf(r) === 'forward' && r.provider === 'fused-forward')));
    for (const r of ours) {
      const base = baseline(file.rows, r);
      const failed = file.rows.find(b => b.device === r.device && b.N === r.N && b.H === r.H && b.V === r.V &&
          modeOf(b) === modeOf(r) && b.provider === 'unfused' && b.status === 'error');
      const what = `${r.provider}${r.chunkSize != null ? `, chunks of ${chunkText(r)}` : ''}`;
      let time: string, mem: string;
      if (base) {
        time = `**${timesText(r.medianMs! / base.medianMs!)}** (${msText(r.medianMs!)} vs ${msText(base.medianMs!)})`;
        const x = r.peakBackendExtraBytes != null && base.peakBackendExtraBytes != null ?
          base.peakBackendExtraBytes / Math.max(r.peakBackendExtraBytes, 1) : null;
        mem = x == null ? '–' : `**1/${x >= 100 ? x.toFixed(0) : x.toFixed(1)}** ` +
          `(${memText(r.peakBackendExtraBytes!)} vs ${memText(base.peakBackendExtraBytes!)})`;
      } else if (failed) {
        time = `${msText(r.medianMs!)}; materialised path: failed (${failed.error!.split(':')[0]})`;
        mem = r.peakBackendExtraBytes != null ? memText(r.peakBackendExtraBytes) : '–';
      } else {
        continue;
      }
      const date = r.runDate?.slice(0, 10) ?? (file.measured ? `${file.measured.date} (*)` : 'not recorded');
      if (r.runDate == null && file.measured && !older.includes(rel)) older.push(rel);
      out.push(`| ${deviceText(r)} | ${r.N}×${r.H}×${r.V} | ${modeOf(r)} | ${what} | ${time} | ${mem} | ${date} | ${link} |`);
    }
  }
  for (const rel of older) {
    const m = loadLinearCe(resultsDir).find(f => f.rel === rel)!.file.measured!;
    out.push('', `(*) ${rel}: ${m.source}.`);
  }
  return out.join('\n');
}

if (typeof module !== 'undefined' && require.main === module) {
  const dir = process.argv[2] ?? path.join(__dirname, 'results');
  const target = path.join(dir, LINEAR_CE_DIR, 'RESULTS.md');
  fs.mkdirSync(path.dirname(target), {recursive: true});
  fs.writeFileSync(target, renderLinearCeMarkdown(dir));
  console.log(`wrote ${target}`);
}

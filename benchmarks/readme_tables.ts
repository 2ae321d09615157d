/**
 * The README's benchmark numbers, generated from the JSON in
 * benchmarks/results (never typed by hand). Each generated part of README.md
 * sits between
 *
 *   <!-- generated: NAME (benchmarks/readme_tables.ts) -->
 *   <!-- end generated: NAME -->
 *
 * `npx tsx benchmarks/readme_tables.ts` rewrites them (so does
 * `npm run bench:regenerate`); `--check` exits 1 when README.md differs from
 * what the JSON gives (test/benchmarks/generated_tables.test.ts runs the same
 * comparison).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type {BackendReport, CellResult, Mode} from './harness';
import {linearCeReadmeTable} from './linear_ce_report';
import {label, loadReports} from './report';

const ROOT = path.join(__dirname, '..');
const RESULTS = path.join(__dirname, 'results');
export const README = path.join(ROOT, 'README.md');

interface Folder {
  /** Relative to benchmarks/results ('' for the main folder). */
  sub: string;
  reports: BackendReport[];
}

/**
 * The results folders the README quotes ('' is benchmarks/results itself):
 * those `npm run bench:regenerate` fills (regenerate.ts) and those measured
 * on a real GPU. A new folder is quoted once it is added here.
 */
export const README_FOLDERS = ['', 'swiftshader-1024x32000', 'train-models', 'nvidia-h200'];

function folders(resultsDir = RESULTS): Folder[] {
  return README_FOLDERS.map(sub => ({sub, reports: loadReports(path.join(resultsDir, sub))}));
}

const times = (x: number) => (x >= 10 ? `${x.toFixed(0)}×` : `${x.toFixed(1)}×`);
const msText = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

function cell(r: BackendReport, suite: string, rows: number, classes: number, mode: Mode, provider: string): CellResult | undefined {
  const c = r.results.find(x => x.suite === suite && x.shape.rows === rows && x.shape.classes === classes &&
      x.mode === mode && x.provider === provider);
  return c?.status === 'ok' ? c : undefined;
}

/** tf.losses median / fused median, or null. */
function speedup(r: BackendReport, suite: string, rows: number, classes: number, mode: Mode): number | null {
  const f = cell(r, suite, rows, classes, mode, 'fused');
  const t = cell(r, suite, rows, classes, mode, 'tf.losses');
  return f && t ? t.medianMs! / f.medianMs! : null;
}

function device(r: BackendReport): string {
  const where = r.platform === 'chromium' ? 'in Chromium' : r.backend === 'webgpu' ? 'in Node' : '';
  const dev = r.device as {description?: string, renderer?: string, host?: {cpu?: string, cores?: number}};
  const name = /swiftshader/i.test(JSON.stringify(r.device)) ? 'SwiftShader' :
    r.deviceSlug === 'host' ? `${dev.host?.cores ?? '?'}-core ${(dev.host?.cpu ?? 'host').split(' ').slice(0, 2).join(' ')}` :
      r.deviceSlug === 'nvidia' ? 'NVIDIA H200' : String(dev.description ?? dev.renderer ?? r.deviceSlug);
  const composite = Object.values(r.fusedKernels).some(Boolean) ? '' : ', composite path';
  return `\`${r.backend}\` ${where} (${name}${composite})`.replace('  ', ' ');
}

function link(sub: string): string {
  return `[${sub || 'RESULTS.md'}](benchmarks/results/${sub ? sub + '/' : ''}RESULTS.md)`;
}

/**
 * Only reports that read back per call as today (one element of a large
 * result): comparable rows. Node reports say so in their options, every
 * report since the pipelined mode in its cells' readBack.
 */
const current = (r: BackendReport) => r.options.readBackFullMax != null || r.results.some(c => c.readBack != null);

/** "How it compares": softmax CE fused vs tf.losses, per backend and shape, from every results folder. */
export function compareTable(all: Folder[]): string {
  const out = [
    '| backend (device) | shape N×C | fwd+bwd speed-up, dense / sparse (read back every call) | pipelined, dense / sparse (one read per K steps) | memory, ours vs tf.losses | dispatches per step, ours vs tf.losses | measured | results |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const {sub, reports} of all) {
    for (const r of reports.filter(current)) {
      const shapes = [...new Map(r.results.filter(c => c.suite === 'softmax-ce' && c.mode === 'forward+backward' && c.shape.classes >= 1000)
          .map(c => [`${c.shape.rows}x${c.shape.classes}`, c.shape])).values()];
      for (const {rows, classes} of shapes) {
        const dense = speedup(r, 'softmax-ce', rows, classes, 'forward+backward');
        if (dense == null) continue;
        const sparse = speedup(r, 'sparse-softmax-ce', rows, classes, 'forward+backward');
        const pd = speedup(r, 'softmax-ce', rows, classes, 'pipelined');
        const ps = speedup(r, 'sparse-softmax-ce', rows, classes, 'pipelined');
        const f = cell(r, 'softmax-ce', rows, classes, 'forward+backward', 'fused')!;
        const t = cell(r, 'softmax-ce', rows, classes, 'forward+backward', 'tf.losses')!;
        const mem = f.peakExtraBytes != null && t.peakExtraBytes != null ?
          `${times(f.peakExtraBytes / f.logitsBytes)} vs ${times(t.peakExtraBytes / t.logitsBytes)}` : '';
        const disp = f.dispatches != null && t.dispatches != null ? `${f.dispatches} vs ${t.dispatches}` : '';
        const pair = (a: number | null, b: number | null) => (a == null ? '' : `${times(a)}${b == null ? '' : ` / ${times(b)}`}`);
        out.push(`| ${device(r)} | ${rows}×${classes} | ${pair(dense, sparse)} | ${pair(pd, ps)} | ${mem} | ${disp} | ` +
            `${(f.runDate ?? r.startedAt).slice(0, 10)} | ${link(sub)} |`);
      }
    }
  }
  return out.join('\n');
}

/** The cpu speed-up the README's first paragraph quotes: softmax CE forward+backward at 1024×1000. */
export function cpuSpeedup(all: Folder[]): string {
  const cpu = all.find(f => f.sub === '')?.reports.find(r => r.platform === 'node' && r.backend === 'cpu');
  const s = cpu ? speedup(cpu, 'softmax-ce', 1024, 1000, 'forward+backward') : null;
  return s == null ? '(not measured)' : times(s);
}

/** "On a real GPU": every real-GPU folder's softmax CE forward+backward, per shape. */
export function realGpuTable(all: Folder[], resultsDir = RESULTS): string {
  const out: string[] = [];
  for (const {sub, reports} of all.filter(f => f.sub !== '')) {
    for (const r of reports.filter(x => current(x) && !/swiftshader/i.test(JSON.stringify(x.device)))) {
      const shapes = [...new Map(r.results.filter(c => c.suite === 'softmax-ce' && c.mode === 'forward+backward' && c.shape.classes >= 32000)
          .map(c => [`${c.shape.rows}x${c.shape.classes}`, c.shape])).values()].sort((a, b) => a.rows - b.rows);
      if (!shapes.length) continue;
      out.push(`${label(r)}, measured ${r.startedAt.slice(0, 10)} ([${sub}](benchmarks/results/${sub}/RESULTS.md)):`, '');
      out.push(`| op, forward+backward | ${shapes.map(s => `${s.rows}×${s.classes}`).join(' | ')} | peak extra, fused vs tf.losses |`);
      out.push(`|---|${shapes.map(() => '---|').join('')}---|`);
      for (const mode of ['forward+backward', 'forward'] as Mode[]) {
        for (const [suite, name] of [['softmax-ce', 'softmax CE (dense)'], ['sparse-softmax-ce', 'sparse softmax CE (tf.losses: one-hot)']]) {
          const cells = shapes.map(({rows, classes}) => {
            const f = cell(r, suite, rows, classes, mode, 'fused');
            const t = cell(r, suite, rows, classes, mode, 'tf.losses');
            return f && t ? `${times(t.medianMs! / f.medianMs!)} (${msText(f.medianMs!)} vs ${msText(t.medianMs!)} ms)` : '–';
          });
          if (cells.every(c => c === '–')) continue;
          const big = shapes[shapes.length - 1];
          const f = cell(r, suite, big.rows, big.classes, mode, 'fused');
          const t = cell(r, suite, big.rows, big.classes, mode, 'tf.losses');
          const mem = f?.peakExtraBytes != null && t?.peakExtraBytes != null ?
            `${times(f.peakExtraBytes / f.logitsBytes)} vs ${times(t.peakExtraBytes / t.logitsBytes)} the logits` : '–';
          out.push(`| ${name}${mode === 'forward' ? ', forward alone' : ''}, fused vs tf.losses | ${cells.join(' | ')} | ${mem} |`);
        }
      }
      out.push('', ...realGpuNotes(r, sub, resultsDir), '');
    }
  }
  return out.join('\n').trim();
}

/**
 * What a real-GPU report lacks (a bundle run from before the pipelined mode,
 * dispatch counts, kernel timestamps and the roofline), and the op spec's
 * result on that GPU (spec-*.json beside it).
 */
function realGpuNotes(r: BackendReport, sub: string, resultsDir: string): string[] {
  const out: string[] = [];
  const missing = [
    r.results.some(c => c.mode === 'pipelined') ? '' : 'pipelined steps',
    r.results.some(c => c.dispatches != null) ? '' : 'dispatch counts',
    r.results.some(c => c.kernelMs != null || c.kernelMsUnavailable != null) ? '' : 'kernel times (timestamp queries)',
    r.roofline != null ? '' : 'the copy-bandwidth roofline',
  ].filter(Boolean);
  if (missing.length) {
    const list = missing.length > 1 ? `${missing.slice(0, -1).join(', ')} or ${missing[missing.length - 1]}` : missing[0];
    out.push(`This run (${r.startedAt.slice(0, 10)}) is from an older bundle: it has no ${list}. ` +
        'The prepared bundle (`scripts/build-gpu-bundle.sh`, benchmarks/gpu_bundle) measures them on the next GPU run.');
  }
  const dir = path.join(resultsDir, sub);
  for (const f of fs.existsSync(dir) ? fs.readdirSync(dir).filter(x => /^spec-.*\.json$/.test(x)).sort() : []) {
    const spec = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as
      {records: Array<{variant: string, ok: boolean, maxRelErr?: number, name: string}>};
    const fused = spec.records.filter(x => x.variant === 'fused');
    const worst = fused.reduce((a, b) => ((b.maxRelErr ?? 0) > (a?.maxRelErr ?? -1) ? b : a), fused[0]);
    out.push(`The op spec on this GPU ([${f}](benchmarks/results/${sub}/${f})): ` +
        `${spec.records.filter(x => x.ok).length} of ${spec.records.length} cases pass` +
        (worst?.maxRelErr != null ? `; fused worst error ${worst.maxRelErr.toExponential(1)} against float64 (${worst.name})` : '') + '.');
  }
  return out.flatMap((x, i) => (i ? ['', x] : [x]));
}

/** Every generated part of the README, by name. */
export function sections(resultsDir = RESULTS): Record<string, string> {
  const all = folders(resultsDir);
  return {'cpu-speedup': cpuSpeedup(all), 'compare': compareTable(all), 'real-gpu': realGpuTable(all, resultsDir),
    'linear-ce': linearCeReadmeTable(resultsDir)};
}

const START = (name: string) => `<!-- generated: ${name} (benchmarks/readme_tables.ts) -->`;
const END = (name: string) => `<!-- end generated: ${name} -->`;

/** `text` with each generated section replaced; throws when a section's markers are missing. */
export function withSections(text: string, parts: Record<string, string>): string {
  for (const [name, body] of Object.entries(parts)) {
    const a = text.indexOf(START(name));
    const b = text.indexOf(END(name));
    if (a < 0 || b < a) throw new Error(`README.md has no generated section "${name}" (${START(name)} … ${END(name)})`);
    // Inline sections (inside a sentence) stay inline; block sections get their own lines.
    const inline = !body.includes('\n');
    const inner = inline ? body : `\n${body}\n`;
    text = text.slice(0, a + START(name).length) + inner + text.slice(b);
  }
  return text;
}

/** Rewrites README.md's generated sections; true when something changed. */
export function updateReadme(resultsDir = RESULTS, readme = README): boolean {
  const before = fs.readFileSync(readme, 'utf8');
  const after = withSections(before, sections(resultsDir));
  if (after !== before) fs.writeFileSync(readme, after);
  return after !== before;
}

if (require.main === module) {
  if (process.argv.includes('--check')) {
    const text = fs.readFileSync(README, 'utf8');
    if (withSections(text, sections()) !== text) {
      console.error('README.md: generated sections differ from benchmarks/results (run npx tsx benchmarks/readme_tables.ts)');
      process.exit(1);
    }
    console.log('README.md: generated sections match benchmarks/results');
  } else {
    console.log(updateReadme() ? 'README.md updated' : 'README.md unchanged');
  }
}

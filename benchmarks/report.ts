/**
 * Builds benchmarks/results/RESULTS.md and the chart (chart.svg, chart.png)
 * from the JSON reports in a results folder. Run alone with
 * `npx tsx benchmarks/report.ts [resultsDir]`; `run.ts` calls it at the end.
 *
 * The chart is a vega-lite spec compiled by vega-lite, rendered to SVG by
 * vega's headless View (renderer 'none' + toSVG) and rasterized to PNG by
 * @resvg/resvg-js.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type {BackendReport, CellResult, Mode, ProviderId} from './harness';

/** What `npm run bench` wrote last (results/run-info.json), written by run.ts, read here. */
export interface RunInfo {
  /** Backend -> why it did not run (absent, failed to start). */
  skipped: Record<string, string>;
  /** Backend -> the JSON file it wrote. */
  ran: Record<string, string>;
  command: string;
  date: string;
  /** The git commit the run measured, and how many files differed from it (a shared working tree). */
  commit?: string;
  uncommittedFiles?: number;
  notes: string[];
}

const PROVIDERS: ProviderId[] = ['fused', 'composite', 'tf.losses', 'tfjs-layers'];

export function loadReports(dir: string): BackendReport[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir)
      .filter(f => f.endsWith('.json') && f !== 'run-info.json')
      .map(f => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as BackendReport)
      .filter(r => r.schema === 1)
      .sort((a, b) => label(a).localeCompare(label(b)));
}

export function label(r: BackendReport): string {
  // Reports from before the one-element read-back of large results (no readBackFullMax) read every result whole.
  const whole = r.options.readBackFullMax == null && !r.results.some(c => c.readBack != null) ?
    ', every result read back whole' : '';
  return `${r.platform === 'chromium' ? 'chromium ' : 'node '}${r.backend}${r.deviceSlug !== 'host' || whole ? ` (${r.deviceSlug}${whole})` : ''}`;
}

const ms = (x?: number) => (x == null ? '–' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const ratio = (x?: number) => (x == null || !isFinite(x) ? '–' : x >= 10 ? `${x.toFixed(0)}×` : `${x.toFixed(1)}×`);
const mib = (b: number) => `${(b / 2 ** 20).toFixed(b >= 2 ** 24 ? 0 : 1)} MiB`;

function find(r: BackendReport, suite: string, shape: string, mode: Mode, p: ProviderId): CellResult | undefined {
  return r.results.find(c => c.suite === suite && `${c.shape.rows}x${c.shape.classes}` === shape && c.mode === mode && c.provider === p);
}

function timeCell(c?: CellResult): string {
  if (!c) return '';
  if (c.status === 'unavailable') return 'n/a';
  if (c.status === 'error') return /memory|allocat|exceed|too large|size/i.test(c.error ?? '') ? '**OOM**' : '**error**';
  return `${ms(c.medianMs)} <sub>${ms(c.p20Ms)}–${ms(c.p80Ms)}</sub>`;
}

const speedup = (base?: CellResult, ours?: CellResult) =>
  (base?.status === 'ok' && ours?.status === 'ok' ? base.medianMs! / ours.medianMs! : undefined);
const memX = (c?: CellResult) => (c?.status === 'ok' && c.peakExtraBytes != null ? c.peakExtraBytes / c.logitsBytes : undefined);

/** Rows for the chart: speedups and memory per cell. */
interface ChartRow {
  /** The y label: suite, shape, mode. */
  row?: string;
  backend: string;
  suite: string;
  shape: string;
  mode: Mode;
  provider: ProviderId;
  speedup?: number;
  memory?: number;
}

function chartRows(reports: BackendReport[]): ChartRow[] {
  const rows: ChartRow[] = [];
  for (const r of reports) {
    for (const c of r.results) {
      if (c.status !== 'ok') continue;
      const shape = `${c.shape.rows}×${c.shape.classes}`;
      const base = find(r, c.suite, `${c.shape.rows}x${c.shape.classes}`, c.mode, 'tf.losses');
      rows.push({
        backend: label(r), suite: c.suite, shape, mode: c.mode, provider: c.provider,
        speedup: speedup(base, c), memory: memX(c),
      });
    }
  }
  return rows;
}

export async function renderChart(reports: BackendReport[], dir: string): Promise<string[]> {
  const values = chartRows(reports).filter(r => r.suite !== 'large-vocab-sparse-ce' || r.mode === 'forward+backward');
  if (!values.length) return [];
  const vega = await import('vega');
  const vl = await import('vega-lite');
  const {Resvg} = await import('@resvg/resvg-js');
  const short: Record<Mode, string> = {'forward': 'fwd', 'forward+backward': 'fwd+bwd', 'pipelined': 'fwd+bwd pipelined', 'train': 'train',
    'train-pipelined': 'train pipelined'};
  for (const v of values) v.row = `${v.suite} ${v.shape} ${short[v.mode]}`;
  const facet = {row: {field: 'backend', type: 'nominal', title: null,
    header: {labelAngle: 0, labelAlign: 'left', labelFontSize: 12, labelFontWeight: 'bold'}}};
  const yAxis = {field: 'row', type: 'nominal', title: null, sort: null, axis: {labelLimit: 320}};
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: {font: 'DejaVu Sans', view: {stroke: '#ccc'}},
    data: {values},
    resolve: {scale: {color: 'independent'}},
    vconcat: [
      {
        title: 'Speedup of the fused op over tf.losses (median time ratio; right of 1 is faster)',
        transform: [{filter: "datum.provider === 'fused' && isValid(datum.speedup)"}],
        facet,
        resolve: {scale: {y: 'independent'}},
        spec: {
          width: 420, height: {step: 14},
          layer: [
            {
              mark: {type: 'bar'},
              encoding: {
                y: yAxis,
                x: {field: 'speedup', type: 'quantitative', scale: {type: 'log'}, title: 'speedup × (log scale)'},
                x2: {datum: 1},
                color: {field: 'mode', type: 'nominal', title: 'mode'},
              },
            },
            {
              mark: {type: 'text', align: 'left', dx: 3, fontSize: 10},
              encoding: {
                y: yAxis,
                x: {field: 'speedup', type: 'quantitative'},
                text: {field: 'speedup', type: 'quantitative', format: '.1f'},
              },
            },
            {mark: {type: 'rule', color: '#333'}, encoding: {x: {datum: 1}}},
          ],
        },
      },
      {
        title: 'Peak extra memory of forward+backward, in multiples of the logits (tfjs buffer accounting)',
        transform: [{filter: "datum.mode === 'forward+backward' && isValid(datum.memory)"},
          {calculate: "datum.suite + ' ' + datum.shape", as: 'case'}],
        facet,
        resolve: {scale: {y: 'independent'}},
        spec: {
          // Four providers per case: 5 px each keeps the panel as tall as the speedup one.
          width: 420, height: {step: 5},
          mark: {type: 'bar'},
          encoding: {
            y: {field: 'case', type: 'nominal', title: null, sort: null, axis: {labelLimit: 320}},
            yOffset: {field: 'provider', type: 'nominal', sort: PROVIDERS},
            x: {field: 'memory', type: 'quantitative', title: '× logits bytes'},
            color: {field: 'provider', type: 'nominal', title: 'provider', sort: PROVIDERS},
          },
        },
      },
    ],
  };
  // vega-lite warns that the independent y scales of the facets union the
  // same field from forks of one data source: that is exactly the case here.
  const compiled = vl.compile(spec as unknown as Parameters<typeof vl.compile>[0], {logger: vega.logger(vega.Error)}).spec;
  const view = new vega.View(vega.parse(compiled), {renderer: 'none'});
  const svg = await view.toSVG();
  view.finalize();
  const png = new Resvg(svg, {
    background: 'white', fitTo: {mode: 'zoom', value: 1.5},
    font: {loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans'},
  }).render().asPng();
  const svgPath = path.join(dir, 'chart.svg');
  const pngPath = path.join(dir, 'chart.png');
  fs.writeFileSync(svgPath, svg);
  fs.writeFileSync(pngPath, png);
  return [svgPath, pngPath];
}

function targets(reports: BackendReport[]): string[] {
  const out: string[] = [];
  const cpu = reports.find(r => r.platform === 'node' && r.backend === 'cpu');
  const check = (ok: boolean | undefined) => (ok == null ? '(not measured)' : ok ? '**met**' : '**not met**');
  if (cpu) {
    const f = find(cpu, 'softmax-ce', '1024x1000', 'forward+backward', 'fused');
    const t = find(cpu, 'softmax-ce', '1024x1000', 'forward+backward', 'tf.losses');
    const s = speedup(t, f);
    out.push(`- cpu 1024×1000 forward+backward, fused vs tf.losses.softmaxCrossEntropy: ${ratio(s)} faster ` +
        `(target ≥ 40×: ${check(s == null ? undefined : s >= 40)}); fused peak extra ${ratio(memX(f))} the logits ` +
        `(target ≤ 2×: ${check(memX(f) == null ? undefined : memX(f)! <= 2)}), tf.losses ${ratio(memX(t))}.`);
    for (const suite of ['softmax-ce', 'sparse-softmax-ce']) {
      const fc = find(cpu, suite, '1024x1000', 'forward+backward', 'fused');
      const tc = find(cpu, suite, '1024x1000', 'forward+backward', 'tf.losses');
      if (fc?.cpuMedianMs != null && tc?.cpuMedianMs != null) {
        out.push(`  - ${suite} in process CPU time (median per call, insensitive to the machine's load): fused ` +
            `${ms(fc.cpuMedianMs)} ms, tf.losses ${ms(tc.cpuMedianMs)} ms: ${ratio(tc.cpuMedianMs / fc.cpuMedianMs)}.`);
      }
    }
  } else {
    out.push('- cpu: no results.');
  }
  for (const r of reports.filter(x => x.backend === 'webgpu' || x.backend === 'webgl')) {
    // The target shape, else (software GPUs run smaller defaults) the largest softmax shape measured.
    const shapes = [...new Set(r.results.filter(c => c.suite === 'softmax-ce' && c.mode === 'forward+backward')
        .map(c => c.shape))].sort((a, b) => b.rows * b.classes - a.rows * a.classes);
    const target = shapes.find(x => x.rows === 1024 && x.classes === 32000) ?? shapes[0];
    if (!target) continue;
    const key = `${target.rows}x${target.classes}`;
    const f = find(r, 'softmax-ce', key, 'forward+backward', 'fused');
    const t = find(r, 'softmax-ce', key, 'forward+backward', 'tf.losses');
    const s = speedup(t, f);
    const fused = r.fusedKernels.FusedSoftmaxCrossEntropy ? '' : ' (no fused kernel registered on this backend: composite path)';
    const stand = key === '1024x32000' ? '' : ` (1024×32000 not run here: ${target.rows}×${target.classes} instead)`;
    const verdict = (ok: boolean | undefined) => (r.options.softwareDevice ? 'no verdict on a software GPU' : check(ok));
    const memText = r.backend === 'webgpu' ?
      ` Peak extra ${ratio(memX(f))} the logits (target ≤ 2×: ${verdict(memX(f) == null ? undefined : memX(f)! <= 2)}).` : '';
    out.push(`- ${label(r)} forward+backward${stand}: ${ratio(s)} faster than tf.losses (target ≥ 3× at 1024×32000: ` +
        `${verdict(s == null ? undefined : s >= 3)})${fused}.${memText}`);
  }
  out.push(...trainingTargets(reports, check));
  return out;
}

/**
 * Issue 15's targets (GPU steps as training runs them, fused reductions) and
 * issue 16's (cpu and wasm at 1024×1000), from the same JSON. Dispatch counts
 * and host uploads come from the backend, so a software GPU gives them a
 * verdict; speed and bandwidth targets are for a real GPU.
 */
function trainingTargets(reports: BackendReport[], check: (ok: boolean | undefined) => string): string[] {
  const out: string[] = [];
  const shapeKey = (c: CellResult) => `${c.shape.rows}x${c.shape.classes}`;
  const shapeText = (c: CellResult) => `${c.shape.rows}×${c.shape.classes}`;
  for (const r of reports.filter(x => x.backend === 'webgpu' || x.backend === 'webgl')) {
    const software = r.options.softwareDevice;
    const verdict = (ok: boolean | undefined) => (software ? 'no verdict on a software GPU' : check(ok));
    const counted = r.results.filter(c => (c.suite === 'softmax-ce' || c.suite === 'sparse-softmax-ce') &&
        c.mode === 'forward+backward' && c.provider === 'fused' && c.dispatches != null);
    if (counted.length) {
      const worst = Math.max(...counted.map(c => c.dispatches!));
      const each = counted.map(c => `${c.suite === 'softmax-ce' ? 'dense' : 'sparse'} ${shapeText(c)}: ${c.dispatches}`).join(', ');
      const target = r.backend === 'webgpu' ? `target ≤ 3: ${check(worst <= 3)}; counted on this device: the row layouts ` +
          'it picks can differ on another' : 'WebGL programs, not WebGPU dispatches: the ≤ 3 target is WebGPU\'s';
      out.push(`- ${label(r)}: ${r.backend === 'webgpu' ? 'dispatches' : 'programs'} per fused forward+backward of the ` +
          `mean loss ${each} (${target}).`);
    }
    const pipelined = (suite: string) => {
      const f = find(r, suite, '1024x32000', 'pipelined', 'fused'), t = find(r, suite, '1024x32000', 'pipelined', 'tf.losses');
      return speedup(t, f);
    };
    const p = pipelined('softmax-ce');
    const elsewhere = software ? 'not in this file (software GPUs run that shape in swiftshader-1024x32000/)' : 'not run';
    out.push(`  - pipelined forward+backward at 1024×32000: ${p == null ? elsewhere : `${ratio(p)} tf.losses`} ` +
        `(target ≥ 5×: ${p == null ? 'not measured' : verdict(p >= 5)}).`);
    const bw = ['softmax-ce', 'sparse-softmax-ce'].map(suite => find(r, suite, '8192x32000', 'forward+backward', 'fused'));
    const bwText = bw.map((c, i) => `${i ? 'sparse' : 'dense'} ${c?.kernelRooflineFraction == null ? 'not measured' : pct(c.kernelRooflineFraction)}`);
    const bwOk = bw.every(c => c?.kernelRooflineFraction != null) ? bw.every(c => c!.kernelRooflineFraction! >= 0.7) : undefined;
    out.push(`  - fused forward+backward kernel time at 8192×32000 against the copy bandwidth: ${bwText.join(', ')} ` +
        `(target ≥ 70 %: ${bwOk == null ? 'not measured here' : verdict(bwOk)}).`);
    const reducedCells = r.results.filter(c => (c.suite === 'sigmoid-ce-mean' || c.suite === 'binary-ce-class') &&
        c.mode === 'forward+backward' && c.provider === 'fused');
    for (const f of reducedCells) {
      const suite = f.suite;
      const soft = find(r, 'softmax-ce', shapeKey(f), 'forward+backward', 'fused');
      const up = f.uploadTensorBytes;
      const upText = up == null ? 'uploads not counted on this backend' :
          `${up} bytes uploaded per step (target: none of the logits' size, ${f.logitsBytes} bytes: ${check(up < f.logitsBytes)})`;
      const vsSoftmax = soft?.medianMs != null && f.medianMs != null ? f.medianMs / soft.medianMs : undefined;
      out.push(`  - ${suite} forward+backward at ${shapeText(f)}: ${upText}; ${vsSoftmax == null ? 'no softmax row at this shape' :
        `${ratio(vsSoftmax)} the softmax forward+backward time`} (target within 2×: ${vsSoftmax == null ? 'not measured' : verdict(vsSoftmax <= 2)}).`);
    }
  }
  for (const r of reports.filter(x => x.platform === 'node' && (x.backend === 'cpu' || x.backend === 'wasm'))) {
    const goal = r.backend === 'cpu' ? 100 : 10;
    const parts = ['softmax-ce', 'sparse-softmax-ce'].map(suite => {
      const s = speedup(find(r, suite, '1024x1000', 'forward+backward', 'tf.losses'), find(r, suite, '1024x1000', 'forward+backward', 'fused'));
      return {suite, s};
    });
    out.push(`- ${label(r)} 1024×1000 forward+backward vs tf.losses: ` +
        parts.map(({suite, s}) => `${suite === 'softmax-ce' ? 'dense' : 'sparse'} ${ratio(s)} (target ≥ ${goal}×: ${check(s == null ? undefined : s >= goal)})`).join(', ') + '.');
    for (const suite of ['sigmoid-ce-mean', 'binary-ce-class']) {
      const f = find(r, suite, '1024x1000', 'forward+backward', 'fused');
      const s = speedup(find(r, suite, '1024x1000', 'forward+backward', 'tf.losses'), f);
      if (s == null) continue;
      const dense = find(r, 'softmax-ce', '1024x1000', 'forward+backward', 'fused');
      const vs = dense?.medianMs != null && f?.medianMs != null ? ` (${ratio(f.medianMs / dense.medianMs)} the dense softmax time)` : '';
      out.push(`  - ${suite} (mean) forward+backward: ${ratio(s)} tf.losses${vs}` +
          (r.backend === 'cpu' ? ` (target ≥ 30×: ${check(s >= 30)}).` : '.'));
    }
  }
  return out;
}

const pct = (x?: number) => (x == null || !isFinite(x) ? '–' : x >= 0.1 ? `${(x * 100).toFixed(0)} %` : `${(x * 100).toPrecision(2)} %`);

export function rooflineText(r: BackendReport): string {
  const rl = r.roofline;
  if (rl == null) return '–';
  if ('unavailable' in rl) return `unavailable (${rl.unavailable})`;
  return `${rl.gbps.toPrecision(3)} GB/s (${rl.method}, ${mib(rl.bytesPerCopy / 2)} × ${rl.copies})`;
}

/**
 * GPU backends: per provider, per step, what the device did: dispatches
 * (programs), host uploads, kernel time from timestamp queries, the bytes
 * floor against the copy bandwidth (wall time and kernel time), and the peak
 * by tfjs's accounting beside the GPU backend's own byte count.
 */
function gpuDetail(r: BackendReport, suite: string): string[] {
  if (r.backend !== 'webgpu' && r.backend !== 'webgl') return [];
  const cells = r.results.filter(c => c.suite === suite && c.status === 'ok' && c.mode !== 'forward');
  if (!cells.length) return [];
  const out = [
    `GPU detail (${r.backend === 'webgpu' ? 'compute dispatches' : 'programs run'} and host uploads counted ` +
    'from the backend while one step is recorded; kernel ms: `tf.time` timestamp queries, one per dispatch, summed):', '',
    '| shape | mode | provider | ms/step | read-back | dispatches | uploaded bytes | kernel ms | % copy (wall) | % copy (kernels) | peak (tfjs) | peak (GPU backend) |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const c of cells) {
    const kernel = c.kernelMs != null ? ms(c.kernelMs) : c.kernelMsUnavailable ? 'unavailable' : '–';
    const up = c.uploadTensorBytes != null ? String(c.uploadTensorBytes) : '–';
    const gpuPeak = c.peakGpuExtraBytes != null ? ratio(c.peakGpuExtraBytes / c.logitsBytes) : '–';
    out.push(`| ${c.shape.rows}×${c.shape.classes} | ${c.mode} | ${c.provider} | ${ms(c.medianMs)} | ${c.readBack ?? 'each call'} | ` +
        `${c.dispatches ?? '–'} | ${up} | ${kernel} | ${pct(c.rooflineFraction)} | ${pct(c.kernelRooflineFraction)} | ` +
        `${ratio(memX(c))} | ${gpuPeak} |`);
  }
  const why = [...new Set(cells.map(c => c.kernelMsUnavailable).filter(Boolean))];
  if (why.length) out.push('', `Kernel times unavailable: ${why.join('; ')}.`);
  out.push('');
  return out;
}

/** The "Backends" table, then what did not run and the run's notes. */
function backendsSection(reports: BackendReport[], info: RunInfo | null): string[] {
  const md: string[] = [];
  md.push('## Backends', '');
  md.push('| backend | device | copy bandwidth (roofline) | run | fused kernels registered | versions | file |',
      '|---|---|---|---|---|---|---|');
  const files = info ? Object.fromEntries(Object.entries(info.ran).map(([k, v]) => [k, v])) : {};
  for (const r of reports) {
    const dev = r.device as Record<string, unknown>;
    const host = dev.host as {cpu?: string, cores?: number, loadAverageStart?: number[], loadAverageEnd?: number[]} | undefined;
    const loadText = host?.loadAverageStart ? `, load ${host.loadAverageStart[0]} → ${host.loadAverageEnd?.[0] ?? '?'}` : '';
    const devText = [dev.description, dev.renderer, dev.vendor && !dev.renderer ? `${dev.vendor} ${dev.architecture ?? ''}` : '',
      host ? `${host.cpu}, ${host.cores} cores${loadText}` : ''].filter(Boolean).join('; ');
    const fk = Object.entries(r.fusedKernels);
    const fkText = fk.every(([, v]) => v) ? 'all' : fk.some(([, v]) => v) ?
      fk.filter(([, v]) => v).map(([k]) => k.replace('Fused', '')).join(', ') : 'none (composite path)';
    const file = Object.values(files).find(f => f.startsWith(`${r.platform}-${r.backend}-`)) ??
        `${r.platform}-${r.backend}-${r.deviceSlug}.json`;
    const cut = r.finishedAt == null ? ' **(cut short: the process died; cells measured before are shown)**' : '';
    md.push(`| ${label(r)}${cut} | ${devText || '–'} | ${rooflineText(r)} | ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC | ${fkText} | ${Object.entries(r.versions).map(([k, v]) => `${k} ${v}`).join(', ')} | [${file}](${file}) |`);
  }
  md.push('');
  if (info && Object.keys(info.skipped).length) {
    md.push('Not run:', '');
    for (const [b, why] of Object.entries(info.skipped)) md.push(`- **${b}**: ${why}`);
    md.push('');
  }
  if (info?.notes.length) {
    md.push('Notes:', '');
    for (const n of info.notes) md.push(`- ${n}`);
    md.push('');
  }
  return md;
}

// ---------------------------------------------------------------------------
// Train mode with real models (benchmarks/train_models.ts)

/** The model suites (benchmarks/train_models.ts): what each one trains. */
const MODEL_SUITES: Record<string, string> = {
  'train-mlp': 'MLP classifier 784 → 256 (relu) → C, dense one-hot labels',
  'train-lm-head': 'language-model head, hidden → vocabulary C, sparse (class id) labels',
  'train-multilabel': 'multi-label model 256 → C sigmoid outputs, BinaryCrossentropy',
};
export const isModelSuite = (suite: string): boolean => suite in MODEL_SUITES;
const TRAIN_PROVIDERS: ProviderId[] = ['fused', 'tf.losses', 'tfjs-layers'];

const minOf = (c?: CellResult) => (c?.status === 'ok' && c.timesMs?.length ? Math.min(...c.timesMs) : undefined);

/** "median (min)" of a train cell, or why there is none. */
function medianMin(c?: CellResult): string {
  if (!c) return '';
  if (c.status !== 'ok') return timeCell(c);
  return `${ms(c.medianMs)} <sub>(${ms(minOf(c))})</sub>`;
}

/** base / ours of the medians, with that of the minimums below. */
function ratioPair(base?: CellResult, ours?: CellResult): string {
  const med = speedup(base, ours);
  const mb = minOf(base);
  const mo = minOf(ours);
  return med == null ? '–' : `${ratio(med)}${mb != null && mo != null ? ` <sub>(${ratio(mb / mo)})</sub>` : ''}`;
}

const each = (cells: (CellResult | undefined)[], f: (c: CellResult) => string | undefined) =>
  cells.map(c => (c?.status === 'ok' ? f(c) ?? '–' : '–')).join(' / ');

/** One table per model: a row per backend and mode, the three providers side by side. */
function trainModelTables(reports: BackendReport[]): string[] {
  const md: string[] = [];
  const suites = Object.keys(MODEL_SUITES).filter(s => reports.some(r => r.results.some(c => c.suite === s)));
  for (const suite of suites) {
    const shapes = [...new Set(reports.flatMap(r => r.results.filter(c => c.suite === suite)
        .map(c => `${c.shape.rows}×${c.shape.classes}`)))];
    md.push(`## ${suite}: ${MODEL_SUITES[suite]} (batch × C: ${shapes.join(', ')}; layers in the model column)`, '');
    md.push('| backend | batch × C (model) | mode | steps per read | fused ms/step | tf.losses ms/step | tfjs-layers ms/step | ' +
        'tf.losses ÷ fused | tfjs-layers ÷ fused | trainOnBatch ÷ pipelined (fused / tf.losses / tfjs-layers) | ' +
        'dispatches per step (fused / tf.losses / tfjs-layers) | uploaded KiB per step | peak MiB (tfjs) |');
    md.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const r of reports) {
      const keys = [...new Set(r.results.filter(c => c.suite === suite).map(c => `${c.shape.rows}x${c.shape.classes}`))];
      for (const key of keys) {
        for (const mode of ['train', 'train-pipelined'] as Mode[]) {
          const cells = TRAIN_PROVIDERS.map(p => find(r, suite, key, mode, p));
          if (cells.every(c => c == null)) continue;
          const [f, t, l] = cells;
          const steps = cells.find(c => c?.steps != null)?.steps ?? 1;
          const model = cells.find(c => c?.model != null)?.model;
          const perStep = mode === 'train-pipelined' ?
            TRAIN_PROVIDERS.map((p, i) => ratio(speedup(find(r, suite, key, 'train', p), cells[i]))).join(' / ') : '';
          md.push(`| ${label(r)} | ${key.replace('x', '×')}${model ? ` <sub>(${model})</sub>` : ''} | ${mode === 'train' ? 'trainOnBatch' : 'pipelined'} | ${steps} | ` +
              `${cells.map(medianMin).join(' | ')} | ${ratioPair(t, f)} | ${ratioPair(l, f)} | ${perStep} | ` +
              `${each(cells, c => c.dispatches?.toString())} | ` +
              `${each(cells, c => (c.uploadTensorBytes != null ? (c.uploadTensorBytes / 1024).toFixed(1) : undefined))} | ` +
              `${each(cells, c => (c.peakExtraBytes != null ? (c.peakExtraBytes / 2 ** 20).toFixed(1) : undefined))} |`);
        }
      }
    }
    md.push('');
    const errors = reports.flatMap(r => r.results.filter(c => c.suite === suite && c.status === 'error')
        .map(c => `- ${label(r)} ${c.shape.rows}×${c.shape.classes} ${c.mode} ${c.provider}: \`${c.error}\``));
    if (errors.length) md.push('Errors (recorded as results):', '', ...errors, '');
  }
  return md;
}

/** RESULTS.md of a folder that holds only the model suites (benchmarks/results/train-models). */
function renderTrainModels(reports: BackendReport[], info: RunInfo | null): string {
  const md: string[] = [];
  md.push('# Train mode with real models', '');
  md.push(`Generated by \`benchmarks/report.ts\` from the JSON files in this folder` +
      (info ? ` (last run: \`${info.command}\`, ${info.date}` +
        (info.commit ? `, commit ${info.commit.slice(0, 7)}${info.uncommittedFiles ? ` with ${info.uncommittedFiles} uncommitted files` : ''}` : '') +
        ').' : '.'));
  md.push('Each model (`benchmarks/train_models.ts`) is trained with SGD by three providers, each on its own copy ' +
      'of the model with the same seeded initial weights: **fused** (this package\'s loss classes on logits: ' +
      '`CategoricalCrossentropy` / `BinaryCrossentropy` with `fromLogits`, `SparseCategoricalCrossentropy` through ' +
      '`compileWithSparseLabels`), **tf.losses** (`tf.losses.softmaxCrossEntropy` / `sigmoidCrossEntropy` as the ' +
      'compile loss, on logits; sparse labels made one-hot inside each step) and **tfjs-layers** (its own string ' +
      'losses on a softmax / sigmoid output, the Keras way). Modes: **trainOnBatch**, one `model.trainOnBatch` per ' +
      'step (it reads the loss back every step); **pipelined**, K steps of `optimizer.minimize(() => mean(loss(y, ' +
      'model.apply(x))), false)` with the compiled loss function (what trainOnBatch computes, without its read-back) ' +
      'queued back to back, then one read of the last weight, time per step. On a software GPU (and cpu, wasm) ' +
      'batches are 32 rows and the LM head\'s hidden size is 32 instead of the real-GPU sizes (MLP and multi-label ' +
      'batch 128, LM head 512 rows of hidden 512): see `benchmarks/train_models.ts`. Times: ms per step, median with the ' +
      'minimum in brackets; ratios of the medians (of the minimums in brackets); the providers of one (model, mode) ' +
      'alternate round by round (`benchmarks/harness.ts`). Dispatches: webgpu compute dispatches / webgl programs ' +
      'run per step, ours and tfjs\'s (trainOnBatch: one whole step, its read-back included). Peak: tensor buffers ' +
      'created during one run and alive at once (tfjs accounting; pipelined: over K steps).', '');
  if (reports.some(r => /swiftshader/i.test(JSON.stringify(r.device)))) {
    md.push('> **No GPU was available for these runs.** Rows marked *swiftshader* ran WebGPU/WebGL on SwiftShader, ' +
        'a CPU emulation of a GPU: the dispatch counts, uploads and pipelined-versus-trainOnBatch ratios mean ' +
        'something there, the times say nothing about a real GPU.', '');
  }
  md.push(...backendsSection(reports, info));
  md.push(...trainModelTables(reports));
  return md.join('\n');
}

export function renderMarkdown(reports: BackendReport[], info: RunInfo | null): string {
  if (reports.length && reports.every(r => r.results.every(c => isModelSuite(c.suite)))) return renderTrainModels(reports, info);
  const md: string[] = [];
  md.push('# Benchmark results', '');
  md.push(`Generated by \`benchmarks/report.ts\` from the JSON files in this folder` +
      (info ? ` (last run: \`${info.command}\`, ${info.date}` +
        (info.commit ? `, commit ${info.commit.slice(0, 7)}${info.uncommittedFiles ? ` with ${info.uncommittedFiles} uncommitted files` : ''}` : '') +
        ').' : '.'));
  md.push('Times are milliseconds per call, median with p20–p80 below it, results read back included ' +
      '(forward: the per-example loss; forward+backward: `tf.valueAndGrad` of the mean loss w.r.t. the logits, ' +
      'loss and gradient read back; pipelined: the same forward+backward K times in a row, one read-back at ' +
      'the end, time per step; train: one `model.trainOnBatch` of a Dense(32 → C) model). ' +
      '"Speedup" is the tf.losses (or tfjs-layers, or composite) median over the fused median. ' +
      '"Peak" is the peak of tensor buffers created during one call and alive at once (tfjs accounting, ' +
      'sampled after every kernel; inputs excluded), in multiples of the logits\' bytes N·C·4. ' +
      'GB/s = floor bytes / median, floor = N·C·4 forward, 2·N·C·4 forward+backward (logits read once, ' +
      'gradient written once; labels not counted); "% copy" = those GB/s as a share of the copy bandwidth ' +
      'measured on the same device in the same run (`benchmarks/roofline.ts`). Every cell of the JSON carries ' +
      'its run date, whether it was interleaved with the other providers, and its read-back mode. ' +
      'See `benchmarks/harness.ts` for the protocol.', '');
  const swift = reports.some(r => /swiftshader/i.test(JSON.stringify(r.device)));
  if (swift) {
    md.push('> **No GPU was available for these runs.** Rows marked *swiftshader* ran WebGPU/WebGL on ' +
        'SwiftShader, a CPU emulation of a GPU: they check that everything runs and compare implementations ' +
        'on the same software device, but say nothing about real GPU speed. Real-GPU numbers come from ' +
        '`scripts/build-gpu-bundle.sh` (run `bundle-gpu/run.sh` on an NVIDIA machine).', '');
  }
  md.push('## Targets', '', ...targets(reports), '');
  md.push(...backendsSection(reports, info));
  md.push('![speedup and memory](chart.png)', '');

  for (const r of reports) {
    const suites = [...new Set(r.results.map(c => c.suite))];
    for (const suite of suites) {
      md.push(`## ${label(r)} — ${suite}`, '');
      md.push('| shape | mode | fused ms | composite ms | tf.losses ms | tfjs-layers ms | × vs tf.losses | × vs tfjs-layers | × vs composite | fused first ms | fused GB/s | fused % copy | peak fused | peak tf.losses | memory ratio |');
      md.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
      const shapes = [...new Set(r.results.filter(c => c.suite === suite).map(c => `${c.shape.rows}x${c.shape.classes}`))];
      for (const shape of shapes) {
        for (const mode of ['forward', 'forward+backward', 'pipelined', 'train', 'train-pipelined'] as Mode[]) {
          const cells = PROVIDERS.map(p => find(r, suite, shape, mode, p));
          if (cells.every(c => c == null)) continue;
          const [f, comp, tl, lay] = cells;
          const mf = memX(f);
          const mt = memX(tl);
          md.push(`| ${shape.replace('x', '×')} | ${mode} | ${cells.map(timeCell).join(' | ')} | ` +
              `${ratio(speedup(tl, f))} | ${ratio(speedup(lay, f))} | ${ratio(speedup(comp, f))} | ` +
              `${f?.status === 'ok' ? ms(f.firstMs) : '–'} | ${f?.gbps != null ? f.gbps.toPrecision(3) : '–'} | ` +
              `${pct(f?.rooflineFraction)} | ` +
              // Below 1 % of the logits (a forward's [N] outputs) a ratio says nothing.
              `${ratio(mf)} | ${ratio(mt)} | ${mf != null && mf >= 0.01 && mt != null ? ratio(mt / mf) : '–'} |`);
        }
      }
      md.push('');
      md.push(...gpuDetail(r, suite));
      const errors = r.results.filter(c => c.suite === suite && c.status === 'error');
      if (errors.length) {
        md.push('Errors (recorded as results):', '');
        for (const e of errors) md.push(`- ${e.shape.rows}×${e.shape.classes} ${e.mode} ${e.provider}: \`${e.error}\``);
        md.push('');
      }
    }
  }
  const bigShapes = reports.flatMap(r => r.results).filter(c => c.logitsBytes >= 2 ** 27);
  if (bigShapes.length) md.push(`Logits sizes: 1024×32000 = ${mib(1024 * 32000 * 4)}, 8192×32000 = ${mib(8192 * 32000 * 4)}.`, '');
  md.push('## Providers', '',
      '- **fused**: `softmaxCrossEntropyWithLogits` / `sparseSoftmaxCrossEntropyWithLogits` / `sigmoidCrossEntropyWithLogits` ' +
      'of this package (fused kernel where the backend has one);',
      '- **composite**: the same ops with `tf.env().set(\'FUSED_CE_FORCE_COMPOSITE\', true)` (stable tfjs ops);',
      '- **tf.losses**: `tf.losses.softmaxCrossEntropy` / `sigmoidCrossEntropy` with `Reduction.NONE` (sparse: after `tf.oneHot`);',
      '- **tfjs-layers**: tfjs-layers\' from-logits `categoricalCrossentropy`, `sparseCategoricalCrossentropy` ' +
      '(clips the logits to [1e-7, 1 − 1e-7] before its softmax, a tfjs-layers bug: its values are wrong, speed only) ' +
      'and `sigmoidCrossEntropyWithLogits`.',
      '- Sparse train mode: fused and composite through `compileWithSparseLabels` with ' +
      '`SparseCategoricalCrossentropy({fromLogits: true})`; tfjs-layers with its string loss ' +
      '\'sparseCategoricalCrossentropy\' on a softmax output (the Keras way); tf.losses n/a (tfjs-layers accepts ' +
      'class-id targets in `trainOnBatch` only for its own sparse loss).', '');
  return md.join('\n');
}

export async function buildReport(dir: string): Promise<string[]> {
  const reports = loadReports(dir);
  const infoPath = path.join(dir, 'run-info.json');
  const info = fs.existsSync(infoPath) ? JSON.parse(fs.readFileSync(infoPath, 'utf8')) as RunInfo : null;
  const mdPath = path.join(dir, 'RESULTS.md');
  fs.writeFileSync(mdPath, renderMarkdown(reports, info));
  return [mdPath, ...(await renderChart(reports, dir))];
}

// Run as a script (tsx); bundled as a module into the real-GPU bundle, where `module` does not exist.
if (typeof module !== 'undefined' && require.main === module) {
  buildReport(process.argv[2] ?? 'benchmarks/results').then(
      files => console.log(`wrote ${files.join(', ')}`),
      e => {
        console.error(e);
        process.exit(1);
      });
}
